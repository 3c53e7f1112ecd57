//! Logs: `tracing` to standard output, one line per request, each line with its request's id.

use std::io::IsTerminal;
use std::time::Duration;

use axum::extract::Request;
use axum::http::HeaderName;
use axum::response::Response;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
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

/// The header that carries a request's id: the client's own when it sends one, a fresh UUID
/// otherwise; returned on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// Request ids and one log line per request, around the whole router. Every log line written
/// while a request is handled sits in its span, so it carries the request's method, path (never
/// the query string, which may hold search text) and id: a logged 500 can be tied to the response
/// the client got.
pub fn layer<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let header = HeaderName::from_static(REQUEST_ID);
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(header.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(log_response)
                    .on_body_chunk(())
                    .on_eos(())
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(header)),
    )
}

fn request_span(request: &Request) -> Span {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        id,
    )
}

/// The request's line: its status and the latency to the response head.
fn log_response(response: &Response, latency: Duration, _: &Span) {
    let status = response.status().as_u16();
    let latency_ms = format_args!("{:.3}", latency.as_secs_f64() * 1000.0);
    if response.status().is_server_error() {
        tracing::error!(status, %latency_ms, "answered");
    } else {
        tracing::info!(status, %latency_ms, "answered");
    }
}
