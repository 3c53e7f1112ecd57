//! The error vocabulary, mapped once per front door: the services' errors ([`AuthError`],
//! [`AccountError`], [`NotFound`]) become [`ApiError`] (RFC 9457 problem documents, for the JSON
//! API) and [`AppError`] (typed server-function errors, for the web app) here and nowhere else.
//! Internal causes go to the log (with the request's id), never to a client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::accounts::AccountError;
use super::auth::{Absent, AuthError, NotFound};
use super::rest::json::MAX_BODY_BYTES;
use crate::db::WriteError;
use crate::domain::{FieldError, Problem};
use crate::error::AppError;

/// A failure the client did not cause: logged, and answered with a bare 500.
pub type Internal = Box<dyn std::error::Error + Send + Sync>;

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
    /// The password confirming a change of the account is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// A refresh token that cannot be spent (API-accounts.md).
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A personal access token outside its scopes, or on a route no such token may use.
    #[error("insufficient scope")]
    InsufficientScope,
    /// Something this caller may never do (a user without a password changing it).
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(std::borrow::Cow<'static, str>),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("too many registrations")]
    TooManyRegistrations { retry_after_secs: u64 },
    /// The caller's request rate limit (see `server::rate_limit`).
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot answer now (see [`crate::db::is_unavailable`]): a 503 the client may
    /// retry after [`RETRY_UNAVAILABLE_SECS`].
    #[error("service unavailable")]
    Unavailable { retry_after_secs: u64 },
    /// A write whose `If-Match` names none of the resource's current version: 412, with the
    /// resource as it now is (`current`) and its `ETag`.
    #[error("precondition failed")]
    PreconditionFailed {
        current: serde_json::Value,
        version: i64,
    },
    /// The caller already has as many event streams open as a user may (API-sync.md).
    #[error("too many event streams")]
    TooManyStreams,
    /// A change feed cursor older than the deletions the feed keeps (API-sync.md): start over.
    #[error("cursor too old")]
    CursorGone,
    /// An `Idempotency-Key` sent again with another method, path or body (API-sync.md).
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// Anything the client did not cause. The cause is logged, the client sees only a 500.
    #[error("internal error: {0}")]
    Internal(Internal),
}

/// What a 503 asks the client to wait before trying again, in seconds.
pub const RETRY_UNAVAILABLE_SECS: u64 = 2;

/// Whether an internal cause is the database being unavailable rather than a fault.
fn unavailable(cause: &(dyn std::error::Error + 'static)) -> bool {
    let unavailable = cause
        .downcast_ref::<sqlx::Error>()
        .is_some_and(crate::db::is_unavailable);
    if unavailable {
        tracing::warn!(error = %cause, "database unavailable");
    }
    unavailable
}

impl ApiError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::from_internal(Box::new(err))
    }

    /// A 503 asking the client to come back after [`RETRY_UNAVAILABLE_SECS`].
    pub fn unavailable() -> Self {
        Self::Unavailable {
            retry_after_secs: RETRY_UNAVAILABLE_SECS,
        }
    }

    /// A 503 when the cause is the database being unavailable, else a 500.
    pub fn from_internal(cause: Internal) -> Self {
        if unavailable(&*cause) {
            Self::unavailable()
        } else {
            Self::Internal(cause)
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated
            | Self::InvalidToken
            | Self::InvalidCredentials
            | Self::WrongPassword
            | Self::InvalidRefreshToken => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. }
            | Self::TooManyRegistrations { .. }
            | Self::RateLimited { .. }
            | Self::TooManyStreams => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::CursorGone => StatusCode::GONE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(err)
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing => Self::Unauthenticated,
            AuthError::Refused => Self::InvalidToken,
            AuthError::Internal(cause) => Self::from_internal(cause),
        }
    }
}

impl From<NotFound> for ApiError {
    fn from(NotFound(what): NotFound) -> Self {
        Self::NotFound(what)
    }
}

impl From<Absent> for ApiError {
    fn from(err: Absent) -> Self {
        match err {
            Absent::Auth(err) => err.into(),
            Absent::NotFound(err) => err.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::EmailTaken => Self::Conflict("this email is already registered".into()),
            AccountError::InvalidCredentials => Self::InvalidCredentials,
            AccountError::Throttled { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            AccountError::RegistrationsThrottled { retry_after_secs } => {
                Self::TooManyRegistrations { retry_after_secs }
            }
            AccountError::Busy { retry_after_secs } => Self::Unavailable { retry_after_secs },
            AccountError::WrongPassword => Self::WrongPassword,
            AccountError::NoPassword => Self::Forbidden(
                "this account has no password here: it signs in through the app that provisioned it",
            ),
            AccountError::InvalidRefreshToken => Self::InvalidRefreshToken,
            AccountError::UserGone => Self::InvalidToken,
            AccountError::Write(err) => err.into(),
            AccountError::Internal(cause) => Self::from_internal(cause),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Invalid(errors) => Self::Validation(errors),
            err
            @ (WriteError::Limit { .. } | WriteError::NameTaken(_) | WriteError::Changed(_)) => {
                Self::Conflict(err.to_string().into())
            }
            WriteError::UserGone => AuthError::Refused.into(),
            WriteError::Database(err) => Self::internal(err),
            WriteError::OrderKeys(err) => Self::internal(err),
        }
    }
}

/// Logs an internal cause for the web app, whose answer names none.
pub fn internal(cause: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %cause, "internal error in a server function");
    AppError::Internal
}

impl From<std::convert::Infallible> for AppError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// An internal cause for the web app: "busy, try again" when the database is unavailable,
/// else logged and answered as an internal error.
fn internal_cause(cause: &(dyn std::error::Error + 'static)) -> AppError {
    if unavailable(cause) {
        AppError::Unavailable
    } else {
        internal(&cause)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        internal_cause(&err)
    }
}

impl From<AuthError> for AppError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing | AuthError::Refused => AppError::Unauthorized,
            AuthError::Internal(cause) => internal_cause(&*cause),
        }
    }
}

impl From<NotFound> for AppError {
    fn from(_: NotFound) -> Self {
        AppError::NotFound
    }
}

impl From<Absent> for AppError {
    fn from(err: Absent) -> Self {
        match err {
            Absent::Auth(err) => err.into(),
            Absent::NotFound(err) => err.into(),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::EmailTaken => AppError::EmailTaken,
            AccountError::InvalidCredentials => AppError::InvalidCredentials,
            AccountError::Throttled { retry_after_secs } => {
                AppError::TooManyAttempts { retry_after_secs }
            }
            AccountError::RegistrationsThrottled { retry_after_secs } => {
                AppError::TooManyRegistrations { retry_after_secs }
            }
            AccountError::Busy { .. } => AppError::Unavailable,
            AccountError::WrongPassword => AppError::WrongPassword,
            err @ AccountError::NoPassword => AppError::Conflict(err.to_string()),
            AccountError::InvalidRefreshToken | AccountError::UserGone => AppError::Unauthorized,
            AccountError::Write(err) => err.into(),
            AccountError::Internal(cause) => internal_cause(&*cause),
        }
    }
}

impl From<WriteError> for AppError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Invalid(errors) => AppError::Validation(errors),
            err
            @ (WriteError::Limit { .. } | WriteError::NameTaken(_) | WriteError::Changed(_)) => {
                AppError::Conflict(err.to_string())
            }
            WriteError::UserGone => AppError::Unauthorized,
            WriteError::Database(err) => err.into(),
            WriteError::OrderKeys(err) => internal(&err),
        }
    }
}

/// Outside a server function (an extractor's rejection on a plain axum route), an `AppError`
/// answers as a server function's error would: its status, and its JSON encoding.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (
            app_error_status(&self),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            serde_json::to_string(&self).unwrap_or_default(),
        )
            .into_response()
    }
}

/// The HTTP status of a server function's error, for calls from the page's script (see
/// `browser::middleware::server_fn_error_status`).
pub fn app_error_status(err: &AppError) -> StatusCode {
    match err {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::InvalidCredentials | AppError::WrongPassword | AppError::Unauthorized => {
            StatusCode::UNAUTHORIZED
        }
        AppError::EmailTaken | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::NotFound | AppError::Missing(_) => StatusCode::NOT_FOUND,
        AppError::Stale(_) => StatusCode::PRECONDITION_FAILED,
        AppError::TooManyAttempts { .. } | AppError::TooManyRegistrations { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        AppError::CrossSite => StatusCode::FORBIDDEN,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Network | AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut etag = None;
        let mut current = None;
        // RFC 6750: a request without credentials gets a bare challenge; a bad token says so.
        let challenge = match &self {
            Self::Unauthenticated | Self::InvalidCredentials | Self::WrongPassword => {
                Some("Bearer")
            }
            Self::InvalidToken | Self::InvalidRefreshToken => {
                Some(r#"Bearer error="invalid_token""#)
            }
            Self::InsufficientScope => Some(r#"Bearer error="insufficient_scope""#),
            _ => None,
        };
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs }
            | Self::TooManyRegistrations { retry_after_secs }
            | Self::RateLimited { retry_after_secs }
            | Self::Unavailable { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let (detail, errors): (String, Vec<FieldError>) = match self {
            Self::Unauthenticated => ("a bearer token is required".into(), vec![]),
            Self::InvalidToken => ("the bearer token is invalid or expired".into(), vec![]),
            Self::InvalidCredentials => ("wrong email or password".into(), vec![]),
            Self::WrongPassword => ("wrong password".into(), vec![]),
            Self::InvalidRefreshToken => (
                "the refresh token is invalid, expired, already used or of a sign-in that has \
                 ended"
                    .into(),
                vec![],
            ),
            Self::InsufficientScope => (
                "this personal access token may not make this request (its scopes, or a \
                 route only a sign-in may use)"
                    .into(),
                vec![],
            ),
            Self::BadRequest(detail) | Self::NotFound(detail) | Self::Forbidden(detail) => {
                (detail.into(), vec![])
            }
            Self::Conflict(detail) => (detail.into_owned(), vec![]),
            Self::PayloadTooLarge => (
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                vec![],
            ),
            Self::UnsupportedMediaType => (
                "the request body must be JSON (Content-Type: application/json)".into(),
                vec![],
            ),
            Self::Validation(errors) => ("the request has invalid fields".into(), errors),
            Self::TooManyStreams => (
                format!(
                    "at most {} event streams may be open at once; close one first",
                    crate::server::events::MAX_STREAMS_PER_USER
                ),
                vec![],
            ),
            Self::CursorGone => (
                "this cursor is older than the deletions the feed keeps (30 days): start over \
                 with a full sync, without `since`"
                    .into(),
                vec![],
            ),
            Self::IdempotencyKeyReused => (
                "this Idempotency-Key was first sent with another method, path or body; use a \
                 new key for a new request"
                    .into(),
                vec![FieldError::new(
                    "Idempotency-Key",
                    "was first sent with another method, path or body",
                )],
            ),
            Self::TooManyRequests { retry_after_secs } => (
                format!("too many failed sign-in attempts; try again in {retry_after_secs} s"),
                vec![],
            ),
            Self::TooManyRegistrations { retry_after_secs } => (
                format!(
                    "too many accounts were registered from this address; try again in \
                     {retry_after_secs} s"
                ),
                vec![],
            ),
            Self::RateLimited { retry_after_secs } => (
                format!("too many requests; try again in {retry_after_secs} s"),
                vec![],
            ),
            Self::Unavailable { retry_after_secs } => (
                format!("the server cannot answer right now; try again in {retry_after_secs} s"),
                vec![],
            ),
            Self::PreconditionFailed {
                current: resource,
                version,
            } => {
                etag = Some(version);
                current = Some(resource);
                (
                    "the resource has changed since the version If-Match names; `current` \
                     holds it as it now is"
                        .into(),
                    vec![],
                )
            }
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ("the server could not complete the request".into(), vec![])
            }
        };
        let mut problem = Problem::from_status(status, detail).with_errors(errors);
        problem.current = current;
        let mut response = problem.into_response();
        if let Some(version) = etag {
            response = super::rest::preconditions::with_etag(response, version);
        }
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
