//! Server functions: the browser's calls to the server, under their own prefix `/rpc` (`/api`
//! belongs to the public JSON API). Bodies are thin and compile for the server only: they take
//! what they need from the request with the same axum extractors as the API (see [`server`]) and
//! call into `crate::server` and `crate::db`.

pub mod auth;
pub mod organise;
pub mod settings;
pub mod tasks;

/// The pages' event stream: a server-sent event whenever the signed-in user's tasks, projects or
/// labels change (`server::events::session_events`); the page then calls
/// [`tasks::changed_tasks`]. Not a server function: it stays open for as long as the page does.
pub const EVENTS_PATH: &str = "/events";

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use axum::extract::FromRequestParts;
    use leptos::prelude::use_context;

    use crate::error::AppError;
    use crate::server::auth::Caller;
    use crate::server::browser::{SameOrigin, SessionUser};
    use crate::server::state::AppState;

    /// The application's state, as leptos_axum provides it to every server function.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("no AppState in a server function's context");
            AppError::Internal
        })
    }

    /// `T`, taken from the request by its axum extractor, with its typed rejection kept
    /// (leptos_axum's `extract_with_state` alone turns a rejection into text).
    pub async fn extract<T>(state: &AppState) -> Result<T, AppError>
    where
        T: FromRequestParts<AppState>,
        T::Rejection: Into<AppError>,
    {
        leptos_axum::extract_with_state::<Result<T, T::Rejection>, _>(state)
            .await
            .map_err(|err| {
                tracing::error!(%err, "no request parts in a server function's context");
                AppError::Internal
            })?
            .map_err(Into::into)
    }

    /// The state and the signed-in caller. Every state-changing call must also come from our
    /// own pages (Origin/Referer), as the session cookie alone would not prove it.
    pub async fn signed_in(changes_state: bool) -> Result<(AppState, Caller), AppError> {
        let state = state()?;
        if changes_state {
            extract::<SameOrigin>(&state).await?;
        }
        let SessionUser(caller) = extract(&state).await?;
        Ok((state, caller))
    }
}
