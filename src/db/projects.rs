//! Projects: a user's named lists of tasks. Deleting one deletes its tasks, counted off the
//! user's `task_count`, in the same statement (the foreign key does not cascade: see
//! [`delete`]).

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::labels::lock_user_for_creation;
use super::{IfMatch, WriteError};
use crate::domain::{Limits, ListEntry, Lists, Project, ProjectName};

/// Every project of the user, by name (case-insensitive).
pub async fn list(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<Project>, sqlx::Error> {
    sqlx::query_as!(
        Project,
        "SELECT id, name, created_at, updated_at, version FROM projects WHERE user_id = $1 \
         ORDER BY lower(name), name",
        user_id
    )
    .fetch_all(db)
    .await
}

/// The web app's sidebar, in one statement: every project with its open and total task counts,
/// and every label with how many tasks carry it, each by name (case-insensitive).
pub async fn lists(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Lists, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT true AS "project!", p.id AS "id!", p.name AS "name!", p.version AS "version!",
                  c.open AS "open!", c.total AS "tasks!"
           FROM projects p
           CROSS JOIN LATERAL (
               SELECT count(*) FILTER (WHERE NOT t.completed) AS open, count(*) AS total
               FROM tasks t WHERE t.user_id = $1 AND t.project_id = p.id
           ) c
           WHERE p.user_id = $1
           UNION ALL
           SELECT false, l.id, l.name, l.version, 0::bigint,
                  (SELECT count(*) FROM task_labels tl WHERE tl.user_id = $1 AND tl.label_id = l.id)
           FROM labels l
           WHERE l.user_id = $1"#,
        user_id
    )
    .fetch_all(db)
    .await?;
    let mut lists = Lists::default();
    for row in rows {
        let entry = ListEntry {
            id: row.id,
            name: row.name,
            version: row.version,
            open: row.open,
            tasks: row.tasks,
        };
        if row.project {
            lists.projects.push(entry);
        } else {
            lists.labels.push(entry);
        }
    }
    // By name, case-insensitively (sorted here rather than by the statement: two lists).
    for list in [&mut lists.projects, &mut lists.labels] {
        list.sort_by(|a, b| {
            (a.name.to_lowercase(), &a.name).cmp(&(b.name.to_lowercase(), &b.name))
        });
    }
    Ok(lists)
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query_as!(
        Project,
        "SELECT id, name, created_at, updated_at, version FROM projects WHERE user_id = $1 AND id = $2",
        user_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// Whether the user has this project.
pub async fn exists(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM projects WHERE user_id = $1 AND id = $2) AS "exists!""#,
        user_id,
        id
    )
    .fetch_one(db)
    .await
}

/// Creates a project, within the user's limit.
pub async fn create(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    name: &ProjectName,
    limits: &Limits,
) -> Result<Project, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    if !lock_user_for_creation(&mut tx, user_id).await? {
        return Err(WriteError::UserGone);
    }
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM projects WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if count >= limits.projects {
        return Err(WriteError::Limit {
            what: "projects",
            limit: limits.projects,
        });
    }
    let project = sqlx::query_as!(
        Project,
        "INSERT INTO projects (user_id, id, name) VALUES ($1, $2, $3) \
         RETURNING id, name, created_at, updated_at, version",
        user_id,
        Uuid::now_v7(),
        name.as_ref()
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(project)
}

pub async fn rename(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    name: &ProjectName,
    if_match: IfMatch<'_>,
) -> Result<Option<Project>, WriteError> {
    Ok(sqlx::query_as!(
        Project,
        "UPDATE projects SET name = $3, updated_at = now(), version = version + 1 \
         WHERE user_id = $1 AND id = $2 AND ($4::bigint[] IS NULL OR version = ANY($4)) \
         RETURNING id, name, created_at, updated_at, version",
        user_id,
        id,
        name.as_ref(),
        if_match,
    )
    .fetch_optional(db)
    .await?)
}

/// How many times a project's deletion runs while tasks keep moving into it (each time, the
/// tasks that moved in before it are deleted too).
const DELETE_ATTEMPTS: usize = 5;

/// Deletes a project and its tasks, in one statement. Whether it existed (at a version
/// `if_match` names).
pub async fn delete(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    if_match: IfMatch<'_>,
) -> Result<bool, WriteError> {
    for _ in 0..DELETE_ATTEMPTS {
        match delete_once(pool, user_id, id, if_match).await {
            // A task moved or created into the project after the statement began, committed
            // before it ended: it still names the project (no cascade deletes it uncounted,
            // see the migration project_tasks_counted). Again, with it in view.
            Err(sqlx::Error::Database(db)) if db.constraint() == Some("tasks_project_fkey") => {}
            result => return Ok(result?),
        }
    }
    Err(WriteError::Changed(
        "tasks kept moving into the project while it was being deleted",
    ))
}

async fn delete_once(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    if_match: IfMatch<'_>,
) -> Result<bool, sqlx::Error> {
    // The tasks first, counted off the user's `task_count`, then the project (whose foreign key
    // refuses the deletion while a task still names it). The tasks are locked in id order first,
    // as moves and a label's rename or delete lock them, so that none of those can deadlock with
    // this.
    let deleted = sqlx::query_scalar!(
        r#"WITH locked AS (
               SELECT id FROM tasks WHERE user_id = $1 AND project_id = $2
               ORDER BY id FOR UPDATE
           ), project AS (
               -- If-Match, checked on the locked row (a rename meanwhile is waited for and seen).
               -- NO KEY UPDATE: a task being moved into the project holds a KEY SHARE lock on it
               -- and then waits for its own lock in `locked`; a stronger lock here would deadlock.
               SELECT id FROM projects
               WHERE user_id = $1 AND id = $2 AND ($3::bigint[] IS NULL OR version = ANY($3))
               FOR NO KEY UPDATE
           ), tasks_gone AS (
               DELETE FROM tasks WHERE user_id = $1 AND id IN (SELECT id FROM locked)
                 AND EXISTS (SELECT 1 FROM project)
               RETURNING 1
           ), counted AS (
               UPDATE users SET task_count = task_count - (SELECT count(*) FROM tasks_gone)
               WHERE id = $1
           )
           DELETE FROM projects WHERE user_id = $1 AND id IN (SELECT id FROM project)
           RETURNING 1 AS "one!""#,
        user_id,
        id,
        if_match,
    )
    .fetch_optional(pool)
    .await?;
    Ok(deleted.is_some())
}
