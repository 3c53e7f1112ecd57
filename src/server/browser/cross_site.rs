//! The cross-site check for state-changing server functions: on top of `SameSite=Lax`, a request
//! that changes something must come from a page of this site.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::error::AppError;
use crate::server::state::AppState;

/// Proof that a request's `Origin` (or, without one, its `Referer`) names this site; refused
/// with [`AppError::CrossSite`] otherwise.
pub struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if same_origin(&parts.headers, state.config.trust_proxy_headers) {
            Ok(Self)
        } else {
            tracing::warn!("refused a cross-site request to a server function");
            Err(AppError::CrossSite)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
