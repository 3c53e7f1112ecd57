-- 10,000 users and about 1,000,000 tasks, skewed like real use: 30 users with 10,000 tasks each,
-- the rest with 30 to 110 (median ~70); ~30% completed; created over the past year.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (email, created_at, updated_at)
SELECT 'user' || g || '@bench.example', now() - interval '400 days', now() - interval '400 days'
FROM generate_series(1, 10000) g;

CREATE TEMP TABLE plan ON COMMIT DROP AS
SELECT id AS user_id,
       CASE WHEN row_number() OVER (ORDER BY id) <= 30 THEN 10000
            ELSE 30 + floor(random() * 81)::int END AS n
FROM users;

INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)
SELECT uuid_generate_v7(ts), user_id, title, description, completed, ts, ts
FROM (
    SELECT p.user_id,
           'Task ' || g AS title,
           CASE WHEN g % 4 = 0 THEN 'Details for task ' || g END AS description,
           random() < 0.3 AS completed,
           now() - random() * interval '365 days' AS ts
    FROM plan p CROSS JOIN LATERAL generate_series(1, p.n) g
) seeded;

-- 2,000 users the load generator signs in as, each with one of their tasks.
CREATE TABLE bench_sample (n int PRIMARY KEY, user_id uuid NOT NULL, email text NOT NULL, task_id uuid NOT NULL);
INSERT INTO bench_sample
SELECT row_number() OVER (), u.id, u.email,
       (SELECT t.id FROM tasks t WHERE t.user_id = u.id ORDER BY t.created_at DESC LIMIT 1)
FROM (SELECT id, email FROM users ORDER BY random() LIMIT 2000) u;
COMMIT;
-- What autovacuum would have done by the time such a table serves traffic: statistics, and the
-- visibility map that lets the counts be read from the index alone.
VACUUM ANALYZE;
