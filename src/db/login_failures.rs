//! Failed sign-ins, counted per email and per client address over a sliding window.
//!
//! Hand-written rather than a rate-limiting layer (tower_governor and the like): those count in
//! one process's memory, so limits would reset at every restart and multiply with every server
//! process; API.md's limits hold across both, so the counts live in PostgreSQL.

use std::net::IpAddr;

use sqlx::PgExecutor;

use crate::domain::Email;

/// The sliding window and the limits of API.md.
pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_EMAIL: i64 = 10;
pub const MAX_PER_CLIENT: i64 = 50;

/// Seconds until this email and this address may try again, or `None` when neither is throttled.
///
/// Throttled means the limit is reached within the window; it lifts when the oldest failure that
/// counts towards the limit leaves the window.
pub async fn throttled_for(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_ip: Option<IpAddr>,
) -> Result<Option<u64>, sqlx::Error> {
    // The limit-th most recent failure inside the window (OFFSET limit - 1): while it exists,
    // the limit is reached, and it lifts when that failure leaves the window.
    let wait = sqlx::query_scalar!(
        r#"SELECT EXTRACT(EPOCH FROM GREATEST(
               (SELECT failed_at FROM login_failures
                 WHERE email = $1 AND failed_at > now() - make_interval(secs => $3)
                 ORDER BY failed_at DESC OFFSET $4 LIMIT 1),
               (SELECT failed_at FROM login_failures
                 WHERE client_ip = $2 AND failed_at > now() - make_interval(secs => $3)
                 ORDER BY failed_at DESC OFFSET $5 LIMIT 1)
           ) + make_interval(secs => $3) - now())::float8 AS "wait""#,
        email.as_ref(),
        client_ip.map(|ip| ip.to_string()),
        WINDOW_SECS as f64,
        MAX_PER_EMAIL - 1,
        MAX_PER_CLIENT - 1,
    )
    .fetch_one(db)
    .await?;
    Ok(wait
        .filter(|secs| *secs > 0.0)
        .map(|secs| secs.ceil() as u64))
}

/// Takes one attempt for this email and address, counted as a failure until the password is
/// found right (then [`forget_email`] removes it): `Ok` with the attempt's id (for
/// [`give_back`]), or the seconds until one may try again. Checking and counting are one step, under a transaction-scoped advisory lock per email
/// and per address (taken in that order everywhere, so they cannot deadlock; released at commit,
/// so they are safe behind a transaction-mode pooler): of any number of concurrent attempts, at
/// most the limit get their password checked.
pub async fn take_attempt(
    pool: &sqlx::PgPool,
    email: &Email,
    client_ip: Option<IpAddr>,
) -> Result<Result<i64, u64>, sqlx::Error> {
    let client = client_ip.map(|ip| ip.to_string());
    let mut tx = crate::db::begin(pool).await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('login email ' || $1, 0)), \
                pg_advisory_xact_lock(hashtextextended('login client ' || coalesce($2, ''), 0))",
        email.as_ref(),
        client.as_deref(),
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(wait) = throttled_for(&mut *tx, email, client_ip).await? {
        return Ok(Err(wait));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO login_failures (email, client_ip) VALUES ($1, $2) RETURNING id",
        email.as_ref(),
        client,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Gives back an attempt whose password was never checked (the server was too busy to): it must
/// not count against the user or their address.
pub async fn give_back(db: impl PgExecutor<'_>, attempt: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM login_failures WHERE id = $1", attempt)
        .execute(db)
        .await
        .map(|_| ())
}

/// After a successful sign-in, earlier mistakes with this email no longer count against it.
pub async fn forget_email(db: impl PgExecutor<'_>, email: &Email) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM login_failures WHERE email = $1",
        email.as_ref()
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Removes failures that can no longer count (periodic clean-up).
pub async fn delete_expired(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "DELETE FROM login_failures WHERE failed_at < now() - make_interval(secs => $1)",
        WINDOW_SECS as f64
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected())
}
