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
use crate::server::auth::{self, AuthUser, ClientIp};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/me", get(me))
}

async fn register(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let credentials =
        Credentials::parse(&input.email, input.password).map_err(ApiError::Validation)?;
    let user = accounts::register(&state, credentials).await?;
    signed_in(&state, user.into(), StatusCode::CREATED)
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let credentials =
        Credentials::parse(&input.email, input.password).map_err(ApiError::Validation)?;
    let user = accounts::login(&state, credentials, client_ip).await?;
    signed_in(&state, user.into(), StatusCode::OK)
}

async fn me(user: AuthUser) -> Response {
    no_store(Json(User::from(user)))
}

fn signed_in(state: &AppState, user: User, status: StatusCode) -> Result<Response, ApiError> {
    let access_token = auth::issue(&state.keys, user.id, &user.email)?;
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
