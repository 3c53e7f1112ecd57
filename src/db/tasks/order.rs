//! Moving a task in its project's manual order (API-organise.md, Moving), with the keys of
//! `domain::order`.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db::{matches, projects, IfMatch, WriteError, NOT_YOURS_PROJECT};
use crate::domain::order;
use crate::domain::{Move, Place, Task};

/// How many times a move runs again after losing a race (see [`WriteError::is_retryable`]).
const MOVE_ATTEMPTS: usize = 8;

/// The longest manual-order key a move writes. Each move into the same gap makes a key about six
/// bits longer; past this length the project's keys are spaced out again (see [`respace`]), so
/// that keys (and the manual listing's cursors) stay short and a move never fails for lack of
/// room.
pub const MAX_KEY_CHARS: usize = 64;

/// Moves a task within or across projects (API-organise.md, Moving): only its own key changes.
/// Each attempt is one transaction that locks the task and its anchor, reads the neighbours and
/// writes the key; the unique key on (user, project, position) turns a concurrent move that
/// computed the same key into a retry with fresh neighbours, so every task keeps exactly one
/// place.
pub async fn move_to(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    to: Move,
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, WriteError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match move_once(pool, user_id, id, to, if_match).await {
            Err(err) if err.is_retryable() && attempt < MOVE_ATTEMPTS => continue,
            result => return result,
        }
    }
}

async fn move_once(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    to: Move,
    if_match: IfMatch<'_>,
) -> Result<Option<Task>, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    let anchor = match to.place {
        Place::Top => None,
        Place::Before(anchor) | Place::After(anchor) => Some(anchor),
    };
    // The task and its anchor, locked together in id order (as label writes lock tasks), so
    // that two moves that use each other as anchors cannot deadlock.
    let ids: Vec<Uuid> = [Some(id), anchor].into_iter().flatten().collect();
    let locked = sqlx::query!(
        "SELECT id, project_id, version FROM tasks WHERE user_id = $1 AND id = ANY($2) \
         ORDER BY id FOR UPDATE",
        user_id,
        &ids
    )
    .fetch_all(&mut *tx)
    .await?;
    // Missing, or (If-Match) at another version: checked under the lock, so it holds until
    // the move commits.
    let Some(current) = locked
        .iter()
        .find(|row| row.id == id && matches(if_match, row.version))
    else {
        return Ok(None);
    };
    let project = to.project_id.unwrap_or(current.project_id);
    if let Some(project) = project {
        if !projects::exists(&mut *tx, user_id, project).await? {
            return Err(WriteError::invalid("project_id", NOT_YOURS_PROJECT));
        }
    }
    let mut key = place_key(&mut tx, user_id, id, project, to.place).await?;
    if key.as_ref().is_some_and(|key| key.len() > MAX_KEY_CHARS) {
        respace(&mut tx, user_id, project).await?;
        key = place_key(&mut tx, user_id, id, project, to.place).await?;
    }
    let moved = sqlx::query_as!(
        Task,
        r#"UPDATE tasks t SET project_id = $3, position = COALESCE($4, order_key_top()),
               updated_at = now(), version = version + 1
           WHERE id = $1 AND user_id = $2
           RETURNING id, title, description, completed, project_id,
                     t.label_names AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at,
                     version"#,
        id,
        user_id,
        project,
        key,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(moved)
}

/// The key that puts the task at `place` in `project` (`None`: a top key, made by the statement
/// that writes it).
async fn place_key(
    tx: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    project: Option<Uuid>,
    place: Place,
) -> Result<Option<String>, WriteError> {
    Ok(match place {
        Place::Top => None,
        Place::Before(anchor) => {
            let at = anchor_key(tx, user_id, anchor, project, "before").await?;
            match neighbour(tx, user_id, id, project, &at, true).await? {
                Some(previous) => Some(between(&previous, Some(&at))?),
                // First in the project: a top key, which sorts before every key made earlier
                // (so new tasks still land above it). Only a key made in this same microsecond
                // can tie; the clock moves on.
                None => {
                    let mut top = top_key(tx).await?;
                    for _ in 0..3 {
                        if top < at {
                            break;
                        }
                        top = top_key(tx).await?;
                    }
                    Some(if top < at {
                        top
                    } else {
                        between("", Some(&at))?
                    })
                }
            }
        }
        Place::After(anchor) => {
            let at = anchor_key(tx, user_id, anchor, project, "after").await?;
            let next = neighbour(tx, user_id, id, project, &at, false).await?;
            Some(between(&at, next.as_deref())?)
        }
    })
}

/// Gives every task of the project a fresh short key, in their current order: the digits of
/// this transaction's top key, then the task's rank. Keys are never shown, so nothing visible
/// changes; the whole project is locked in id order first, as every multi-task write locks.
async fn respace(
    tx: &mut PgConnection,
    user_id: Uuid,
    project: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH locked AS (
               SELECT id, position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
               ORDER BY id FOR UPDATE
           ), ranked AS (
               SELECT id, left(order_key_top(now()), 10)
                          || order_key_digits(row_number() OVER (ORDER BY position), 4) || '1'
                          AS position
               FROM locked
           )
           UPDATE tasks t SET position = r.position
           FROM ranked r WHERE t.user_id = $1 AND t.id = r.id"#,
        user_id,
        project.unwrap_or_else(Uuid::nil),
    )
    .execute(tx)
    .await?;
    Ok(())
}

fn between(low: &str, high: Option<&str>) -> Result<String, WriteError> {
    Ok(order::between(low, high)?)
}

async fn top_key(tx: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT order_key_top() AS "key!""#)
        .fetch_one(tx)
        .await
}

/// The key of the anchor task (locked by the move); a missing or another user's task, or one in
/// another project, is a mistake on `field`.
async fn anchor_key(
    tx: &mut PgConnection,
    user_id: Uuid,
    anchor: Uuid,
    project: Option<Uuid>,
    field: &str,
) -> Result<String, WriteError> {
    let row = sqlx::query!(
        "SELECT project_id, position FROM tasks WHERE user_id = $1 AND id = $2",
        user_id,
        anchor
    )
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(row) if row.project_id == project => Ok(row.position),
        _ => Err(WriteError::invalid(field, "is not a task in that project")),
    }
}

/// The key just before (`before`) or after `at` in the project, other than the moved task's.
async fn neighbour(
    tx: &mut PgConnection,
    user_id: Uuid,
    moved: Uuid,
    project: Option<Uuid>,
    at: &str,
    before: bool,
) -> Result<Option<String>, sqlx::Error> {
    if before {
        sqlx::query_scalar!(
            r#"SELECT position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
                 AND position < $3 AND id <> $4
               ORDER BY position DESC LIMIT 1"#,
            user_id,
            project.unwrap_or_else(Uuid::nil),
            at,
            moved
        )
        .fetch_optional(tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"SELECT position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
                 AND position > $3 AND id <> $4
               ORDER BY position LIMIT 1"#,
            user_id,
            project.unwrap_or_else(Uuid::nil),
            at,
            moved
        )
        .fetch_optional(tx)
        .await
    }
}
