//! Logs: `tracing` to standard output, one line per request.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG` sets the filter (default `info`); `LOG_FORMAT=json`
/// switches to one JSON object per line for log collectors.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,leptos_axum=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_target(false);
    // try_init: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
    };
}

/// One log line per request: method, path (never the query string, which may hold search text),
/// status and latency to the response head.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
    if response.status().is_server_error() {
        tracing::error!(%method, path, status, %latency_ms, "request");
    } else {
        tracing::info!(%method, path, status, %latency_ms, "request");
    }
    response
}
