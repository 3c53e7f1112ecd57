use std::sync::Arc;

use super::rate_limit::ApiRateLimit;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use super::auth::sign_ins::{self, AbortOnDrop, SignIns};
use super::auth::{Keys, Passwords};
use super::config::Config;
use super::events::ChangeEvents;

/// Pages rendered at once, at most (see [`AppState::renders`]).
pub const MAX_CONCURRENT_RENDERS: usize = 32;

/// What every handler and server function can reach. One allocation shared by every request:
/// extractors and middleware clone the state several times a request, and cloning it field by
/// field was a dozen reference counts each time (2% of a listing's server CPU in a profile).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub keys: Arc<Keys>,
    /// argon2id hashing, on threads of its own.
    pub passwords: Passwords,
    pub leptos_options: LeptosOptions,
    /// Permits for rendering a page. A render is a millisecond or two of CPU around a few
    /// database round trips, and it builds its whole view before the first one: renders beyond
    /// a few dozen only wait for the database pool while holding that memory (150 MB at 1000
    /// connections, measured). Later requests wait their turn, in order, holding only their
    /// request.
    pub renders: Arc<tokio::sync::Semaphore>,
    /// The per-user request rate limit of the API.
    pub rate_limit: Arc<ApiRateLimit>,
    /// Set when a shutdown begins: readiness answers 503 from then on.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The API sign-ins that have ended (kept complete by a listener task of this state's own).
    pub sign_ins: Arc<SignIns>,
    /// This process's live-update streams.
    pub events: Arc<ChangeEvents>,
    /// Set when a shutdown begins: event streams end.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Stops the watcher of the change feed when the state goes.
    _announcer: AbortOnDrop,
    /// Stops that listener when the state goes (a test's server, or the process's).
    _listener: AbortOnDrop,
}

impl AppState {
    /// The state, and its listener for ended sign-ins, started on the current tokio runtime.
    pub fn new(pool: PgPool, config: Config, leptos_options: LeptosOptions) -> Self {
        let sign_ins = Arc::new(SignIns::new(config.jwt.ttl));
        // The direct connection when one is configured (a pooler cannot hold a LISTEN), else
        // the pool's own database.
        let direct = config
            .database
            .migration_options
            .clone()
            .unwrap_or_else(|| (*pool.connect_options()).clone());
        let events = Arc::new(ChangeEvents::default());
        let listener = tokio::spawn(sign_ins::listen(Arc::clone(&sign_ins), direct));
        let announcer = tokio::spawn(super::events::watch_feed(Arc::clone(&events), pool.clone()));
        Self(Arc::new(Shared {
            pool,
            keys: Arc::new(Keys::new(&config.jwt)),
            rate_limit: Arc::new(ApiRateLimit::new(
                config.api_rate_per_minute,
                config.api_rate_burst,
            )),
            passwords: Passwords::default(),
            config: Arc::new(config),
            leptos_options,
            renders: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_RENDERS)),
            draining: Arc::default(),
            sign_ins,
            events,
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            _announcer: AbortOnDrop::new(&announcer),
            _listener: AbortOnDrop::new(&listener),
        }))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
