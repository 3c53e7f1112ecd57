//! PostgreSQL access: the connection pool, migrations, and one module per aggregate.

pub mod login_failures;
pub mod sessions;
pub mod tasks;
pub mod users;

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::server::config::{describe, DatabaseConfig};

/// The schema, embedded in the binary so a deployed server carries its own migrations.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long start-up waits for the database before giving up. Long enough for a serverless
/// database (Neon) to wake from suspension, short enough to fail visibly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{var}: cannot connect to PostgreSQL at {target}: {source}")]
    Connect {
        var: &'static str,
        target: String,
        source: sqlx::Error,
    },
    #[error("{var}: no answer from PostgreSQL at {target} within {seconds} s")]
    ConnectTimeout {
        var: &'static str,
        target: String,
        seconds: u64,
    },
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection idle for longer than this is pinged before a request uses it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// A pool that connects lazily. It keeps no session state on its connections (in production they
/// are PgBouncer's, in transaction mode): what a session would `SET` is set on the database by a
/// migration instead. A connection that sat idle is verified before use, so
/// connections broken by a database restart (or closed by Neon's proxy) are replaced instead of
/// failing a request. A busy connection is not: sqlx's default pings on every checkout, which
/// made the ping a second round trip on every request; sqlx already pings each connection as it
/// comes back to the pool, which catches connections broken while in use.
pub fn pool(options: PgConnectOptions, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(300))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    // An error closes this connection and the pool hands out another.
                    Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options.log_statements(tracing::log::LevelFilter::Debug))
}

/// Connects, applies pending migrations and returns the server's pool. Each step fails with an
/// error that names the variable to fix.
pub async fn connect_and_migrate(config: &DatabaseConfig) -> Result<PgPool, StartupError> {
    let (var, migration_options) = match &config.migration_options {
        Some(options) => ("DATABASE_MIGRATION_URL", options),
        None => ("DATABASE_URL", &config.options),
    };
    let mut conn = connect_once(var, migration_options).await?;
    MIGRATOR.run(&mut conn).await?;
    // A failed close only means the session is already gone; the migrations are committed.
    let _ = conn.close().await;

    if config.migration_options.is_some() {
        // The pooled URL is a different route to the database: prove it works before serving.
        let conn = connect_once("DATABASE_URL", &config.options).await?;
        let _ = conn.close().await;
    }
    Ok(pool(config.options.clone(), config.max_connections))
}

async fn connect_once(
    var: &'static str,
    options: &PgConnectOptions,
) -> Result<PgConnection, StartupError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(source)) => Err(StartupError::Connect {
            var,
            target: describe(options),
            source,
        }),
        Err(_) => Err(StartupError::ConnectTimeout {
            var,
            target: describe(options),
            seconds: CONNECT_TIMEOUT.as_secs(),
        }),
    }
}

/// One round trip to the database, for readiness checks.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT 1 AS "one!""#)
        .fetch_one(pool)
        .await
        .map(|_| ())
}
