-- Every statement has a deadline (issue 12, point 3): a statement that runs past it is cancelled
-- by PostgreSQL, and the server answers 503 with Retry-After instead of holding a pooled
-- connection (and so every other request that waits for one) for as long as it likes. A
-- transaction left idle is ended too, releasing its locks.
--
-- 5 s is far above a request's statements (milliseconds; among the largest, deleting a user's
-- 10,472 tasks took 0.25 s on the benchmark's data, so the 100,000-task limit stays inside it)
-- and below the pool's 10 s acquire timeout. Set for the database, not per connection: in production the pool is
-- PgBouncer in transaction mode, where a session `SET` would leak to other clients. Sessions
-- opened later get it; change it with `ALTER DATABASE <name> SET statement_timeout = ...`.
--
-- Migrations run under it too: a later migration that rewrites a large table starts with
-- `SET LOCAL statement_timeout = 0`. Scripts that load data in bulk (scripts/bench.d/seed.sql)
-- set their own.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET statement_timeout = %L', current_database(), '5s');
    EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L',
                   current_database(), '15s');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'only the owner of database % can set statement_timeout; '
                  'run ALTER DATABASE % SET statement_timeout = ''5s'' as its owner',
                  current_database(), current_database();
END
$$;
