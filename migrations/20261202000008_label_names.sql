-- Each task carries its labels' names, in the order the API shows them (case-insensitively by
-- name, then by name), kept by the statements that set a task's labels and that rename or delete
-- a label (which already touched every task carrying it, for `updated_at`). Reading the names
-- from `task_labels` and `labels` for every listed task had cost the listing 40% of its
-- throughput in PostgreSQL (pgbench on the benchmark's data: 9,800 pages/s with the lookup,
-- 16,800 without). `task_labels` stays: it is what the label filters and a label's rename and
-- delete walk, and what keeps a label from disappearing under a task (its foreign keys).
-- The names' count replaces `label_count` (it only let listings skip the lookup).
--
-- Rewrites the ~30% of tasks that carry labels, in one transaction (22 s for the benchmark's
-- 1 million tasks on its 2-core machine); not bounded by the database's 5 s statement_timeout.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = '10s';

ALTER TABLE tasks ADD COLUMN label_names text[] NOT NULL DEFAULT '{}';

UPDATE tasks t SET label_names = n.names
FROM (
    SELECT tl.user_id, tl.task_id, array_agg(l.name ORDER BY lower(l.name), l.name) AS names
    FROM task_labels tl
    JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
    GROUP BY tl.user_id, tl.task_id
) n
WHERE t.user_id = n.user_id AND t.id = n.task_id;

ALTER TABLE tasks DROP COLUMN label_count;
-- `Labels::MAX` (src/domain/organise.rs), as the column it replaces was held to.
ALTER TABLE tasks ADD CONSTRAINT tasks_label_names_count CHECK (cardinality(label_names) <= 20);
