-- The change feed (API-sync.md, "Change feed"): which of a user's tasks, projects and labels
-- changed, by which transaction, and which were deleted.
--
-- One row per resource, kept by triggers on the three tables (so no statement, cascade included,
-- can change a resource without it): its kind and id, whether it is now deleted, and `xid`, the
-- transaction that last touched it (`pg_current_xact_id()`, 64 bits, never wraps).
--
-- Why transaction ids and not a sequence: numbers handed out by a sequence commit out of order,
-- so a reader could see 7 before 6 commits and never ask for 6 again. A reader here only reads
-- rows whose `xid` is below its snapshot's xmin (`pg_snapshot_xmin(pg_current_snapshot())`):
-- every transaction below it has ended, so no row with a smaller `xid` can still appear, and the
-- next read starts there. Nothing is skipped and nothing is seen twice; the price is that a
-- change becomes readable only once every transaction older than it has ended, a moment later
-- (statements are bounded by statement_timeout). No lock is taken on the user, so writers of one
-- user do not queue behind each other. Within a page, changes come in the order of the
-- transactions that made them.
CREATE TABLE changes (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    id         uuid        NOT NULL,
    xid        xid8        NOT NULL,
    deleted    boolean     NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, id),
    CONSTRAINT changes_kind CHECK (kind IN ('task', 'project', 'label'))
);
-- The reader's walk: a user's rows in (xid, kind, id) order from a cursor.
CREATE INDEX changes_user_xid_idx ON changes (user_id, xid, kind, id);
-- The clean-up's walk: deletions older than the feed keeps them.
CREATE INDEX changes_deleted_idx ON changes (changed_at) WHERE deleted;

-- Up to this transaction id, deletions have been forgotten (NULL: none yet): a cursor that has
-- not read past it could miss one, and is a 410.
CREATE TABLE change_horizon (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    forgotten_upto xid8
);
INSERT INTO change_horizon (forgotten_upto) VALUES (NULL);

-- One function for every trigger: TG_ARGV[0] is the kind; the statement's rows come in the
-- transition table `touched` (new rows for INSERT and UPDATE, old ones for DELETE). Statement
-- triggers, not row triggers: one upsert per statement however many rows it touched. Rows
-- deleted with their user (an account's deletion cascades) leave no deletion behind.
CREATE FUNCTION record_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO changes AS c (user_id, kind, id, xid, deleted)
    SELECT t.user_id, TG_ARGV[0], t.id, pg_current_xact_id(), TG_OP = 'DELETE' FROM touched t
    WHERE TG_OP <> 'DELETE' OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
    ON CONFLICT (user_id, kind, id) DO UPDATE
        SET xid = excluded.xid, deleted = excluded.deleted, changed_at = now();
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_inserted AFTER INSERT ON tasks REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('task');
CREATE TRIGGER tasks_updated AFTER UPDATE ON tasks REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('task');
CREATE TRIGGER tasks_deleted AFTER DELETE ON tasks REFERENCING OLD TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('task');
CREATE TRIGGER projects_inserted AFTER INSERT ON projects REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('project');
CREATE TRIGGER projects_updated AFTER UPDATE ON projects REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('project');
CREATE TRIGGER projects_deleted AFTER DELETE ON projects REFERENCING OLD TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('project');
CREATE TRIGGER labels_inserted AFTER INSERT ON labels REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('label');
CREATE TRIGGER labels_updated AFTER UPDATE ON labels REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('label');
CREATE TRIGGER labels_deleted AFTER DELETE ON labels REFERENCING OLD TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION record_changes('label');

-- What exists now, as changed by this migration's transaction: a full sync returns it all.
INSERT INTO changes (user_id, kind, id, xid, deleted)
SELECT user_id, 'task', id, pg_current_xact_id(), false FROM tasks
UNION ALL
SELECT user_id, 'project', id, pg_current_xact_id(), false FROM projects
UNION ALL
SELECT user_id, 'label', id, pg_current_xact_id(), false FROM labels;

ANALYZE changes;
