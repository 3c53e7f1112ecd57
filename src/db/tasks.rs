//! Tasks: the one set of queries behind both front doors (the JSON API and the browser's
//! server functions). Every statement names the owner in its WHERE clause, so another user's
//! task is indistinguishable from a missing one.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::{NewTask, Task, TaskPatch};

/// Listing filters, as the API's query parameters give them.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub completed: Option<bool>,
    /// Case-insensitive substring of the title or the description, taken literally.
    pub q: Option<String>,
}

/// A position in a user's newest-first list: the last task of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

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
pub async fn list(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    filter: &Filter,
    after: Option<After>,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let pattern = filter.q.as_deref().map(like_pattern);
    let mut tasks = sqlx::query_as!(
        Task,
        r#"SELECT id, title, description, completed, user_id, created_at, updated_at
           FROM tasks
           WHERE user_id = $1
             AND ($2::bool IS NULL OR completed = $2)
             AND ($3::text IS NULL OR title ILIKE $3 OR description ILIKE $3)
             AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
           ORDER BY created_at DESC, id DESC
           LIMIT $6"#,
        user_id,
        filter.completed,
        pattern,
        after.map(|a| a.created_at),
        after.map(|a| a.id),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_pattern("milk"), "%milk%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
