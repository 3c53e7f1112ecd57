//! PostgreSQL access: the connection pool, migrations, and one module per aggregate.

pub mod access_tokens;
pub mod changes;
pub mod idempotency;
pub mod labels;
pub mod login_failures;
pub mod projects;
pub mod registrations;
pub mod sessions;
pub mod sign_ins;
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

/// A transaction on a connection of `pool`: what every `BEGIN` here goes through.
///
/// Begun in a task of its own, so that the request that asked cannot be cut off inside it.
/// sqlx 0.8.6's `begin` sends `BEGIN` and only counts the transaction once the answer is back;
/// dropped in between (a client that disconnects, a deadline), it has nothing to roll back, and
/// the connection returns to the pool inside a transaction that sqlx does not know of. Whatever
/// the next user of that connection writes then stays uncommitted, or is rolled back by someone
/// else's `ROLLBACK` (seen as "there is already a transaction in progress"; shown by
/// tests/api/overload.rs). In a task the `BEGIN` always completes: a caller that has gone drops
/// the transaction there, which sqlx then rolls back as usual. A task spawn is a microsecond.
pub async fn begin(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin().await })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
}

/// Why a write of a user's data did not happen, in the caller's terms: the database's
/// constraints are the last word on references, uniqueness and bounds, and their violations are
/// classified here, once, for every front door.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A reference or value that is not valid for this caller (a 422 naming the fields).
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<crate::domain::FieldError>),
    /// A per-user limit (API-organise.md, Limits).
    #[error("you have reached the limit of {limit} {what}")]
    Limit { what: &'static str, limit: i64 },
    /// A project or label name the caller already has (case-insensitively).
    #[error("a {0} with this name already exists")]
    NameTaken(&'static str),
    /// The caller's user no longer exists (the foreign key to `users` broke).
    #[error("the caller's user is gone")]
    UserGone,
    /// Something the write depends on changed under it (a label deleted meanwhile, two writes
    /// waiting on each other): sending it again will work.
    #[error("{0}; send the request again")]
    Changed(&'static str),
    #[error(transparent)]
    Database(sqlx::Error),
    /// Stored manual-order keys that break their own rules (never written by this code; the
    /// database's CHECK holds their digits): a server fault, not the caller's.
    #[error(transparent)]
    OrderKeys(#[from] crate::domain::order::KeyError),
}

impl WriteError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![crate::domain::FieldError::new(field, message)])
    }

    /// Whether the write lost a race it can simply run again: two moves that computed the same
    /// manual-order key, or two transactions that waited on each other (deadlock, 40P01).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(db)) => {
                db.constraint() == Some("tasks_manual_order_key")
                    || db.code().as_deref() == Some("40P01")
            }
            Self::Changed(_) => true,
            _ => false,
        }
    }
}

/// Whether a database error means "not now" rather than "never": no connection within the
/// pool's acquire timeout, the database unreachable or restarting, too many connections, or a
/// statement cancelled at the database's `statement_timeout`. The front doors answer these 503
/// with `Retry-After`, never a bare 500.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 57014 query_canceled (statement_timeout), 57P01-57P03 shutdown and startup,
            // 53300 too_many_connections, class 08 connection exceptions.
            matches!(&*code, "57014" | "57P01" | "57P02" | "57P03" | "53300")
                || code.starts_with("08")
        }),
        _ => false,
    }
}

/// The versions an `If-Match` names (API-sync.md): a write goes ahead only on a resource at one
/// of them; `None` when the request had no `If-Match` (or `*`, which any existing resource
/// matches). Checked in the write's own statement, or under the row lock it takes, so that
/// nothing can change the resource between the check and the write.
pub type IfMatch<'a> = Option<&'a [i64]>;

/// Whether `version` passes `if_match`.
pub fn matches(if_match: IfMatch<'_>, version: i64) -> bool {
    if_match.is_none_or(|versions| versions.contains(&version))
}

/// What the message of a reference to something the caller does not have says.
pub const NOT_YOURS_PROJECT: &str = "is not one of your projects";

impl From<sqlx::Error> for WriteError {
    fn from(err: sqlx::Error) -> Self {
        let sqlx::Error::Database(db) = &err else {
            return Self::Database(err);
        };
        match db.constraint() {
            Some("tasks_project_fkey") => Self::invalid("project_id", NOT_YOURS_PROJECT),
            Some("tasks_due_time_needs_date") => Self::invalid(
                "due_time",
                crate::domain::DueError::TimeWithoutDate.to_string(),
            ),
            Some("projects_user_name_key") => Self::NameTaken("project"),
            Some("labels_user_name_key") => Self::NameTaken("label"),
            Some("tasks_user_id_fkey" | "projects_user_id_fkey" | "labels_user_id_fkey") => {
                Self::UserGone
            }
            Some("task_labels_label_fkey") => Self::Changed("a label was deleted meanwhile"),
            Some("task_labels_task_fkey") => Self::Changed("the task was deleted meanwhile"),
            _ if db.code().as_deref() == Some("40P01") => {
                Self::Changed("another write to the same tasks ran at the same time")
            }
            _ => Self::Database(err),
        }
    }
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
