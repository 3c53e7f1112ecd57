-- Organising tasks (API-organise.md): a time zone per user, projects, labels, and on tasks a
-- project, labels, a priority, a due date and time, when they were completed, and a place in
-- their project's manual order.
--
-- Storage rule: every table holding a user's data carries `user_id` first in its primary key,
-- its unique constraints and its foreign keys between such tables, so that the schema can be
-- distributed by `user_id` (Citus) without change. `tasks` is re-keyed on (user_id, id) for it.
--
-- Runs in one transaction, holding `users` and `tasks` exclusively while it rewrites `tasks`
-- (38 s for 1.1 million tasks on the benchmark's 2-core machine, measured: plan a maintenance
-- window for a large database). It gives up after 10 s of waiting for those locks rather than
-- queueing every request behind it.
SET LOCAL lock_timeout = '10s';

-- Upgrades a populated database in place: existing tasks keep every field, land in the Inbox
-- with no labels, priority 0 and no due date; a completed task's `completed_at` becomes its
-- `updated_at` (the last change we know of); the Inbox's manual order starts as newest first.

ALTER TABLE users
    -- How many tasks the user has, kept by the statements that create and delete tasks (each in
    -- the same statement): the task limit is checked without counting a user's tasks, which cost
    -- more than the rest of a create (measured: 1,322 against 4,522 creates/s).
    ADD COLUMN task_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
    -- An IANA name, checked against the time zone database by the application; the longest
    -- today is 32 characters ("America/Argentina/ComodRivadavia").
    ADD CONSTRAINT users_timezone_length CHECK (char_length(timezone) BETWEEN 1 AND 64);

CREATE TABLE projects (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT uuid_generate_v7(),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_pkey PRIMARY KEY (user_id, id),
    CONSTRAINT projects_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT projects_name_trimmed CHECK (name !~ '^[[:space:]]|[[:space:]]$'),
    CONSTRAINT projects_updated_after_created CHECK (updated_at >= created_at)
);
-- Unique per user case-insensitively; also the listing's order (by name, case-insensitive).
CREATE UNIQUE INDEX projects_user_name_key ON projects (user_id, lower(name));

CREATE TABLE labels (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         uuid        NOT NULL DEFAULT uuid_generate_v7(),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT labels_pkey PRIMARY KEY (user_id, id),
    CONSTRAINT labels_name_length CHECK (char_length(name) BETWEEN 1 AND 64),
    CONSTRAINT labels_name_trimmed CHECK (name !~ '^[[:space:]]|[[:space:]]$'),
    -- A task's labels travel as a list; some clients join them with commas.
    CONSTRAINT labels_name_no_comma CHECK (strpos(name, ',') = 0),
    CONSTRAINT labels_updated_after_created CHECK (updated_at >= created_at)
);
CREATE UNIQUE INDEX labels_user_name_key ON labels (user_id, lower(name));

-- The manual order's keys: text compared byte by byte (COLLATE "C"), digits 0-9A-Za-z, never
-- ending in '0'. A key between two others always exists (see src/domain/order.rs), so a move
-- rewrites only the moved task's key. A task placed at the top gets this key: 10 digits of
-- (62^10 - 1 - microseconds since 1970), so that a later key sorts first, then 5 random digits so
-- that two tasks placed in the same microsecond do not collide. Every other key is made between
-- or after existing keys, so the top key of now sorts before every key made earlier: a new task
-- lands on top without reading its project's first key, and creates never contend.
CREATE FUNCTION order_key_digits(n bigint, width int)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    digits constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    key text := '';
BEGIN
    FOR i IN 1..width LOOP
        key := substr(digits, (n % 62)::int + 1, 1) || key;
        n := n / 62;
    END LOOP;
    RETURN key;
END
$$;

CREATE FUNCTION order_key_top(ts timestamptz DEFAULT clock_timestamp())
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    digits constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    key text := order_key_digits(839299365868340223 - (extract(epoch FROM ts) * 1000000)::bigint, 10);
BEGIN
    FOR i IN 1..4 LOOP
        key := key || substr(digits, floor(random() * 62)::int + 1, 1);
    END LOOP;
    RETURN key || substr(digits, floor(random() * 61)::int + 2, 1);
END
$$;

ALTER TABLE tasks DROP CONSTRAINT tasks_pkey;
ALTER TABLE tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (user_id, id);

ALTER TABLE tasks
    ADD COLUMN project_id   uuid,
    ADD COLUMN priority     smallint    NOT NULL DEFAULT 0,
    ADD COLUMN due_date     date,
    ADD COLUMN due_time     time(0),
    ADD COLUMN completed_at timestamptz,
    ADD COLUMN position     text COLLATE "C",
    -- How many labels the task carries (task_labels holds which), kept by the statements that
    -- change them: a listing looks the names up only for the tasks that have some.
    ADD COLUMN label_count  smallint    NOT NULL DEFAULT 0;

UPDATE users u SET task_count = c.count
FROM (SELECT user_id, count(*) AS count FROM tasks GROUP BY user_id) c
WHERE u.id = c.user_id;

-- One pass over the table. The Inbox's order starts as newest first: each task's key is its
-- creation time's top-key digits, then its rank among the user's tasks (newest first, ties by
-- id), so that keys are unique and the order is exact even for tasks created in the same
-- microsecond, and every later top key sorts before them.
UPDATE tasks t SET
    completed_at = CASE WHEN t.completed THEN t.updated_at END,
    position = order_key_digits(839299365868340223 - (extract(epoch FROM t.created_at) * 1000000)::bigint, 10)
               || order_key_digits(r.rank, 4) || '1'
FROM (SELECT user_id, id,
             row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS rank
      FROM tasks) r
WHERE t.user_id = r.user_id AND t.id = r.id;

ALTER TABLE tasks
    ALTER COLUMN position SET NOT NULL,
    ALTER COLUMN position SET DEFAULT order_key_top(),
    -- Deleting a project deletes its tasks (API-organise.md), in the same statement.
    ADD CONSTRAINT tasks_project_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT tasks_priority_range CHECK (priority BETWEEN 0 AND 3),
    ADD CONSTRAINT tasks_label_count_range CHECK (label_count BETWEEN 0 AND 20),
    ADD CONSTRAINT tasks_due_date_range CHECK (due_date BETWEEN DATE '1900-01-01' AND DATE '9999-12-31'),
    ADD CONSTRAINT tasks_due_time_minutes CHECK (extract(second FROM due_time) = 0),
    ADD CONSTRAINT tasks_due_time_needs_date CHECK (due_time IS NULL OR due_date IS NOT NULL),
    ADD CONSTRAINT tasks_completed_at_iff_completed CHECK (completed = (completed_at IS NOT NULL)),
    ADD CONSTRAINT tasks_position_digits CHECK (position ~ '^[0-9A-Za-z]*[1-9A-Za-z]$');

-- One key per place: two concurrent moves that computed the same key cannot both land (the
-- second retries with fresh neighbours), so the manual order is total. Also sort=manual's walk.
-- The Inbox (no project) is the nil UUID here, not NULL: the planner can follow an index's order
-- after an equality on its leading columns, but not after `project_id IS NULL`.
CREATE UNIQUE INDEX tasks_manual_order_key
    ON tasks (user_id, COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid), position);

-- The due sort as one descending number, so that "earliest due first, a date's untimed tasks
-- before its timed ones, undated last, ties newest first" is one index order
-- (due_rank DESC, created_at DESC, id DESC) that a keyset cursor can resume with a single row
-- comparison. Larger is earlier: minus (days since 1900 * 1441 + minute of the day + 1, or 0
-- without a time); no due date is the smallest value. src/domain/listing.rs computes the same
-- numbers for the due filters' bounds (a test holds the two together).
ALTER TABLE tasks ADD COLUMN due_rank bigint NOT NULL GENERATED ALWAYS AS (
    CASE WHEN due_date IS NULL THEN -9223372036854775807
    ELSE -((due_date - DATE '1900-01-01')::bigint * 1441
           + COALESCE((extract(hour FROM due_time) * 60 + extract(minute FROM due_time))::bigint + 1, 0))
    END
) STORED;

-- One index per listing order, each starting with the user: sort=due (and every due filter, a
-- range of due_rank), sort=priority (and priority=N with the default sort), project=... with the
-- default sort (also the project foreign key's cascade), sort=manual (the unique key above).
CREATE INDEX tasks_user_due_idx ON tasks (user_id, due_rank DESC, created_at DESC, id DESC);
CREATE INDEX tasks_user_priority_idx ON tasks (user_id, priority DESC, created_at DESC, id DESC);
CREATE INDEX tasks_user_project_idx ON tasks (user_id, project_id, created_at DESC, id DESC);

-- A project (and a label) belongs to one user, which the planner cannot know: it multiplies the
-- user's share of all tasks by the project's, and expects a project of 200 tasks to hold 40, so
-- that reading them all and sorting looks cheaper than walking the manual-order index. These
-- statistics tell it that the project determines the user.
CREATE STATISTICS tasks_user_project_stats (dependencies) ON user_id, project_id FROM tasks;
CREATE STATISTICS tasks_user_manual_list_stats (dependencies)
    ON user_id, (COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid)) FROM tasks;

-- A task's labels. `task_created_at` copies the task's (which never changes), so that label=...
-- with the default sort walks this index in the listing's order instead of every task.
CREATE TABLE task_labels (
    user_id         uuid        NOT NULL,
    task_id         uuid        NOT NULL,
    label_id        uuid        NOT NULL,
    task_created_at timestamptz NOT NULL,
    CONSTRAINT task_labels_pkey PRIMARY KEY (user_id, task_id, label_id),
    CONSTRAINT task_labels_task_fkey FOREIGN KEY (user_id, task_id)
        REFERENCES tasks (user_id, id) ON DELETE CASCADE,
    CONSTRAINT task_labels_label_fkey FOREIGN KEY (user_id, label_id)
        REFERENCES labels (user_id, id) ON DELETE CASCADE
);
CREATE INDEX task_labels_label_idx
    ON task_labels (user_id, label_id, task_created_at DESC, task_id DESC);
CREATE STATISTICS task_labels_user_label_stats (dependencies) ON user_id, label_id FROM task_labels;

-- Statistics for the new columns, indexes and the dependency statistics above, now rather than
-- at autovacuum's next visit.
ANALYZE users, tasks, projects, labels, task_labels;
