//! Idempotency keys (API-sync.md, "Safe retries"): which request a key was first sent with, and
//! its answer once it succeeded. The rules live in `server::rest::idempotency`; this module only
//! claims, settles and reads rows (see the migration 20261202000012 for the table).

use std::time::Duration;

use sqlx::postgres::types::PgInterval;
use sqlx::PgPool;
use uuid::Uuid;

/// What makes two requests "the same" for one key.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body_sha256: &'a [u8],
}

/// A kept answer (its body as stored: sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub status: i16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// What a key's row says about a request that brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The request is the key's first (or the key had expired, or its first request died before
    /// settling it): it runs, and only the holder of this claim may settle the row.
    Claimed(Uuid),
    /// The same request already succeeded: this is its answer.
    Kept(Kept),
    /// The key was sent with another method, path or body.
    Mismatch,
    /// The key's first request is still running.
    InFlight,
}

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Claims `key` of `user_id` for a request with `fingerprint`, or says why not. One INSERT
/// decides between concurrent requests (the primary key), so exactly one of them is `Claimed`.
/// A row past `expires_at` is taken over by any request; one still in flight past its lease
/// (`hold`: its process died before settling it) only by the same request.
pub async fn claim(
    pool: &PgPool,
    user_id: Uuid,
    key: &str,
    fingerprint: Fingerprint<'_>,
    hold: Duration,
    keep: Duration,
) -> Result<Claim, sqlx::Error> {
    // A row seen by the SELECT below may be released (its first answer was not a 2xx) before
    // we read it: then the INSERT may claim it; a few rounds settle any such race.
    for _ in 0..3 {
        let claim = Uuid::new_v4();
        let claimed = sqlx::query_scalar!(
            r#"INSERT INTO idempotency_keys AS k
                   (user_id, key, method, path, body_sha256, claim, locked_until, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval, now() + $8::interval)
               ON CONFLICT (user_id, key) DO UPDATE
                   SET method = excluded.method, path = excluded.path,
                       body_sha256 = excluded.body_sha256, claim = excluded.claim,
                       locked_until = excluded.locked_until, status = NULL, location = NULL,
                       etag = NULL, body = NULL, created_at = now(),
                       expires_at = excluded.expires_at
                   WHERE k.expires_at <= now()
                      OR (k.status IS NULL AND k.locked_until <= now()
                          AND k.method = excluded.method AND k.path = excluded.path
                          AND k.body_sha256 = excluded.body_sha256)
               RETURNING claim"#,
            user_id,
            key,
            fingerprint.method,
            fingerprint.path,
            fingerprint.body_sha256,
            claim,
            interval(hold),
            interval(keep),
        )
        .fetch_optional(pool)
        .await?;
        if claimed.is_some() {
            return Ok(Claim::Claimed(claim));
        }
        let row = sqlx::query!(
            r#"SELECT method, path, body_sha256, status, location, etag, body
               FROM idempotency_keys WHERE user_id = $1 AND key = $2"#,
            user_id,
            key,
        )
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else { continue };
        if row.method != fingerprint.method
            || row.path != fingerprint.path
            || row.body_sha256 != fingerprint.body_sha256
        {
            return Ok(Claim::Mismatch);
        }
        return Ok(match (row.status, row.body) {
            (Some(status), Some(body)) => Claim::Kept(Kept {
                status,
                location: row.location,
                etag: row.etag,
                body,
            }),
            _ => Claim::InFlight,
        });
    }
    // Three releases in a row between our two statements: as good as in flight.
    Ok(Claim::InFlight)
}

/// Keeps the answer of the request holding `claim`; false when the claim no longer holds the key
/// (its hold ended and a repeat took it over).
pub async fn keep(
    pool: &PgPool,
    user_id: Uuid,
    key: &str,
    claim: Uuid,
    answer: &Kept,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE idempotency_keys
           SET status = $4, location = $5, etag = $6, body = $7, locked_until = NULL
           WHERE user_id = $1 AND key = $2 AND claim = $3 AND status IS NULL"#,
        user_id,
        key,
        claim,
        answer.status,
        answer.location.as_deref(),
        answer.etag.as_deref(),
        &answer.body,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Frees the key held by `claim` (its request's answer was not a 2xx).
pub async fn release(
    pool: &PgPool,
    user_id: Uuid,
    key: &str,
    claim: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"DELETE FROM idempotency_keys
           WHERE user_id = $1 AND key = $2 AND claim = $3 AND status IS NULL"#,
        user_id,
        key,
        claim,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Periodic clean-up: keys past their time.
pub async fn delete_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query!("DELETE FROM idempotency_keys WHERE expires_at <= now()")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}
