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

impl After {
    /// `<microseconds>_<task id>_<user id>`: opaque to clients, and bound to the user it was made
    /// for. The API's `next` links and the web app's "Load more" carry the same cursor.
    pub fn encode(self, user_id: Uuid) -> String {
        format!(
            "{}_{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple(),
            user_id.simple()
        )
    }

    /// The position a cursor names, if it is well-formed and was made for this user.
    pub fn decode(raw: &str, user_id: Uuid) -> Option<Self> {
        let mut parts = raw.split('_');
        let micros = parts.next()?.parse::<i64>().ok()?;
        let id = Uuid::try_parse(parts.next()?).ok()?;
        let owner = Uuid::try_parse(parts.next()?).ok()?;
        if parts.next().is_some() || owner != user_id {
            return None;
        }
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros)?,
            id,
        })
    }

    /// The position just past this task.
    pub fn task(task: &Task) -> Self {
        Self {
            created_at: task.created_at,
            id: task.id,
        }
    }
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
    // Two statements, not one with `$n IS NULL OR (created_at, id) < ...`: a later page's cursor
    // is then always an index condition, where the walk through the user's tasks starts, not a
    // filter applied to every task before it. (They repeat their columns and filters because
    // sqlx's checked macros take only literal SQL.)
    let mut tasks = match after {
        None => {
            sqlx::query_as!(
                Task,
                r#"SELECT id, title, description, completed, user_id, created_at, updated_at
                   FROM tasks WHERE user_id = $1
                     AND ($2::bool IS NULL OR completed = $2)
                     AND ($3::text IS NULL OR title ILIKE $3 OR description ILIKE $3)
                   ORDER BY created_at DESC, id DESC LIMIT $4"#,
                user_id,
                filter.completed,
                pattern,
                limit + 1,
            )
            .fetch_all(db)
            .await?
        }
        Some(after) => {
            sqlx::query_as!(
                Task,
                r#"SELECT id, title, description, completed, user_id, created_at, updated_at
                   FROM tasks WHERE user_id = $1
                     AND ($2::bool IS NULL OR completed = $2)
                     AND ($3::text IS NULL OR title ILIKE $3 OR description ILIKE $3)
                     AND (created_at, id) < ($4, $5)
                   ORDER BY created_at DESC, id DESC LIMIT $6"#,
                user_id,
                filter.completed,
                pattern,
                after.created_at,
                after.id,
                limit + 1,
            )
            .fetch_all(db)
            .await?
        }
    };
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
    fn cursors_round_trip_and_belong_to_their_user() {
        let user = Uuid::now_v7();
        let after = After {
            created_at: DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        let cursor = after.encode(user);
        assert_eq!(After::decode(&cursor, user), Some(after));
        assert_eq!(After::decode(&cursor, Uuid::now_v7()), None);
        for bad in ["", "x", "1_2_3", &format!("{cursor}_extra")] {
            assert_eq!(After::decode(bad, user), None, "{bad}");
        }
    }

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_pattern("milk"), "%milk%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
