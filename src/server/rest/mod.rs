//! The public JSON API under `/api` (contract: API.md). Each resource adds its own `router()`.

pub mod auth;
pub mod changes;
pub mod docs;
pub mod idempotency;
pub mod json;
pub mod labels;
pub mod openapi;
pub mod preconditions;
pub mod projects;
pub mod tasks;
pub mod tokens;

use axum::extract::Request;
use std::time::Duration;

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

use uuid::Uuid;

use super::auth::{Caller, NotFound};
use super::error::ApiError;
use super::state::AppState;
use crate::domain::input::{Field, Fields};
use crate::domain::{FieldError, Problem};

/// Mounts the API under `/api` on `app`.
pub fn mount(app: Router<AppState>, state: &AppState) -> Router<AppState> {
    let config = &state.config;
    let api = Router::new()
        .merge(auth::router())
        .merge(tasks::router())
        .merge(projects::router())
        .merge(labels::router())
        .merge(tokens::router())
        .merge(changes::router())
        .route("/events", axum::routing::get(super::events::events))
        .merge(docs::router())
        .route("/openapi.json", axum::routing::get(openapi::openapi_json))
        .fallback(not_found)
        .layer(middleware::from_fn(problem_for_bare_errors))
        // Only on routes and methods that exist: a method a path does not take stays a 405.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::honour,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::server::rate_limit::headers,
        ))
        .layer(cors(&config.cors_allowed_origins));
    app.nest("/api", api)
        // `nest` matches `/api` and `/api/anything`, but not `/api/` itself.
        .route("/api/", any(not_found))
}

/// A query string as its name-value pairs, in order, for the parsers of the listings
/// (`ListQuery`, `FeedQuery`), which name every bad parameter; one that is not a query string at
/// all is a 422 on `query`.
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let axum::extract::Query(pairs) = axum::extract::Query::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::Validation(vec![FieldError::new(
                    "query",
                    "is not a valid query string",
                )])
            })?;
        Ok(Self(pairs))
    }
}

/// Any path under `/api` that no resource claims: a problem document, never the HTML 404 page.
async fn not_found() -> Response {
    Problem::from_status(StatusCode::NOT_FOUND, "no such API endpoint").into_response()
}

/// axum answers a known path with an unsupported method by itself (405, with a complete `Allow`
/// header but no body); give that answer the API's problem-document body, keeping its headers.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let problem = Problem::from_status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed here; see the Allow header"),
    )
    .into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, body)
}

/// The id of a path's `{id}`: one that is not a UUID names nothing, so it is the same 404 as a
/// missing (or another user's) one.
async fn path_id(
    raw: &str,
    what: NotFound,
    caller: &Caller,
    state: &AppState,
) -> Result<Uuid, ApiError> {
    let id = Uuid::parse_str(raw).ok();
    Ok(caller.found(state, id, what).await?)
}

/// A `name` member (of a project or a label), parsed by `parse`, or the 422 naming it.
fn name<T, E: std::fmt::Display>(
    name: Field<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    let mut fields = Fields::default();
    let name = fields.check(
        "name",
        name.required()
            .and_then(|name| parse(&name).map_err(|e| e.to_string())),
    );
    fields.finish(|| name).map_err(ApiError::Validation)
}

/// `201 Created` with `Location: {path}` and the body, not to be cached.
fn created(path: String, body: impl serde::Serialize) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(&path).map_err(ApiError::internal)?;
    let mut response = no_store(axum::Json(body));
    *response.status_mut() = StatusCode::CREATED;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Answers that carry a user's data or a token must not be kept by any cache.
pub fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// CORS for browser clients on other origins (API.md, Operations): only the listed origins, which
/// may send `Authorization` and `Content-Type` and read `Link` and `Location`. Other origins get
/// no `Access-Control-Allow-Origin`. Bearer tokens, not cookies: credentials stay off.
fn cors(allowed_origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        // The conditional and idempotent requests of API-sync.md, and the ETag they build on.
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            idempotency::IDEMPOTENCY_KEY,
        ])
        .expose_headers([
            header::LINK,
            header::LOCATION,
            header::ETAG,
            idempotency::IDEMPOTENT_REPLAYED,
        ])
        .max_age(Duration::from_secs(600))
}
