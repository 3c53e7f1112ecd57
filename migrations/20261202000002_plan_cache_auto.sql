-- Back to PostgreSQL's default plan caching (undoes 20261201000002_plan_each_execution).
--
-- That migration had every statement planned for its own values, for the one task listing whose
-- optional filters (`$n IS NULL OR ...`) a generic plan would read in full. The listing is now
-- built per request with only the conditions its shape uses (src/db/tasks.rs, `list`), and the
-- generic plan of every shape is the same index walk as its custom plan (tests/api/schema.rs
-- checks both). Planning every statement on every execution cost more than running it once the
-- organising columns arrived (a task's GET with its labels: 0.26 ms planning, 0.08 ms running,
-- measured on the benchmark's data; every request's throughput halved).
--
-- As before, only the database's owner can change this; another role gets a warning and keeps
-- the setting, which is correct, only slower.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET plan_cache_mode', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'only the owner of database % can reset plan_cache_mode; '
                  'every statement stays planned per execution', current_database();
END
$$;
