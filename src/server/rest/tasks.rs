//! `/api/tasks*` (API.md, Tasks and Listing).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use uuid::Uuid;

use super::json::ApiJson;
use super::preconditions::{one, read, refused, with_etag, Preconditions};
use super::{created, no_store, path_id, QueryPairs};
use crate::db;
use crate::domain::{ListQuery, MoveInput, NewTask, Task, TaskInput, TaskPatch, TaskPatchInput};
use crate::server::auth::{Caller, NotFound};
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route(
            "/tasks/{id}",
            get(get_one).put(replace).patch(update).delete(delete),
        )
        .route("/tasks/{id}/toggle", patch(toggle))
        .route("/tasks/{id}/move", post(move_task))
}

/// The user's tasks, filtered and sorted, one keyset page at a time.
#[utoipa::path(
    get, path = "/api/tasks", tag = "tasks", security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "One page of tasks, in the `sort` order", body = [Task],
            headers(("Link" = String, description = "`</api/tasks?…&cursor=…>; rel=\"next\"` while more tasks follow"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    pairs: QueryPairs,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(pairs.iter(), caller.id).map_err(ApiError::Validation)?;
    let page = db::tasks::list(&state.pool, caller.id, &query).await;
    if page.as_ref().map_or(true, |page| page.tasks.is_empty()) {
        // Nothing shown, so a deleted user's token must not pass for an empty list (or for an
        // unknown project).
        caller.confirm(&state).await?;
    }
    let db::tasks::Page { tasks, next } = page?;
    let next = next.map(|next| {
        format!(
            "</api/tasks?{}>; rel=\"next\"",
            query.next_page(&next, caller.id)
        )
    });
    let mut response = no_store(Json(tasks));
    if let Some(link) = next.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Creates a task.
#[utoipa::path(
    post, path = "/api/tasks", tag = "tasks", security(("bearer" = [])),
    request_body = TaskInput,
    responses(
        (status = 201, description = "The new task", body = Task,
            headers(("Location" = String, description = "`/api/tasks/{id}`"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Response, ApiError> {
    let task = NewTask::try_from(input).map_err(ApiError::Validation)?;
    let task = db::tasks::create(&state.pool, caller.id, &task, &state.config.limits).await?;
    let version = task.version;
    Ok(with_etag(
        created(format!("/api/tasks/{}", task.id), task)?,
        version,
    ))
}

/// One task.
#[utoipa::path(
    get, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    responses(
        (status = 200, description = "The task", body = Task),
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
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let task = db::tasks::get(&state.pool, caller.id, id).await?;
    Ok(read(
        &pre,
        caller.found(&state, task, NotFound::TASK).await?,
    ))
}

/// Replaces a task: every missing field takes its default (null, `[]`, 0, false).
#[utoipa::path(
    put, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    request_body = TaskInput,
    responses(
        (status = 200, description = "The replaced task", body = Task),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn replace(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let task = NewTask::try_from(input).map_err(ApiError::Validation)?;
    let if_match = pre.if_match();
    let limits = &state.config.limits;
    let task = db::tasks::replace(
        &state.pool,
        caller.id,
        id,
        &task,
        limits,
        if_match.as_deref(),
    )
    .await?;
    written(&caller, &state, task, if_match.as_deref(), id).await
}

/// Changes the given fields only; `null` clears a nullable field, `"labels": []` every label.
#[utoipa::path(
    patch, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    request_body = TaskPatchInput,
    responses(
        (status = 200, description = "The updated task", body = Task),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn update(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TaskPatchInput>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let patch = TaskPatch::try_from(input).map_err(ApiError::Validation)?;
    let if_match = pre.if_match();
    let limits = &state.config.limits;
    let task = db::tasks::update(
        &state.pool,
        caller.id,
        id,
        &patch,
        limits,
        if_match.as_deref(),
    )
    .await?;
    written(&caller, &state, task, if_match.as_deref(), id).await
}

/// The answer to a write of one task: the task with its `ETag`, or, when it found nothing, 412
/// with the current task (If-Match) or 404.
async fn written(
    caller: &Caller,
    state: &AppState,
    task: Option<Task>,
    if_match: Option<&[i64]>,
    id: Uuid,
) -> Result<Response, ApiError> {
    match task {
        Some(task) => Ok(one(task)),
        None => {
            let current = db::tasks::get(&state.pool, caller.id, id);
            Err(refused(caller, state, if_match, current, NotFound::TASK).await)
        }
    }
}

/// Flips `completed` atomically: concurrent toggles never lose an update.
#[utoipa::path(
    patch, path = "/api/tasks/{id}/toggle", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    responses(
        (status = 200, description = "The task, `completed` flipped", body = Task),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
    )
)]
pub(super) async fn toggle(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let if_match = pre.if_match();
    let task = db::tasks::toggle(&state.pool, caller.id, id, if_match.as_deref()).await?;
    written(&caller, &state, task, if_match.as_deref(), id).await
}

/// Deletes a task.
#[utoipa::path(
    delete, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    responses(
        (status = 204, description = "Deleted; no body"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
    )
)]
pub(super) async fn delete(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let if_match = pre.if_match();
    if db::tasks::delete(&state.pool, caller.id, id, if_match.as_deref()).await? {
        return Ok(no_store(StatusCode::NO_CONTENT));
    }
    let current = db::tasks::get(&state.pool, caller.id, id);
    Err(refused(
        &caller,
        &state,
        if_match.as_deref(),
        current,
        NotFound::TASK,
    )
    .await)
}

/// Moves a task in its project's manual order, or into another project (API-organise.md,
/// Moving): only the moved task's place changes.
#[utoipa::path(
    post, path = "/api/tasks/{id}/move", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    request_body = MoveInput,
    responses(
        (status = 200, description = "The moved task", body = Task),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn move_task(
    caller: Caller,
    State(state): State<AppState>,
    pre: Preconditions,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, NotFound::TASK, &caller, &state).await?;
    let to = input.parse(id).map_err(ApiError::Validation)?;
    let if_match = pre.if_match();
    let task = db::tasks::move_to(&state.pool, caller.id, id, to, if_match.as_deref()).await?;
    written(&caller, &state, task, if_match.as_deref(), id).await
}
