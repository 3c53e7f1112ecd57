//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::state::AppState;
use crate::db;
use crate::domain::Problem;

/// A readiness probe must answer even when the database does not: past this, it is "not ready".
const READINESS_TIMEOUT: Duration = Duration::from_secs(3);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// 200 while the process runs: it checks nothing else, so a database outage never gets healthy
/// servers restarted.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process runs", body = HealthStatus))
)]
pub(crate) async fn healthz() -> Response {
    status_body("ok")
}

/// 200 when the database answers a query, 503 otherwise, and 503 from the moment a shutdown
/// begins (so that a load balancer stops sending requests during `SHUTDOWN_DRAIN_SECS`). The
/// pool replaces broken connections on checkout, so this recovers by itself once the database
/// is back.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = HealthStatus),
        (status = 503, description = "The database does not answer within 3 s, or the server is shutting down", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Problem::from_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
        .into_response();
    }
    match tokio::time::timeout(READINESS_TIMEOUT, db::ping(&state.pool)).await {
        Ok(Ok(())) => status_body("ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database error");
            unavailable()
        }
        Err(_) => {
            tracing::warn!(
                timeout_s = READINESS_TIMEOUT.as_secs(),
                "readiness check: database did not answer in time"
            );
            unavailable()
        }
    }
}

/// The body of a probe's 200.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok` (liveness) or `ready` (readiness).
    status: &'static str,
}

fn status_body(status: &'static str) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(HealthStatus { status }),
    )
        .into_response()
}

fn unavailable() -> Response {
    Problem::from_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "the database is not reachable",
    )
    .into_response()
}
