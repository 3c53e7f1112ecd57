-- Toggles rewrite no index entry (PostgreSQL's heap-only tuple updates, "HOT").
--
-- An UPDATE that changes no indexed column, and finds room on the row's page, adds no index
-- entries at all; one that changes an indexed column adds an entry to every index of the table.
-- `completed` was in the listing index (INCLUDE, 20261201000001), so every toggle wrote an entry
-- into each of the six indexes of tasks (and into the search index that the next migration
-- adds): measured on the benchmark's data, 3,500 toggles/s with it, 4,000-4,300 without it and
-- with room on the pages (4,300 with the search index too, against 3,060 without HOT).
--
-- The price: a user's counts ("N tasks left", "Clear completed (n)") read the rows instead of
-- the index alone (1.5 ms -> 3.9 ms for a user with 10,000 tasks, measured when the INCLUDE was
-- added), and the listing's `completed` filter is checked on the row. A toggle is far more
-- frequent than a large account's page view.
--
-- fillfactor 90 leaves a tenth of each new page free, so that a toggle usually finds room on
-- its row's own page. It applies to pages written from now on: existing full pages gain room as
-- VACUUM frees dead rows (or at once with `VACUUM FULL tasks` in a maintenance window).
SET LOCAL lock_timeout = '10s';

-- Built, then swapped in under the old name (as in 20261201000001; on a large table, build it
-- beforehand with CREATE INDEX CONCURRENTLY under the new name).
CREATE INDEX IF NOT EXISTS tasks_user_created_id_plain_idx ON tasks (user_id, created_at DESC, id DESC);
DROP INDEX tasks_user_created_id_idx;
ALTER INDEX tasks_user_created_id_plain_idx RENAME TO tasks_user_created_id_idx;

ALTER TABLE tasks SET (fillfactor = 90);
