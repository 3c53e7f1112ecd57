//! Configuration from the environment (and, for local use, a `.env` file loaded by `main`).
//!
//! Every value is parsed once, at start, into typed fields: a mistake stops the server with one
//! line that names the variable and says what is wrong, instead of surfacing later as a 500.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::Limits;
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;

/// The shortest `JWT_SECRET` accepted: HS256 keys shorter than the hash output (32 bytes) weaken
/// the signature, and RFC 7518 §3.2 requires at least that much.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub jwt: JwtConfig,
    /// Origins allowed to call the JSON API from a browser (`CORS_ALLOWED_ORIGINS`).
    pub cors_allowed_origins: Vec<String>,
    /// Whether the session cookie carries `Secure` (`COOKIE_SECURE`, default true).
    pub cookie_secure: bool,
    /// Whether `X-Forwarded-For` names the client (`TRUST_PROXY_HEADERS`, default false).
    pub trust_proxy_headers: bool,
    /// Per-user limits (`MAX_TASKS_PER_USER`, `MAX_PROJECTS_PER_USER`, `MAX_LABELS_PER_USER`).
    pub limits: Limits,
    pub http: HttpConfig,
    /// Registrations per client address and hour (`MAX_REGISTRATIONS_PER_HOUR`, default 20).
    pub max_registrations_per_hour: i64,
    /// API requests per user: the steady rate (`API_RATE_LIMIT_PER_MINUTE`, default 1200) and the
    /// burst allowed on top of it (`API_RATE_LIMIT_BURST`, default 600).
    pub api_rate_per_minute: u32,
    pub api_rate_burst: u32,
    /// How often an idle event stream gets a comment line, so that proxies keep it open
    /// (`EVENTS_KEEPALIVE_SECS`, default 15; API-sync.md: at least every 30 s).
    pub events_keep_alive: Duration,
}

/// What a connection and a request may take.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// A client must send a request's headers within this, and a kept-alive connection that
    /// sends nothing for this long is closed (`HTTP_HEADER_TIMEOUT_SECS`, default 15).
    pub header_timeout: Duration,
    /// A request that has no answer within this is answered 503 (`HTTP_REQUEST_TIMEOUT_SECS`,
    /// default 30; above the database's 5 s statement deadline and the pool's 10 s wait).
    pub request_timeout: Duration,
    /// Open connections at most; further clients wait in the listen queue until one closes
    /// (`MAX_CONNECTIONS`, default 4096, and never more than the process's file limit allows).
    pub max_connections: usize,
    /// After a shutdown signal, how long the server keeps serving while `/readyz` already answers
    /// 503, so that a load balancer takes it out of rotation first (`SHUTDOWN_DRAIN_SECS`,
    /// default 0).
    pub shutdown_drain: Duration,
}

#[derive(Clone)]
pub struct DatabaseConfig {
    /// Connection used by the running server (`DATABASE_URL`).
    pub options: PgConnectOptions,
    /// Connection used for migrations (`DATABASE_MIGRATION_URL`, default: `DATABASE_URL`).
    /// PgBouncer in transaction mode (Neon's `-pooler` hosts) breaks the session-level
    /// advisory lock the migrator takes, so a direct connection can be given for them.
    pub migration_options: Option<PgConnectOptions>,
    pub max_connections: u32,
}

#[derive(Clone)]
pub struct JwtConfig {
    /// Never in `Debug` output or a log; zeroed when dropped.
    pub secret: SecretString,
    pub issuer: String,
    /// Issuers besides our own whose tokens are accepted (a trusted "main app").
    pub accepted_issuers: Vec<String>,
    pub audience: Option<String>,
    pub ttl: Duration,
    /// The longest life (`exp - iat`) a token of an accepted issuer may claim: a main app's token
    /// that would never expire is refused rather than trusted forever.
    pub max_foreign_ttl: Duration,
    /// How long a refresh token lives (`REFRESH_TTL_SECONDS`, default 30 days; API-accounts.md).
    pub refresh_ttl: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // PgConnectOptions' Debug output includes the password: describe the database instead.
        f.debug_struct("Config")
            .field("database", &describe(&self.database.options))
            .field("jwt_issuer", &self.jwt.issuer)
            .field("jwt_accepted_issuers", &self.jwt.accepted_issuers)
            .field("jwt_audience", &self.jwt.audience)
            .field("jwt_ttl", &self.jwt.ttl)
            .field("jwt_max_foreign_ttl", &self.jwt.max_foreign_ttl)
            .field("refresh_ttl", &self.jwt.refresh_ttl)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("cookie_secure", &self.cookie_secure)
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .field("limits", &self.limits)
            .field("http", &self.http)
            .field(
                "max_registrations_per_hour",
                &self.max_registrations_per_hour,
            )
            .field("api_rate_per_minute", &self.api_rate_per_minute)
            .field("api_rate_burst", &self.api_rate_burst)
            .field("events_keep_alive", &self.events_keep_alive)
            .finish()
    }
}

/// `host:port/database`, for messages: never the password.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default database)")
    )
}

/// One configuration mistake, worded for the person starting the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can supply variables without touching the
    /// process environment. Blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let database_url = get("DATABASE_URL").ok_or_else(|| {
            ConfigError::new(
                "DATABASE_URL",
                "is not set: give a PostgreSQL URL such as \
                 postgres://user:password@host:5432/taskdeck (scripts/run sets one for the local \
                 database)",
            )
        })?;
        let database = DatabaseConfig {
            options: parse_database_url("DATABASE_URL", &database_url)?,
            migration_options: get("DATABASE_MIGRATION_URL")
                .map(|url| parse_database_url("DATABASE_MIGRATION_URL", &url))
                .transpose()?,
            max_connections: parse_number(
                "DATABASE_MAX_CONNECTIONS",
                get("DATABASE_MAX_CONNECTIONS"),
                10,
                1..=1000,
            )?,
        };

        let secret = get("JWT_SECRET").ok_or_else(|| {
            ConfigError::new(
                "JWT_SECRET",
                format!(
                    "is not set: give a random secret of at least {MIN_JWT_SECRET_BYTES} bytes \
                     (for example the output of `openssl rand -hex 32`)"
                ),
            )
        })?;
        if secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(ConfigError::new(
                "JWT_SECRET",
                format!(
                    "is too short: it has {} bytes and must have at least {MIN_JWT_SECRET_BYTES} \
                     (for example the output of `openssl rand -hex 32`)",
                    secret.len()
                ),
            ));
        }
        let issuer = get("JWT_ISSUER").unwrap_or_else(|| "taskdeck".to_owned());
        if issuer.trim() != issuer {
            return Err(ConfigError::new(
                "JWT_ISSUER",
                "must not start or end with white space (issuers are compared exactly)",
            ));
        }
        let jwt = JwtConfig {
            secret: SecretString::from(secret),
            accepted_issuers: parse_list(get("JWT_ACCEPTED_ISSUERS"))
                .into_iter()
                .filter(|accepted| *accepted != issuer)
                .collect(),
            issuer,
            audience: get("JWT_AUDIENCE").map(|aud| aud.trim().to_owned()),
            ttl: Duration::from_secs(parse_number(
                "JWT_TTL_SECONDS",
                get("JWT_TTL_SECONDS"),
                3600,
                60..=86_400,
            )?),
            max_foreign_ttl: Duration::from_secs(parse_number(
                "JWT_MAX_FOREIGN_TTL_SECONDS",
                get("JWT_MAX_FOREIGN_TTL_SECONDS"),
                86_400,
                60..=2_592_000,
            )?),
            refresh_ttl: Duration::from_secs(parse_number(
                "REFRESH_TTL_SECONDS",
                get("REFRESH_TTL_SECONDS"),
                2_592_000,
                60..=31_536_000,
            )?),
        };

        let cors_allowed_origins = parse_list(get("CORS_ALLOWED_ORIGINS"))
            .into_iter()
            .map(|origin| validate_origin(&origin).map(|()| origin))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Self {
            database,
            jwt,
            cors_allowed_origins,
            cookie_secure: parse_bool("COOKIE_SECURE", get("COOKIE_SECURE"), true)?,
            trust_proxy_headers: parse_bool(
                "TRUST_PROXY_HEADERS",
                get("TRUST_PROXY_HEADERS"),
                false,
            )?,
            limits: {
                let defaults = Limits::default();
                Limits {
                    tasks: parse_number(
                        "MAX_TASKS_PER_USER",
                        get("MAX_TASKS_PER_USER"),
                        defaults.tasks,
                        1..=100_000_000,
                    )?,
                    projects: parse_number(
                        "MAX_PROJECTS_PER_USER",
                        get("MAX_PROJECTS_PER_USER"),
                        defaults.projects,
                        1..=1_000_000,
                    )?,
                    labels: parse_number(
                        "MAX_LABELS_PER_USER",
                        get("MAX_LABELS_PER_USER"),
                        defaults.labels,
                        1..=1_000_000,
                    )?,
                }
            },
            http: HttpConfig {
                header_timeout: Duration::from_secs(parse_number(
                    "HTTP_HEADER_TIMEOUT_SECS",
                    get("HTTP_HEADER_TIMEOUT_SECS"),
                    15,
                    1..=300,
                )?),
                request_timeout: Duration::from_secs(parse_number(
                    "HTTP_REQUEST_TIMEOUT_SECS",
                    get("HTTP_REQUEST_TIMEOUT_SECS"),
                    30,
                    1..=600,
                )?),
                max_connections: parse_number(
                    "MAX_CONNECTIONS",
                    get("MAX_CONNECTIONS"),
                    4096,
                    1..=1_000_000,
                )?,
                shutdown_drain: Duration::from_secs(parse_number(
                    "SHUTDOWN_DRAIN_SECS",
                    get("SHUTDOWN_DRAIN_SECS"),
                    0,
                    0..=300,
                )?),
            },
            max_registrations_per_hour: parse_number(
                "MAX_REGISTRATIONS_PER_HOUR",
                get("MAX_REGISTRATIONS_PER_HOUR"),
                20,
                1..=1_000_000,
            )?,
            api_rate_per_minute: parse_number(
                "API_RATE_LIMIT_PER_MINUTE",
                get("API_RATE_LIMIT_PER_MINUTE"),
                1200,
                1..=10_000_000,
            )?,
            api_rate_burst: parse_number(
                "API_RATE_LIMIT_BURST",
                get("API_RATE_LIMIT_BURST"),
                600,
                1..=10_000_000,
            )?,
            events_keep_alive: Duration::from_secs(parse_number(
                "EVENTS_KEEPALIVE_SECS",
                get("EVENTS_KEEPALIVE_SECS"),
                15,
                1..=30,
            )?),
        })
    }
}

fn parse_database_url(var: &'static str, url: &str) -> Result<PgConnectOptions, ConfigError> {
    let url = url.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ConfigError::new(
            var,
            "must be a URL starting with postgres:// or postgresql://",
        ));
    }
    // sqlx's own message names the part that is wrong (port, percent-encoding, sslmode...)
    // without repeating the URL, so it cannot leak the password.
    PgConnectOptions::from_str(url)
        .map(|options| options.application_name("taskdeck"))
        .map_err(|err| ConfigError::new(var, format!("is not a valid PostgreSQL URL: {err}")))
}

fn parse_number<T>(
    var: &'static str,
    value: Option<String>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(value) = value else {
        return Ok(default);
    };
    let out_of_range = || {
        ConfigError::new(
            var,
            format!(
                "must be a whole number from {} to {} (got {value:?})",
                range.start(),
                range.end()
            ),
        )
    };
    let number = value.trim().parse::<T>().map_err(|_| out_of_range())?;
    if range.contains(&number) {
        Ok(number)
    } else {
        Err(out_of_range())
    }
}

fn parse_bool(
    var: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            var,
            format!("must be true or false (got {value:?})"),
        )),
    }
}

/// A comma-separated list; empty entries are ignored.
fn parse_list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An origin is `scheme://host[:port]`, exactly as browsers send it in `Origin`: no path, no
/// trailing slash, no wildcard (credentials make `*` unusable, and a typo must not open the API).
fn validate_origin(origin: &str) -> Result<(), ConfigError> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let valid = rest.is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    if valid {
        Ok(())
    } else {
        Err(ConfigError::new(
            "CORS_ALLOWED_ORIGINS",
            format!(
                "must list origins like https://app.example.com, separated by commas \
                 (no path, no trailing slash, no wildcard); {origin:?} is not one"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = HashMap::from([
            (
                "DATABASE_URL".to_owned(),
                "postgres://app:pw@db.example:5433/taskdeck".to_owned(),
            ),
            ("JWT_SECRET".to_owned(), SECRET.to_owned()),
        ]);
        for (name, value) in vars {
            map.insert((*name).to_owned(), (*value).to_owned());
        }
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> ConfigError {
        match config(vars) {
            Ok(_) => panic!("expected a configuration error for {vars:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_apply_when_only_the_required_values_are_set() {
        let config = config(&[]).expect("valid");
        assert_eq!(config.jwt.issuer, "taskdeck");
        assert!(config.jwt.accepted_issuers.is_empty());
        assert_eq!(config.jwt.audience, None);
        assert_eq!(config.jwt.ttl, Duration::from_secs(3600));
        assert!(config.cookie_secure);
        assert!(!config.trust_proxy_headers);
        assert!(config.cors_allowed_origins.is_empty());
        assert_eq!(config.database.max_connections, 10);
        assert!(config.database.migration_options.is_none());
        assert_eq!(
            describe(&config.database.options),
            "db.example:5433/taskdeck"
        );
    }

    #[test]
    fn missing_database_url_is_named() {
        let err = error(&[("DATABASE_URL", "  ")]);
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.to_string().starts_with("DATABASE_URL is not set"));
    }

    #[test]
    fn database_url_must_be_postgres() {
        assert_eq!(
            error(&[("DATABASE_URL", "mysql://x@y/z")]).var,
            "DATABASE_URL"
        );
        let err = error(&[("DATABASE_URL", "postgres://u:secretpw@host:notaport/db")]);
        assert_eq!(err.var, "DATABASE_URL");
        assert!(!err.to_string().contains("secretpw"), "{err}");
        assert_eq!(
            error(&[("DATABASE_MIGRATION_URL", "http://example.com")]).var,
            "DATABASE_MIGRATION_URL"
        );
    }

    #[test]
    fn jwt_secret_is_required_and_at_least_32_bytes() {
        assert!(error(&[("JWT_SECRET", "")])
            .to_string()
            .starts_with("JWT_SECRET is not set"));
        let short = error(&[("JWT_SECRET", "0123456789abcdef0123456789abcde")]);
        assert_eq!(short.var, "JWT_SECRET");
        assert!(short.to_string().contains("has 31 bytes"), "{short}");
        // 32 bytes made of 16 two-byte characters is long enough: the limit is in bytes.
        assert!(config(&[("JWT_SECRET", "éééééééééééééééé")]).is_ok());
    }

    #[test]
    fn lists_are_split_trimmed_and_our_own_issuer_is_not_repeated() {
        let config = config(&[
            ("JWT_ACCEPTED_ISSUERS", " main-app , ,taskdeck,other "),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://app.example.com, http://localhost:5173",
            ),
            ("JWT_AUDIENCE", "tasks"),
        ])
        .expect("valid");
        assert_eq!(config.jwt.accepted_issuers, ["main-app", "other"]);
        assert_eq!(
            config.cors_allowed_origins,
            ["https://app.example.com", "http://localhost:5173"]
        );
        assert_eq!(config.jwt.audience.as_deref(), Some("tasks"));
    }

    #[test]
    fn origins_with_paths_or_wildcards_are_refused() {
        for bad in [
            "*",
            "https://app.example.com/",
            "app.example.com",
            "https://a.b/x",
        ] {
            assert_eq!(
                error(&[("CORS_ALLOWED_ORIGINS", bad)]).var,
                "CORS_ALLOWED_ORIGINS",
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_and_booleans_are_checked() {
        assert_eq!(error(&[("JWT_TTL_SECONDS", "soon")]).var, "JWT_TTL_SECONDS");
        assert_eq!(error(&[("JWT_TTL_SECONDS", "5")]).var, "JWT_TTL_SECONDS");
        assert_eq!(
            error(&[("DATABASE_MAX_CONNECTIONS", "0")]).var,
            "DATABASE_MAX_CONNECTIONS"
        );
        assert_eq!(error(&[("COOKIE_SECURE", "maybe")]).var, "COOKIE_SECURE");
        assert_eq!(
            error(&[("TRUST_PROXY_HEADERS", "2")]).var,
            "TRUST_PROXY_HEADERS"
        );
        let config = config(&[
            ("COOKIE_SECURE", "false"),
            ("TRUST_PROXY_HEADERS", "TRUE"),
            ("JWT_TTL_SECONDS", "900"),
            ("DATABASE_MAX_CONNECTIONS", "32"),
        ])
        .expect("valid");
        assert!(!config.cookie_secure);
        assert!(config.trust_proxy_headers);
        assert_eq!(config.jwt.ttl, Duration::from_secs(900));
        assert_eq!(config.database.max_connections, 32);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = config(&[]).expect("valid");
        let shown = format!("{config:?} {:?}", config.jwt.secret);
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("pw"), "{shown}");
    }
}
