//! The web app's side of the server: browser sessions ([`session`]), the cross-site check
//! ([`cross_site`]), the layers around pages and server functions ([`middleware`]), and the
//! signed errors of failed form posts ([`form_errors`]).

pub mod cross_site;
pub mod form_errors;
pub mod middleware;
pub mod session;

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

pub use cross_site::SameOrigin;
pub use session::{BrowserSession, SessionUser, SESSION_COOKIE};

/// Where a signed-in user lands when no (acceptable) `next` was given.
pub const HOME: &str = "/tasks";

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

/// Whether a server-function call is a plain HTML form post (JavaScript off): the browser asks
/// for a page, not for data.
pub struct FormPost(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for FormPost {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html")),
        ))
    }
}

impl FormPost {
    /// After a plain form post, go to `back` (a path on this site) instead of the `Referer`,
    /// which server functions return to by default. Calls from the page's script are untouched.
    pub fn redirect_to(&self, back: Option<&str>) {
        if self.0 && back.is_some() {
            leptos_axum::redirect(&safe_next(back));
        }
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
}
