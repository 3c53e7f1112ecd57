//! The web app's task operations. Each one resolves the session's caller (with the API's own
//! verification and identity step) and calls `db::tasks`, the same queries as the JSON API.
//!
//! Called from the page's script they answer data; posted by a plain HTML form (JavaScript off)
//! they redirect back to the page the form was on, with any error in the URL for that page to
//! show beside its field.

use leptos::prelude::*;

use crate::domain::{Task, TaskPage};
use crate::error::AppError;

/// Tasks per page, in the web app (the API's default is larger; a page should render fast).
pub const PAGE_SIZE: i64 = 50;

/// A task id from a form: anything that is not a UUID names no task.
#[cfg(feature = "ssr")]
fn task_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)
}

/// One page of the signed-in user's tasks for a filter tab and a search, with the counts. The
/// parameters go through the API's own [`ListQuery`](crate::domain::ListQuery) rules.
#[server(prefix = "/rpc", endpoint = "tasks/list")]
pub async fn list_tasks(
    filter: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<TaskPage, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;
    use crate::domain::{ListQuery, TaskFilter};

    let (state, caller) = signed_in(false).await?;
    let completed = TaskFilter::parse(filter.as_deref())
        .completed()
        .map(|c| c.to_string());
    let limit = PAGE_SIZE.to_string();
    let params = [
        ("completed", completed.as_deref()),
        // The search box's text, as typed: surrounding white space finds nothing more.
        ("q", q.as_deref().map(str::trim)),
        ("limit", Some(limit.as_str())),
        ("cursor", cursor.as_deref()),
    ];
    let query = ListQuery::parse(
        params.into_iter().filter_map(|(name, v)| Some((name, v?))),
        caller.id,
    )
    .map_err(AppError::Validation)?;
    let pool = &state.pool;
    let (page, counts) = tokio::try_join!(
        async { Ok::<_, AppError>(tasks::list(pool, caller.id, &query).await?) },
        async { Ok::<_, AppError>(tasks::counts(pool, caller.id).await?) },
    )?;
    if page.tasks.is_empty() {
        // Nothing shown, so a deleted user's session must not pass for an empty list.
        caller.confirm(&state).await?;
    }
    let next = page.next.map(|next| next.encode(caller.id));
    Ok(TaskPage {
        tasks: page.tasks,
        next,
        active: counts.active,
        completed: counts.completed,
        today: counts.zone.now().0,
    })
}

/// Adds a task (not yet done). Its title line may carry the task's project, labels, priority and
/// due date in quick-add syntax ([`quick_add`](crate::domain::quick_add)), read here, so that a
/// form posted without JavaScript gets them too.
#[server(prefix = "/rpc", endpoint = "tasks/create")]
pub async fn create_task(title: String, description: Option<String>) -> Result<Task, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    let task = quick_task(&state.pool, caller.id, &title, description.as_deref()).await?;
    Ok(tasks::create(&state.pool, caller.id, &task, &state.config.limits).await?)
}

/// The names of the signed-in user's projects: the add form's chips recognise `#project` by
/// them while the user types (asked for once, when a line first holds a `#`).
#[server(prefix = "/rpc", endpoint = "projects/names")]
pub async fn project_names() -> Result<Vec<String>, AppError> {
    use super::server::signed_in;
    use crate::db::projects;

    let (state, caller) = signed_in(false).await?;
    let projects = projects::list(&state.pool, caller.id).await?;
    Ok(projects.into_iter().map(|project| project.name).collect())
}

/// The task a quick-add line describes, read with the user's date (in their time zone) and
/// their projects' names.
#[cfg(feature = "ssr")]
async fn quick_task(
    pool: &sqlx::PgPool,
    user_id: uuid::Uuid,
    line: &str,
    description: Option<&str>,
) -> Result<crate::domain::NewTask, AppError> {
    use crate::db::{projects, users};
    use crate::domain::{quick_add, FieldError, Labels, NewTask};

    // Most lines are plain titles: the user's zone and projects are read only for a line that
    // may hold fields (one that reads as some with no projects and UTC's date, or names one).
    let rough = quick_add::parse(line, chrono::Utc::now().date_naive(), &[]);
    let (parsed, projects) = if rough.chips.is_empty() && !line.contains('#') {
        (rough, Vec::new())
    } else {
        let (zone, projects) = tokio::try_join!(
            users::timezone(pool, user_id),
            projects::list(pool, user_id)
        )?;
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        (quick_add::parse(line, zone.now().0, &names), projects)
    };
    let mut task =
        NewTask::parse(&parsed.title, description, false).map_err(AppError::Validation)?;
    task.project_id = parsed
        .project
        .and_then(|name| projects.iter().find(|p| p.name == name).map(|p| p.id));
    // The parser keeps to the labels' rules and limit, so this holds; said as a field error
    // rather than assumed.
    task.labels = Labels::parse(&parsed.labels)
        .map_err(|e| AppError::Validation(vec![FieldError::new("title", e.to_string())]))?;
    task.priority = parsed.priority.unwrap_or_default();
    task.due_date = parsed.due_date;
    task.due_time = parsed.due_time;
    Ok(task)
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
    use super::server::{extract, signed_in};
    use crate::db::tasks;
    use crate::domain::TaskPatch;
    use crate::server::auth::NotFound;
    use crate::server::browser::FormPost;

    let (state, caller) = signed_in(true).await?;
    let id = task_id(&id)?;
    let patch = TaskPatch::parse(&title, description.as_deref()).map_err(AppError::Validation)?;
    let updated = tasks::update(
        &state.pool,
        caller.id,
        id,
        &patch,
        &state.config.limits,
        None,
    )
    .await?;
    let task = caller.found(&state, updated, NotFound::TASK).await?;
    extract::<FormPost>(&state)
        .await?
        .redirect_to(back.as_deref());
    Ok(task)
}

/// Flips a task between to do and done, atomically.
#[server(prefix = "/rpc", endpoint = "tasks/toggle")]
pub async fn toggle_task(id: String) -> Result<Task, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;
    use crate::server::auth::NotFound;

    let (state, caller) = signed_in(true).await?;
    let toggled = tasks::toggle(&state.pool, caller.id, task_id(&id)?, None).await?;
    Ok(caller.found(&state, toggled, NotFound::TASK).await?)
}

/// Deletes a task.
#[server(prefix = "/rpc", endpoint = "tasks/delete")]
pub async fn delete_task(id: String) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::tasks;
    use crate::server::auth::NotFound;

    let (state, caller) = signed_in(true).await?;
    let deleted = tasks::delete(&state.pool, caller.id, task_id(&id)?, None).await?;
    Ok(caller
        .found(&state, deleted.then_some(()), NotFound::TASK)
        .await?)
}

/// Deletes every completed task, in one statement. Returns how many went.
#[server(prefix = "/rpc", endpoint = "tasks/clear-completed")]
pub async fn clear_completed() -> Result<u64, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    Ok(tasks::delete_completed(&state.pool, caller.id).await?)
}
