//! Signing in, registering and out, and who is signed in.

use leptos::prelude::*;

use crate::domain::User;
use crate::error::AppError;

/// Signs in (throttled exactly as the API's login) and redirects to `next` (a path on this
/// site) or to /tasks.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::server::{extract, state};
    use crate::domain::Credentials;
    use crate::server::accounts;
    use crate::server::auth::ClientIp;
    use crate::server::browser::{BrowserSession, SameOrigin};

    let state = state()?;
    extract::<SameOrigin>(&state).await?;
    let credentials = Credentials::parse(&email, password).map_err(AppError::Validation)?;
    let ClientIp(client_ip) = extract(&state).await?;
    let verified = accounts::login(&state, credentials, client_ip).await?;
    let session: BrowserSession = extract(&state).await?;
    session
        .sign_in(&state, &verified.user, next.as_deref())
        .await
}

/// Creates an account, signs it in, and redirects like [`login`].
#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    next: Option<String>,
    timezone: Option<String>,
) -> Result<(), AppError> {
    use super::server::{extract, state};
    use crate::domain::Credentials;
    use crate::server::accounts;
    use crate::server::auth::ClientIp;
    use crate::server::browser::{BrowserSession, SameOrigin};

    let state = state()?;
    extract::<SameOrigin>(&state).await?;
    let credentials = Credentials::parse(&email, password).map_err(AppError::Validation)?;
    let ClientIp(client_ip) = extract(&state).await?;
    // The browser's own zone, as the register page's script filled it in; UTC without
    // JavaScript, or for a name this server does not know (no reason to refuse an account:
    // Settings changes it).
    let zone = timezone
        .as_deref()
        .and_then(|name| crate::server::time_zone::TimeZone::parse(name.trim()).ok())
        .unwrap_or_default();
    let verified = accounts::register(&state, credentials, &zone, client_ip).await?;
    let session: BrowserSession = extract(&state).await?;
    session
        .sign_in(&state, &verified.user, next.as_deref())
        .await
}

/// Deletes the session on the server and redirects to the sign-in page.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::server::{extract, state};
    use crate::server::browser::{BrowserSession, SameOrigin};

    let state = state()?;
    extract::<SameOrigin>(&state).await?;
    let session: BrowserSession = extract(&state).await?;
    session.sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in user, or `None`.
#[server(prefix = "/rpc", endpoint = "me")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use super::server::{extract, state};
    use crate::server::auth::AuthError;
    use crate::server::browser::BrowserSession;

    let state = state()?;
    let session: BrowserSession = extract(&state).await?;
    let Some(caller) = session.caller(&state).await? else {
        return Ok(None);
    };
    match caller.user(&state).await {
        Ok(user) => Ok(Some(user)),
        // The session's user no longer exists: signed out.
        Err(AuthError::Missing | AuthError::Refused) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
