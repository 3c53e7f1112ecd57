//! `GET /api/changes`: the change feed (API-sync.md). The rules are in `db::changes` and the
//! migration that keeps the feed; this is its front door.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{no_store, QueryPairs};
use crate::db;
use crate::db::changes::FeedError;
use crate::domain::changes::{ChangePage, FeedQuery};
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/changes", get(list))
}

/// What changed since a cursor: without `since`, every current task, project and label (a full
/// sync, in pages); with it, each one created, changed or deleted after it, once, as it is now.
#[utoipa::path(
    operation_id = "list_changes",
    get, path = "/api/changes", tag = "sync", security(("bearer" = [])),
    params(
        ("since" = Option<String>, Query, description = "The `cursor` of the previous page; without it, a full sync from the start. Cursors are opaque and belong to their user"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Changes per page (default 500)"),
    ),
    responses(
        (status = 200, description = "A page of changes, in the order of the transactions that made them; call again with `cursor` (at once while `more` is true)", body = ChangePage),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 410, response = super::openapi::CursorGone),
        (status = 422, response = super::openapi::UnprocessableContent),
    )
)]
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    pairs: QueryPairs,
) -> Result<Response, ApiError> {
    let query = FeedQuery::parse(pairs.iter(), caller.id).map_err(ApiError::Validation)?;
    let page = match db::changes::read(&state.pool, caller.id, &query).await {
        Ok(page) => page,
        Err(FeedError::Gone) => return Err(ApiError::CursorGone),
        Err(FeedError::Database(err)) => return Err(err.into()),
    };
    if page.changes.is_empty() {
        // Nothing shown, so a deleted user's token must not pass for an empty feed.
        caller.confirm(&state).await?;
    }
    Ok(no_store(axum::Json(ChangePage {
        cursor: page.cursor.encode(caller.id),
        changes: page.changes,
        more: page.more,
    })))
}
