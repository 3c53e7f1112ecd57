-- A user provisioned from a trusted main app's token belongs to that issuer (issue 12, point 6).
--
-- Before, a foreign token found its user by `sub` alone, so a main app's token whose `sub` was a
-- Taskdeck user's id opened that account. Now an external identity is (issuer, subject): a
-- provisioned user records the issuer that created it, and a foreign token reaches only a user
-- of its own issuer with its `sub` as id, never a user registered here (issuer NULL) nor one of
-- another issuer.
--
-- Users provisioned before this migration have no password and no recorded issuer; the first
-- accepted issuer to present such a user's id claims it (src/db/users.rs). Until now any
-- accepted issuer could reach them, so this only narrows who can.
SET LOCAL lock_timeout = '10s';

ALTER TABLE users
    ADD COLUMN issuer text,
    -- An issuer's users arrive through it, never with a password of ours.
    ADD CONSTRAINT users_issuer_has_no_password CHECK (issuer IS NULL OR password_hash IS NULL),
    ADD CONSTRAINT users_issuer_length CHECK (char_length(issuer) BETWEEN 1 AND 255);
