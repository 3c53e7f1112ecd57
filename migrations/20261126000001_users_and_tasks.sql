-- Users and their tasks.

-- UUID version 7 (RFC 9562): a 48-bit Unix-millisecond timestamp followed by random bits, so
-- ids sort by creation and new rows land at the right edge of the primary-key index instead of
-- scattering writes across it. PostgreSQL 15 has no built-in generator (uuidv7() arrived in 18),
-- so this one overlays the timestamp on a random v4 UUID and sets the version bits to 0111.
-- The application generates its own v7 ids; this default serves SQL-side inserts (seeding,
-- benchmarks) and takes the timestamp as a parameter so seeded ids can match seeded created_at.
CREATE FUNCTION uuid_generate_v7(ts timestamptz DEFAULT clock_timestamp())
RETURNS uuid
LANGUAGE sql
VOLATILE
AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send((extract(epoch FROM ts) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid
$$;

CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- Stored lower-cased so that uniqueness is case-insensitive with a plain unique index.
    email         text        NOT NULL,
    -- NULL for users provisioned from a trusted main app's token: they cannot log in here with
    -- a password, only through that app.
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_lower_case CHECK (email = lower(email)),
    -- RFC 5321 caps a forward path at 254 characters; "a@b" is the shortest plausible address.
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT users_password_hash_argon2 CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%')
);

CREATE TABLE tasks (
    id          uuid        PRIMARY KEY DEFAULT uuid_generate_v7(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text        NOT NULL,
    description text,
    completed   boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- The API contract's bounds, in code points (char_length), enforced here as the last line of
    -- defence behind the application's validation.
    CONSTRAINT tasks_title_length CHECK (char_length(title) BETWEEN 1 AND 255),
    -- Blank means white space only, of any kind (btrim would only strip spaces).
    CONSTRAINT tasks_title_not_blank CHECK (title ~ '[^[:space:]]'),
    -- A blank description is stored as NULL, never as an empty string.
    CONSTRAINT tasks_description_length CHECK (description IS NULL OR char_length(description) BETWEEN 1 AND 10000),
    CONSTRAINT tasks_description_not_blank CHECK (description IS NULL OR description ~ '[^[:space:]]'),
    CONSTRAINT tasks_updated_after_created CHECK (updated_at >= created_at)
);

-- Serves "this user's tasks, newest first" keyset pages: WHERE user_id = $1 AND
-- (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC, reading only that user's rows
-- in order, with no sort step. It also serves the foreign key's ON DELETE CASCADE lookups.
CREATE INDEX tasks_user_created_id_idx ON tasks (user_id, created_at DESC, id DESC);
