//! The settings page's calls: personal access tokens, the password, the time zone, signing out
//! everywhere, deleting the account (API-accounts.md, The web app). Each works as a plain form
//! post (JavaScript off) and from the page's script.

use leptos::prelude::*;

use crate::domain::{CreatedAccessToken, Settings};
use crate::error::AppError;

/// The cookie that carries a token created by a form posted without JavaScript to the page the
/// browser is sent back to, which shows it once and clears it. Never stored on the server (the
/// secret is kept only as a hash), sent only to /settings, for two minutes at most.
#[cfg(feature = "ssr")]
const NEW_TOKEN_COOKIE: &str = "taskdeck_new_token";

/// What the settings page shows. Reads (and clears) a token created without JavaScript.
#[server(prefix = "/rpc", endpoint = "settings")]
pub async fn load_settings() -> Result<Settings, AppError> {
    use super::server::{extract, signed_in};
    use crate::db;
    use crate::server::auth::secrets;

    let (state, caller) = signed_in(false).await?;
    // The record, not `caller.user()`: the page also needs whether it has a password.
    let (user, tokens) = tokio::try_join!(
        db::users::find_by_id(&state.pool, caller.id),
        db::access_tokens::list(&state.pool, caller.id)
    )?;
    let user = user.ok_or(AppError::Unauthorized)?;
    let headers: axum::http::HeaderMap = extract(&state).await?;
    let new_token = cookie(&headers, NEW_TOKEN_COOKIE).filter(|secret| {
        // Only a token of this user's (a cookie planted by someone else shows nothing).
        secrets::parse_access_token(&state.keys, secret)
            .is_some_and(|(user_id, _, _)| user_id == caller.id)
    });
    if new_token.is_some() {
        set_cookie(&state, NEW_TOKEN_COOKIE, "", 0);
    }
    Ok(Settings {
        has_password: user.password_hash.is_some(),
        email: user.email,
        timezone: user.timezone,
        tokens,
        new_token,
    })
}

/// `name=value` from a request's Cookie headers.
#[cfg(feature = "ssr")]
fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(feature = "ssr")]
fn set_cookie(state: &crate::server::state::AppState, name: &str, value: &str, max_age: u32) {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let line = format!(
        "{name}={value}; Path=/settings; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&line),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// Creates a personal access token. `read` and `write` are the scope checkboxes; `expires_on`
/// a date (empty for none): the token works until that day ends in the user's time zone.
#[server(prefix = "/rpc", endpoint = "settings/tokens/create")]
pub async fn create_token(
    name: String,
    read: Option<String>,
    write: Option<String>,
    expires_on: Option<String>,
) -> Result<CreatedAccessToken, AppError> {
    use super::server::{extract, signed_in};
    use crate::domain::input::Field;
    use crate::domain::{AccessTokenInput, FieldError, NewAccessToken, Scope};
    use crate::server::accounts;
    use crate::server::browser::FormPost;

    let (state, caller) = signed_in(true).await?;
    let user = caller.user(&state).await?;
    let expires_at = match expires_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => Field::Null,
        Some(date) => {
            let zone =
                crate::server::time_zone::TimeZone::parse(&user.timezone).unwrap_or_default();
            let end = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .ok()
                .and_then(|date| zone.end_of_day(date));
            match end {
                Some(end) => Field::Value(end),
                None => {
                    return Err(AppError::Validation(vec![FieldError::new(
                        "expires_on",
                        "must be a date",
                    )]))
                }
            }
        }
    };
    let scopes = [(read, Scope::TasksRead), (write, Scope::TasksWrite)]
        .into_iter()
        .filter(|(checked, _)| checked.is_some())
        .map(|(_, scope)| scope.as_str().to_owned())
        .collect();
    let input = AccessTokenInput {
        name: Field::Value(name),
        scopes: Field::Value(scopes),
        expires_at,
    };
    let token = NewAccessToken::parse(input, chrono::Utc::now()).map_err(|errors| {
        // The form's field for the expiry is the date.
        AppError::Validation(
            errors
                .into_iter()
                .map(|error| match error.field.as_str() {
                    "expires_at" => FieldError::new("expires_on", "must be a day after today"),
                    _ => error,
                })
                .collect(),
        )
    })?;
    let created = accounts::create_access_token(&state, caller.id, &token).await?;
    let FormPost(form_post) = extract::<FormPost>(&state).await?;
    if form_post {
        // The page the browser returns to shows it once (see NEW_TOKEN_COOKIE).
        set_cookie(&state, NEW_TOKEN_COOKIE, &created.token, 120);
        leptos_axum::redirect("/settings#tokens");
    }
    Ok(created)
}

/// Revokes one of the user's personal access tokens; answers its id.
#[server(prefix = "/rpc", endpoint = "settings/tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<uuid::Uuid, AppError> {
    use super::server::signed_in;
    use crate::db;
    use crate::server::auth::NotFound;

    let (state, caller) = signed_in(true).await?;
    let id = uuid::Uuid::parse_str(&id).ok();
    let deleted = match id {
        Some(id) => db::access_tokens::delete(&state.pool, caller.id, id).await?,
        None => false,
    };
    Ok(caller
        .found(&state, id.filter(|_| deleted), NotFound::ACCESS_TOKEN)
        .await?)
}

/// Changes the password. Every other browser session and every API sign-in of the user ends;
/// this browser stays signed in, under a new session id. Personal access tokens are kept.
#[server(prefix = "/rpc", endpoint = "settings/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use super::server::{extract, signed_in};
    use crate::domain::input::Field;
    use crate::domain::{PasswordChange, PasswordChangeInput};
    use crate::server::accounts;
    use crate::server::auth::ClientIp;
    use crate::server::browser::{BrowserSession, FormPost};

    let (state, caller) = signed_in(true).await?;
    let change = PasswordChange::try_from(PasswordChangeInput {
        current_password: Field::Value(current_password),
        new_password: Field::Value(new_password),
    })
    .map_err(AppError::Validation)?;
    let ClientIp(client_ip) = extract(&state).await?;
    let session: BrowserSession = extract(&state).await?;
    let keep = session.id().await;
    accounts::change_password(&state, caller.id, change, keep.as_deref(), client_ip).await?;
    session.cycle().await?;
    extract::<FormPost>(&state)
        .await?
        .redirect_to(Some("/settings?done=password#password"));
    Ok(())
}

/// Sets the user's time zone (their "today" for due dates).
#[server(prefix = "/rpc", endpoint = "settings/timezone")]
pub async fn set_timezone(timezone: String) -> Result<String, AppError> {
    use super::server::{extract, signed_in};
    use crate::db;
    use crate::domain::FieldError;
    use crate::server::browser::FormPost;
    use crate::server::time_zone::TimeZone;

    let (state, caller) = signed_in(true).await?;
    let zone = TimeZone::parse(timezone.trim())
        .map_err(|err| AppError::Validation(vec![FieldError::new("timezone", err.to_string())]))?;
    db::users::set_timezone(&state.pool, caller.id, &zone)
        .await?
        .ok_or(AppError::Unauthorized)?;
    extract::<FormPost>(&state)
        .await?
        .redirect_to(Some("/settings?done=timezone#timezone"));
    Ok(zone.name().to_owned())
}

/// Ends every sign-in of the user: every browser session (this one too) and every API sign-in.
/// Personal access tokens are kept.
#[server(prefix = "/rpc", endpoint = "settings/sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use super::server::signed_in;
    use crate::server::accounts;

    let (state, caller) = signed_in(true).await?;
    accounts::end_all_sign_ins(&state, caller.id, None).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Deletes the account and everything of it, after the password.
#[server(prefix = "/rpc", endpoint = "settings/delete-account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    use super::server::{extract, signed_in};
    use crate::server::accounts;
    use crate::server::auth::ClientIp;

    let (state, caller) = signed_in(true).await?;
    let ClientIp(client_ip) = extract(&state).await?;
    accounts::delete_account(&state, caller.id, password, client_ip).await?;
    leptos_axum::redirect("/login");
    Ok(())
}
