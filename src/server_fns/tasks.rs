//! The web app's task operations. Each one resolves the session's caller (with the API's own
//! verification and identity step) and calls `db::tasks`, the same queries as the JSON API.
//!
//! Called from the page's script they answer data; posted by a plain HTML form (JavaScript off)
//! they redirect back to the page the form was on, with any error in the URL for that page to
//! show beside its field.

// The edit form's fields are `update_task`'s arguments, one each (what a plain form post sends);
// the client function the `server` macro writes for it takes them all, beyond clippy's seven.
#![allow(clippy::too_many_arguments)]

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
pub(super) fn task_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound)
}

/// One page of the signed-in user's tasks in a view (`view`: the page's own URL, path and
/// query, as [`TaskView::url`](crate::domain::TaskView::url) writes it; none: every task),
/// with the counts. The
/// view becomes the API's [`ListQuery`](crate::domain::ListQuery) and goes through its rules.
#[server(prefix = "/rpc", endpoint = "tasks/list")]
pub async fn list_tasks(
    view: Option<String>,
    cursor: Option<String>,
) -> Result<TaskPage, AppError> {
    use super::server::{extract, signed_in};
    use crate::db::tasks;
    use crate::domain::{ListQuery, TaskView, ViewKind};
    use crate::server::browser::session::BrowserSession;

    let (state, caller) = signed_in(false).await?;
    let view = view.unwrap_or_default();
    let (path, query) = view.split_once('?').unwrap_or((view.as_str(), ""));
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let view = TaskView::parse(
        ViewKind::from_path(path),
        pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    );
    let pool = &state.pool;
    // The counts first, then the list: the page's feed cursor is the counts' snapshot's xmin,
    // and only a list read after it is sure to hold every change below it (read side by side,
    // the list's snapshot could be the older one and miss a change the cursor skips).
    let counts = tasks::counts(pool, caller.id).await?;
    let today = counts.zone.now().0;
    // Today's list is read for a date, and its cursor is bound to it (`due_to`): the page's
    // cursor names that date (`<date>~<cursor>`), so that "Load more" after the user's midnight
    // continues the list on the screen instead of failing on a cursor of another day's list.
    let (day, cursor) = match (view.kind, cursor.as_deref()) {
        (ViewKind::Today, Some(raw)) => match split_day(raw)? {
            Some((day, cursor)) => (day, Some(cursor)),
            None => (today, Some(raw)),
        },
        (_, cursor) => (today, cursor),
    };
    let query = ListQuery::parse(
        list_params(&view, day, cursor)
            .iter()
            .map(|(n, v)| (*n, v.as_str())),
        caller.id,
    )
    .map_err(AppError::Validation)?;
    let page = tasks::list(pool, caller.id, &query).await?;
    if page.tasks.is_empty() {
        // Nothing shown, so a deleted user's session must not pass for an empty list.
        caller.confirm(&state).await?;
    }
    // A refused edit form of this browser's, for the page it returned to.
    let kept = extract::<BrowserSession>(&state)
        .await?
        .take_kept_edit()
        .await?;
    let next = page.next.map(|next| match view.kind {
        ViewKind::Today => format!("{day}{DAY_MARK}{}", next.encode(caller.id)),
        _ => next.encode(caller.id),
    });
    Ok(TaskPage {
        tasks: page.tasks,
        next,
        active: counts.active,
        completed: counts.completed,
        today,
        feed: crate::domain::changes::FeedCursor {
            floor: counts.feed_from,
            xid: counts.feed_from,
            after: None,
        }
        .encode(caller.id),
        kept,
    })
}

/// Between the date of a Today list and the API's cursor in the page's cursor: a character the
/// API's cursors never hold, and that a URL carries as it is.
#[cfg(feature = "ssr")]
const DAY_MARK: char = '~';

/// A Today cursor's date and the API's cursor after it (`<date>~<cursor>`), if it names a date.
/// The date must be one a task can be due on; else it is no cursor of ours (the API would name
/// `due_to`, a field the page does not have).
#[cfg(feature = "ssr")]
fn split_day(raw: &str) -> Result<Option<(chrono::NaiveDate, &str)>, AppError> {
    use crate::domain::{parse_due_date, FieldError, ParamError};

    let Some((day, cursor)) = raw.split_once(DAY_MARK) else {
        return Ok(None);
    };
    let day = parse_due_date(day).map_err(|_| {
        AppError::Validation(vec![FieldError::new(
            "cursor",
            ParamError::Cursor.to_string(),
        )])
    })?;
    Ok(Some((day, cursor)))
}

/// The API's listing parameters for a page's view on the user's `today`: Today is what is still
/// to do and due by today, Upcoming what is due after it, both by due date.
#[cfg(feature = "ssr")]
fn list_params(
    view: &crate::domain::TaskView,
    today: chrono::NaiveDate,
    cursor: Option<&str>,
) -> Vec<(&'static str, String)> {
    use crate::domain::{DueFilter, ViewKind};

    let mut params = vec![
        ("limit", PAGE_SIZE.to_string()),
        ("sort", view.sort().as_str().to_owned()),
    ];
    let mut add = |name, value: Option<String>| {
        if let Some(value) = value {
            params.push((name, value));
        }
    };
    // Today and Upcoming are due filters of their own; the list's `due` is for the list.
    match view.kind {
        ViewKind::List => {
            add("completed", view.filter.completed().map(|c| c.to_string()));
            add("due", view.due.map(|d| d.as_str().to_owned()));
        }
        ViewKind::Today => {
            add("completed", Some("false".into()));
            add("due_to", Some(today.to_string()));
        }
        ViewKind::Upcoming => {
            add("completed", Some("false".into()));
            add("due", Some(DueFilter::Upcoming.as_str().into()));
        }
    }
    add("q", (!view.q.is_empty()).then(|| view.q.clone()));
    add("project", view.project.map(|p| p.encode()));
    add("label", view.label.clone());
    add("priority", view.priority.map(|p| p.to_string()));
    add("cursor", cursor.map(str::to_owned));
    params
}

/// A write's field errors named as the page's forms name their fields.
#[cfg(feature = "ssr")]
pub(super) fn form_fields(err: AppError) -> AppError {
    match err {
        AppError::Validation(errors) => AppError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "project_id" {
                        e.field = "project".to_owned();
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    }
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
    let anything = !page.changes.is_empty();
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
        anything,
    })
}

/// Adds a task (not yet done). Its title line may carry the task's project, labels, priority and
/// due date in quick-add syntax ([`quick_add`](crate::domain::quick_add)), read here, so that a
/// form posted without JavaScript gets them too.
#[server(prefix = "/rpc", endpoint = "tasks/create")]
pub async fn create_task(
    title: String,
    description: Option<String>,
    project: Option<String>,
) -> Result<Task, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;

    let (state, caller) = signed_in(true).await?;
    let mut task = quick_task(&state.pool, caller.id, &title, description.as_deref()).await?;
    // Added on a project's page: into that project, unless the line names another (`#name`).
    if task.project_id.is_none() {
        if let Some(raw) = project.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            let id = uuid::Uuid::parse_str(raw).map_err(|_| {
                AppError::Validation(vec![crate::domain::FieldError::new(
                    "project",
                    crate::db::NOT_YOURS_PROJECT,
                )])
            })?;
            task.project_id = Some(id);
        }
    }
    tasks::create(&state.pool, caller.id, &task, &state.config.limits)
        .await
        .map_err(|err| form_fields(err.into()))
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

/// Changes a task's fields from its edit form (its state stays): title and description, and
/// each of project, labels, priority, due date and time that the form sends
/// ([`TaskForm`](crate::domain::TaskForm)). `back` is where a plain form post returns to: the
/// list without its edit mode.
#[server(prefix = "/rpc", endpoint = "tasks/update")]
pub async fn update_task(
    id: String,
    title: String,
    description: Option<String>,
    project: Option<String>,
    labels: Option<String>,
    priority: Option<String>,
    due_date: Option<String>,
    due_time: Option<String>,
    fields: Option<String>,
    version: Option<i64>,
    back: Option<String>,
) -> Result<Task, AppError> {
    use super::server::{extract, signed_in};
    use crate::db::tasks;
    use crate::domain::{KeptEdit, TaskForm};
    use crate::server::browser::session::BrowserSession;
    use crate::server::browser::FormPost;

    let (state, caller) = signed_in(true).await?;
    let id = task_id(&id)?;
    // An empty form field arrives as no value at all: `fields` names those the form shows, so
    // that one of them left empty clears it rather than leaving it as it was.
    let shown = |value: Option<String>, name: &str| {
        value.or_else(|| {
            fields
                .as_deref()
                .is_some_and(|f| f.split(',').any(|n| n.trim() == name))
                .then(String::new)
        })
    };
    let (project, labels, priority, due_date, due_time) = (
        shown(project, "project"),
        shown(labels, "labels"),
        shown(priority, "priority"),
        shown(due_date, "due_date"),
        shown(due_time, "due_time"),
    );
    let form = TaskForm {
        title: &title,
        description: description.as_deref(),
        project: project.as_deref(),
        labels: labels.as_deref(),
        priority: priority.as_deref(),
        due_date: due_date.as_deref(),
        due_time: due_time.as_deref(),
    };
    let expected = version.map(|v| [v]);
    let updated = match form.parse() {
        Ok(patch) => tasks::update(
            &state.pool,
            caller.id,
            id,
            &patch,
            &state.config.limits,
            expected.as_ref().map(<[i64; 1]>::as_slice),
        )
        .await
        .map_err(|err| form_fields(err.into())),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    // Without JavaScript the page comes back with the error only: what was typed waits in the
    // session for it.
    if matches!(updated, Err(AppError::Validation(_))) && extract::<FormPost>(&state).await?.0 {
        if let Some(kept) = KeptEdit::of(id, &form) {
            extract::<BrowserSession>(&state)
                .await?
                .keep_edit(&kept)
                .await?;
        }
    }
    let Some(task) = updated? else {
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
