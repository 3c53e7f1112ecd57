//! The web app's task operations. Each one resolves the session's caller (with the API's own
//! verification and identity step) and calls `db::tasks`, the same queries as the JSON API.
//!
//! Called from the page's script they answer data; posted by a plain HTML form (JavaScript off)
//! they redirect back to the page the form was on, with any error in the URL for that page to
//! show beside its field.

use leptos::prelude::*;

use crate::domain::{Task, TaskChanges, TaskPage};
use crate::error::AppError;

/// Tasks per page, in the web app (the API's default is larger; a page should render fast).
pub const PAGE_SIZE: i64 = 50;

/// Changes per read of [`changed_tasks`]: a page catching up after a long sleep reads in steps
/// of this many.
pub const CHANGES_PER_READ: i64 = 200;

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
    // The counts first, then the list: the page's feed cursor is the counts' snapshot's xmin,
    // and only a list read after it is sure to hold every change below it (read side by side,
    // the list's snapshot could be the older one and miss a change the cursor skips).
    let counts = tasks::counts(pool, caller.id).await?;
    let page = tasks::list(pool, caller.id, &query).await?;
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
        feed: crate::domain::changes::FeedCursor {
            floor: counts.feed_from,
            xid: counts.feed_from,
            after: None,
        }
        .encode(caller.id),
    })
}

/// The signed-in user's task changes after `since` (a page's `feed`, then each answer's
/// `cursor`), read from the API's change feed: the page asks whenever its event stream says
/// something changed, and when the stream (re)connects.
#[server(prefix = "/rpc", endpoint = "tasks/changes")]
pub async fn changed_tasks(since: String) -> Result<TaskChanges, AppError> {
    use super::server::signed_in;
    use crate::db::changes::{self, FeedError};
    use crate::db::tasks;
    use crate::domain::changes::{ChangeKind, FeedCursor, FeedQuery, Resource};
    use crate::domain::{FieldError, TaskChange};

    let (state, caller) = signed_in(false).await?;
    let since = FeedCursor::decode(&since, caller.id).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new("since", "is not a cursor of yours")])
    })?;
    let query = FeedQuery {
        since: Some(since),
        limit: CHANGES_PER_READ,
    };
    let page = match changes::read(&state.pool, caller.id, &query).await {
        Ok(page) => page,
        Err(FeedError::Gone) => {
            return Ok(TaskChanges {
                reload: true,
                ..TaskChanges::default()
            })
        }
        Err(FeedError::Database(err)) => return Err(err.into()),
    };
    let counts = tasks::counts(&state.pool, caller.id).await?;
    let changes = page
        .changes
        .into_iter()
        .filter(|change| change.kind == ChangeKind::Task)
        .map(|change| TaskChange {
            id: change.id,
            task: match change.data {
                Some(Resource::Task(task)) => Some(task),
                _ => None,
            },
        })
        .collect();
    Ok(TaskChanges {
        changes,
        cursor: page.cursor.encode(caller.id),
        more: page.more,
        reload: false,
        active: counts.active,
        completed: counts.completed,
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
    version: Option<i64>,
    back: Option<String>,
) -> Result<Task, AppError> {
    use super::server::{extract, signed_in};
    use crate::db::tasks;
    use crate::domain::TaskPatch;
    use crate::server::browser::FormPost;

    let (state, caller) = signed_in(true).await?;
    let id = task_id(&id)?;
    let patch = TaskPatch::parse(&title, description.as_deref()).map_err(AppError::Validation)?;
    let expected = version.map(|v| [v]);
    let updated = tasks::update(
        &state.pool,
        caller.id,
        id,
        &patch,
        &state.config.limits,
        expected.as_ref().map(<[i64; 1]>::as_slice),
    )
    .await?;
    let Some(task) = updated else {
        return Err(refused(&state, &caller, id, version).await);
    };
    extract::<FormPost>(&state)
        .await?
        .redirect_to(back.as_deref());
    Ok(task)
}

/// Flips a task between to do and done, atomically; with `version` (the page's copy), only if
/// no one changed the task since ([`AppError::Stale`] otherwise).
#[server(prefix = "/rpc", endpoint = "tasks/toggle")]
pub async fn toggle_task(id: String, version: Option<i64>) -> Result<Task, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    let id = task_id(&id)?;
    let expected = version.map(|v| [v]);
    let toggled = tasks::toggle(
        &state.pool,
        caller.id,
        id,
        expected.as_ref().map(<[i64; 1]>::as_slice),
    )
    .await?;
    match toggled {
        Some(task) => Ok(task),
        None => Err(refused(&state, &caller, id, version).await),
    }
}

/// Deletes a task; with `version`, only if no one changed it since.
#[server(prefix = "/rpc", endpoint = "tasks/delete")]
pub async fn delete_task(id: String, version: Option<i64>) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    let id = task_id(&id)?;
    let expected = version.map(|v| [v]);
    let deleted = tasks::delete(
        &state.pool,
        caller.id,
        id,
        expected.as_ref().map(<[i64; 1]>::as_slice),
    )
    .await?;
    if deleted {
        Ok(())
    } else {
        Err(refused(&state, &caller, id, version).await)
    }
}

/// Why a write of task `id` changed nothing: with a `version`, the task may be there at another
/// one ([`AppError::Stale`], with the task as it now is for the page's script; a plain form post
/// lands back on a page that shows it anyway, and the error travels in its URL); else it is
/// gone ([`AppError::NotFound`]), or the caller's user is.
#[cfg(feature = "ssr")]
async fn refused(
    state: &crate::server::state::AppState,
    caller: &crate::server::auth::Caller,
    id: uuid::Uuid,
    version: Option<i64>,
) -> AppError {
    use super::server::extract;
    use crate::db::tasks;
    use crate::server::auth::{NotFound, Unchanged};
    use crate::server::browser::FormPost;

    let current = tasks::get(&state.pool, caller.id, id);
    match caller
        .unchanged(state, version.is_some(), current, NotFound::TASK)
        .await
    {
        Ok(Unchanged::Moved(current)) => {
            let form_post = extract::<FormPost>(state).await.is_ok_and(|post| post.0);
            AppError::Stale((!form_post).then(|| Box::new(current)))
        }
        Ok(Unchanged::Absent(absent)) => absent.into(),
        Err(err) => err.into(),
    }
}

/// Deletes every completed task, in one statement. Returns how many went.
#[server(prefix = "/rpc", endpoint = "tasks/clear-completed")]
pub async fn clear_completed() -> Result<u64, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    Ok(tasks::delete_completed(&state.pool, caller.id).await?)
}
