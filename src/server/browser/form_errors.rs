//! The errors a failed form post carries back in the page's URL, signed.
//!
//! Without JavaScript, a server function that fails answers with a redirect back to the form's
//! page, the error in its query (`__path` names the server function, `__err` holds the encoded
//! error; server_fn does this), and the page shows that error beside the form's fields. Anyone
//! can write such a URL, so a link could put words of an attacker's choosing ("your account is
//! locked, call ...") beside the sign-in form, in our page, under our name. So the redirect that
//! server_fn builds gets a signature (an HMAC of the error, the server function and the time,
//! keyed by the server's secret) and a page request whose error is unsigned, altered or older
//! than [`MAX_AGE_SECS`] is redirected to the same URL without it before anything renders: the
//! browser never holds a URL with an error we did not write (the page's script reads the error
//! from the address bar when it hydrates). Our errors never quote what a user typed, so a genuine
//! one replayed says only what we would say.
//!
//! Hand-written rather than a crate: no crate signs server_fn's URLs; the HMAC itself is the
//! `hmac` crate's.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::middleware::SERVER_FN_PATHS;
use crate::server::state::AppState;

/// The query parameters server_fn writes, and the two this module adds.
const PATH: &str = "__path";
const ERR: &str = "__err";
const ISSUED: &str = "__errts";
const SIGNATURE: &str = "__errsig";

/// How long a signed error may be shown: long enough to follow the redirect, short enough that a
/// copied link soon says nothing.
pub const MAX_AGE_SECS: u64 = 600;

/// Distinguishes these signatures from anything else made with the same secret.
const CONTEXT: &[u8] = b"taskdeck form error v1\n";

fn mac(secret: &[u8], issued: u64, path: &str, err: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(CONTEXT);
    mac.update(issued.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(err.as_bytes());
    mac
}

/// The signature of an error for the server function at `path`, issued at `issued`.
pub fn sign(secret: &[u8], issued: u64, path: &str, err: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, issued, path, err).finalize().into_bytes())
}

/// Whether `signature` is ours for this error, and it is not older than [`MAX_AGE_SECS`] (nor
/// from the future, beyond a minute of clock skew between servers).
pub fn verify(
    secret: &[u8],
    now: u64,
    issued: u64,
    path: &str,
    err: &str,
    signature: &str,
) -> bool {
    let fresh = issued <= now.saturating_add(60) && now.saturating_sub(issued) <= MAX_AGE_SECS;
    fresh
        && URL_SAFE_NO_PAD
            .decode(signature)
            .is_ok_and(|bytes| mac(secret, issued, path, err).verify_slice(&bytes).is_ok())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The query's value of `name`, decoded.
fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Signs the errors of server functions' redirects; sends page requests that carry an error
/// without a valid signature to the same page without it.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secret = state.config.jwt.secret.expose_secret().as_bytes().to_vec();
    if request.uri().path().starts_with(SERVER_FN_PATHS) {
        let mut response = next.run(request).await;
        sign_redirect(&mut response, &secret);
        return response;
    }
    let query = request.uri().query().unwrap_or_default();
    let carries_error =
        url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == PATH || key == ERR);
    if carries_error && !signed(query, &secret) {
        let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| ![PATH, ERR, ISSUED, SIGNATURE].contains(&key.as_ref()))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let path = request.uri().path();
        let target = if kept.is_empty() {
            path.to_owned()
        } else {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            format!("{path}?{query}")
        };
        return Redirect::to(&target).into_response();
    }
    next.run(request).await
}

fn signed(query: &str, secret: &[u8]) -> bool {
    let (Some(path), Some(err), Some(issued), Some(signature)) = (
        param(query, PATH),
        param(query, ERR),
        param(query, ISSUED).and_then(|issued| issued.parse::<u64>().ok()),
        param(query, SIGNATURE),
    ) else {
        return false;
    };
    verify(secret, now(), issued, &path, &err, &signature)
}

/// Adds the issue time and the signature to a redirect whose `Location` carries an error.
fn sign_redirect(response: &mut Response, secret: &[u8]) {
    if !response.status().is_redirection() {
        return;
    }
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
    else {
        return;
    };
    let Ok(mut url) = url::Url::parse(location) else {
        return;
    };
    let query = url.query().unwrap_or_default().to_owned();
    let (Some(path), Some(err)) = (param(&query, PATH), param(&query, ERR)) else {
        return;
    };
    let issued = now();
    url.query_pairs_mut()
        .append_pair(ISSUED, &issued.to_string())
        .append_pair(SIGNATURE, &sign(secret, issued, &path, &err));
    match HeaderValue::from_str(url.as_str()) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
        }
        // Cannot happen (a URL is valid header text); an unsigned error is dropped, not shown.
        Err(_) => *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signature_holds_for_its_error_path_and_time_only() {
        let signature = sign(SECRET, 1_000, "/rpc/login", "eyJlcnIiOjF9");
        assert!(verify(
            SECRET,
            1_000,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(verify(
            SECRET,
            1_600,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        // Too old; from the future; another error, path, time or key; garbage.
        assert!(!verify(
            SECRET,
            1_601,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(!verify(
            SECRET,
            900,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(!verify(
            SECRET,
            1_000,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjJ9",
            &signature
        ));
        assert!(!verify(
            SECRET,
            1_000,
            1_000,
            "/rpc/register",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(!verify(
            SECRET,
            1_000,
            999,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(!verify(
            b"another secret",
            1_000,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            &signature
        ));
        assert!(!verify(
            SECRET,
            1_000,
            1_000,
            "/rpc/login",
            "eyJlcnIiOjF9",
            "not base64!"
        ));
    }
}
