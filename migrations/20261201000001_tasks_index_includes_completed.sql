-- The listing index also carries `completed`, so that a user's counts ("N tasks left", "Clear
-- completed (n)", on every /tasks page) are an index-only scan: for a user with 10,000 tasks,
-- 1.5 ms instead of 3.9 ms (measured on the benchmark's data), and no table pages read for
-- anyone once autovacuum has marked them all-visible. The listing's completed filter is checked
-- in the index as well, before a row is fetched.
--
-- Built, then swapped in under the old name. On a large table, build it beforehand with
-- CREATE INDEX CONCURRENTLY under the new name; this migration then only swaps the names.
CREATE INDEX IF NOT EXISTS tasks_user_created_id_completed_idx
    ON tasks (user_id, created_at DESC, id DESC) INCLUDE (completed);
DROP INDEX tasks_user_created_id_idx;
ALTER INDEX tasks_user_created_id_completed_idx RENAME TO tasks_user_created_id_idx;
