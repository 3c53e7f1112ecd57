//! Registration attempts per client address, for throttling (`MAX_REGISTRATIONS_PER_HOUR`).

use std::net::IpAddr;

use sqlx::PgExecutor;

/// The window the limit counts in.
pub const WINDOW_SECS: i64 = 3600;

/// Takes one registration attempt for this address: `Ok(())`, or the seconds until it may try
/// again. Counting and checking are one step under a transaction-scoped advisory lock per address
/// (released at commit, so safe behind a transaction-mode pooler): of any number of concurrent
/// attempts, at most `limit` pass.
pub async fn take_attempt(
    pool: &sqlx::PgPool,
    client_ip: IpAddr,
    limit: i64,
) -> Result<Result<(), u64>, sqlx::Error> {
    let client = client_ip.to_string();
    let mut tx = crate::db::begin(pool).await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('registration client ' || $1, 0))",
        client,
    )
    .fetch_one(&mut *tx)
    .await?;
    // The limit-th most recent attempt inside the window: while it exists the limit is reached,
    // and it lifts when that attempt leaves the window.
    let wait = sqlx::query_scalar!(
        r#"SELECT EXTRACT(EPOCH FROM (
               SELECT attempted_at FROM registration_attempts
               WHERE client_ip = $1 AND attempted_at > now() - make_interval(secs => $2)
               ORDER BY attempted_at DESC OFFSET $3 LIMIT 1
           ) + make_interval(secs => $2) - now())::float8 AS "wait""#,
        client,
        WINDOW_SECS as f64,
        limit - 1,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(wait) = wait.filter(|secs| *secs > 0.0) {
        return Ok(Err(wait.ceil() as u64));
    }
    sqlx::query!(
        "INSERT INTO registration_attempts (client_ip) VALUES ($1)",
        client
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Removes attempts that can no longer count (periodic clean-up).
pub async fn delete_expired(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "DELETE FROM registration_attempts WHERE attempted_at < now() - make_interval(secs => $1)",
        WINDOW_SECS as f64
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected())
}
