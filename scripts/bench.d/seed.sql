-- 10,000 users and about 1,000,000 tasks, skewed like real use: 30 users with 10,000 tasks each,
-- the rest with 30 to 110 (median ~70); ~30% completed; created over the past year.
-- Organised (API-organise.md): every user with tasks has 3 projects and 5 labels; 20% of tasks
-- are in a project (every fifth task of a user, so that each has a project with tasks), ~30%
-- carry 1 or 2 labels, ~40% have a due date from 30 days ago to 60 days ahead (~30% of those also
-- a time of day), priorities ~55% none, 20% low, 15% medium, 10% high.
\set ON_ERROR_STOP on
-- A bulk load: its statements run for minutes, past the database's statement_timeout.
SET statement_timeout = 0;
BEGIN;
INSERT INTO users (email, created_at, updated_at)
SELECT 'user' || g || '@bench.example', now() - interval '400 days', now() - interval '400 days'
FROM generate_series(1, 10000) g;

CREATE TEMP TABLE plan ON COMMIT DROP AS
SELECT id AS user_id,
       CASE WHEN row_number() OVER (ORDER BY id) <= 30 THEN 10000
            ELSE 30 + floor(random() * 81)::int END AS n
FROM users;

INSERT INTO projects (user_id, id, name, created_at, updated_at)
SELECT p.user_id, uuid_generate_v7(u.created_at), name, u.created_at, u.created_at
FROM plan p
JOIN users u ON u.id = p.user_id
CROSS JOIN unnest(ARRAY['Work', 'Home', 'Side project']) name
WHERE p.n > 0;

INSERT INTO labels (user_id, id, name, created_at, updated_at)
SELECT p.user_id, uuid_generate_v7(u.created_at), name, u.created_at, u.created_at
FROM plan p
JOIN users u ON u.id = p.user_id
CROSS JOIN unnest(ARRAY['urgent', 'errands', 'waiting', 'phone', 'reading']) name
WHERE p.n > 0;

-- Each user's projects and labels as arrays, to pick from by index.
CREATE TEMP TABLE user_projects ON COMMIT DROP AS
SELECT user_id, array_agg(id ORDER BY id) AS ids FROM projects GROUP BY user_id;
CREATE TEMP TABLE user_labels ON COMMIT DROP AS
SELECT user_id, array_agg(id ORDER BY id) AS ids FROM labels GROUP BY user_id;

-- Nested so that each random value is drawn once per task (a subquery whose output holds
-- volatile functions is not merged into the one above it). `position` is order_key_top(created_at)
-- (the migration's default, which is how it numbers existing tasks) written out set-based: 10
-- base-62 digits of 62^10 - 1 - microseconds since 1970, then 4 random digits and one that is not
-- '0'; the plpgsql function per row would be much slower.
INSERT INTO tasks (id, user_id, title, description, completed, completed_at, project_id, priority,
                   due_date, due_time, position, created_at, updated_at)
SELECT uuid_generate_v7(ts), user_id, title, description, completed, completed_at, project_id,
       CASE WHEN r_priority < 0.55 THEN 0 WHEN r_priority < 0.75 THEN 1
            WHEN r_priority < 0.90 THEN 2 ELSE 3 END,
       due_date,
       CASE WHEN due_date IS NOT NULL AND random() < 0.3
            THEN make_time(8 + floor(random() * 12)::int, 15 * floor(random() * 4)::int, 0) END,
       substr(d, (k / 13537086546263552 % 62)::int + 1, 1)
         || substr(d, (k / 218340105584896 % 62)::int + 1, 1)
         || substr(d, (k / 3521614606208 % 62)::int + 1, 1)
         || substr(d, (k / 56800235584 % 62)::int + 1, 1)
         || substr(d, (k / 916132832 % 62)::int + 1, 1)
         || substr(d, (k / 14776336 % 62)::int + 1, 1)
         || substr(d, (k / 238328 % 62)::int + 1, 1)
         || substr(d, (k / 3844 % 62)::int + 1, 1)
         || substr(d, (k / 62 % 62)::int + 1, 1)
         || substr(d, (k % 62)::int + 1, 1)
         || substr(d, floor(random() * 62)::int + 1, 1)
         || substr(d, floor(random() * 62)::int + 1, 1)
         || substr(d, floor(random() * 62)::int + 1, 1)
         || substr(d, floor(random() * 62)::int + 1, 1)
         || substr(d, floor(random() * 61)::int + 2, 1),
       ts, COALESCE(completed_at, ts)
FROM (
    SELECT user_id, title, description, completed, ts,
           CASE WHEN completed THEN ts + random() * (now() - ts) END AS completed_at,
           project_id, r_priority, due_date,
           839299365868340223 - (extract(epoch FROM ts) * 1000000)::bigint AS k,
           '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'::text AS d
    FROM (
        SELECT p.user_id,
               'Task ' || g AS title,
               CASE WHEN g % 4 = 0 THEN 'Details for task ' || g END AS description,
               random() < 0.3 AS completed,
               now() - random() * interval '365 days' AS ts,
               CASE WHEN g % 5 = 0 THEN up.ids[1 + floor(random() * 3)::int] END AS project_id,
               random() AS r_priority,
               CASE WHEN random() < 0.4 THEN current_date + (floor(random() * 91)::int - 30) END
                   AS due_date
        FROM plan p
        JOIN user_projects up USING (user_id)
        CROSS JOIN LATERAL generate_series(1, p.n) g
    ) drawn
) seeded;

-- ~30% of tasks carry a label, ~40% of those a second, different one.
INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
SELECT c.user_id, c.id, ul.ids[1 + (c.first + s.step) % 5], c.created_at
FROM (
    SELECT user_id, id, created_at, floor(random() * 5)::int AS first,
           CASE WHEN random() < 0.4 THEN 1 + floor(random() * 4)::int END AS second
    FROM tasks
    WHERE random() < 0.3
) c
JOIN user_labels ul USING (user_id)
CROSS JOIN LATERAL (VALUES (0), (c.second)) s(step)
WHERE s.step IS NOT NULL;
UPDATE users u SET task_count = c.count
FROM (SELECT user_id, count(*) AS count FROM tasks GROUP BY user_id) c
WHERE u.id = c.user_id;
UPDATE tasks t SET label_names = n.names
FROM (SELECT tl.user_id, tl.task_id, array_agg(l.name ORDER BY lower(l.name), l.name) AS names
      FROM task_labels tl JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
      GROUP BY tl.user_id, tl.task_id) n
WHERE t.user_id = n.user_id AND t.id = n.task_id;

-- 2,000 users the load generator signs in as, each with one of their tasks (get, toggle), the
-- project of theirs with the most tasks (sort=manual), and two other tasks of their Inbox (move
-- the first before or after the second, or to the top).
CREATE TABLE bench_sample (n int PRIMARY KEY, user_id uuid NOT NULL, email text NOT NULL, task_id uuid NOT NULL,
                           project_id uuid NOT NULL, move_task_id uuid NOT NULL, move_other_id uuid NOT NULL);
INSERT INTO bench_sample
SELECT n, user_id, email, task_id,
       (SELECT t.project_id FROM tasks t WHERE t.user_id = s.user_id AND t.project_id IS NOT NULL
        GROUP BY t.project_id ORDER BY count(*) DESC, t.project_id LIMIT 1),
       inbox[1], inbox[2]
FROM (
    SELECT n, user_id, email, task_id,
           ARRAY(SELECT t.id FROM tasks t
                 WHERE t.user_id = sampled.user_id AND t.project_id IS NULL AND t.id <> sampled.task_id
                 ORDER BY t.created_at DESC LIMIT 2) AS inbox
    FROM (
        SELECT row_number() OVER () AS n, u.id AS user_id, u.email,
               (SELECT t.id FROM tasks t WHERE t.user_id = u.id ORDER BY t.created_at DESC LIMIT 1) AS task_id
        FROM (SELECT id, email FROM users ORDER BY random() LIMIT 2000) u
    ) sampled
) s;
COMMIT;
-- What autovacuum would have done by the time such a table serves traffic: statistics, and the
-- visibility map that lets the counts be read from the index alone.
VACUUM ANALYZE;
