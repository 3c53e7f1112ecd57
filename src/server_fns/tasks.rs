use leptos::prelude::*;

use crate::domain::Task;
use crate::error::AppError;

/// The signed-in user's newest tasks (the first page the API would give).
#[server(prefix = "/rpc", endpoint = "tasks/list")]
pub async fn list_tasks() -> Result<Vec<Task>, AppError> {
    use crate::db;
    use crate::server::browser;
    let request = browser::Request::current().await?;
    let user = request.require_user().await?;
    let page = db::tasks::list(
        &request.state.pool,
        user.id,
        &db::tasks::Filter::default(),
        None,
        100,
    )
    .await?;
    Ok(page.tasks)
}
