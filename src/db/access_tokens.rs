//! Personal access tokens (API-accounts.md), stored as keyed hashes only.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::WriteError;
use crate::domain::{AccessToken, NewAccessToken, Scope};
use crate::server::auth::secrets::Hash;

struct Row {
    id: Uuid,
    name: String,
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

/// The stored scopes (the table's CHECK admits only known ones).
fn scopes(stored: &[String]) -> Vec<Scope> {
    stored
        .iter()
        .filter_map(|text| Scope::parse(text))
        .collect()
}

impl From<Row> for AccessToken {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            scopes: scopes(&row.scopes),
            name: row.name,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// Creates a token, unless the user already holds `limit` unexpired ones: the user's row is
/// locked first, so that concurrent creates count one after the other.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    token: &NewAccessToken,
    hash: &Hash,
    limit: i64,
) -> Result<AccessToken, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    let user = sqlx::query_scalar!(
        "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if user.is_none() {
        return Err(WriteError::UserGone);
    }
    let scope_texts: Vec<String> = token.scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let row = sqlx::query_as!(
        Row,
        r#"INSERT INTO access_tokens (user_id, id, name, scopes, hash, expires_at)
           SELECT $1, $2, $3, $4, $5, $6
           WHERE (SELECT count(*) FROM access_tokens
                  WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > now())) < $7
           RETURNING id, name, scopes, created_at, expires_at, last_used_at"#,
        user_id,
        id,
        token.name,
        &scope_texts,
        hash.as_slice(),
        token.expires_at,
        limit,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(WriteError::Limit {
            what: "personal access tokens",
            limit,
        });
    };
    tx.commit().await?;
    Ok(row.into())
}

/// The user's tokens, newest first.
pub async fn list(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<AccessToken>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, name, scopes, created_at, expires_at, last_used_at FROM access_tokens
           WHERE user_id = $1 ORDER BY created_at DESC, id DESC"#,
        user_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AccessToken::from).collect())
}

/// Whether a token of this user was revoked.
pub async fn delete(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM access_tokens WHERE user_id = $1 AND id = $2",
        user_id,
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The scopes of a presented token that is known, matches its hash and has not expired; and its
/// `last_used_at` brought to this minute, written at most once a minute (not on every request).
/// One statement.
pub async fn authenticate(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    hash: &Hash,
) -> Result<Option<Vec<Scope>>, sqlx::Error> {
    let stored = sqlx::query_scalar!(
        r#"WITH token AS (
               SELECT scopes, last_used_at FROM access_tokens
               WHERE user_id = $1 AND id = $2 AND hash = $3
                 AND (expires_at IS NULL OR expires_at > now())
           ), touched AS (
               UPDATE access_tokens SET last_used_at = date_trunc('minute', now())
               WHERE user_id = $1 AND id = $2
                 AND EXISTS (SELECT 1 FROM token
                             WHERE last_used_at IS NULL
                                OR last_used_at < date_trunc('minute', now()))
           )
           SELECT scopes FROM token"#,
        user_id,
        id,
        hash.as_slice(),
    )
    .fetch_optional(db)
    .await?;
    Ok(stored.map(|stored| scopes(&stored)))
}

/// Periodic clean-up of expired tokens.
pub async fn delete_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query!("DELETE FROM access_tokens WHERE expires_at <= now()")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}
