//! The browser's side of authentication: a tower-sessions session (stored in PostgreSQL) holds
//! the user's JWT; server functions verify it with the same `auth::verify` the API uses.

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use uuid::Uuid;

use super::accounts;
use super::auth::{self, AuthUser};
use super::error::ApiError;
use super::state::AppState;
use crate::db;
use crate::db::sessions::PgSessionStore;
use crate::domain::{Credentials, User};
use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "taskdeck_session";
/// Where a signed-in user lands when no (acceptable) `next` was given.
pub const HOME: &str = "/tasks";

/// Where the server functions live (their `#[server(prefix = "/rpc")]`): not pages.
const SERVER_FN_PATHS: &str = "/rpc/";

const JWT_KEY: &str = "jwt";
const USER_KEY: &str = "user_id";
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

impl From<ApiError> for AppError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Validation(errors) => AppError::Validation(errors),
            ApiError::InvalidCredentials => AppError::InvalidCredentials,
            ApiError::Conflict(_) => AppError::EmailTaken,
            ApiError::TooManyRequests { retry_after_secs } => {
                AppError::TooManyAttempts { retry_after_secs }
            }
            ApiError::Unauthenticated | ApiError::InvalidToken => AppError::Unauthorized,
            other => {
                if let ApiError::Internal(cause) = &other {
                    tracing::error!(error = %cause, "internal error in a server function");
                }
                AppError::Internal
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::from(err).into()
    }
}

/// The signed-in user of one request, resolved at most once. A page render asks for it in more
/// than one place (the page's `current_user`, then `list_tasks`), and each resolution is a
/// database round trip. Provided fresh for every page render and server-function call (see
/// `startup::router`), so it never outlives the request it was resolved for.
#[derive(Clone, Default)]
pub struct SignedIn(Arc<tokio::sync::OnceCell<Option<AuthUser>>>);

/// What a server function needs: the application state, the request's headers, its session.
pub struct Request {
    pub state: AppState,
    pub headers: HeaderMap,
    pub session: Session,
    pub client_ip: Option<std::net::IpAddr>,
    signed_in: SignedIn,
}

impl Request {
    pub async fn current() -> Result<Self, AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let parts = use_context::<axum::http::request::Parts>().ok_or(AppError::Internal)?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(AppError::Internal)?;
        let client_ip = auth::client_ip(&parts, state.config.trust_proxy_headers);
        Ok(Self {
            state,
            headers: parts.headers,
            session,
            client_ip,
            // Absent only outside the routes that provide it (the 404 fallback): resolve afresh.
            signed_in: use_context::<SignedIn>().unwrap_or_default(),
        })
    }

    /// Refuses a state-changing request that a page of another site made the browser send
    /// (on top of SameSite=Lax): its `Origin` (or, without one, its `Referer`) must name this
    /// site. The site is the `Host` the browser addressed.
    pub fn check_same_origin(&self) -> Result<(), AppError> {
        if same_origin(&self.headers, self.state.config.trust_proxy_headers) {
            Ok(())
        } else {
            tracing::warn!("refused a cross-site request to a server function");
            Err(AppError::CrossSite)
        }
    }

    /// Puts the user into the session, then sends the browser to `next` when that is a path on
    /// this site, or to [`HOME`].
    pub async fn sign_in_and_redirect(
        &self,
        user: &User,
        next: Option<&str>,
    ) -> Result<(), AppError> {
        // A new session id at every sign-in: an id planted before it (fixation) is worthless.
        self.session.cycle_id().await.map_err(internal)?;
        self.store_token(user.id, &user.email).await?;
        leptos_axum::redirect(&safe_next(next));
        Ok(())
    }

    async fn store_token(&self, user_id: Uuid, email: &str) -> Result<(), AppError> {
        let token = auth::issue(&self.state.keys, user_id, email)?;
        self.session
            .insert(USER_KEY, user_id)
            .await
            .map_err(internal)?;
        self.session
            .insert(RENEWED_KEY, chrono::Utc::now().timestamp())
            .await
            .map_err(internal)?;
        self.session.insert(JWT_KEY, token).await.map_err(internal)
    }

    /// Restarts the session's 7 days when the last restart is an hour old or more: the change
    /// makes tower-sessions save it with a fresh expiry and send the cookie again.
    async fn renew_if_due(&self) -> Result<(), AppError> {
        let now = chrono::Utc::now().timestamp();
        let renewed = self
            .session
            .get::<i64>(RENEWED_KEY)
            .await
            .map_err(internal)?
            .unwrap_or(0);
        if now.saturating_sub(renewed) >= RENEW_AFTER_SECS {
            self.session
                .insert(RENEWED_KEY, now)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// Deletes the session server-side: the cookie is worthless from now on.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.session.flush().await.map_err(internal)
    }

    /// The signed-in user (resolved once per request; see [`SignedIn`]).
    pub async fn user(&self) -> Result<Option<AuthUser>, AppError> {
        self.signed_in
            .0
            .get_or_try_init(|| self.resolve_user())
            .await
            .cloned()
    }

    /// Verifies the session's JWT with the API's own verifier. When the JWT has expired but the
    /// session lives on, a fresh JWT is issued into the session.
    async fn resolve_user(&self) -> Result<Option<AuthUser>, AppError> {
        let Some(token) = self
            .session
            .get::<String>(JWT_KEY)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        match auth::verify(&self.state.keys, &token) {
            Ok(claims) => match auth::resolve_user(&self.state, claims).await {
                Ok(user) => {
                    self.renew_if_due().await?;
                    Ok(Some(user))
                }
                Err(ApiError::InvalidToken) => Ok(None),
                Err(err) => Err(err.into()),
            },
            Err(err) if err.is_expired() => {
                let Some(user_id) = self.session.get::<Uuid>(USER_KEY).await.map_err(internal)?
                else {
                    return Ok(None);
                };
                // The user may have been deleted since: look them up before re-issuing.
                let Some(user) = db::users::find_by_id(&self.state.pool, user_id).await? else {
                    return Ok(None);
                };
                self.store_token(user.id, &user.email).await?;
                Ok(Some(user.into()))
            }
            Err(_) => Ok(None),
        }
    }

    pub async fn require_user(&self) -> Result<AuthUser, AppError> {
        self.user().await?.ok_or(AppError::Unauthorized)
    }

    /// A plain HTML form post (JavaScript off): the browser asks for a page, not for data.
    pub fn is_form_post(&self) -> bool {
        self.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// After a plain form post, go to `back` (a path on this site) instead of the `Referer`,
    /// which server functions return to by default. Calls from the page's script are untouched.
    pub fn redirect_form_post(&self, back: Option<&str>) {
        if self.is_form_post() && back.is_some() {
            leptos_axum::redirect(&safe_next(back));
        }
    }
}

/// Renders at most [`MAX_CONCURRENT_RENDERS`](super::state::MAX_CONCURRENT_RENDERS) pages at
/// once (see [`AppState::renders`]). Server functions are not held back: a sign-in waits for
/// argon2, and must not keep pages waiting.
pub async fn limit_renders(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    // Pages and server functions share one router (leptos_axum registers both), so the
    // distinction is made here.
    if request.uri().path().starts_with(SERVER_FN_PATHS) {
        return next.run(request).await;
    }
    // The semaphore is never closed, so acquiring only fails if it were; render anyway then.
    let _permit = state.renders.acquire().await.ok();
    next.run(request).await
}

/// Gives a failed server-function call the status its error deserves: server_fn answers every
/// error with 500. Calls from the page's script get 422, 401, 409, 429 or 403 (a real failure
/// stays 500); a plain form post is untouched, since its answer is already the redirect that
/// carries the error back to the form. Done here, once, so no server function can forget it.
pub async fn server_fn_error_status(request: axum::extract::Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with(SERVER_FN_PATHS);
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An encoded AppError is a few hundred bytes at most.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&err);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::InvalidCredentials | AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::EmailTaken => StatusCode::CONFLICT,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::CrossSite => StatusCode::FORBIDDEN,
        AppError::Network | AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn internal(err: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "session store error");
    AppError::Internal
}

/// Signs in with a password (throttled exactly as the API's login).
pub async fn login(request: &Request, email: &str, password: String) -> Result<User, AppError> {
    let credentials = Credentials::parse(email, password).map_err(AppError::Validation)?;
    let user = accounts::login(&request.state, credentials, request.client_ip).await?;
    Ok(user.into())
}

pub async fn register(request: &Request, email: &str, password: String) -> Result<User, AppError> {
    let credentials = Credentials::parse(email, password).map_err(AppError::Validation)?;
    Ok(accounts::register(&request.state, credentials)
        .await?
        .into())
}

/// Whether `Origin` (else `Referer`) names the host the browser sent this request to: `Host`,
/// or behind a trusted reverse proxy (which may rewrite `Host`) its `X-Forwarded-Host`.
pub fn same_origin(headers: &HeaderMap, trust_proxy_headers: bool) -> bool {
    let forwarded = trust_proxy_headers
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        // A chain of proxies appends; the first entry is what the browser addressed.
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    let Some(host) = forwarded.or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
    else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|origin| *origin != "null")
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()));
    let Some(source) = source else {
        return false;
    };
    let Some(rest) = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.eq_ignore_ascii_case(host)
}

/// Where to go after signing in: `next` only when it is a path on this site (no scheme, no
/// `//host`, no backslash tricks, no control characters); otherwise [`HOME`].
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control)
                && !path.starts_with("/login")
                && !path.starts_with("/register") =>
        {
            path.to_owned()
        }
        _ => HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_paths_on_this_site() {
        assert_eq!(
            safe_next(Some("/tasks?filter=active")),
            "/tasks?filter=active"
        );
        assert_eq!(safe_next(Some("/somewhere/else")), "/somewhere/else");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example/path"),
            Some("/\\evil.example"),
            Some("\\\\evil.example"),
            Some("javascript:alert(1)"),
            Some("tasks"),
            Some("/tasks\r\nLocation: https://evil.example"),
            Some("/login"),
        ] {
            assert_eq!(safe_next(bad), HOME, "{bad:?}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn same_origin_compares_origin_or_referer_with_host() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:3000")]),
            false
        ));
        assert!(same_origin(
            &headers(&[host, ("referer", "http://127.0.0.1:3000/login?next=/tasks")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:3001")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:3000.evil.example")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[
                host,
                ("referer", "https://evil.example/?http://127.0.0.1:3000")
            ]),
            false
        ));
        // Behind a proxy that rewrites Host, the forwarded host counts, but only when trusted.
        let proxied = [
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "tasks.example.com"),
            ("origin", "https://tasks.example.com"),
        ];
        assert!(same_origin(&headers(&proxied), true));
        assert!(!same_origin(&headers(&proxied), false));
        let forged = [
            ("host", "tasks.example.com"),
            ("x-forwarded-host", "evil.example"),
            ("origin", "https://evil.example"),
        ];
        assert!(!same_origin(&headers(&forged), false));
        // Neither header: not provably ours.
        assert!(!same_origin(&headers(&[host]), false));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), false));
    }
}
