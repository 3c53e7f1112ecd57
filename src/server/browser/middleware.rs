//! Layers around the web app's routes (pages and server functions share one router, registered
//! by leptos_axum, so each layer tells them apart by path where it must).

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::session::SignedIn;
use crate::error::AppError;
use crate::server::error::app_error_status;
use crate::server::state::AppState;

/// Where the server functions live (their `#[server(prefix = "/rpc")]`): not pages.
pub(super) const SERVER_FN_PATHS: &str = "/rpc/";

/// A fresh once-per-request cache of the signed-in caller (see [`SignedIn`]).
pub async fn session_cache(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(SignedIn::default());
    next.run(request).await
}

/// Renders at most [`MAX_CONCURRENT_RENDERS`](crate::server::state::MAX_CONCURRENT_RENDERS)
/// pages at once (see `AppState::renders`). Server functions are not held back: a sign-in waits
/// for argon2, and must not keep pages waiting.
pub async fn limit_renders(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // The pages' event stream is open for as long as its page: it must not hold a render's place.
    if path.starts_with(SERVER_FN_PATHS) || path == crate::server_fns::EVENTS_PATH {
        return next.run(request).await;
    }
    // The semaphore is never closed, so acquiring only fails if it were; render anyway then.
    let _permit = state.renders.acquire().await.ok();
    next.run(request).await
}

/// Gives a failed server-function call the status its error deserves: server_fn answers every
/// error with 500. Calls from the page's script get 422, 401, 409, 429 or 403 (a real failure
/// stays 500); a plain form post is untouched, since its answer is already the redirect that
/// carries the error back to the form. Done here, once, so no server function can forget it.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with(SERVER_FN_PATHS);
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An encoded AppError is a few hundred bytes at most.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = app_error_status(&err);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
