//! The web app's projects and labels (the sidebar), and moving tasks between and within them:
//! the same `db` calls as the API's, with the same rules. Each works as a plain form post too,
//! landing back on the page it came from (or on `back`).

use leptos::prelude::*;

use crate::domain::{Lists, Task};
use crate::error::AppError;

/// An id from a form: anything that is not a UUID names nothing of the user's.
#[cfg(feature = "ssr")]
fn list_id(raw: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::Missing(what.to_owned()))
}

/// A name from a form, by `parse` (a project's or a label's rules), its mistake on `name`.
#[cfg(feature = "ssr")]
fn parse_name<T, E: std::fmt::Display>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, AppError> {
    parse(raw).map_err(|e| {
        AppError::Validation(vec![crate::domain::FieldError::new("name", e.to_string())])
    })
}

/// Returns to `back` after a plain form post.
#[cfg(feature = "ssr")]
async fn return_to(
    state: &crate::server::state::AppState,
    back: Option<&str>,
) -> Result<(), AppError> {
    use super::server::extract;
    use crate::server::browser::FormPost;

    extract::<FormPost>(state).await?.redirect_to(back);
    Ok(())
}

/// The sidebar: the signed-in user's projects and labels with their counts.
#[server(prefix = "/rpc", endpoint = "lists")]
pub async fn sidebar_lists() -> Result<Lists, AppError> {
    use super::server::signed_in;
    use crate::db::projects;

    let (state, caller) = signed_in(false).await?;
    Ok(projects::lists(&state.pool, caller.id).await?)
}

/// A new project (`name`: the API's rules, unique per user case-insensitively).
#[server(prefix = "/rpc", endpoint = "projects/create")]
pub async fn create_project(name: String) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::projects;
    use crate::domain::ProjectName;

    let (state, caller) = signed_in(true).await?;
    let name = parse_name(&name, ProjectName::parse)?;
    projects::create(&state.pool, caller.id, &name, &state.config.limits).await?;
    Ok(())
}

/// Renames a project.
#[server(prefix = "/rpc", endpoint = "projects/rename")]
pub async fn rename_project(id: String, name: String) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::projects;
    use crate::domain::ProjectName;

    let (state, caller) = signed_in(true).await?;
    let id = list_id(&id, "project")?;
    let name = parse_name(&name, ProjectName::parse)?;
    projects::rename(&state.pool, caller.id, id, &name, None)
        .await?
        .ok_or_else(|| AppError::Missing("project".to_owned()))?;
    Ok(())
}

/// Deletes a project and its tasks; a plain form post then goes to `back` (the page showed the
/// project, which is gone).
#[server(prefix = "/rpc", endpoint = "projects/delete")]
pub async fn delete_project(id: String, back: Option<String>) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::projects;

    let (state, caller) = signed_in(true).await?;
    let id = list_id(&id, "project")?;
    if !projects::delete(&state.pool, caller.id, id, None).await? {
        return Err(AppError::Missing("project".to_owned()));
    }
    return_to(&state, back.as_deref()).await
}

/// A new label.
#[server(prefix = "/rpc", endpoint = "labels/create")]
pub async fn create_label(name: String) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::labels;
    use crate::domain::LabelName;

    let (state, caller) = signed_in(true).await?;
    let name = parse_name(&name, LabelName::parse)?;
    labels::create(&state.pool, caller.id, &name, &state.config.limits).await?;
    Ok(())
}

/// Renames a label (its tasks carry the new name); a plain form post then goes to `back` (a
/// page filtered by the old name would show nothing).
#[server(prefix = "/rpc", endpoint = "labels/rename")]
pub async fn rename_label(id: String, name: String, back: Option<String>) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::labels;
    use crate::domain::LabelName;

    let (state, caller) = signed_in(true).await?;
    let id = list_id(&id, "label")?;
    let name = parse_name(&name, LabelName::parse)?;
    labels::rename(&state.pool, caller.id, id, &name, None)
        .await?
        .ok_or_else(|| AppError::Missing("label".to_owned()))?;
    return_to(&state, back.as_deref()).await
}

/// Deletes a label (its tasks stay, without it).
#[server(prefix = "/rpc", endpoint = "labels/delete")]
pub async fn delete_label(id: String, back: Option<String>) -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::db::labels;

    let (state, caller) = signed_in(true).await?;
    let id = list_id(&id, "label")?;
    if !labels::delete(&state.pool, caller.id, id, None).await? {
        return Err(AppError::Missing("label".to_owned()));
    }
    return_to(&state, back.as_deref()).await
}

/// Moves a task (API-organise.md, Moving): into `project` when given (empty: the Inbox), right
/// before `before` or after `after` (task ids of that project), else to its top. What the
/// page's drag and drop, its Alt+arrow keys, its "Move to" menu and its no-JavaScript up and
/// down buttons all send.
#[server(prefix = "/rpc", endpoint = "tasks/move")]
pub async fn move_task(
    id: String,
    project: Option<String>,
    before: Option<String>,
    after: Option<String>,
    back: Option<String>,
) -> Result<Task, AppError> {
    use super::server::signed_in;
    use crate::db::tasks;
    use crate::domain::input::Field;
    use crate::domain::MoveInput;

    let (state, caller) = signed_in(true).await?;
    let id = super::tasks::task_id(&id)?;
    // The form's text as the API's move body, so that the API's rules (and words) apply: an
    // empty field is absent, an empty `project` the Inbox.
    let field = |raw: Option<String>, empty: Field<uuid::Uuid>, not_one: &str| match raw
        .as_deref()
        .map(str::trim)
    {
        None => Field::Absent,
        Some("") => empty,
        Some(raw) => uuid::Uuid::parse_str(raw)
            .map_or_else(|_| Field::Invalid(not_one.to_owned()), Field::Value),
    };
    let project_id = match project.as_deref().map(str::trim) {
        Some("inbox") => Field::Null,
        _ => field(project, Field::Null, crate::db::NOT_YOURS_PROJECT),
    };
    let to = MoveInput {
        project_id,
        before: field(before, Field::Absent, "is not a task"),
        after: field(after, Field::Absent, "is not a task"),
    }
    .parse(id)
    .map_err(|errors| super::tasks::form_fields(AppError::Validation(errors)))?;
    let moved = tasks::move_to(&state.pool, caller.id, id, to, None)
        .await
        .map_err(|err| super::tasks::form_fields(err.into()))?
        .ok_or(AppError::NotFound)?;
    return_to(&state, back.as_deref()).await?;
    Ok(moved)
}
