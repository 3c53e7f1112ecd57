//! Versions as HTTP sees them (API-sync.md, RFC 9110 section 13): the `ETag` of a single
//! resource, and the `If-Match` / `If-None-Match` a request may carry.
//!
//! An entity tag is the resource's version in double quotes, a strong tag. `If-Match` compares
//! strongly (a weak tag `W/"3"` never matches); `If-None-Match` compares weakly.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

use crate::domain::Versioned;
use crate::server::auth::{Caller, NotFound, Unchanged};
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// A response carrying one resource at `version`, with its `ETag`.
pub fn with_etag(mut response: Response, version: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// One resource as an answer: JSON, not to be stored, with its `ETag`.
pub fn one<T: serde::Serialize + Versioned>(resource: T) -> Response {
    let version = resource.version();
    with_etag(super::no_store(axum::Json(resource)), version)
}

/// A `GET` of one resource: 304 (no body, its `ETag`) when `If-None-Match` names its version,
/// else [`one`].
pub fn read<T: serde::Serialize + Versioned>(pre: &Preconditions, resource: T) -> Response {
    if pre.not_modified(resource.version()) {
        let version = resource.version();
        return with_etag(
            super::no_store(axum::http::StatusCode::NOT_MODIFIED),
            version,
        );
    }
    one(resource)
}

/// The answer to a write that found nothing to change: when `If-Match` named versions and the
/// resource exists (`current`), 412 with it as it now is; else the answer to a missing resource
/// (404, or 401 when the caller's user is gone).
pub async fn refused<T, F>(
    caller: &Caller,
    state: &AppState,
    if_match: Option<&[i64]>,
    current: F,
    what: NotFound,
) -> ApiError
where
    T: serde::Serialize + Versioned,
    F: std::future::Future<Output = Result<Option<T>, sqlx::Error>>,
{
    match caller
        .unchanged(state, if_match.is_some(), current, what)
        .await
    {
        Ok(Unchanged::Moved(current)) => {
            let version = current.version();
            match serde_json::to_value(&current) {
                Ok(current) => ApiError::PreconditionFailed { current, version },
                Err(err) => ApiError::internal(err),
            }
        }
        Ok(Unchanged::Absent(absent)) => absent.into(),
        Err(err) => err.into(),
    }
}

/// A request's `If-Match` and `If-None-Match`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

/// The entity tags of one header: `*`, or a list of (weak, opaque) tags.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    Any,
    List(Vec<(bool, String)>),
}

impl<S: Send + Sync> FromRequestParts<S> for Preconditions {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::from_headers(&parts.headers))
    }
}

impl Preconditions {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            if_match: tags(headers, header::IF_MATCH),
            if_none_match: tags(headers, header::IF_NONE_MATCH),
        }
    }

    /// The versions a write may apply to: `None` without `If-Match` or with `*` (which any
    /// existing resource matches; a missing one is a 404 either way); else the strong tags that
    /// are versions (possibly none, which nothing matches).
    pub fn if_match(&self) -> Option<Vec<i64>> {
        match &self.if_match {
            None | Some(Tags::Any) => None,
            Some(Tags::List(tags)) => Some(
                tags.iter()
                    .filter(|(weak, _)| !weak)
                    .filter_map(|(_, opaque)| opaque.parse().ok())
                    .collect(),
            ),
        }
    }

    /// Whether a `GET` of a resource at `version` is answered 304: its `If-None-Match` names
    /// that version (weakly) or is `*`.
    pub fn not_modified(&self, version: i64) -> bool {
        match &self.if_none_match {
            None => false,
            Some(Tags::Any) => true,
            Some(Tags::List(tags)) => tags
                .iter()
                .any(|(_, opaque)| opaque.parse::<i64>().is_ok_and(|v| v == version)),
        }
    }
}

/// The entity tags of every `name` header together (a list may be split over several lines).
/// Malformed members are skipped: a tag that cannot be read matches nothing.
fn tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Tags> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut list = Vec::new();
    for value in values {
        let Ok(value) = value.to_str() else { continue };
        for member in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            if member == "*" {
                return Some(Tags::Any);
            }
            let (weak, rest) = match member.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, member),
            };
            if let Some(opaque) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                list.push((weak, opaque.to_owned()));
            }
        }
    }
    Some(Tags::List(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pre(if_match: Option<&str>, if_none_match: Option<&str>) -> Preconditions {
        let mut headers = HeaderMap::new();
        if let Some(value) = if_match {
            headers.insert(header::IF_MATCH, value.parse().expect("a header"));
        }
        if let Some(value) = if_none_match {
            headers.insert(header::IF_NONE_MATCH, value.parse().expect("a header"));
        }
        Preconditions::from_headers(&headers)
    }

    #[test]
    fn if_match_names_strong_versions_only() {
        assert_eq!(pre(None, None).if_match(), None);
        assert_eq!(pre(Some("*"), None).if_match(), None);
        assert_eq!(pre(Some("\"3\""), None).if_match(), Some(vec![3]));
        assert_eq!(pre(Some("\"3\", \"5\""), None).if_match(), Some(vec![3, 5]));
        // Weak, malformed and unknown tags match nothing.
        assert_eq!(pre(Some("W/\"3\""), None).if_match(), Some(vec![]));
        assert_eq!(pre(Some("3"), None).if_match(), Some(vec![]));
        assert_eq!(pre(Some("\"abc\""), None).if_match(), Some(vec![]));
        assert_eq!(pre(Some(""), None).if_match(), Some(vec![]));
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(!pre(None, None).not_modified(3));
        assert!(pre(None, Some("\"3\"")).not_modified(3));
        assert!(pre(None, Some("W/\"3\"")).not_modified(3));
        assert!(pre(None, Some("\"1\", \"3\"")).not_modified(3));
        assert!(pre(None, Some("*")).not_modified(3));
        assert!(!pre(None, Some("\"4\"")).not_modified(3));
        assert!(!pre(None, Some("3")).not_modified(3));
    }

    #[test]
    fn the_etag_is_the_version_quoted() {
        let response = with_etag(Response::new(axum::body::Body::empty()), 7);
        assert_eq!(response.headers()[header::ETAG], "\"7\"");
    }
}
