//! Building the application and running it until a shutdown signal.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{middleware, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use super::browser::{self, middleware as browser_layers};
use super::config::Config;
use super::state::AppState;
use super::{assets, health, rest, security, telemetry};
use crate::app::{shell, App};
use crate::db;

/// How long in-flight requests may run after a shutdown signal before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::StartupError),
    #[error("cannot listen on {addr} (set LEPTOS_SITE_ADDR to another address): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listening socket. With port 0
    /// in `site_addr` the system picks a free port; [`Application::local_addr`] reports it.
    pub async fn build(
        config: Config,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartupError> {
        let pool = db::connect_and_migrate(&config.database).await?;
        let addr = leptos_options.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let state = AppState::new(pool.clone(), config, leptos_options);
        tokio::spawn(maintenance(pool.clone()));
        Ok(Self {
            listener,
            router: router(state),
            pool,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (for at most
    /// [`SHUTDOWN_GRACE`]) and closes the database pool.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let signalled = Arc::new(Notify::new());
        let graceful = {
            let signalled = Arc::clone(&signalled);
            async move {
                shutdown.await;
                tracing::info!("shutting down: finishing in-flight requests");
                signalled.notify_one();
            }
        };
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(graceful);
        let deadline = async move {
            signalled.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        let result = tokio::select! {
            result = server.into_future() => result,
            () = deadline => {
                tracing::warn!(
                    grace_s = SHUTDOWN_GRACE.as_secs(),
                    "requests still running after the grace period; stopping anyway"
                );
                Ok(())
            }
        };
        self.pool.close().await;
        tracing::info!("stopped");
        result
    }
}

/// The whole HTTP surface: probes, the JSON API, server functions and pages, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    // Pages and server functions: the only routes with a browser session. The API (bearer
    // tokens), the probes and the bundle never read a cookie, so they skip the cookie parsing
    // and session bookkeeping every request here pays.
    let web = Router::new()
        // Also registers every server function, under its own /rpc prefix.
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(browser_layers::server_fn_error_status))
        // Each page render and each call gets a fresh once-per-request cache of its caller.
        .layer(middleware::from_fn(browser_layers::session_cache))
        .layer(browser::session::session_layer(&state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            browser_layers::limit_renders,
        ))
        // Outermost: a forged form error is turned away before anything else runs.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            browser::form_errors::guard,
        ));
    let app = rest::mount(Router::new().merge(health::router()), &state.config)
        .merge(assets::router(&state.leptos_options))
        .merge(web)
        .layer(compression())
        .layer(middleware::from_fn(security::headers));
    telemetry::layer(app).with_state(state)
}

/// Answers smaller than this are sent as they are: compressing them saves a few bytes at most and
/// costs a compressor's set-up on every request (probes, 204s, small task JSON).
const COMPRESS_FROM_BYTES: u16 = 1024;

/// Pages and JSON compressed with brotli or gzip, as the client accepts, at a quality chosen for
/// answers made per request (brotli's default, 11, is for files compressed once: measured with
/// scripts/bench, see the README). Responses that already have a `Content-Encoding` (the
/// precompressed `/pkg` files) are left alone by the layer itself.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Precise(COMPRESSION_QUALITY))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_FROM_BYTES)))
}

/// brotli and gzip quality for answers made per request.
const COMPRESSION_QUALITY: i32 = 4;

/// Periodic clean-up of rows that no longer mean anything: expired login failures and sessions.
async fn maintenance(pool: PgPool) {
    let mut every = tokio::time::interval(Duration::from_secs(300));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(err) = db::login_failures::delete_expired(&pool).await {
            tracing::warn!(error = %err, "clean-up of expired login failures failed");
        }
        if let Err(err) = db::sessions::delete_expired(&pool).await {
            tracing::warn!(error = %err, "clean-up of expired sessions failed");
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (what orchestrators send).
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler we can never be interrupted: wait for SIGTERM instead.
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
