-- Browser sessions (tower-sessions), kept in PostgreSQL so that they survive a restart and are
-- shared by every server process on the same database.
CREATE TABLE sessions (
    id         text        PRIMARY KEY,
    data       bytea       NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Lets the periodic clean-up delete expired sessions without scanning live ones.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
