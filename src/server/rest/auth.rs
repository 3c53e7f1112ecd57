//! `/api/auth/*`: register, login, me (API.md, Authentication).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json::ApiJson;
use super::no_store;
use crate::domain::{AuthResponse, Credentials, CredentialsInput, User};
use crate::server::accounts;
use crate::server::auth::{jwt, Caller, ClientIp};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/me", get(me))
}

/// Creates an account and signs it in.
#[utoipa::path(
    post, path = "/api/auth/register", tag = "auth",
    request_body = CredentialsInput,
    responses(
        (status = 201, description = "Registered; a token for the new user", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 409, response = super::openapi::Conflict),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let credentials = Credentials::try_from(input).map_err(ApiError::Validation)?;
    let user = accounts::register(&state, credentials).await?;
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
