//! The API's extractors: the caller from `Authorization: Bearer`, and the client's address.
//! (The browser's session extractor is `server::browser::session::SessionUser`.)

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use axum::http::Method;

use super::identity::{Access, AuthError, Caller};
use super::jwt::{self, Claims, Keys};
use super::secrets;
use crate::domain::Scope;
use crate::server::error::ApiError;
use crate::server::rate_limit::{Decision, DecisionSlot};
use crate::server::state::AppState;

/// `Authorization: Bearer <jwt>`, scheme case-insensitive. Never the query string.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Refused)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::Refused);
    }
    Ok(token)
}

/// The verified claims of a bearer token; every refusal is the same 401.
fn bearer_claims(token: &str, keys: &Keys) -> Result<Claims, AuthError> {
    jwt::verify(keys, token).map_err(|err| {
        tracing::debug!(%err, "bearer token refused");
        AuthError::Refused
    })
}

/// The caller a bearer token names: an access token verified (expiry, signature, its sign-in not
/// ended) through the one identity step, or a personal access token looked up (not revoked, not
/// expired). Also how a long-lived answer (an event stream) checks that its token still holds.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    Ok(if token.starts_with(secrets::ACCESS_PREFIX) {
        Caller::from_access_token(state, token).await?
    } else {
        let claims = bearer_claims(token, &state.keys)?;
        Caller::from_claims(state, claims).await?
    })
}

/// The API's caller: its bearer token (an access token, verified, through the one identity step;
/// or a personal access token, looked up), allowed this request by its scopes (a 403 outside
/// them); then one request taken from the caller's rate limit (a 429 past it), its state left for
/// the response's `RateLimit` headers.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already found for this request (by `rest::idempotency`, before the handler): the same
        // caller, counted once by the rate limit.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer_token(&parts.headers)?;
        let caller = authenticate(state, token).await?;
        if let Access::Scoped(scopes) = &caller.access {
            if !allows(scopes, &parts.method, parts.uri.path()) {
                return Err(ApiError::InsufficientScope);
            }
        }
        let decision = state.rate_limit.check(caller.id);
        if let Some(slot) = parts.extensions.get::<DecisionSlot>() {
            slot.set(decision);
        }
        match decision {
            Decision::Allowed { .. } => Ok(caller),
            Decision::Refused { retry_after_secs } => {
                Err(ApiError::RateLimited { retry_after_secs })
            }
        }
    }
}

/// The areas of the API a personal access token's scopes cover (API-accounts.md).
const SCOPED_AREAS: [&str; 5] = ["tasks", "projects", "labels", "changes", "events"];

/// Whether a personal access token with `scopes` may make this request: `tasks:read` for a `GET`
/// (or `HEAD`) in one of [`SCOPED_AREAS`], `tasks:write` for any other method there; `GET
/// /api/auth/me` with any scope; nothing else (tokens, passwords, sign-ins, the account).
/// `path` with or without the API's `/api` prefix (inside the nested router it has none).
pub fn allows(scopes: &[Scope], method: &Method, path: &str) -> bool {
    let path = path.strip_prefix("/api").unwrap_or(path);
    let reading = method == Method::GET || method == Method::HEAD;
    if path == "/auth/me" {
        return reading;
    }
    let area = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if !SCOPED_AREAS.contains(&area) {
        return false;
    }
    let need = if reading {
        Scope::TasksRead
    } else {
        Scope::TasksWrite
    };
    scopes.contains(&need)
}

/// The client's address, for throttling (see [`throttle_address`]).
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|value| value.as_bytes());
        Ok(Self(
            client_ip(peer, forwarded, state.config.trust_proxy_headers).map(throttle_address),
        ))
    }
}

/// The client's address: the socket's peer, or with `TRUST_PROXY_HEADERS=true` the last entry of
/// `X-Forwarded-For` (the one our own proxy appended; earlier ones are the client's word). Only
/// the last entry counts: when it does not parse, the peer is used, never an earlier entry that
/// the client may have written itself.
fn client_ip<'a>(
    peer: Option<IpAddr>,
    forwarded: impl Iterator<Item = &'a [u8]>,
    trust_proxy_headers: bool,
) -> Option<IpAddr> {
    if !trust_proxy_headers {
        return peer;
    }
    let last = forwarded
        .last()
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.rsplit(',').next())
        .map(str::trim);
    last.and_then(parse_forwarded_address).or(peer)
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`203.0.113.7:4711`,
/// `[2001:db8::1]:443`).
fn parse_forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// The address a client is throttled by: its IPv4 address (also when written as an IPv4-mapped
/// IPv6 address), or the /64 network of its IPv6 address: one subscriber is usually given a
/// whole /64, so counting single IPv6 addresses would let one client rotate through 2^64 of them.
pub fn throttle_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        let headers = |value: &'static str| {
            let mut map = HeaderMap::new();
            map.insert(header::AUTHORIZATION, value.parse().expect("header"));
            map
        };
        assert_eq!(bearer_token(&headers("Bearer abc")).ok(), Some("abc"));
        assert_eq!(bearer_token(&headers("bEaReR   abc ")).ok(), Some("abc"));
        assert!(matches!(
            bearer_token(&headers("Basic abc")),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer ")),
            Err(AuthError::Missing | AuthError::Refused)
        ));
    }

    #[test]
    fn scopes_cover_their_areas_and_nothing_else() {
        use Scope::{TasksRead as R, TasksWrite as W};
        let get = Method::GET;
        let post = Method::POST;
        assert!(allows(&[R], &get, "/api/tasks"));
        assert!(allows(&[R], &get, "/tasks/abc"));
        assert!(allows(&[R], &Method::HEAD, "/api/labels"));
        assert!(!allows(&[R], &post, "/api/tasks"));
        assert!(allows(&[W], &post, "/api/tasks"));
        assert!(allows(&[W], &Method::DELETE, "/api/projects/x"));
        assert!(!allows(&[W], &get, "/api/tasks"));
        assert!(allows(&[R, W], &Method::PATCH, "/api/tasks/x"));
        assert!(allows(&[R], &get, "/api/changes"));
        assert!(allows(&[R], &get, "/api/events"));
        // The account and credentials: only GET /api/auth/me, with any scope.
        assert!(allows(&[W], &get, "/api/auth/me"));
        assert!(!allows(&[R, W], &Method::PATCH, "/api/auth/me"));
        assert!(!allows(&[R, W], &Method::DELETE, "/api/auth/me"));
        assert!(!allows(&[R, W], &get, "/api/tokens"));
        assert!(!allows(&[R, W], &post, "/api/auth/logout"));
        assert!(!allows(&[R, W], &post, "/api/auth/password"));
        // Look-alike paths are not areas.
        assert!(!allows(&[R, W], &get, "/api/tasksx"));
        assert!(!allows(&[R, W], &get, "/api/"));
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn only_the_last_forwarded_entry_counts() {
        let peer = Some(ip("10.0.0.1"));
        let forwarded = |headers: &[&'static str], trusted: bool| {
            client_ip(peer, headers.iter().map(|h| h.as_bytes()), trusted)
        };
        // Untrusted: the peer, whatever the header says.
        assert_eq!(forwarded(&["203.0.113.7"], false), peer);
        // Trusted: the last entry of the last header, with or without a port.
        assert_eq!(
            forwarded(&["1.1.1.1, 203.0.113.7"], true),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            forwarded(&["1.1.1.1", "203.0.113.7:4711"], true),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            forwarded(&["[2001:db8::1]:443"], true),
            Some(ip("2001:db8::1"))
        );
        // A last entry that does not parse never lets the client's own earlier entry win.
        assert_eq!(forwarded(&["6.6.6.6, unknown"], true), peer);
        assert_eq!(forwarded(&["6.6.6.6", "garbage"], true), peer);
        assert_eq!(forwarded(&["6.6.6.6, "], true), peer);
        assert_eq!(forwarded(&[], true), peer);
    }

    #[test]
    fn ipv6_clients_are_throttled_by_their_64() {
        assert_eq!(
            throttle_address(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            throttle_address(ip("2001:db8:1:2::1")),
            throttle_address(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            throttle_address(ip("2001:db8:1:2::1")),
            throttle_address(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            throttle_address(ip("::ffff:203.0.113.7")),
            ip("203.0.113.7")
        );
        assert_eq!(throttle_address(ip("203.0.113.7")), ip("203.0.113.7"));
    }
}
