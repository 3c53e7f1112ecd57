//! Users: lookups, registration, and provisioning from a trusted main app's tokens.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::{Email, User};
use crate::server::time_zone::TimeZone;

/// A user with the fields only the server may see.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub password_hash: Option<String>,
    pub timezone: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRecord> for User {
    fn from(record: UserRecord) -> Self {
        User {
            id: record.id,
            email: record.email,
            timezone: record.timezone,
            created_at: record.created_at,
        }
    }
}

pub async fn find_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as!(
        UserRecord,
        "SELECT id, email, password_hash, timezone, created_at FROM users WHERE id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

pub async fn find_by_email(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as!(
        UserRecord,
        "SELECT id, email, password_hash, timezone, created_at FROM users WHERE email = $1",
        email.as_ref()
    )
    .fetch_optional(db)
    .await
}

/// Creates a user; `None` when the email is already registered.
pub async fn create(
    db: impl PgExecutor<'_>,
    email: &Email,
    password_hash: &str,
    timezone: &TimeZone,
) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as!(
        UserRecord,
        "INSERT INTO users (id, email, password_hash, timezone) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING \
         RETURNING id, email, password_hash, timezone, created_at",
        Uuid::now_v7(),
        email.as_ref(),
        password_hash,
        timezone.name(),
    )
    .fetch_optional(db)
    .await
}

/// The user that a trusted main app's token names: its identity is (issuer, `sub`), so only a
/// user that this issuer provisioned (with `sub` as its id) is found, never one registered here
/// or provisioned by another issuer. With an email, a user not seen before is created (without a
/// password) on first use; a user provisioned before identities carried their issuer is claimed
/// by the first issuer that names it (see migration 20261202000003_user_issuer.sql). `None`
/// when the id belongs to another identity, or the email to another user: a foreign token never
/// reaches another account.
pub async fn find_or_provision(
    pool: &sqlx::PgPool,
    issuer: &str,
    id: Uuid,
    email: Option<&Email>,
) -> Result<Option<UserRecord>, sqlx::Error> {
    // One statement covers the known user, the unclaimed one and the first use.
    let found = sqlx::query_as!(
        UserRecord,
        r#"WITH claimed AS (
               UPDATE users SET issuer = $3
               WHERE id = $1 AND issuer IS NULL AND password_hash IS NULL
               RETURNING id, email, password_hash, timezone, created_at
           ), inserted AS (
               INSERT INTO users (id, email, issuer)
               SELECT $1, $2, $3 WHERE $2::text IS NOT NULL
               ON CONFLICT DO NOTHING
               RETURNING id, email, password_hash, timezone, created_at
           )
           SELECT id AS "id!", email AS "email!", password_hash, timezone AS "timezone!",
                  created_at AS "created_at!"
           FROM inserted
           UNION ALL
           SELECT id, email, password_hash, timezone, created_at FROM claimed
           UNION ALL
           SELECT id, email, password_hash, timezone, created_at FROM users
           WHERE id = $1 AND issuer = $3
           LIMIT 1"#,
        id,
        email.map(|email| email.as_ref()),
        issuer,
    )
    .fetch_optional(pool)
    .await?;
    if found.is_some() {
        return Ok(found);
    }
    // Nothing inserted and nothing found: either the id or the email belongs to someone else,
    // or a concurrent first use inserted this very user after our statement's snapshot was
    // taken. A new statement sees that row if it exists.
    sqlx::query_as!(
        UserRecord,
        "SELECT id, email, password_hash, timezone, created_at FROM users \
         WHERE id = $1 AND issuer = $2",
        id,
        issuer,
    )
    .fetch_optional(pool)
    .await
}

/// Sets the user's time zone; `None` when the user is gone.
pub async fn set_timezone(
    db: impl PgExecutor<'_>,
    id: Uuid,
    timezone: &TimeZone,
) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as!(
        UserRecord,
        "UPDATE users SET timezone = $2, updated_at = now() WHERE id = $1 \
         RETURNING id, email, password_hash, timezone, created_at",
        id,
        timezone.name(),
    )
    .fetch_optional(db)
    .await
}

/// The user's time zone (UTC for a user who is gone: they have nothing to list).
pub async fn timezone(db: impl PgExecutor<'_>, id: Uuid) -> Result<TimeZone, sqlx::Error> {
    let name = sqlx::query_scalar!("SELECT timezone FROM users WHERE id = $1", id)
        .fetch_optional(db)
        .await?;
    Ok(name
        .and_then(|name| TimeZone::parse(&name).ok())
        .unwrap_or_default())
}

/// Whether the user exists.
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(db)
    .await
}

/// Replaces the user's password hash, if the stored one is still `expected` (a concurrent
/// change of the same password makes one of the two find nothing). Whether it did.
pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: Uuid,
    expected: &str,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE users SET password_hash = $3, updated_at = now() \
         WHERE id = $1 AND password_hash = $2",
        id,
        expected,
        password_hash,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the user and, with them (foreign keys, `ON DELETE CASCADE`), their tasks, projects,
/// labels, sign-ins, refresh and personal access tokens and web sessions; and the failed sign-ins
/// recorded against their email. One statement. Whether the user was there.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM users WHERE id = $1 RETURNING email),
                failures AS (DELETE FROM login_failures WHERE email IN (SELECT email FROM gone))
           SELECT count(*) AS "count!" FROM gone"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(deleted == 1)
}
