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

/// The MAC of one error; `None` only if the key were refused, which HMAC never does (any length
/// is a key): an error is then left unsigned, and so never shown.
fn mac(secret: &[u8], issued: u64, path: &str, err: &str) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(CONTEXT);
    mac.update(issued.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(err.as_bytes());
    Some(mac)
}

/// The signature of an error for the server function at `path`, issued at `issued`.
pub fn sign(secret: &[u8], issued: u64, path: &str, err: &str) -> Option<String> {
    let mac = mac(secret, issued, path, err)?;
    Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
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
        && URL_SAFE_NO_PAD.decode(signature).is_ok_and(|bytes| {
            mac(secret, issued, path, err).is_some_and(|mac| mac.verify_slice(&bytes).is_ok())
        })
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The four parameters of a form's error in a query, decoded, read in one pass.
#[derive(Default)]
struct ErrorParams {
    path: Option<String>,
    err: Option<String>,
    issued: Option<String>,
    signature: Option<String>,
    /// One of them given twice: which one the page would show is not ours to guess, so such a
    /// query is never signed.
    repeated: bool,
}

impl ErrorParams {
    fn of(query: &str) -> Self {
        let mut params = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                PATH => &mut params.path,
                ERR => &mut params.err,
                ISSUED => &mut params.issued,
                SIGNATURE => &mut params.signature,
                _ => continue,
            };
            params.repeated |= slot.is_some();
            *slot = Some(value.into_owned());
        }
        params
    }

    /// Whether the query carries an error for the page to show.
    fn carries_error(&self) -> bool {
        self.path.is_some() || self.err.is_some()
    }

    /// Whether that error is signed by this server, and fresh.
    fn signed(&self, secret: &[u8]) -> bool {
        if self.repeated {
            return false;
        }
        let (Some(path), Some(err), Some(issued), Some(signature)) = (
            &self.path,
            &self.err,
            self.issued
                .as_deref()
                .and_then(|issued| issued.parse::<u64>().ok()),
            &self.signature,
        ) else {
            return false;
        };
        verify(secret, now(), issued, path, err, signature)
    }
}

/// Signs the errors of server functions' redirects; sends page requests that carry an error
/// without a valid signature to the same page without it.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secret = state.config.jwt.secret.expose_secret().as_bytes();
    if request.uri().path().starts_with(SERVER_FN_PATHS) {
        let mut response = next.run(request).await;
        sign_redirect(&mut response, secret);
        return response;
    }
    let query = request.uri().query().unwrap_or_default();
    let params = ErrorParams::of(query);
    if params.carries_error() && !params.signed(secret) {
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

/// Adds the issue time and the signature to a redirect whose `Location` carries an error. The
/// page that failed may itself carry an earlier error (a form sent again after one): server_fn
/// appends the new `__path` and `__err` after the old ones, so the last of each is the new one,
/// and the old four parameters are dropped, leaving one of each.
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
    let ErrorParams {
        path: Some(path),
        err: Some(err),
        ..
    } = ErrorParams::of(url.query().unwrap_or_default())
    else {
        return;
    };
    let issued = now();
    // Unsigned (never in practice, see `mac`), the error is dropped on its way back.
    let Some(signature) = sign(secret, issued, &path, &err) else {
        return;
    };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| ![PATH, ERR, ISSUED, SIGNATURE].contains(&key.as_ref()))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(PATH, &path)
        .append_pair(ERR, &err)
        .append_pair(ISSUED, &issued.to_string())
        .append_pair(SIGNATURE, &signature);
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
        const ERR: &str = "eyJlcnIiOjF9";
        const OTHER_ERR: &str = "eyJlcnIiOjJ9";
        const ANOTHER_KEY: &[u8] = b"another secret";
        let signature = sign(SECRET, 1_000, "/rpc/login", ERR).expect("signed");
        let sig = signature.as_str();
        assert!(verify(SECRET, 1_000, 1_000, "/rpc/login", ERR, sig));
        assert!(verify(SECRET, 1_600, 1_000, "/rpc/login", ERR, sig));
        // Too old; from the future; another error, path, time or key; garbage.
        let refused = [
            (SECRET, 1_601, 1_000, "/rpc/login", ERR, sig),
            (SECRET, 900, 1_000, "/rpc/login", ERR, sig),
            (SECRET, 1_000, 1_000, "/rpc/login", OTHER_ERR, sig),
            (SECRET, 1_000, 1_000, "/rpc/register", ERR, sig),
            (SECRET, 1_000, 999, "/rpc/login", ERR, sig),
            (ANOTHER_KEY, 1_000, 1_000, "/rpc/login", ERR, sig),
            (SECRET, 1_000, 1_000, "/rpc/login", ERR, "not base64!"),
        ];
        for (key, now, issued, path, err, sig) in refused {
            assert!(
                !verify(key, now, issued, path, err, sig),
                "{now} {issued} {path} {err} {sig}"
            );
        }
    }

    #[test]
    fn the_error_parameters_are_read_in_one_pass() {
        let params = ErrorParams::of("next=%2Ftasks&__path=%2Frpc%2Flogin&__err=abc%3D&__errts=7");
        assert_eq!(params.path.as_deref(), Some("/rpc/login"));
        assert_eq!(params.err.as_deref(), Some("abc="));
        assert_eq!(params.issued.as_deref(), Some("7"));
        assert!(params.signature.is_none());
        assert!(params.carries_error());
        assert!(!params.signed(SECRET));
        assert!(!ErrorParams::of("next=%2Ftasks").carries_error());
        // A second error after a signed one is never taken for signed.
        let issued = now();
        let signature = sign(SECRET, issued, "/rpc/login", "abc=").expect("signed");
        let signed =
            format!("__path=%2Frpc%2Flogin&__err=abc%3D&__errts={issued}&__errsig={signature}");
        assert!(ErrorParams::of(&signed).signed(SECRET));
        assert!(!ErrorParams::of(&format!("{signed}&__err=forged")).signed(SECRET));
    }

    #[test]
    fn a_second_failure_on_a_page_showing_the_first_is_signed_alone() {
        let issued = now();
        let first = sign(SECRET, issued, "/rpc/tasks/create", "b2xk").expect("signed");
        // server_fn's redirect: the page's URL (with the first, signed error), then the new one.
        let location = format!(
            "http://127.0.0.1:3000/tasks?filter=active&__path=%2Frpc%2Ftasks%2Fcreate&__err=b2xk\
             &__errts={issued}&__errsig={first}&__path=%2Frpc%2Ftasks%2Fupdate&__err=bmV3"
        );
        let mut response = Redirect::to(&location).into_response();
        sign_redirect(&mut response, SECRET);
        let signed = url::Url::parse(
            response.headers()[header::LOCATION]
                .to_str()
                .expect("ASCII"),
        )
        .expect("a URL");
        let query = signed.query().unwrap_or_default();
        let params = ErrorParams::of(query);
        assert!(!params.repeated, "{query}");
        assert_eq!(params.path.as_deref(), Some("/rpc/tasks/update"));
        assert_eq!(params.err.as_deref(), Some("bmV3"));
        assert!(params.signed(SECRET), "{query}");
        assert!(query.starts_with("filter=active&"), "{query}");
    }
}
