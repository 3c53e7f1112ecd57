//! The browser's sessions: a tower-sessions session (stored in PostgreSQL) holds the user's JWT,
//! and [`SessionUser`] turns it into the request's [`Caller`] with the API's own verification
//! and identity step.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use uuid::Uuid;

use super::safe_next;
use crate::db;
use crate::db::sessions::PgSessionStore;
use crate::domain::User;
use crate::error::AppError;
use crate::server::auth::{jwt, AuthError, Caller};
use crate::server::error::internal;
use crate::server::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "taskdeck_session";

const JWT_KEY: &str = "jwt";
/// A refused edit form, kept for one render ([`KeptEdit`](crate::domain::KeptEdit)).
const KEPT_EDIT_KEY: &str = "kept_edit";
use crate::db::sessions::USER_KEY;
/// When the session's lifetime last restarted (Unix seconds).
const RENEWED_KEY: &str = "renewed_at";
/// A session's 7 days restart with use, at most once an hour: tower-sessions writes a session
/// (and sends its cookie again) only when it changed, and a renewal on every page view would be
/// a database write per page.
const RENEW_AFTER_SECS: i64 = 3600;

/// Sessions expire after 7 days without use (renewed at most hourly: see [`RENEW_AFTER_SECS`]).
/// The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure unless `COOKIE_SECURE=false` (plain
/// http on a developer's machine).
pub fn session_layer(state: &AppState) -> SessionManagerLayer<PgSessionStore> {
    SessionManagerLayer::new(PgSessionStore::new(state.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_secure(state.config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)))
}

/// The signed-in caller of one request, resolved at most once: a page render asks for it in more
/// than one place (the page's `current_user`, then `list_tasks`). Put fresh into every page's and
/// server function's request by `middleware::session_cache`; the clones leptos_axum makes of the
/// request's parts share it, and it never outlives its request.
#[derive(Clone, Default)]
pub struct SignedIn(Arc<tokio::sync::OnceCell<Option<Caller>>>);

/// A request's browser session.
pub struct BrowserSession {
    session: Session,
    signed_in: SignedIn,
}

impl FromRequestParts<AppState> for BrowserSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| internal(&"no session layer on this route"))?;
        Ok(Self {
            session,
            // Absent only outside the routes that provide it: resolve afresh then.
            signed_in: parts
                .extensions
                .get::<SignedIn>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

/// The signed-in caller of a page or server function; [`AppError::Unauthorized`] without one.
pub struct SessionUser(pub Caller);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = BrowserSession::from_request_parts(parts, state).await?;
        session
            .caller(state)
            .await?
            .map(Self)
            .ok_or(AppError::Unauthorized)
    }
}

impl BrowserSession {
    /// Keeps a refused edit form for the next render of its page (one at a time: a newer one
    /// replaces it).
    pub async fn keep_edit(&self, kept: &crate::domain::KeptEdit) -> Result<(), AppError> {
        self.session
            .insert(KEPT_EDIT_KEY, kept)
            .await
            .map_err(|err| internal(&err))
    }

    /// The kept edit form, taken: a later render shows the task as stored. Read first, so that a
    /// render without one writes nothing (tower-sessions saves a session marked changed, and a
    /// removal marks it whether or not there was anything to remove).
    pub async fn take_kept_edit(&self) -> Result<Option<crate::domain::KeptEdit>, AppError> {
        let kept = self
            .session
            .get::<crate::domain::KeptEdit>(KEPT_EDIT_KEY)
            .await
            .map_err(|err| internal(&err))?;
        if kept.is_some() {
            self.session
                .remove_value(KEPT_EDIT_KEY)
                .await
                .map_err(|err| internal(&err))?;
        }
        Ok(kept)
    }

    /// The signed-in caller, if any (resolved once per request; see [`SignedIn`]).
    pub async fn caller(&self, state: &AppState) -> Result<Option<Caller>, AppError> {
        self.signed_in
            .0
            .get_or_try_init(|| self.resolve(state))
            .await
            .cloned()
    }

    /// Verifies the session's JWT with the API's own verifier and takes it through the same
    /// identity step. When the JWT has expired but the session lives on, a fresh JWT is issued
    /// into the session.
    async fn resolve(&self, state: &AppState) -> Result<Option<Caller>, AppError> {
        let Some(token) = self
            .session
            .get::<String>(JWT_KEY)
            .await
            .map_err(|err| internal(&err))?
        else {
            return Ok(None);
        };
        match jwt::verify(&state.keys, &token) {
            Ok(claims) => match Caller::from_claims(state, claims).await {
                Ok(caller) => {
                    self.renew_if_due().await?;
                    Ok(Some(caller))
                }
                Err(AuthError::Missing | AuthError::Refused) => Ok(None),
                Err(err) => Err(err.into()),
            },
            Err(err) if err.is_expired() => {
                let Some(user_id) = self
                    .session
                    .get::<Uuid>(USER_KEY)
                    .await
                    .map_err(|err| internal(&err))?
                else {
                    return Ok(None);
                };
                // The user may have been deleted since: look them up before re-issuing.
                let Some(user) = db::users::find_by_id(&state.pool, user_id).await? else {
                    return Ok(None);
                };
                self.store_token(state, user.id, &user.email).await?;
                Ok(Some(Caller::known(user.into())))
            }
            Err(_) => Ok(None),
        }
    }

    /// Puts the user into the session, then sends the browser to `next` when that is a path on
    /// this site, or to [`HOME`](super::HOME).
    pub async fn sign_in(
        &self,
        state: &AppState,
        user: &User,
        next: Option<&str>,
    ) -> Result<(), AppError> {
        // A new session id at every sign-in: an id planted before it (fixation) is worthless.
        self.session
            .cycle_id()
            .await
            .map_err(|err| internal(&err))?;
        self.store_token(state, user.id, &user.email).await?;
        leptos_axum::redirect(&safe_next(next));
        Ok(())
    }

    async fn store_token(
        &self,
        state: &AppState,
        user_id: Uuid,
        email: &str,
    ) -> Result<(), AppError> {
        let token = jwt::issue(&state.keys, user_id, email, None).map_err(|err| internal(&err))?;
        self.session
            .insert(USER_KEY, user_id)
            .await
            .map_err(|err| internal(&err))?;
        self.session
            .insert(RENEWED_KEY, chrono::Utc::now().timestamp())
            .await
            .map_err(|err| internal(&err))?;
        self.session
            .insert(JWT_KEY, token)
            .await
            .map_err(|err| internal(&err))
    }

    /// Restarts the session's 7 days when the last restart is an hour old or more: the change
    /// makes tower-sessions save it with a fresh expiry and send the cookie again.
    async fn renew_if_due(&self) -> Result<(), AppError> {
        let now = chrono::Utc::now().timestamp();
        let renewed = self
            .session
            .get::<i64>(RENEWED_KEY)
            .await
            .map_err(|err| internal(&err))?
            .unwrap_or(0);
        if now.saturating_sub(renewed) >= RENEW_AFTER_SECS {
            self.session
                .insert(RENEWED_KEY, now)
                .await
                .map_err(|err| internal(&err))?;
        }
        Ok(())
    }

    /// The session's id, once it has one (a signed-in session always has).
    pub async fn id(&self) -> Option<String> {
        self.session.id().map(|id| id.to_string())
    }

    /// A new id for the same session (after a password change: the old id, which may have been
    /// copied along with the old password, opens nothing any more).
    pub async fn cycle(&self) -> Result<(), AppError> {
        self.session.cycle_id().await.map_err(|err| internal(&err))
    }

    /// Deletes the session server-side: the cookie is worthless from now on.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.session.flush().await.map_err(|err| internal(&err))
    }
}
