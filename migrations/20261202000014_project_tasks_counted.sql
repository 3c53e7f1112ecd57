-- A project's tasks are deleted by the statement that deletes the project, which counts them off
-- users.task_count (db::projects::delete). A cascade from the project would also delete a task
-- moved into it while that statement ran (the move not yet committed when it began), uncounted:
-- the count would stay one too high for good, and the task limit would come early. Without the
-- cascade, such a deletion is refused at its end (the task still names the project), and
-- db::projects::delete runs it again, seeing the task this time. The same two columns, so the
-- existing rows satisfy it as before.
ALTER TABLE tasks
    DROP CONSTRAINT tasks_project_fkey,
    ADD CONSTRAINT tasks_project_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id);
