//! The web app's task operations. Each one checks the session's JWT (with the API's own
//! verification function) and calls `db::tasks`, the same queries as the JSON API.
//!
//! Called from the page's script they answer data; posted by a plain HTML form (JavaScript off)
//! they redirect back to the page the form was on, with any error in the URL for that page to
//! show beside its field.

use leptos::prelude::*;

use crate::domain::{Task, TaskPage};
use crate::error::AppError;

/// Tasks per page, in the web app (the API's default is larger; a page should render fast).
pub const PAGE_SIZE: i64 = 50;

#[cfg(feature = "ssr")]
mod server {
    use uuid::Uuid;

    use crate::error::AppError;
    use crate::server::auth::AuthUser;
    use crate::server::browser::Request;

    /// The request and its signed-in user. Every state-changing call is also checked to come
    /// from our own pages (Origin/Referer), as the session cookie alone would not prove it.
    pub async fn signed_in(changes_state: bool) -> Result<(Request, AuthUser), AppError> {
        let request = Request::current().await?;
        if changes_state {
            request.check_same_origin()?;
        }
        let user = request.require_user().await?;
        Ok((request, user))
    }

    /// A task id from a form: anything that is not a UUID names no task.
    pub fn task_id(raw: &str) -> Result<Uuid, AppError> {
        Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)
    }
}

/// One page of the signed-in user's tasks for a filter tab and a search, with the counts.
#[server(prefix = "/rpc", endpoint = "tasks/list")]
pub async fn list_tasks(
    filter: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<TaskPage, AppError> {
    use crate::db::tasks::{self, After, Filter};
    use crate::domain::{FieldError, TaskFilter, MAX_SEARCH_CHARS};

    let (request, user) = server::signed_in(false).await?;
    let q = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if let Some(q) = &q {
        if q.chars().count() > MAX_SEARCH_CHARS || q.contains('\0') {
            return Err(AppError::Validation(vec![FieldError::new(
                "q",
                format!("Search for at most {MAX_SEARCH_CHARS} characters."),
            )]));
        }
    }
    let filter = Filter {
        completed: TaskFilter::parse(filter.as_deref()).completed(),
        q,
    };
    // A cursor from another user or an old link starts again from the newest task.
    let after = cursor.and_then(|c| After::decode(&c, user.id));
    let pool = &request.state.pool;
    let (page, counts) = tokio::try_join!(
        tasks::list(pool, user.id, &filter, after, PAGE_SIZE),
        tasks::counts(pool, user.id),
    )?;
    let next = page
        .more
        .then(|| {
            page.tasks
                .last()
                .map(|last| After::task(last).encode(user.id))
        })
        .flatten();
    Ok(TaskPage {
        tasks: page.tasks,
        next,
        active: counts.active,
        completed: counts.completed,
    })
}

/// Adds a task (not yet done).
#[server(prefix = "/rpc", endpoint = "tasks/create")]
pub async fn create_task(title: String, description: Option<String>) -> Result<Task, AppError> {
    use crate::db::tasks;
    use crate::domain::{NewTask, TaskInput};

    let (request, user) = server::signed_in(true).await?;
    let task = NewTask::try_from(TaskInput {
        title,
        description,
        completed: false,
    })
    .map_err(AppError::Validation)?;
    Ok(tasks::create(&request.state.pool, user.id, &task).await?)
}

/// Changes a task's title and description (its state stays). `back` is where a plain form post
/// returns to: the list without its edit mode.
#[server(prefix = "/rpc", endpoint = "tasks/update")]
pub async fn update_task(
    id: String,
    title: String,
    description: Option<String>,
    back: Option<String>,
) -> Result<Task, AppError> {
    use crate::db::tasks;
    use crate::domain::{TaskPatch, TaskPatchInput};

    let (request, user) = server::signed_in(true).await?;
    let id = server::task_id(&id)?;
    let patch = TaskPatch::try_from(TaskPatchInput {
        title: Some(title),
        description: Some(description),
        completed: None,
    })
    .map_err(AppError::Validation)?;
    let task = tasks::update(&request.state.pool, user.id, id, &patch)
        .await?
        .ok_or(AppError::NotFound)?;
    request.redirect_form_post(back.as_deref());
    Ok(task)
}

/// Flips a task between to do and done, atomically.
#[server(prefix = "/rpc", endpoint = "tasks/toggle")]
pub async fn toggle_task(id: String) -> Result<Task, AppError> {
    use crate::db::tasks;

    let (request, user) = server::signed_in(true).await?;
    let id = server::task_id(&id)?;
    tasks::toggle(&request.state.pool, user.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Deletes a task.
#[server(prefix = "/rpc", endpoint = "tasks/delete")]
pub async fn delete_task(id: String) -> Result<(), AppError> {
    use crate::db::tasks;

    let (request, user) = server::signed_in(true).await?;
    let id = server::task_id(&id)?;
    if tasks::delete(&request.state.pool, user.id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Deletes every completed task, in one statement. Returns how many went.
#[server(prefix = "/rpc", endpoint = "tasks/clear-completed")]
pub async fn clear_completed() -> Result<u64, AppError> {
    use crate::db::tasks;

    let (request, user) = server::signed_in(true).await?;
    Ok(tasks::delete_completed(&request.state.pool, user.id).await?)
}
