//! Turning [`Problem`] documents into HTTP responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::Problem;

impl Problem {
    /// A problem whose title is the status's reason phrase, as RFC 9457 asks for `about:blank`.
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem::new(
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Serializing a struct of strings and numbers cannot fail; the fallback keeps this
        // path panic-free all the same.
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| {
            br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.to_vec()
        });
        (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(Problem::MEDIA_TYPE),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response()
    }
}
