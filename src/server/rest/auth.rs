//! `/api/auth/*`: register, login, me (API.md, Authentication).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json::ApiJson;
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
    no_store(Json(User {
        id: user.id,
        email: user.email,
        created_at: user.created_at,
    }))
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

/// Answers for a signed-in user (or carrying a token) must not be kept by any cache.
fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
