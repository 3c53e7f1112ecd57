//! `/api/tokens*`: personal access tokens (API-accounts.md). Only a sign-in manages them: a
//! personal access token is refused here (403, by its scopes: `server::auth::extract::allows`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Json, Router};

use super::json::ApiJson;
use super::{created, no_store, path_id};
use crate::db;
use crate::domain::{AccessToken, AccessTokenInput, CreatedAccessToken, NewAccessToken};
use crate::server::accounts;
use crate::server::auth::{Caller, NotFound};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{id}", delete(revoke))
}

/// The user's personal access tokens, newest first (never their secrets).
#[utoipa::path(
    operation_id = "list_tokens",
    get, path = "/api/tokens", tag = "tokens", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every personal access token, newest first", body = [AccessToken]),
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let tokens = db::access_tokens::list(&state.pool, caller.id).await?;
    if tokens.is_empty() {
        caller.confirm(&state).await?;
    }
    Ok(no_store(Json(tokens)))
}

/// Creates a personal access token; its secret is in this answer only.
#[utoipa::path(
    operation_id = "create_token",
    post, path = "/api/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = AccessTokenInput,
    responses(
        (status = 201, description = "The new token and its secret, shown only here", body = CreatedAccessToken,
            headers(("Location" = String, description = "`/api/tokens/{id}`"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<AccessTokenInput>,
) -> Result<Response, ApiError> {
    let token = NewAccessToken::parse(input, chrono::Utc::now()).map_err(ApiError::Validation)?;
    let created_token = accounts::create_access_token(&state, caller.id, &token).await?;
    created(
        format!("/api/tokens/{}", created_token.access_token.id),
        created_token,
    )
}

/// Revokes a personal access token: it stops working at once.
#[utoipa::path(
    operation_id = "revoke_token",
    delete, path = "/api/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The token's id; anything else is a 404")),
    responses(
        (status = 204, description = "Revoked; no body"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
    )
)]
pub(super) async fn revoke(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::ACCESS_TOKEN, &caller, &state).await?;
    let deleted = db::access_tokens::delete(&state.pool, caller.id, id).await?;
    caller
        .found(&state, deleted.then_some(()), NotFound::ACCESS_TOKEN)
        .await?;
    Ok(no_store(StatusCode::NO_CONTENT))
}
