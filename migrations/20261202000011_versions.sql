-- Versions (API-sync.md, issue 15): 1 at creation, +1 on every change of a task, project or
-- label (a label's rename or delete changes the tasks carrying it too). The ETag of a single
-- resource is its version. A constant default: the column is added without rewriting the table.
ALTER TABLE tasks ADD COLUMN version bigint NOT NULL DEFAULT 1 CONSTRAINT tasks_version_positive CHECK (version >= 1);
ALTER TABLE projects ADD COLUMN version bigint NOT NULL DEFAULT 1 CONSTRAINT projects_version_positive CHECK (version >= 1);
ALTER TABLE labels ADD COLUMN version bigint NOT NULL DEFAULT 1 CONSTRAINT labels_version_positive CHECK (version >= 1);
