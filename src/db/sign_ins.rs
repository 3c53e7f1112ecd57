//! API sign-ins and their refresh tokens (API-accounts.md). Ending a sign-in notifies every
//! server process through the channel [`ENDED_CHANNEL`] (a trigger does it, for every path that
//! ends one: see migration 20261202000010).

use std::time::Duration;

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::server::auth::secrets::Hash;

/// The channel on which the database names each sign-in that ended.
pub const ENDED_CHANNEL: &str = "sign_in_ended";

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Starts a sign-in with its first refresh token, valid for `refresh_ttl`, if the user is still
/// there with the password hash that was just verified (`None`: any). The user's row is share-
/// locked by the statement, so a password change (or a deletion) running at the same time
/// either commits first, and then this finds the hash changed and starts nothing, or waits for
/// this to commit, and then ends the new sign-in with the others. Whether it started.
pub async fn start(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    sign_in_id: Uuid,
    refresh_hash: &Hash,
    refresh_ttl: Duration,
    verified_password_hash: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let started = sqlx::query_scalar!(
        r#"WITH verified AS (
               SELECT id FROM users
               WHERE id = $1 AND ($5::text IS NULL OR password_hash = $5)
               FOR SHARE
           ), started AS (
               INSERT INTO sign_ins (user_id, id, expires_at)
               SELECT id, $2, now() + make_interval(secs => $4) FROM verified
               RETURNING user_id, id, expires_at
           )
           INSERT INTO refresh_tokens (user_id, hash, sign_in_id, expires_at)
           SELECT user_id, $3, id, expires_at FROM started
           RETURNING sign_in_id"#,
        user_id,
        sign_in_id,
        refresh_hash.as_slice(),
        seconds(refresh_ttl),
        verified_password_hash,
    )
    .fetch_optional(db)
    .await?;
    Ok(started.is_some())
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Spent, and replaced by the new one, in this sign-in.
    Rotated { sign_in_id: Uuid },
    /// Spent before: its sign-in is ended now (named when this use ended it).
    Reused { ended: Option<Uuid> },
    /// Unknown, expired, or of a sign-in that has ended.
    Refused,
}

/// Spends a refresh token for `new_hash`, in one transaction: of concurrent uses of one token,
/// exactly one finds it unspent (the row's lock makes the others wait and then see it spent),
/// and those others are reuses.
pub async fn refresh(
    pool: &PgPool,
    user_id: Uuid,
    hash: &Hash,
    new_hash: &Hash,
    refresh_ttl: Duration,
) -> Result<Refreshed, sqlx::Error> {
    let mut tx = crate::db::begin(pool).await?;
    let spent = sqlx::query_scalar!(
        r#"UPDATE refresh_tokens SET spent_at = now()
           WHERE user_id = $1 AND hash = $2 AND spent_at IS NULL AND expires_at > now()
           RETURNING sign_in_id"#,
        user_id,
        hash.as_slice(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sign_in_id) = spent else {
        // Not spendable: a reuse ends its sign-in (RFC 9700, 4.14.2); anything else changes
        // nothing.
        let reuse = sqlx::query!(
            r#"WITH spent AS (
                   SELECT sign_in_id FROM refresh_tokens
                   WHERE user_id = $1 AND hash = $2 AND spent_at IS NOT NULL
               ), ended AS (
                   UPDATE sign_ins SET ended_at = now()
                   WHERE user_id = $1 AND id IN (SELECT sign_in_id FROM spent)
                     AND ended_at IS NULL
                   RETURNING id
               )
               SELECT EXISTS (SELECT 1 FROM spent) AS "reused!",
                      (SELECT id FROM ended LIMIT 1) AS ended"#,
            user_id,
            hash.as_slice(),
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(if reuse.reused {
            Refreshed::Reused { ended: reuse.ended }
        } else {
            Refreshed::Refused
        });
    };
    let rotated = sqlx::query_scalar!(
        r#"WITH live AS (
               UPDATE sign_ins SET expires_at = now() + make_interval(secs => $4)
               WHERE user_id = $1 AND id = $2 AND ended_at IS NULL
               RETURNING user_id, id, expires_at
           )
           INSERT INTO refresh_tokens (user_id, hash, sign_in_id, expires_at)
           SELECT user_id, $3, id, expires_at FROM live
           RETURNING sign_in_id"#,
        user_id,
        sign_in_id,
        new_hash.as_slice(),
        seconds(refresh_ttl),
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(match rotated {
        Some(sign_in_id) => Refreshed::Rotated { sign_in_id },
        None => Refreshed::Refused,
    })
}

/// Ends one sign-in of this user (nothing if it had ended already).
pub async fn end(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    sign_in_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sign_ins SET ended_at = now() WHERE user_id = $1 AND id = $2 AND ended_at IS NULL",
        user_id,
        sign_in_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every sign-in of this user and every web session but `keep_session` (the browser that
/// asked, on a password change): one statement. Returns the sign-ins it ended.
pub async fn end_all(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    keep_session: Option<&str>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH sessions_ended AS (
               DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2
           )
           UPDATE sign_ins SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL
           RETURNING id"#,
        user_id,
        keep_session,
    )
    .fetch_all(db)
    .await
}

/// Whether this sign-in is still going: the check when the in-memory list cannot be trusted
/// (see `server::auth::sign_ins`). A sign-in that is not there at all (its user deleted) is not.
pub async fn is_live(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    sign_in_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM sign_ins WHERE user_id = $1 AND id = $2 AND ended_at IS NULL
           ) AS "live!""#,
        user_id,
        sign_in_id,
    )
    .fetch_one(db)
    .await
}

/// The sign-ins that ended within `within` (an access token's longest life, plus leeway): those
/// whose access tokens may still be presented.
pub async fn ended_within(
    db: impl PgExecutor<'_>,
    within: Duration,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM sign_ins WHERE ended_at > now() - make_interval(secs => $1)",
        seconds(within),
    )
    .fetch_all(db)
    .await
}

/// Periodic clean-up: refresh tokens past their expiry, and sign-ins none of whose tokens can
/// still be presented (ended, or with their last refresh token expired, `keep_for` ago: see
/// `server::auth::sign_ins::remember_for`).
pub async fn delete_expired(pool: &PgPool, keep_for: Duration) -> Result<u64, sqlx::Error> {
    let tokens = sqlx::query!("DELETE FROM refresh_tokens WHERE expires_at <= now()")
        .execute(pool)
        .await?
        .rows_affected();
    let sign_ins = sqlx::query!(
        r#"DELETE FROM sign_ins
           WHERE LEAST(ended_at, expires_at) < now() - make_interval(secs => $1)"#,
        seconds(keep_for),
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(tokens + sign_ins)
}
