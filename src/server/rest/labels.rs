//! `/api/labels*` (API-organise.md, Labels).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use super::json::ApiJson;
use super::no_store;
use super::preconditions::{one, read, refused, with_etag, Preconditions};
use super::{created, name, path_id};
use crate::db;
use crate::domain::{Label, LabelInput, LabelName};
use crate::server::auth::{Caller, NotFound};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/labels", get(list).post(create))
        .route("/labels/{id}", get(get_one).patch(rename).delete(delete))
}

/// The user's labels, by name (case-insensitive).
#[utoipa::path(
    operation_id = "list_labels",
    get, path = "/api/labels", tag = "labels", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every label, by name", body = [Label]),
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let labels = db::labels::list(&state.pool, caller.id).await?;
    if labels.is_empty() {
        caller.confirm(&state).await?;
    }
    Ok(no_store(Json(labels)))
}

/// Creates a label.
#[utoipa::path(
    operation_id = "create_label",
    post, path = "/api/labels", tag = "labels", security(("bearer" = [])),
    request_body = LabelInput,
    responses(
        (status = 201, description = "The new label", body = Label,
            headers(("Location" = String, description = "`/api/labels/{id}`"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LabelInput>,
) -> Result<Response, ApiError> {
    let name = name(input.name, LabelName::parse)?;
    let label = db::labels::create(&state.pool, caller.id, &name, &state.config.limits).await?;
    let version = label.version;
    Ok(with_etag(
        created(format!("/api/labels/{}", label.id), label)?,
        version,
    ))
}

/// One label.
#[utoipa::path(
    operation_id = "get_label",
    get, path = "/api/labels/{id}", tag = "labels", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The label's id; anything else is a 404")),
    responses(
        (status = 200, description = "The label", body = Label),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
    )
)]
pub(super) async fn get_one(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::LABEL, &caller, &state).await?;
    let label = db::labels::get(&state.pool, caller.id, id).await?;
    Ok(read(
        &pre,
        caller.found(&state, label, NotFound::LABEL).await?,
    ))
}

/// Renames a label: every task carrying it shows the new name (and its `updated_at` moves).
#[utoipa::path(
    operation_id = "rename_label",
    patch, path = "/api/labels/{id}", tag = "labels", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The label's id; anything else is a 404")),
    request_body = LabelInput,
    responses(
        (status = 200, description = "The renamed label", body = Label),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn rename(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LabelInput>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::LABEL, &caller, &state).await?;
    let name = name(input.name, LabelName::parse)?;
    let if_match = pre.if_match();
    match db::labels::rename(&state.pool, caller.id, id, &name, if_match.as_deref()).await? {
        Some(label) => Ok(one(label)),
        None => {
            let current = db::labels::get(&state.pool, caller.id, id);
            Err(refused(
                &caller,
                &state,
                if_match.as_deref(),
                current,
                NotFound::LABEL,
            )
            .await)
        }
    }
}

/// Deletes a label: it is removed from every task carrying it (their `updated_at` moves).
#[utoipa::path(
    operation_id = "delete_label",
    delete, path = "/api/labels/{id}", tag = "labels", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The label's id; anything else is a 404")),
    responses(
        (status = 204, description = "Deleted and removed from its tasks; no body"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
    )
)]
pub(super) async fn delete(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::LABEL, &caller, &state).await?;
    let if_match = pre.if_match();
    if db::labels::delete(&state.pool, caller.id, id, if_match.as_deref()).await? {
        return Ok(no_store(StatusCode::NO_CONTENT));
    }
    let current = db::labels::get(&state.pool, caller.id, id);
    Err(refused(
        &caller,
        &state,
        if_match.as_deref(),
        current,
        NotFound::LABEL,
    )
    .await)
}
