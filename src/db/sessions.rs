//! Browser sessions for tower-sessions, in PostgreSQL: they survive a restart and are shared by
//! every server process on the database.
//!
//! Our own store rather than tower-sessions-sqlx-store: that crate turns on sqlx's `time`
//! feature, which makes every compile-time-checked query map `timestamptz` to `time` instead of
//! the `chrono` types the rest of the crate uses.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn to_chrono(at: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or(DateTime::UNIX_EPOCH)
}

fn to_time(at: DateTime<Utc>) -> session_store::Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.timestamp_micros()) * 1_000)
        .map_err(|err| session_store::Error::Decode(err.to_string()))
}

fn backend(err: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

/// The session's key that names its signed-in user; kept in the row's `user_id` too, so that a
/// user's sessions can be ended together (logout-all, a password change, an account deleted).
pub const USER_KEY: &str = "user_id";

fn user_id(record: &Record) -> Option<uuid::Uuid> {
    record
        .data
        .get(USER_KEY)
        .and_then(|value| serde_json::from_value(value.clone()).ok())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(&record.data).map_err(|err| session_store::Error::Encode(err.to_string()))
}

#[async_trait]
impl SessionStore for PgSessionStore {
    /// Inserts under a fresh id, drawing another on the (astronomically unlikely) collision, so
    /// that a new session can never take over an existing one.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        loop {
            let inserted = sqlx::query!(
                "INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
                record.id.to_string(),
                data,
                to_chrono(record.expiry_date),
                user_id(record),
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a live session only. tower-sessions calls `save` for a session it loaded (a new
    /// one goes through `create`), so a row that is gone was deleted meanwhile, by a sign-out or
    /// the expiry clean-up: a request still in flight must not write it back (an upsert would,
    /// and a copied cookie would outlive the sign-out).
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query!(
            "UPDATE sessions SET data = $2, expires_at = $3, user_id = $4 \
             WHERE id = $1 AND expires_at > now()",
            record.id.to_string(),
            encode(record)?,
            to_chrono(record.expiry_date),
            user_id(record),
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// An expired session is gone, even before the clean-up deletes its row.
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > now()",
            id.to_string()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(Record {
                id: *id,
                data: serde_json::from_slice(&row.data)
                    .map_err(|err| session_store::Error::Decode(err.to_string()))?,
                expiry_date: to_time(row.expires_at)?,
            })
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE id = $1", id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Removes expired sessions (periodic clean-up).
pub async fn delete_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE expires_at <= now()")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}

/// Whether session `id` still lives and belongs to `user_id` (an event stream opened through it
/// asks at every keep-alive: signing out, a password change or the session's expiry end it).
pub async fn is_live(pool: &PgPool, id: &str, user_id: uuid::Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM sessions
                          WHERE id = $1 AND user_id = $2 AND expires_at > now()) AS "live!""#,
        id,
        user_id
    )
    .fetch_one(pool)
    .await
}
