-- Live updates (API-sync.md): the change feed's trigger also says, at commit, whose data changed
-- and in which transaction (`<user id> <transaction id>` on the channel `changes`), for the
-- event streams of every server process (src/server/events.rs). NOTIFY is transactional: nothing
-- is sent for a transaction that rolls back, and one transaction's identical notices are sent
-- once.
CREATE OR REPLACE FUNCTION record_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO changes AS c (user_id, kind, id, xid, deleted)
    SELECT t.user_id, TG_ARGV[0], t.id, pg_current_xact_id(), TG_OP = 'DELETE' FROM touched t
    WHERE TG_OP <> 'DELETE' OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
    ON CONFLICT (user_id, kind, id) DO UPDATE
        SET xid = excluded.xid, deleted = excluded.deleted, changed_at = now();
    PERFORM pg_notify('changes', u.user_id::text || ' ' || pg_current_xact_id()::text)
    FROM (SELECT DISTINCT user_id FROM touched) u;
    RETURN NULL;
END
$$;
