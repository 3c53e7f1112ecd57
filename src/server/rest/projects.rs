//! `/api/projects*` (API-organise.md, Projects).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use super::json::ApiJson;
use super::preconditions::{one, read, refused, with_etag, Preconditions};
use super::{created, name, no_store, path_id};
use crate::db;
use crate::domain::{Project, ProjectInput, ProjectName};
use crate::server::auth::{Caller, NotFound};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list).post(create))
        .route("/projects/{id}", get(get_one).patch(rename).delete(delete))
}

/// The user's projects, by name (case-insensitive).
#[utoipa::path(
    operation_id = "list_projects",
    get, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every project, by name", body = [Project]),
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let projects = db::projects::list(&state.pool, caller.id).await?;
    if projects.is_empty() {
        caller.confirm(&state).await?;
    }
    Ok(no_store(Json(projects)))
}

/// Creates a project.
#[utoipa::path(
    operation_id = "create_project",
    post, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    request_body = ProjectInput,
    responses(
        (status = 201, description = "The new project", body = Project,
            headers(("Location" = String, description = "`/api/projects/{id}`"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<Response, ApiError> {
    let name = name(input.name, ProjectName::parse)?;
    let project = db::projects::create(&state.pool, caller.id, &name, &state.config.limits).await?;
    let version = project.version;
    Ok(with_etag(
        created(format!("/api/projects/{}", project.id), project)?,
        version,
    ))
}

/// One project.
#[utoipa::path(
    operation_id = "get_project",
    get, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The project's id; anything else is a 404")),
    responses(
        (status = 200, description = "The project", body = Project),
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
    let id = path_id(&id, NotFound::PROJECT, &caller, &state).await?;
    let project = db::projects::get(&state.pool, caller.id, id).await?;
    Ok(read(
        &pre,
        caller.found(&state, project, NotFound::PROJECT).await?,
    ))
}

/// Renames a project.
#[utoipa::path(
    operation_id = "rename_project",
    patch, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The project's id; anything else is a 404")),
    request_body = ProjectInput,
    responses(
        (status = 200, description = "The renamed project", body = Project),
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
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::PROJECT, &caller, &state).await?;
    let name = name(input.name, ProjectName::parse)?;
    let if_match = pre.if_match();
    match db::projects::rename(&state.pool, caller.id, id, &name, if_match.as_deref()).await? {
        Some(project) => Ok(one(project)),
        None => {
            let current = db::projects::get(&state.pool, caller.id, id);
            Err(refused(
                &caller,
                &state,
                if_match.as_deref(),
                current,
                NotFound::PROJECT,
            )
            .await)
        }
    }
}

/// Deletes a project and every task in it.
#[utoipa::path(
    operation_id = "delete_project",
    delete, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The project's id; anything else is a 404")),
    responses(
        (status = 204, description = "Deleted, with its tasks; no body"),
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
    let id = path_id(&id, NotFound::PROJECT, &caller, &state).await?;
    let if_match = pre.if_match();
    if db::projects::delete(&state.pool, caller.id, id, if_match.as_deref()).await? {
        return Ok(no_store(StatusCode::NO_CONTENT));
    }
    let current = db::projects::get(&state.pool, caller.id, id);
    Err(refused(
        &caller,
        &state,
        if_match.as_deref(),
        current,
        NotFound::PROJECT,
    )
    .await)
}
