//! The environment of every test server, in one place. The in-process app reads it through
//! `Config::from_lookup` ([`TestEnv::config`]); the real binary gets it as its environment
//! ([`super::server_command`]). Either way a test states only what it changes.

use std::collections::BTreeMap;

use sqlx::PgPool;
use taskdeck::server::config::Config;

use super::master_url;

/// The JWT secret of every test server (at least 32 bytes, as the server requires).
pub const TEST_SECRET: &str = "integration-test-secret-0123456789abcdef";

/// Configuration variables for a test server. [`TestEnv::new`] starts from a working set:
/// `DATABASE_URL` (the test cluster), `JWT_SECRET` ([`TEST_SECRET`]), `COOKIE_SECURE=false`
/// (tests speak plain http, as the local run command does), and registration and request rate
/// limits that no test meets unless it lowers them (tests register many accounts from 127.0.0.1
/// and send hundreds of requests a second). Nothing else is set:
/// neither the developer's environment nor a `.env` file reaches a test server.
#[derive(Clone, Debug)]
pub struct TestEnv {
    vars: BTreeMap<String, String>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self {
            vars: BTreeMap::new(),
        }
        .set("DATABASE_URL", &master_url())
        .set("JWT_SECRET", TEST_SECRET)
        .set("COOKIE_SECURE", "false")
        .set("MAX_REGISTRATIONS_PER_HOUR", "1000000")
        .set("API_RATE_LIMIT_PER_MINUTE", "1000000")
        .set("API_RATE_LIMIT_BURST", "1000000")
    }
}

impl TestEnv {
    /// The working defaults (see [`TestEnv`]).
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Every `(name, value)` of `vars`, over what is already set.
    pub fn set_all(self, vars: &[(&str, &str)]) -> Self {
        vars.iter()
            .fold(self, |env, (name, value)| env.set(name, value))
    }

    /// Leaves `name` out altogether (as if never set).
    pub fn unset(mut self, name: &str) -> Self {
        self.vars.remove(name);
        self
    }

    /// `DATABASE_URL` naming `pool`'s own database (the one `#[sqlx::test]` made for this test)
    /// instead of the cluster's master database.
    pub fn database_of(self, pool: &PgPool) -> Self {
        self.set("DATABASE_URL", database_url(pool).as_str())
    }

    /// Every variable, sorted by name.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The configuration the server reads from these variables.
    pub fn config(&self) -> Config {
        Config::from_lookup(|name| self.vars.get(name).cloned()).expect("valid test configuration")
    }
}

/// The test cluster's URL (credentials, options) for `pool`'s database.
pub fn database_url(pool: &PgPool) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&master_url()).expect("DATABASE_URL is a URL");
    url.set_path(
        pool.connect_options()
            .get_database()
            .expect("test database name"),
    );
    url
}
