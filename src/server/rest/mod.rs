//! The public JSON API under `/api` (contract: API.md). Each resource adds its own `router()`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use super::state::AppState;
use crate::domain::Problem;

/// Mounts the API under `/api` on `app`.
pub fn mount(app: Router<AppState>) -> Router<AppState> {
    app.nest("/api", Router::new().fallback(not_found))
        // `nest` matches `/api` and `/api/anything`, but not `/api/` itself.
        .route("/api/", any(not_found))
}

/// Any path under `/api` that no resource claims: a problem document, never the HTML 404 page.
async fn not_found() -> Response {
    Problem::from_status(StatusCode::NOT_FOUND, "no such API endpoint").into_response()
}
