//! The API's extractors: the caller from `Authorization: Bearer`, and the client's address.
//! (The browser's session extractor is `server::browser::session::SessionUser`.)

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::identity::{AuthError, Caller};
use super::jwt::{self, Claims, Keys};
use crate::server::error::ApiError;
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

/// The verified claims of a request's bearer token; every refusal is the same 401.
fn bearer_claims(headers: &HeaderMap, keys: &Keys) -> Result<Claims, AuthError> {
    jwt::verify(keys, bearer_token(headers)?).map_err(|err| {
        tracing::debug!(%err, "bearer token refused");
        AuthError::Refused
    })
}

/// The API's caller: its bearer token, verified, through the one identity step.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = bearer_claims(&parts.headers, &state.keys)?;
        Ok(Caller::from_claims(state, claims).await?)
    }
}

/// The client's address, for throttling.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts, state.config.trust_proxy_headers)))
    }
}

/// The client's address: the socket's peer, or with `TRUST_PROXY_HEADERS=true` the last address
/// in `X-Forwarded-For` (the one our own proxy appended; earlier ones are the client's word).
fn client_ip(parts: &Parts, trust_proxy_headers: bool) -> Option<IpAddr> {
    if trust_proxy_headers {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|item| item.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
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
}
