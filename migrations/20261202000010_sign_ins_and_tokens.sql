-- Credentials that can be taken back (issue 16, API-accounts.md).
--
-- Every table is keyed by user_id first, like the rest of a user's data, and every token a
-- client holds names its user (the secrets carry the user id before their random part), so
-- that each lookup stays within one user's rows.

-- An API sign-in: started by register, login or a password change; its access tokens carry its
-- id as `sid`. `ended_at` is set by logout, logout-all, a password change or a refresh token's
-- reuse; the row is kept until no access token of it can still be alive, so that a server
-- process starting meanwhile learns that it ended. `expires_at` follows its newest refresh token.
CREATE TABLE sign_ins (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz,
    CONSTRAINT sign_ins_pkey PRIMARY KEY (user_id, id)
);
-- The ended ones, for a starting server process and for the clean-up.
CREATE INDEX sign_ins_ended_at_idx ON sign_ins (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX sign_ins_expires_at_idx ON sign_ins (expires_at);

-- Every server process keeps the ended sign-ins in memory, so that checking an access token
-- costs no round trip; the database tells them all when one ends (or is deleted with its user)
-- on the channel `sign_in_ended`, at the commit of whatever ended it, whichever path that was.
CREATE FUNCTION notify_sign_in_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sign_in_ended', OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER sign_in_ended AFTER UPDATE OF ended_at ON sign_ins
    FOR EACH ROW WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL)
    EXECUTE FUNCTION notify_sign_in_ended();
CREATE TRIGGER sign_in_deleted AFTER DELETE ON sign_ins
    FOR EACH ROW WHEN (OLD.ended_at IS NULL)
    EXECUTE FUNCTION notify_sign_in_ended();

-- Refresh tokens, only as keyed hashes. A spent one is kept until it expires: presenting it again
-- is a reuse, which ends its sign-in (RFC 9700, 4.14.2).
CREATE TABLE refresh_tokens (
    user_id    uuid        NOT NULL,
    hash       bytea       NOT NULL,
    sign_in_id uuid        NOT NULL,
    expires_at timestamptz NOT NULL,
    spent_at   timestamptz,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (user_id, hash),
    CONSTRAINT refresh_tokens_sign_in_fkey FOREIGN KEY (user_id, sign_in_id)
        REFERENCES sign_ins (user_id, id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_hash_length CHECK (octet_length(hash) = 32)
);
CREATE INDEX refresh_tokens_sign_in_idx ON refresh_tokens (user_id, sign_in_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- Personal access tokens (`tdp_…`), only as keyed hashes.
CREATE TABLE access_tokens (
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    name         text        NOT NULL,
    scopes       text[]      NOT NULL,
    hash         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT access_tokens_pkey PRIMARY KEY (user_id, id),
    CONSTRAINT access_tokens_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT access_tokens_scopes_known
        CHECK (cardinality(scopes) BETWEEN 1 AND 2 AND scopes <@ ARRAY['tasks:read', 'tasks:write']),
    CONSTRAINT access_tokens_hash_length CHECK (octet_length(hash) = 32)
);
CREATE INDEX access_tokens_expires_at_idx ON access_tokens (expires_at) WHERE expires_at IS NOT NULL;

-- A browser session names its user, so that logout-all, a password change and an account's
-- deletion can end that user's web sessions. NULL for a session nobody signed into.
ALTER TABLE sessions ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE user_id IS NOT NULL;
UPDATE sessions s SET user_id = u.id
FROM users u
WHERE u.id::text = convert_from(s.data, 'UTF8')::jsonb ->> 'user_id';
