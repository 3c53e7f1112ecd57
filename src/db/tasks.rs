//! Tasks: the one set of queries behind both front doors (the JSON API and the browser's
//! server functions). Every statement names the owner in its WHERE clause, so another user's
//! task is indistinguishable from a missing one.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::{ListQuery, NewTask, Task, TaskPatch};

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

pub async fn create(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    task: &NewTask,
) -> Result<Task, sqlx::Error> {
    sqlx::query_as!(
        Task,
        "INSERT INTO tasks (id, user_id, title, description, completed) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, title, description, completed, user_id, created_at, updated_at",
        Uuid::now_v7(),
        user_id,
        task.title.as_ref(),
        task.description.as_deref(),
        task.completed,
    )
    .fetch_one(db)
    .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        "SELECT id, title, description, completed, user_id, created_at, updated_at \
         FROM tasks WHERE id = $1 AND user_id = $2",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// One page of a user's tasks, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub tasks: Vec<Task>,
    /// Whether more tasks follow the last one.
    pub more: bool,
}

/// One page, newest first. One extra row is read to learn whether another page follows.
///
/// One statement for every filter and page: each execution is planned for its own values (the
/// database's `plan_cache_mode`, see migrations), so a null parameter's condition folds away and
/// a later page's cursor is an index condition, where the walk through the user's tasks starts,
/// not a filter applied to every task before it (tests/api/schema.rs checks the plans).
pub async fn list(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    query: &ListQuery,
) -> Result<Page, sqlx::Error> {
    let limit = query.limit();
    let pattern = query.q.as_deref().map(like_pattern);
    let mut tasks = sqlx::query_as!(
        Task,
        r#"SELECT id, title, description, completed, user_id, created_at, updated_at
           FROM tasks WHERE user_id = $1
             AND ($2::bool IS NULL OR completed = $2)
             AND ($3::text IS NULL OR title ILIKE $3 OR description ILIKE $3)
             AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $6"#,
        user_id,
        query.completed,
        pattern,
        query.cursor.map(|c| c.created_at),
        query.cursor.map(|c| c.id),
        limit + 1,
    )
    .fetch_all(db)
    .await?;
    let more = tasks.len() as i64 > limit;
    tasks.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(Page { tasks, more })
}

/// A full replacement (PUT).
pub async fn replace(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    task: &NewTask,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        "UPDATE tasks SET title = $3, description = $4, completed = $5, updated_at = now() \
         WHERE id = $1 AND user_id = $2 \
         RETURNING id, title, description, completed, user_id, created_at, updated_at",
        id,
        user_id,
        task.title.as_ref(),
        task.description.as_deref(),
        task.completed,
    )
    .fetch_optional(db)
    .await
}

/// A partial update (PATCH): only the given fields change.
pub async fn update(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    patch: &TaskPatch,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        "UPDATE tasks SET \
             title = COALESCE($3, title), \
             description = CASE WHEN $4 THEN $5 ELSE description END, \
             completed = COALESCE($6, completed), \
             updated_at = now() \
         WHERE id = $1 AND user_id = $2 \
         RETURNING id, title, description, completed, user_id, created_at, updated_at",
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_ref()),
        patch.description.is_some(),
        patch.description.as_ref().and_then(|d| d.as_deref()),
        patch.completed,
    )
    .fetch_optional(db)
    .await
}

/// Flips `completed` in one statement: concurrent toggles serialize on the row and none is lost.
pub async fn toggle(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        "UPDATE tasks SET completed = NOT completed, updated_at = now() \
         WHERE id = $1 AND user_id = $2 \
         RETURNING id, title, description, completed, user_id, created_at, updated_at",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// Whether a task was deleted.
pub async fn delete(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM tasks WHERE id = $1 AND user_id = $2",
        id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of a user's tasks are still to do, and how many are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub active: i64,
    pub completed: i64,
}

pub async fn counts(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Counts, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE NOT completed) AS "active!",
                  count(*) FILTER (WHERE completed) AS "completed!"
           FROM tasks WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(Counts {
        active: row.active,
        completed: row.completed,
    })
}

/// Deletes every completed task of the user in one statement; returns how many went.
pub async fn delete_completed(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM tasks WHERE user_id = $1 AND completed",
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
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
