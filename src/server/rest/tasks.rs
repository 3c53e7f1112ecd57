//! `/api/tasks*` (API.md, Tasks and Listing).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch};
use axum::{Json, Router};
use uuid::Uuid;

use super::json::ApiJson;
use super::no_store;
use crate::db;
use crate::db::tasks::{After, Filter};
use crate::domain::{
    encode_query_value, FieldError, NewTask, Task, TaskInput, TaskPatch, TaskPatchInput,
};
use crate::server::auth::TaskOwner;
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list).post(create))
        .route(
            "/tasks/{id}",
            get(get_one).put(replace).patch(update).delete(delete),
        )
        .route("/tasks/{id}/toggle", patch(toggle))
}

/// An `{id}` that is not a UUID names no task: 404, like any other missing task.
async fn task_id(raw: &str, user: TaskOwner, state: &AppState) -> Result<Uuid, ApiError> {
    match Uuid::parse_str(raw) {
        Ok(id) => Ok(id),
        Err(_) => Err(user.not_found(state, "task not found").await),
    }
}

/// The task, or the error for its absence (see [`TaskOwner::not_found`]).
async fn found<T>(value: Option<T>, user: TaskOwner, state: &AppState) -> Result<T, ApiError> {
    match value {
        Some(value) => Ok(value),
        None => Err(user.not_found(state, "task not found").await),
    }
}

/// The validated listing parameters.
struct Listing {
    filter: Filter,
    limit: i64,
    limit_given: bool,
    after: Option<After>,
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

fn parse_listing(pairs: &[(String, String)], user_id: Uuid) -> Result<Listing, ApiError> {
    let mut listing = Listing {
        filter: Filter::default(),
        limit: DEFAULT_LIMIT,
        limit_given: false,
        after: None,
    };
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for (name, value) in pairs {
        if !matches!(name.as_str(), "completed" | "q" | "limit" | "cursor") {
            continue; // unknown parameters are ignored
        }
        if seen.contains(name) {
            errors.push(FieldError::new(name.clone(), "must be given at most once"));
            continue;
        }
        seen.push(name.clone());
        match name.as_str() {
            "completed" => match value.as_str() {
                "true" => listing.filter.completed = Some(true),
                "false" => listing.filter.completed = Some(false),
                _ => errors.push(FieldError::new("completed", "must be true or false")),
            },
            "q" if value.contains('\0') => {
                errors.push(FieldError::new("q", "must not contain NUL characters"));
            }
            "q" if value.chars().count() > 255 => {
                errors.push(FieldError::new("q", "must be at most 255 characters"));
            }
            "q" => listing.filter.q = (!value.is_empty()).then(|| value.clone()),
            "limit" => match value.parse::<i64>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => {
                    listing.limit = limit;
                    listing.limit_given = true;
                }
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
            _ => match After::decode(value, user_id) {
                Some(after) => listing.after = Some(after),
                None => errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor from this listing's next link",
                )),
            },
        }
    }
    if errors.is_empty() {
        Ok(listing)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The user's tasks, newest first, one keyset page at a time.
#[utoipa::path(
    get, path = "/api/tasks", tag = "tasks", security(("bearer" = [])),
    params(super::openapi::ListParams),
    responses(
        (status = 200, description = "One page of tasks, newest first", body = [Task],
            headers(("Link" = String, description = "`</api/tasks?…&cursor=…>; rel=\"next\"` while more tasks follow"))),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn list(
    user: TaskOwner,
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|_| invalid("query", "is not a valid query string"))?;
    let listing = parse_listing(&pairs, user.id)?;
    let db::tasks::Page { tasks, more } = db::tasks::list(
        &state.pool,
        user.id,
        &listing.filter,
        listing.after,
        listing.limit,
    )
    .await?;
    if tasks.is_empty() {
        // Nothing shown, so a deleted user's token must not pass for an empty list.
        user.confirm(&state).await?;
    }
    let next = match tasks.last() {
        Some(last) if more => Some(next_link(&listing, After::task(last), user.id)),
        _ => None,
    };
    let mut response = no_store(Json(tasks));
    if let Some(link) = next.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

fn next_link(listing: &Listing, after: After, user_id: Uuid) -> String {
    let mut query = Vec::new();
    if let Some(completed) = listing.filter.completed {
        query.push(format!("completed={completed}"));
    }
    if let Some(q) = &listing.filter.q {
        query.push(format!("q={}", encode_query_value(q)));
    }
    if listing.limit_given {
        query.push(format!("limit={}", listing.limit));
    }
    query.push(format!("cursor={}", after.encode(user_id)));
    format!("</api/tasks?{}>; rel=\"next\"", query.join("&"))
}

/// Creates a task.
#[utoipa::path(
    post, path = "/api/tasks", tag = "tasks", security(("bearer" = [])),
    request_body = TaskInput,
    responses(
        (status = 201, description = "The new task", body = Task,
            headers(("Location" = String, description = "`/api/tasks/{id}`"))),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = super::openapi::UnsupportedMediaType),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn create(
    user: TaskOwner,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Response, ApiError> {
    let task = NewTask::try_from(input).map_err(ApiError::Validation)?;
    let task = db::tasks::create(&state.pool, user.id, &task)
        .await
        .map_err(TaskOwner::write_error)?;
    let location =
        HeaderValue::from_str(&format!("/api/tasks/{}", task.id)).map_err(ApiError::internal)?;
    let mut response = no_store(Json(task));
    *response.status_mut() = StatusCode::CREATED;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
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
    user: TaskOwner,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let task = found(
        db::tasks::get(&state.pool, user.id, task_id(&id, user, &state).await?).await?,
        user,
        &state,
    )
    .await?;
    Ok(no_store(Json(task)))
}

/// Replaces a task: a missing `description` becomes null, a missing `completed` false.
#[utoipa::path(
    put, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    request_body = TaskInput,
    responses(
        (status = 200, description = "The replaced task", body = Task),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = super::openapi::UnsupportedMediaType),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn replace(
    user: TaskOwner,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Response, ApiError> {
    let id = task_id(&id, user, &state).await?;
    let task = NewTask::try_from(input).map_err(ApiError::Validation)?;
    let task = found(
        db::tasks::replace(&state.pool, user.id, id, &task).await?,
        user,
        &state,
    )
    .await?;
    Ok(no_store(Json(task)))
}

/// Changes the given fields only; `"description": null` clears the description.
#[utoipa::path(
    patch, path = "/api/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The task's id; anything else is a 404")),
    request_body = TaskPatchInput,
    responses(
        (status = 200, description = "The updated task", body = Task),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = super::openapi::UnsupportedMediaType),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn update(
    user: TaskOwner,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TaskPatchInput>,
) -> Result<Response, ApiError> {
    let id = task_id(&id, user, &state).await?;
    let patch = TaskPatch::try_from(input).map_err(ApiError::Validation)?;
    let task = found(
        db::tasks::update(&state.pool, user.id, id, &patch).await?,
        user,
        &state,
    )
    .await?;
    Ok(no_store(Json(task)))
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
    user: TaskOwner,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let task = found(
        db::tasks::toggle(&state.pool, user.id, task_id(&id, user, &state).await?).await?,
        user,
        &state,
    )
    .await?;
    Ok(no_store(Json(task)))
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
    user: TaskOwner,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if db::tasks::delete(&state.pool, user.id, task_id(&id, user, &state).await?).await? {
        Ok(no_store(StatusCode::NO_CONTENT))
    } else {
        Err(user.not_found(&state, "task not found").await)
    }
}
