//! Building the application and running it until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::handler::HandlerWithoutStateExt;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{middleware, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;

use super::browser::{self, middleware as browser_layers};
use super::config::{Config, HttpConfig};
use super::error::ApiError;
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
    http: HttpConfig,
    draining: Arc<std::sync::atomic::AtomicBool>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
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
        let http = config.http;
        let state = AppState::new(pool.clone(), config, leptos_options);
        tokio::spawn(maintenance(pool.clone(), state.keys.ttl));
        tokio::spawn(forget_idle_rate_limits(Arc::clone(&state.rate_limit)));
        Ok(Self {
            listener,
            draining: Arc::clone(&state.draining),
            stopping: Arc::clone(&state.stopping),
            router: router(state),
            pool,
            http,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (for at most
    /// [`SHUTDOWN_GRACE`]) and closes the database pool.
    ///
    /// Hand-written rather than `axum::serve`, which gives hyper no timer: without one a client
    /// that sends its headers slowly, or keeps a connection open and idle, holds it (and a file
    /// descriptor) for ever. Here a connection must deliver each request's headers within
    /// `HTTP_HEADER_TIMEOUT_SECS` (hyper starts that clock when it waits for a request, so an
    /// idle kept-alive connection closes after the same time), and at most `MAX_CONNECTIONS` are
    /// open at once (never more than the file limit allows): further clients wait in the
    /// kernel's listen queue instead of failing `accept` with EMFILE.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let max_connections = within_file_limit(self.http.max_connections);
        let permits = Arc::new(Semaphore::new(max_connections));
        let graceful = GracefulShutdown::new();
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(self.http.header_timeout);
        // The signal, then the drain: not ready any more, still serving.
        let (draining, drain) = (Arc::clone(&self.draining), self.http.shutdown_drain);
        let stopping = Arc::clone(&self.stopping);
        let mut shutdown = pin!(async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
            // Event streams end now (their clients reconnect, to a process that is staying)
            // rather than hold the grace period to its end.
            stopping.send_replace(true);
            if !drain.is_zero() {
                tracing::info!(
                    drain_s = drain.as_secs(),
                    "shutting down: /readyz answers 503, still serving"
                );
                tokio::time::sleep(drain).await;
            }
        });
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break, // never closed
                },
                () = &mut shutdown => break,
            };
            let (stream, remote) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of descriptors or memory, or a connection reset before it was
                        // accepted: wait a moment rather than spin, and keep serving.
                        tracing::warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = self
                .router
                .clone()
                .map_request(move |mut request: Request<_>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    request
                });
            let connection = graceful.watch(
                http1.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
            );
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                drop(permit);
            });
        }
        tracing::info!("shutting down: finishing in-flight requests");
        // No new connections; kept-alive ones close after their current request.
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::warn!(
                    grace_s = SHUTDOWN_GRACE.as_secs(),
                    "requests still running after the grace period; stopping anyway"
                );
            }
        }
        self.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// `wanted`, or fewer when the process may not open that many files: each connection is a file
/// descriptor, and the pool, the log and the static files need some too.
fn within_file_limit(wanted: usize) -> usize {
    /// Descriptors kept for everything but client connections.
    const RESERVED: u64 = 128;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let allowed = limit.map_or(u64::MAX, |limit| limit.saturating_sub(RESERVED).max(1));
    let max = usize::try_from(allowed).unwrap_or(usize::MAX).min(wanted);
    if max < wanted {
        tracing::warn!(
            wanted,
            max,
            "MAX_CONNECTIONS is above what the file limit (ulimit -n) allows"
        );
    }
    max
}

/// Answers a request that found no answer within `HTTP_REQUEST_TIMEOUT_SECS` with a 503 problem
/// document (dropping its work: a query in flight is cancelled with it).
async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.http.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                deadline_s = state.config.http.request_timeout.as_secs(),
                "request passed its deadline"
            );
            ApiError::unavailable().into_response()
        }
    }
}

/// The whole HTTP surface: probes, the JSON API, server functions and pages, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    // The files of the site's root (`public/`, copied there by cargo-leptos), and for any other
    // path the app's own "not found" page.
    let render = leptos_axum::render_app_to_stream_with_context(
        {
            let state = state.clone();
            move || leptos::prelude::provide_context(state.clone())
        },
        {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        },
    );
    let not_found = move |request: Request| {
        let render = render.clone();
        async move {
            let mut response = render(request).await;
            // Not found, unless the page answered otherwise (a redirect to sign in).
            if response.status() == axum::http::StatusCode::OK {
                *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
            }
            response
        }
    };
    let site_files = ServeDir::new(&*state.leptos_options.site_root)
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found.into_service());
    // Pages and server functions: the only routes with a browser session. The API (bearer
    // tokens), the probes and the bundle never read a cookie, so they skip the cookie parsing
    // and session bookkeeping every request here pays.
    let web = Router::new()
        // Also registers every server function, under its own /rpc prefix.
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        // The pages' live updates, through the session (see `events::session_events`).
        .route(
            crate::server_fns::EVENTS_PATH,
            axum::routing::get(super::events::session_events),
        )
        // The site's own files (the favicons), else the app's "not found" page. Not leptos_axum's
        // `file_and_error_handler`: for a file it found, that handler takes a `ResponseOptions`
        // from whatever reactive owner its thread had last, and moves that one's headers into
        // the file's answer. When another request's page was rendering, that page lost its
        // headers (its Content-Security-Policy: the page then came with the default
        // `default-src 'none'`, unstyled and without its scripts) and the favicon carried them.
        // Shown by tests/api/routing.rs (a page beside favicon requests).
        .fallback_service(site_files)
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
    let app = rest::mount(Router::new().merge(health::router()), &state)
        .merge(assets::router(&state.leptos_options))
        .merge(web)
        .layer(compression())
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn_with_state(state.clone(), deadline));
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

/// Periodic clean-up of rows that no longer mean anything: expired login failures, sessions,
/// registration attempts, refresh and personal access tokens, idempotency keys, the change feed's
/// deletions past their 30 days, and sign-ins none of whose access
/// tokens (which live `access_ttl`) can still be presented.
async fn maintenance(pool: PgPool, access_ttl: Duration) {
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
        if let Err(err) = db::registrations::delete_expired(&pool).await {
            tracing::warn!(error = %err, "clean-up of expired registration attempts failed");
        }
        let keep_for = super::auth::sign_ins::remember_for(access_ttl);
        if let Err(err) = db::sign_ins::delete_expired(&pool, keep_for).await {
            tracing::warn!(error = %err, "clean-up of expired sign-ins failed");
        }
        if let Err(err) = db::access_tokens::delete_expired(&pool).await {
            tracing::warn!(error = %err, "clean-up of expired personal access tokens failed");
        }
        if let Err(err) = db::idempotency::delete_expired(&pool).await {
            tracing::warn!(error = %err, "clean-up of expired idempotency keys failed");
        }
        if let Err(err) = db::changes::forget_old_deletions(&pool).await {
            tracing::warn!(error = %err, "clean-up of old deletions in the change feed failed");
        }
    }
}

/// Drops the rate-limit buckets of users that have been quiet long enough to be full again.
async fn forget_idle_rate_limits(limit: Arc<super::rate_limit::ApiRateLimit>) {
    let mut every = tokio::time::interval(super::rate_limit::CLEAN_UP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        limit.retain_recent();
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
