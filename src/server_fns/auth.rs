use leptos::prelude::*;

use crate::domain::User;
use crate::error::AppError;

/// Signs in and redirects to `next` (a path on this site) or to /tasks.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::browser;
    let request = browser::Request::current().await?;
    request.check_same_origin()?;
    let user = browser::login(&request, &email, password).await?;
    request.sign_in_and_redirect(&user, next.as_deref()).await
}

/// Creates an account, signs it in, and redirects like [`login`].
#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::browser;
    let request = browser::Request::current().await?;
    request.check_same_origin()?;
    let user = browser::register(&request, &email, password).await?;
    request.sign_in_and_redirect(&user, next.as_deref()).await
}

/// Deletes the session on the server and redirects to the sign-in page.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::browser;
    let request = browser::Request::current().await?;
    request.check_same_origin()?;
    request.sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in user, or `None`.
#[server(prefix = "/rpc", endpoint = "me")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use crate::server::browser;
    let request = browser::Request::current().await?;
    Ok(request.user().await?.map(User::from))
}
