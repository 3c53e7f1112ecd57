use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use super::auth::Keys;
use super::config::Config;

/// What every handler and server function can reach. Cheap to clone: each field is shared.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub keys: Arc<Keys>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config, leptos_options: LeptosOptions) -> Self {
        Self {
            pool,
            keys: Arc::new(Keys::new(&config.jwt)),
            config: Arc::new(config),
            leptos_options,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
