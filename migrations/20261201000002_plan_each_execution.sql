-- Every statement is planned for its own parameter values. sqlx prepares every statement, and
-- after five executions PostgreSQL may switch to a generic plan that ignores the values: for the
-- task listing's optional filters and cursor (`$n IS NULL OR ...`) that plan can read and sort
-- all of a user's tasks instead of walking the index from the cursor and stopping at the page
-- size. Planning each execution costs tens of microseconds (0.09 ms for the listing, measured).
--
-- Set for the database, not per connection: in production the pool is PgBouncer in transaction
-- mode, where a session `SET` after connecting lands on whichever server connection served it
-- and leaks to other clients. A role that does not own the database cannot set this; the
-- migration then warns and the listing runs on generic plans (slower for large accounts, still
-- correct): run `ALTER DATABASE <name> SET plan_cache_mode = force_custom_plan` as its owner.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'only the owner of database % can set plan_cache_mode = force_custom_plan; '
                  'task listings will use generic plans', current_database();
END
$$;
