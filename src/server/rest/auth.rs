//! `/api/auth/*`: register, login, me (API.md, Authentication).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json::ApiJson;
use super::no_store;
use crate::db;
use crate::domain::{
    AuthResponse, Credentials, CredentialsInput, FieldError, RegisterInput, TimeZoneInput, User,
};
use crate::server::accounts;
use crate::server::auth::{jwt, AuthError, Caller, ClientIp};
use crate::server::error::ApiError;
use crate::server::state::AppState;
use crate::server::time_zone::TimeZone;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/me", get(me).patch(update_me))
}

/// Creates an account and signs it in.
#[utoipa::path(
    post, path = "/api/auth/register", tag = "auth",
    request_body = RegisterInput,
    responses(
        (status = 201, description = "Registered; a token for the new user", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 409, response = super::openapi::Conflict),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<Response, ApiError> {
    let credentials = Credentials::try_from(input.credentials);
    let timezone = time_zone(input.timezone.optional());
    let (credentials, timezone) = match (credentials, timezone) {
        (Ok(credentials), Ok(timezone)) => (credentials, timezone.unwrap_or_default()),
        (credentials, timezone) => {
            let mut errors = credentials.err().unwrap_or_default();
            errors.extend(timezone.err());
            return Err(ApiError::Validation(errors));
        }
    };
    let user = accounts::register(&state, credentials, &timezone, client_ip).await?;
    signed_in(&state, user, StatusCode::CREATED)
}

/// Signs in with an email and password.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = CredentialsInput,
    responses(
        (status = 200, description = "Signed in; a fresh token", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 401, response = super::openapi::InvalidCredentials),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn login(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let credentials = Credentials::try_from(input).map_err(ApiError::Validation)?;
    let user = accounts::login(&state, credentials, client_ip).await?;
    signed_in(&state, user, StatusCode::OK)
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = User),
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn me(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    Ok(no_store(Json(caller.user(&state).await?)))
}

/// Changes the signed-in user's settings: their time zone.
#[utoipa::path(
    patch, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    request_body = TimeZoneInput,
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 401, response = super::openapi::Unauthorized),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn update_me(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TimeZoneInput>,
) -> Result<Response, ApiError> {
    let timezone = time_zone(input.timezone.required().map(Some))
        .map_err(|error| ApiError::Validation(vec![error]))?
        .unwrap_or_default();
    match db::users::set_timezone(&state.pool, caller.id, &timezone).await? {
        Some(user) => Ok(no_store(Json(User::from(user)))),
        // The token's user is gone: the token is refused.
        None => Err(AuthError::Refused.into()),
    }
}

/// A `timezone` member, checked against the time zone database.
fn time_zone(member: Result<Option<String>, String>) -> Result<Option<TimeZone>, FieldError> {
    member
        .and_then(|name| {
            name.map(|name| TimeZone::parse(&name).map_err(|err| err.to_string()))
                .transpose()
        })
        .map_err(|message| FieldError::new("timezone", message))
}

fn signed_in(state: &AppState, user: User, status: StatusCode) -> Result<Response, ApiError> {
    let access_token = jwt::issue(&state.keys, user.id, &user.email).map_err(ApiError::internal)?;
    let body = AuthResponse {
        user,
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.keys.ttl.as_secs(),
    };
    let mut response = no_store(Json(body));
    *response.status_mut() = status;
    Ok(response)
}
