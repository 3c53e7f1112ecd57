-- Idempotency keys (API-sync.md, "Safe retries"): one row per key a user has sent, in every
-- server process's view (the database is what they share).
--
-- A row is claimed (in flight: `status` NULL, held by `claim` until `locked_until`) by the first
-- request with its key, in one INSERT, so that of concurrent requests with one key exactly one
-- runs. It then keeps that request's answer (2xx only; another answer deletes the row, freeing
-- the key) until `expires_at`. `body` is sealed (ChaCha20-Poly1305 under a key derived from
-- JWT_SECRET, see src/server/rest/idempotency.rs): a replayed answer may hold a personal access
-- token's secret, which must never lie in a table in the clear.
CREATE TABLE idempotency_keys (
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text        NOT NULL,
    -- What the key was first sent with: a repeat must be the same request.
    method       text        NOT NULL,
    path         text        NOT NULL,
    body_sha256  bytea       NOT NULL,
    -- Which claim holds the row while it is in flight: only that one may settle it.
    claim        uuid        NOT NULL,
    locked_until timestamptz,
    status       smallint,
    location     text,
    etag         text,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_key_length CHECK (octet_length(key) BETWEEN 1 AND 255),
    CONSTRAINT idempotency_keys_settled CHECK ((status IS NULL) = (locked_until IS NOT NULL)),
    CONSTRAINT idempotency_keys_kept_2xx CHECK (status IS NULL OR status BETWEEN 200 AND 299)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
