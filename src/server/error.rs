//! The JSON API's one error type. Every variant has a status, and every response is an RFC 9457
//! problem document; internal causes go to the log, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::{FieldError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or not a Bearer scheme: a bare challenge.
    #[error("authentication required")]
    Unauthenticated,
    /// Credentials that are present but not acceptable.
    #[error("invalid token")]
    InvalidToken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    /// Anything the client did not cause. The cause is logged, the client sees only a 500.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::InvalidToken | Self::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // RFC 6750: a request without credentials gets a bare challenge; a bad token says so.
        let challenge = match &self {
            Self::Unauthenticated | Self::InvalidCredentials => Some("Bearer"),
            Self::InvalidToken => Some(r#"Bearer error="invalid_token""#),
            _ => None,
        };
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let (detail, errors): (String, Vec<FieldError>) = match self {
            Self::Unauthenticated => ("a bearer token is required".into(), vec![]),
            Self::InvalidToken => ("the bearer token is invalid or expired".into(), vec![]),
            Self::InvalidCredentials => ("wrong email or password".into(), vec![]),
            Self::BadRequest(detail) | Self::NotFound(detail) | Self::Conflict(detail) => {
                (detail.into(), vec![])
            }
            Self::PayloadTooLarge => ("the request body is larger than 65536 bytes".into(), vec![]),
            Self::UnsupportedMediaType => (
                "the request body must be JSON (Content-Type: application/json)".into(),
                vec![],
            ),
            Self::Validation(errors) => ("the request has invalid fields".into(), errors),
            Self::TooManyRequests { retry_after_secs } => (
                format!("too many failed sign-in attempts; try again in {retry_after_secs} s"),
                vec![],
            ),
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ("the server could not complete the request".into(), vec![])
            }
        };
        let mut response = Problem::from_status(status, detail)
            .with_errors(errors)
            .into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
