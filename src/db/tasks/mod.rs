//! Tasks: the one set of queries behind both front doors (the JSON API and the browser's
//! server functions). Every statement names the owner in its WHERE clause, so another user's
//! task is indistinguishable from a missing one.

mod listing;
mod order;

pub use listing::{list, statement, Page};
pub use order::{move_to, MAX_KEY_CHARS};

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::{labels, users, IfMatch, WriteError};
use crate::domain::{Limits, NewTask, Task, TaskPatch};

/// `%`, `_` and `\\` match themselves, and the text may appear anywhere.
pub fn like_pattern(q: &str) -> String {
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Creates a task at the top of its project's manual order, within the user's task limit: one
/// statement (the task, its label links, and the user's `task_count`, whose row update makes
/// concurrent creates of one user take turns, so the limit is exact). Labels it names that the
/// user has not got are created first, in the same transaction.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    task: &NewTask,
    limits: &Limits,
) -> Result<Task, WriteError> {
    let created = if task.labels.is_empty() {
        insert(pool, user_id, task, &[], limits.tasks).await?
    } else {
        let mut tx = crate::db::begin(pool).await?;
        let label_ids = labels::ensure(&mut tx, user_id, &task.labels, limits).await?;
        let created = insert(&mut *tx, user_id, task, &label_ids, limits.tasks).await?;
        // At the limit, dropping the transaction undoes the labels it created.
        if created.is_some() {
            tx.commit().await?;
        }
        created
    };
    match created {
        Some(created) => Ok(created),
        None if users::exists(pool, user_id).await? => Err(WriteError::Limit {
            what: "tasks",
            limit: limits.tasks,
        }),
        None => Err(WriteError::UserGone),
    }
}

/// The insert, counted in `users.task_count`, unless the user already has `below` tasks or more
/// (then `None`). A missing user is `None` too; `create` then finds the user gone.
async fn insert(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    task: &NewTask,
    label_ids: &[Uuid],
    below: i64,
) -> Result<Option<Task>, WriteError> {
    let created = sqlx::query_as!(
        Task,
        r#"WITH counted AS (
               UPDATE users SET task_count = task_count + 1
               WHERE id = $2 AND task_count < $10
               RETURNING id
           ), created AS (
               INSERT INTO tasks (id, user_id, title, description, completed, completed_at,
                                  project_id, priority, due_date, due_time, label_names,
                                  position)
               SELECT $1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END, $6, $7, $8, $9,
                      CASE WHEN cardinality($11::uuid[]) = 0 THEN '{}'::text[] ELSE
                      ARRAY(SELECT name FROM labels WHERE user_id = $2 AND id = ANY($11)
                            ORDER BY lower(name), name) END,
                      order_key_top()
               FROM counted
               RETURNING *
           ), linked AS (
               INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
               SELECT c.user_id, c.id, l.id, c.created_at FROM created c, unnest($11::uuid[]) AS l (id)
               ON CONFLICT DO NOTHING
           )
           SELECT id, title, description, completed, project_id,
                  label_names AS "labels!", priority, due_date, due_time, completed_at, user_id,
                  created_at, updated_at, version
           FROM created"#,
        Uuid::now_v7(),
        user_id,
        task.title.as_ref(),
        task.description.as_deref(),
        task.completed,
        task.project_id,
        task.priority.get(),
        task.due_date,
        task.due_time,
        below.max(0),
        label_ids,
    )
    .fetch_optional(db)
    .await?;
    Ok(created)
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        r#"SELECT id, title, description, completed, project_id,
                  t.label_names AS "labels!",
                  priority, due_date, due_time, completed_at, user_id, created_at, updated_at, version
           FROM tasks t WHERE id = $1 AND user_id = $2"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// A full replacement (PUT): every writable field, the labels included, in one statement (and
/// one transaction with the creation of labels the user has not got). A change of project puts
/// the task at the top of the new project's manual order.
pub async fn replace(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    task: &NewTask,
    limits: &Limits,
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, WriteError> {
    let patch = TaskPatch {
        title: Some(task.title.clone()),
        description: Some(task.description.clone()),
        completed: Some(task.completed),
        project_id: Some(task.project_id),
        labels: Some(task.labels.clone()),
        priority: Some(task.priority),
        due_date: Some(task.due_date),
        due_time: Some(task.due_time),
    };
    update(pool, user_id, id, &patch, limits, if_match).await
}

/// A partial update (PATCH): only the given fields change; clearing the due date clears the
/// time. One statement, the label links included; new labels are created first, in the same
/// transaction.
pub async fn update(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    limits: &Limits,
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, WriteError> {
    let Some(new_labels) = &patch.labels else {
        // The labels stay as they are: one statement, which takes the task's row lock itself.
        return update_fields(pool, user_id, id, patch, &[], if_match).await;
    };
    if new_labels.is_empty() {
        // Clearing them (every PUT without labels): one statement too, which changes nothing
        // (`None`) when another write changed the task after the statement's snapshot; then
        // again below, under the task's lock, which also tells a missing task.
        if let Some(updated) = update_fields(pool, user_id, id, patch, &[], if_match).await? {
            return Ok(Some(updated));
        }
    }
    let mut tx = crate::db::begin(pool).await?;
    let label_ids = if new_labels.is_empty() {
        Vec::new()
    } else {
        // A missing task is a 404 before any label is created (or refused at the limit).
        let exists = sqlx::query_scalar!(
            r#"SELECT 1 AS "one!" FROM tasks WHERE user_id = $1 AND id = $2"#,
            user_id,
            id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Ok(None);
        }
        labels::ensure(&mut tx, user_id, new_labels, limits).await?
    };
    // The task's lock, in a statement of its own and after the labels' (every transaction that
    // takes both takes labels first): the update's snapshot then comes after any other write to
    // this task's labels has committed, so it unlinks what that write linked, and the names on
    // the task and its links agree.
    let locked = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM tasks WHERE user_id = $1 AND id = $2 FOR UPDATE"#,
        user_id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if locked.is_none() {
        // Dropping the transaction undoes any label it created.
        return Ok(None);
    }
    let updated = update_fields(&mut *tx, user_id, id, patch, &label_ids, if_match).await?;
    if updated.is_some() {
        tx.commit().await?;
    }
    Ok(updated)
}

/// The update itself; `label_ids` are the task's labels when the patch sets them.
async fn update_fields(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    label_ids: &[Uuid],
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, WriteError> {
    Ok(sqlx::query_as!(
        Task,
        r#"WITH unlinked AS (
               DELETE FROM task_labels
               WHERE $14 AND user_id = $2 AND task_id = $1 AND label_id <> ALL($15)
           ), linked AS (
               INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
               SELECT t.user_id, t.id, l.id, t.created_at FROM tasks t, unnest($15::uuid[]) AS l (id)
               WHERE $14 AND t.user_id = $2 AND t.id = $1
               ON CONFLICT DO NOTHING
           )
           UPDATE tasks t SET
               title = COALESCE($3, title),
               description = CASE WHEN $4 THEN $5 ELSE description END,
               completed = COALESCE($6, completed),
               completed_at = CASE WHEN COALESCE($6, completed)
                                   THEN COALESCE(completed_at, now()) END,
               position = CASE WHEN $7 AND project_id IS DISTINCT FROM $8 THEN order_key_top()
                               ELSE position END,
               project_id = CASE WHEN $7 THEN $8 ELSE project_id END,
               priority = COALESCE($9, priority),
               due_date = CASE WHEN $10 THEN $11 ELSE due_date END,
               due_time = CASE WHEN $10 AND $11::date IS NULL THEN NULL
                               WHEN $12 THEN $13 ELSE due_time END,
               -- The names as the API shows them; the labels are locked (labels::ensure), so
               -- none is renamed or deleted before this transaction ends.
               label_names = CASE WHEN $14 THEN
                                 ARRAY(SELECT name FROM labels WHERE user_id = $2 AND id = ANY($15)
                                       ORDER BY lower(name), name)
                             ELSE label_names END,
               updated_at = now(),
               version = version + 1
           WHERE id = $1 AND user_id = $2
             -- Setting the labels: only the version of the task this statement's snapshot saw
             -- (its links are the ones unlinked above). A write that changed it meanwhile
             -- leaves no row here, and the caller goes again under the task's lock.
             AND (NOT $14 OR t.xmin = (SELECT xmin FROM tasks WHERE id = $1 AND user_id = $2))
             -- If-Match (API-sync.md): only these versions, checked on the locked row.
             AND ($16::bigint[] IS NULL OR t.version = ANY($16))
           RETURNING id, title, description, completed, project_id,
                     t.label_names AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at,
                     version"#,
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_ref()),
        patch.description.is_some(),
        patch.description.as_ref().and_then(|d| d.as_deref()),
        patch.completed,
        patch.project_id.is_some(),
        patch.project_id.flatten(),
        patch.priority.map(|p| p.get()),
        patch.due_date.is_some(),
        patch.due_date.flatten(),
        patch.due_time.is_some(),
        patch.due_time.flatten(),
        patch.labels.is_some(),
        label_ids,
        if_match,
    )
    .fetch_optional(db)
    .await?)
}

/// Flips `completed` in one statement: concurrent toggles serialize on the row and none is lost.
pub async fn toggle(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        r#"UPDATE tasks t SET completed = NOT completed,
               completed_at = CASE WHEN completed THEN NULL ELSE now() END, updated_at = now(),
               version = version + 1
           WHERE id = $1 AND user_id = $2 AND ($3::bigint[] IS NULL OR version = ANY($3))
           RETURNING id, title, description, completed, project_id,
                     t.label_names AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at,
                     version"#,
        id,
        user_id,
        if_match,
    )
    .fetch_optional(db)
    .await
}

/// Whether a task was deleted (a task whose version `if_match` does not name is not).
pub async fn delete(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    if_match: IfMatch<'_>,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM tasks WHERE id = $1 AND user_id = $2
                         AND ($3::bigint[] IS NULL OR version = ANY($3)) RETURNING 1)
           UPDATE users SET task_count = task_count - (SELECT count(*) FROM gone)
           WHERE id = $2 RETURNING (SELECT count(*) FROM gone) AS "deleted!""#,
        id,
        user_id,
        if_match,
    )
    .fetch_optional(db)
    .await?;
    Ok(deleted == Some(1))
}

/// How many of a user's tasks are still to do, and how many are done; the user's time zone
/// (read in the same statement: the web app's page shows due dates relative to the user's day);
/// and where the change feed stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub active: i64,
    pub completed: i64,
    pub zone: crate::server::time_zone::TimeZone,
    /// The xmin of the statement's snapshot: every transaction below it had ended, so whatever
    /// a statement run after this one reads includes every change below it (the page's
    /// [`FeedCursor`](crate::domain::changes::FeedCursor) starts here).
    pub feed_from: u64,
}

pub async fn counts(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Counts, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE NOT completed) AS "active!",
                  count(*) FILTER (WHERE completed) AS "completed!",
                  (SELECT timezone FROM users WHERE id = $1) AS "timezone?",
                  pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "feed_from!"
           FROM tasks WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(Counts {
        active: row.active,
        completed: row.completed,
        zone: row
            .timezone
            .and_then(|name| crate::server::time_zone::TimeZone::parse(&name).ok())
            .unwrap_or_default(),
        feed_from: row.feed_from.max(0) as u64,
    })
}

/// Deletes every completed task of the user in one statement; returns how many went.
pub async fn delete_completed(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM tasks WHERE user_id = $1 AND completed RETURNING 1)
           UPDATE users SET task_count = task_count - (SELECT count(*) FROM gone)
           WHERE id = $1 RETURNING (SELECT count(*) FROM gone) AS "deleted!""#,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(deleted.map_or(0, |n| n.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_pattern("milk"), "%milk%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
