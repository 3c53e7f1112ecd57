-- Substring search (`q`) through an index (issue 12, point 3).
--
-- `title ILIKE '%text%' OR description ILIKE '%text%'` cannot use a B-tree: without an index it
-- reads every task of the user, and a user with thousands of long descriptions made one search
-- cost seconds of the database. A trigram index (pg_trgm) answers both ILIKEs for patterns of
-- three characters or more from the trigrams they contain; `user_id` comes first in it
-- (btree_gin), so that a search looks only at the caller's tasks. Shorter patterns, and common
-- ones, are cheaper to find by walking the listing's B-tree and checking rows, so the search is
-- planned for its own text on every execution (src/db/tasks/listing.rs sends it unnamed).
--
-- The planner prices an ILIKE like any comparison, not knowing that a description may hold
-- 10,000 characters stored out of line: for a user with a couple of thousand long tasks it
-- preferred reading every one of them (the slow search this index is for) to a trigram lookup
-- with many keys. So a search also checks `task_text_matches`, the same test in a function
-- whose declared COST tells the planner what checking a row really costs; plans that check
-- few rows (the trigram index's) then win whenever the text allows them. It runs only on rows
-- the ILIKEs already let through.
--
-- Both extensions are "trusted" (PostgreSQL 13+): the database's owner may create them, Neon
-- included. The index costs every create and every change of a title or description some
-- trigram entries (toggles add none, see 20261202000004): on the benchmark's data, creates went
-- from about 2,730/s to 2,330/s.
SET LOCAL lock_timeout = '10s';

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE FUNCTION task_text_matches(title text, description text, pattern text)
RETURNS boolean
LANGUAGE plpgsql -- not SQL: the planner would inline a SQL function and forget its cost
IMMUTABLE
PARALLEL SAFE
COST 10000
AS $$
BEGIN
    RETURN title ILIKE pattern OR description ILIKE pattern;
END
$$;

CREATE INDEX tasks_user_search_idx
    ON tasks USING gin (user_id, title gin_trgm_ops, description gin_trgm_ops);
