//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the API, derived by utoipa from the
//! handlers' `#[utoipa::path]` attributes and the domain types' `ToSchema` derives, so that the
//! document and the code cannot drift apart (tests/api/openapi.rs holds it to API.md).

use std::sync::LazyLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::{IntoResponses, OpenApi, ToResponse, ToSchema};

use super::{auth, changes, labels, projects, tasks, tokens};
use crate::domain::changes::{Change, ChangeKind, ChangePage};
use crate::domain::{
    AccessToken, AccessTokenInput, AuthResponse, CreatedAccessToken, CredentialsInput,
    DeleteAccountInput, FieldError, Label, LabelInput, MoveInput, PasswordChangeInput, Problem,
    Project, ProjectInput, RefreshInput, RegisterInput, Scope, Task, TaskInput, TaskPatchInput,
    TimeZoneInput, User,
};
use crate::server::health::{self, HealthStatus};

mod modifiers;
use modifiers::{BearerScheme, Idempotency, PublicOperations, Versions};

/// The name operations use to require the bearer scheme.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    servers((url = "/", description = "The server this document came from")),
    info(
        title = "Taskdeck API",
        description = "Tasks for external clients. Every error is an RFC 9457 problem document \
                       (`application/problem+json`); timestamps are RFC 3339 UTC with six \
                       fractional digits and a `Z`."
    ),
    paths(
        auth::register,
        auth::login,
        auth::me,
        auth::update_me,
        auth::delete_me,
        auth::refresh,
        auth::logout,
        auth::logout_all,
        auth::change_password,
        tokens::list,
        tokens::create,
        tokens::revoke,
        tasks::list,
        tasks::create,
        tasks::get_one,
        tasks::replace,
        tasks::update,
        tasks::toggle,
        tasks::delete,
        tasks::move_task,
        projects::list,
        projects::create,
        projects::get_one,
        projects::rename,
        projects::delete,
        labels::list,
        labels::create,
        labels::get_one,
        labels::rename,
        labels::delete,
        changes::list,
        crate::server::events::events,
        openapi_json,
        health::healthz,
        health::readyz,
    ),
    components(
        schemas(
            Task,
            TaskInput,
            TaskPatchInput,
            User,
            AuthResponse,
            CredentialsInput,
            RegisterInput,
            TimeZoneInput,
            RefreshInput,
            PasswordChangeInput,
            DeleteAccountInput,
            AccessToken,
            AccessTokenInput,
            CreatedAccessToken,
            Scope,
            Project,
            Label,
            ProjectInput,
            LabelInput,
            MoveInput,
            ChangePage,
            Change,
            ChangeKind,
            Problem,
            ValidationProblem,
            FieldError,
            HealthStatus,
            OpenApiDocument
        ),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            UnprocessableContent,
            TooManyRequests,
            InvalidCredentials,
            ServiceUnavailable,
            RateLimited,
            NotModified,
            PreconditionFailed,
            IdempotencyInFlight,
            CursorGone,
            TooManyStreams
        )
    ),
    modifiers(&BearerScheme, &PublicOperations, &Versions, &Idempotency),
    tags(
        (name = "auth", description = "Accounts, sign-ins and their tokens"),
        (name = "tokens", description = "Personal access tokens"),
        (name = "tasks", description = "A user's tasks"),
        (name = "projects", description = "Named lists of tasks"),
        (name = "labels", description = "Names tasks carry"),
        (name = "sync", description = "The change feed, for clients that keep a copy"),
        (name = "operations", description = "Probes and this document"),
    )
)]
pub struct ApiDoc;

/// The body of a 422: a problem document whose `errors` names at least one field.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)] // documentation only: the body is a `Problem` with `errors`
pub struct ValidationProblem {
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// One entry per invalid field.
    #[schema(min_items = 1)]
    errors: Vec<FieldError>,
}

/// What `/api/openapi.json` answers: an OpenAPI 3.1 document (only its required top-level
/// members are described here).
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only: the body is utoipa's serialized document
pub struct OpenApiDocument {
    /// `3.1.x`.
    #[schema(pattern = r"^3\.1\.")]
    openapi: String,
    #[schema(value_type = Object)]
    info: serde_json::Value,
    #[schema(value_type = Object)]
    paths: serde_json::Value,
}

/// The document, serialized once: it only changes with the code.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| ApiDoc::openapi().to_json().map_err(|err| err.to_string()));

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = OpenApiDocument))
)]
pub(super) async fn openapi_json() -> Response {
    match DOCUMENT.as_ref() {
        Ok(json) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            json.clone(),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(%err, "the OpenAPI document does not serialize");
            Problem::from_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the API description is unavailable",
            )
            .into_response()
        }
    }
}

/// What every operation with a JSON body can answer about the body, besides its own answers.
#[derive(IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum BodyErrors {
    #[response(status = 400)]
    BadRequest(#[ref_response] BadRequest),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
    #[response(status = 422)]
    UnprocessableContent(#[ref_response] UnprocessableContent),
}

// The problem documents, one reusable response per status.

/// Malformed JSON, or a malformed `Idempotency-Key`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct BadRequest(Problem);

/// No usable bearer token: missing, not `Bearer`, or refused.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`, or `Bearer error=\"invalid_token\"` when a token was refused"))
)]
#[allow(dead_code)]
pub struct Unauthorized(Problem);

/// A personal access token outside its scopes, or on a route only a sign-in may use
/// (`WWW-Authenticate: Bearer error="insufficient_scope"`); or, for a password change or an
/// account's deletion, a user without a password here.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer error=\"insufficient_scope\"` for a personal access token"))
)]
#[allow(dead_code)]
pub struct Forbidden(Problem);

/// The cursor is older than the deletions the change feed keeps (30 days): start over without
/// `since`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct CursorGone(Problem);

/// The caller already has 10 event streams open.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct TooManyStreams(Problem);

/// A request with the same `Idempotency-Key` is still being answered: try again shortly.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct IdempotencyInFlight(Problem);

/// Unchanged: `If-None-Match` named the current version. No body.
#[derive(ToResponse)]
#[response(
    description = "Not modified: `If-None-Match` named the current version; no body",
    headers(("ETag" = String, description = "The current version in double quotes"))
)]
#[allow(dead_code)]
pub struct NotModified;

/// `If-Match` named none of the resource's current version: nothing changed. The problem's
/// `current` member holds the resource as it now is.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("ETag" = String, description = "The current version in double quotes"))
)]
#[allow(dead_code)]
pub struct PreconditionFailed(Problem);

/// No such task, project or label for this user (also for ids that are not UUIDs, and for other
/// users' tasks, projects and labels: the two are indistinguishable).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct NotFound(Problem);

/// A conflict with what exists: an email already registered, a project or label name already
/// taken (case-insensitively), a per-user limit reached (the detail names it), or a request with
/// the same `Idempotency-Key` still being answered.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct Conflict(Problem);

/// The body is larger than 65,536 bytes.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct PayloadTooLarge(Problem);

/// `Content-Type` is missing or not JSON.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct UnsupportedMediaType(Problem);

/// JSON of the wrong shape, or invalid values: one `errors` entry per bad field.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct UnprocessableContent(ValidationProblem);

/// Wrong email or password (an unknown email gets the same answer, in about the same time).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`"))
)]
#[allow(dead_code)]
pub struct InvalidCredentials(Problem);

/// Too many failed logins for this email or from this address, or too many registrations from
/// this address.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds until another attempt is considered"))
)]
#[allow(dead_code)]
pub struct TooManyRequests(Problem);

/// The database could not answer in time (unreachable, restarting, or a statement past its
/// deadline): nothing was done or everything was; the request may be sent again.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
#[allow(dead_code)]
pub struct ServiceUnavailable(Problem);

/// The caller sent more requests than their rate limit allows (`API_RATE_LIMIT_PER_MINUTE`, with
/// a burst of `API_RATE_LIMIT_BURST`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(
        ("Retry-After" = u64, description = "Seconds until one more request is allowed"),
        ("RateLimit-Policy" = String, description = "draft-ietf-httpapi-ratelimit-headers: `\"api\";q=<burst>;w=<seconds to refill it>`"),
        ("RateLimit" = String, description = "draft-ietf-httpapi-ratelimit-headers: `\"api\";r=<remaining>;t=<seconds>`")
    )
)]
#[allow(dead_code)]
pub struct RateLimited(Problem);

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::domain::{
        Description, Email, LabelName, Labels, Password, Priority, ProjectName, Title,
        DEFAULT_LIMIT, MAX_LIMIT, MAX_SEARCH_CHARS,
    };

    /// utoipa's attributes take only literal numbers, so the document's bounds are written
    /// there as literals; this holds each of them to the constant the code checks.
    #[test]
    fn documented_bounds_are_the_codes_constants() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
        let schema = |name: &str, field: &str| {
            doc["components"]["schemas"][name]["properties"][field].clone()
        };
        let max = |v: Value| v["maxLength"].as_u64().map(|n| n as usize);
        for name in ["Task", "TaskInput", "TaskPatchInput"] {
            assert_eq!(max(schema(name, "title")), Some(Title::MAX_CHARS), "{name}");
            assert_eq!(
                max(schema(name, "description")),
                Some(Description::MAX_CHARS),
                "{name}"
            );
        }
        assert_eq!(
            max(schema("CredentialsInput", "email")),
            Some(Email::MAX_CHARS)
        );
        let password = schema("CredentialsInput", "password");
        assert_eq!(max(password.clone()), Some(Password::MAX_CHARS));
        assert_eq!(
            password["minLength"].as_u64(),
            Some(Password::MIN_CHARS as u64)
        );
        let params = doc["paths"]["/api/tasks"]["get"]["parameters"]
            .as_array()
            .expect("listing parameters")
            .clone();
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .unwrap_or_else(|| panic!("no parameter {name}"))
        };
        assert_eq!(max(param("q")), Some(MAX_SEARCH_CHARS));
        let limit = param("limit");
        assert_eq!(limit["maximum"].as_i64(), Some(MAX_LIMIT));
        assert_eq!(limit["minimum"].as_i64(), Some(1));
        assert_eq!(limit["default"].as_i64(), Some(DEFAULT_LIMIT));

        // API-organise.md's bounds: priority, labels per task, and project and label names.
        let max_items = |v: Value| v["maxItems"].as_u64().map(|n| n as usize);
        let priorities = |v: Value| (v["minimum"].as_i64(), v["maximum"].as_i64());
        let priority_bounds = (Some(0), Some(i64::from(Priority::MAX)));
        for name in ["Task", "TaskInput", "TaskPatchInput"] {
            assert_eq!(
                priorities(schema(name, "priority")),
                priority_bounds,
                "{name}"
            );
            assert_eq!(
                max_items(schema(name, "labels")),
                Some(Labels::MAX),
                "{name}"
            );
        }
        assert_eq!(priorities(param("priority")), priority_bounds);
        assert_eq!(max_items(param("label")), Some(Labels::MAX));
        for (name, bound) in [
            ("Project", ProjectName::MAX_CHARS),
            ("ProjectInput", ProjectName::MAX_CHARS),
            ("Label", LabelName::MAX_CHARS),
            ("LabelInput", LabelName::MAX_CHARS),
        ] {
            let field = schema(name, "name");
            assert_eq!(field["minLength"].as_u64(), Some(1), "{name}");
            assert_eq!(max(field), Some(bound), "{name}");
        }
    }
}
