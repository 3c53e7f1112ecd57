-- Registrations per client address, for throttling them (issue 12, point 2: default 20 an hour,
-- MAX_REGISTRATIONS_PER_HOUR). Every attempt that reaches password hashing counts, successful or
-- not: hashing is what a flood costs. In PostgreSQL, so that the limit holds across restarts and
-- every server process sharing the database. Not a user's data (no user exists yet).
CREATE TABLE registration_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_ip    text        NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);

-- "This address's most recent attempts", newest first; also the clean-up's walk.
CREATE INDEX registration_attempts_client_ip_idx
    ON registration_attempts (client_ip, attempted_at DESC);
CREATE INDEX registration_attempts_attempted_at_idx ON registration_attempts (attempted_at);
