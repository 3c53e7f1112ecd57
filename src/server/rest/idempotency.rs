//! `Idempotency-Key` (API-sync.md, "Safe retries"; draft-ietf-httpapi-idempotency-key-header):
//! a client that did not hear the answer to a write may send it again with the same key and get
//! the first answer instead of a second effect.
//!
//! One layer around the API, which does nothing unless the request carries the header and is one
//! the contract names (every `POST` outside `/api/auth`, and the toggle). Then it authenticates
//! the caller (and leaves the [`Caller`] for the handler, so the request is counted once), claims
//! the key in PostgreSQL (`db::idempotency`: every server process sees the same keys, and of
//! concurrent requests with one key exactly one is claimed), and runs the request in a task of its
//! own: a client that goes away, or a deadline that passes, does not cut it off between its
//! effect and keeping its answer, so the retry finds the answer. A 2xx answer is kept, sealed,
//! for [`KEEP_FOR`]; any other answer frees the key.
//!
//! What is left: a process that dies between a request's effect and keeping its answer leaves the
//! key in flight (409) until its hold ends ([`HOLD_MARGIN`] past the request deadline); the same
//! request may then claim it and run again.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::json::MAX_BODY_BYTES;
use super::no_store;
use crate::db;
use crate::db::idempotency::{Claim, Fingerprint, Kept};
use crate::server::auth::{secrets, Caller};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a key and its answer are kept (API-sync.md: at least 24 hours).
pub const KEEP_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// A key is at most this many characters.
pub const MAX_KEY_CHARS: usize = 255;

/// How long past the request deadline a claim holds its key when nothing settles it.
pub const HOLD_MARGIN: Duration = Duration::from_secs(60);

/// The key a header value names: 1 to [`MAX_KEY_CHARS`] visible ASCII characters, without the
/// double quotes of the structured-field form.
pub fn parse_key(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let key = value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value);
    let visible = key.bytes().all(|b| b.is_ascii_graphic());
    (visible && (1..=MAX_KEY_CHARS).contains(&key.len())).then_some(key)
}

/// The operations that honour the header (API-sync.md: every `POST` under `/api` except
/// `/api/auth/*`, and the toggle), by route template. A list rather than a rule on paths, so that
/// a method a route does not take stays a 405 (the OpenAPI test holds it to the document's
/// `POST`s).
const HONOURED: [(Method, &str); 6] = [
    (Method::POST, "/tasks"),
    (Method::POST, "/tasks/{id}/move"),
    (Method::POST, "/projects"),
    (Method::POST, "/labels"),
    (Method::POST, "/tokens"),
    (Method::PATCH, "/tasks/{id}/toggle"),
];

/// Whether `method` on the route `template` (with or without the `/api` prefix) honours the
/// header.
pub fn honoured(method: &Method, template: &str) -> bool {
    let template = template.strip_prefix("/api").unwrap_or(template);
    HONOURED.iter().any(|(m, t)| m == method && *t == template)
}

/// The layer (see the module's documentation).
pub async fn honour(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Most requests carry no key: they pay one header look-up here, nothing else.
    let honours = request.headers().contains_key(IDEMPOTENCY_KEY)
        && request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .is_some_and(|route| honoured(request.method(), route.as_str()));
    if !honours {
        return next.run(request).await;
    }
    run(state, request, next)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn run(state: AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    // Who is asking comes first: without credentials the answer is the 401, whatever the key.
    let (mut parts, body) = request.into_parts();
    let caller = Caller::from_request_parts(&mut parts, &state).await?;
    parts.extensions.insert(caller.clone());
    let mut values = parts.headers.get_all(IDEMPOTENCY_KEY).iter();
    let key = match (values.next(), values.next()) {
        (Some(value), None) => parse_key(value),
        _ => None,
    }
    .ok_or(ApiError::BadRequest(
        "Idempotency-Key must be sent once, as 1 to 255 visible ASCII characters",
    ))?
    .to_owned();

    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
        .path_and_query()
        .map_or_else(String::new, |path| path.as_str().to_owned());
    // From the claim on, the request runs in a task of its own: neither a client that goes away
    // nor the deadline may stop it between claiming the key and settling it.
    let settled = tokio::spawn(claim_and_run(
        state, caller.id, key, path, parts, body, next,
    ));
    settled.await.map_err(ApiError::internal)?
}

async fn claim_and_run(
    state: AppState,
    user_id: Uuid,
    key: String,
    path: String,
    parts: axum::http::request::Parts,
    body: axum::body::Bytes,
    next: Next,
) -> Result<Response, ApiError> {
    let body_sha256 = Sha256::digest(&body);
    let fingerprint = Fingerprint {
        method: parts.method.as_str(),
        path: &path,
        body_sha256: &body_sha256,
    };
    let hold = state.config.http.request_timeout + HOLD_MARGIN;
    let claim =
        db::idempotency::claim(&state.pool, user_id, &key, fingerprint, hold, KEEP_FOR).await?;
    match claim {
        Claim::Mismatch => Err(ApiError::IdempotencyKeyReused),
        Claim::InFlight => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still being answered; try again shortly".into(),
        )),
        Claim::Kept(kept) => replay(&state, user_id, &key, kept),
        Claim::Claimed(claim) => {
            let request = Request::from_parts(parts, Body::from(body));
            settle(state, user_id, key, claim, next.run(request)).await
        }
    }
}

/// What binds a sealed answer to its row.
fn bound(user_id: Uuid, key: &str) -> Vec<u8> {
    let mut bound = user_id.as_bytes().to_vec();
    bound.extend_from_slice(key.as_bytes());
    bound
}

/// Runs the claimed request to its end, then keeps its answer (2xx) or frees the key.
async fn settle(
    state: AppState,
    user_id: Uuid,
    key: String,
    claim: Uuid,
    answer: impl std::future::Future<Output = Response>,
) -> Result<Response, ApiError> {
    let response = answer.await;
    let kept = if response.status().is_success() {
        let (parts, body) = response.into_parts();
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => {
                let kept = keep(&state, user_id, &key, claim, &parts, &bytes).await;
                (Response::from_parts(parts, Body::from(bytes)), kept)
            }
            Err(err) => (ApiError::internal(err).into_response(), false),
        }
    } else {
        (response, false)
    };
    let (response, kept) = kept;
    if !kept {
        if let Err(err) = db::idempotency::release(&state.pool, user_id, &key, claim).await {
            // The key stays in flight until its hold ends; nothing else is lost.
            tracing::warn!(error = %err, "could not free an idempotency key");
        }
    }
    Ok(response)
}

/// Keeps a 2xx answer; false when it could not be kept (then the key is freed instead).
async fn keep(
    state: &AppState,
    user_id: Uuid,
    key: &str,
    claim: Uuid,
    parts: &axum::http::response::Parts,
    body: &[u8],
) -> bool {
    let header = |name: &HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let sealed = match secrets::seal(&state.keys, &bound(user_id, key), body) {
        Ok(sealed) => sealed,
        Err(err) => {
            tracing::error!(error = %err, "could not seal an answer to keep");
            return false;
        }
    };
    let kept = Kept {
        status: parts.status.as_u16() as i16,
        location: header(&header::LOCATION),
        etag: header(&header::ETAG),
        body: sealed,
    };
    match db::idempotency::keep(&state.pool, user_id, key, claim, &kept).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::error!(
                "a request outlived its idempotency key's hold: a repeat may have run it again"
            );
            true
        }
        Err(err) => {
            tracing::error!(error = %err, "could not keep an answer for idempotent replay");
            false
        }
    }
}

/// The kept answer again, marked as a replay.
fn replay(state: &AppState, user_id: Uuid, key: &str, kept: Kept) -> Result<Response, ApiError> {
    let body =
        secrets::open(&state.keys, &bound(user_id, key), &kept.body).map_err(ApiError::internal)?;
    let status = u16::try_from(kept.status)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::OK);
    let has_body = !body.is_empty();
    let mut response = no_store(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let mut put = |name: HeaderName, value: Option<String>| {
        if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert(name, value);
        }
    };
    put(header::LOCATION, kept.location);
    put(header::ETAG, kept.etag);
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_with_optional_quotes() {
        let key =
            |raw: &str| parse_key(&HeaderValue::from_str(raw).expect("header")).map(str::to_owned);
        assert_eq!(key("abc-123").as_deref(), Some("abc-123"));
        assert_eq!(key("\"8e03978e-40d5\"").as_deref(), Some("8e03978e-40d5"));
        assert_eq!(
            key(&"k".repeat(255)).as_deref(),
            Some("k".repeat(255).as_str())
        );
        assert_eq!(key(&"k".repeat(256)), None);
        assert_eq!(key(""), None);
        assert_eq!(key("\"\""), None);
        assert_eq!(key("has space"), None);
        assert_eq!(key("tab\there"), None);
        let non_ascii = HeaderValue::from_bytes("clé".as_bytes()).expect("header");
        assert_eq!(parse_key(&non_ascii), None);
    }

    #[test]
    fn the_contract_names_posts_outside_auth_and_the_toggle() {
        let yes = [
            (Method::POST, "/api/tasks"),
            (Method::POST, "/tasks"),
            (Method::POST, "/api/tasks/{id}/move"),
            (Method::POST, "/api/projects"),
            (Method::POST, "/api/labels"),
            (Method::POST, "/api/tokens"),
            (Method::PATCH, "/api/tasks/{id}/toggle"),
        ];
        for (method, template) in yes {
            assert!(honoured(&method, template), "{method} {template}");
        }
        let no = [
            (Method::POST, "/api/auth/login"),
            (Method::POST, "/api/tasks/{id}/toggle"),
            (Method::PATCH, "/api/tasks/{id}"),
            (Method::PUT, "/api/tasks/{id}"),
            (Method::DELETE, "/api/tasks/{id}"),
            (Method::GET, "/api/tasks"),
        ];
        for (method, template) in no {
            assert!(!honoured(&method, template), "{method} {template}");
        }
    }
}
