-- Failed sign-in attempts, for throttling (API.md: 10 per email or 50 per client address within
-- 15 minutes). Kept in PostgreSQL so that the limits hold across restarts and across every
-- server process sharing the database.
CREATE TABLE login_failures (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lower-cased, as users.email; failures for unknown addresses count too.
    email       text        NOT NULL,
    client_ip   text,
    failed_at   timestamptz NOT NULL DEFAULT now()
);

-- "The most recent failures for this email / this address", newest first.
CREATE INDEX login_failures_email_idx ON login_failures (email, failed_at DESC);
CREATE INDEX login_failures_client_ip_idx ON login_failures (client_ip, failed_at DESC);
-- Lets the periodic clean-up find expired rows.
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);
