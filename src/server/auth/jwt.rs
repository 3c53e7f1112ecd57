//! JWTs: the keys, the one verification function for every caller, and issuing our own.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::server::config::JwtConfig;

/// The clock skew tolerated on `exp` and `nbf`, in seconds (API.md: at most 60).
pub const LEEWAY_SECS: u64 = 60;

/// Signing and verification keys with the rules every token must pass.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub issuer: String,
    pub audience: Option<String>,
    pub ttl: Duration,
}

impl Keys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        // Pinned to HS256: `none`, other HMAC sizes and asymmetric algorithms are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut issuers = vec![config.issuer.clone()];
        issuers.extend(config.accepted_issuers.iter().cloned());
        validation.set_issuer(&issuers);
        match &config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "sub", "iss"]);
            }
        }
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: config.ttl,
        }
    }
}

/// The claims Taskdeck reads from a verified token (`exp`, `nbf` and `aud` are checked by
/// [`verify`] itself).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// A UUID, or the token is refused.
    pub sub: Uuid,
    #[serde(default)]
    pub email: Option<String>,
    pub iss: String,
}

/// The claims of tokens Taskdeck issues.
#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: Uuid,
    email: &'a str,
    iat: u64,
    exp: u64,
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Why a token was refused: for the log only; every case is the same 401 to the client.
#[derive(Debug, thiserror::Error)]
#[error("token refused: {0}")]
pub struct TokenError(#[from] jsonwebtoken::errors::Error);

impl TokenError {
    /// Expired, but otherwise valid (the signature was checked first).
    pub fn is_expired(&self) -> bool {
        matches!(
            self.0.kind(),
            jsonwebtoken::errors::ErrorKind::ExpiredSignature
        )
    }
}

/// The one verification function: signature, algorithm, `exp`, `nbf`, `iss`, `aud` and `sub`.
pub fn verify(keys: &Keys, token: &str) -> Result<Claims, TokenError> {
    Ok(jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)?.claims)
}

/// A fresh access token for this user.
pub fn issue(keys: &Keys, user_id: Uuid, email: &str) -> Result<String, TokenError> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = IssuedClaims {
        sub: user_id,
        email,
        iat: now,
        exp: now + keys.ttl.as_secs(),
        iss: &keys.issuer,
        aud: keys.audience.as_deref(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &keys.encoding,
    )?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::server::config::Config;

    pub(crate) fn keys(vars: &[(&str, &str)]) -> Keys {
        let mut all = vec![
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        all.extend_from_slice(vars);
        let config = Config::from_lookup(|name| {
            all.iter()
                .rev()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .expect("valid config");
        Keys::new(&config.jwt)
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = keys(&[]);
        let id = Uuid::now_v7();
        let token = issue(&keys, id, "ada@example.com").expect("token");
        let claims = verify(&keys, &token).expect("valid");
        assert_eq!(claims.sub, id);
        assert_eq!(claims.iss, "taskdeck");
        assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
    }

    #[test]
    fn audience_is_required_once_configured() {
        let with_aud = keys(&[("JWT_AUDIENCE", "tasks")]);
        let without = keys(&[]);
        let token = issue(&with_aud, Uuid::now_v7(), "a@example.com").expect("token");
        assert!(verify(&with_aud, &token).is_ok());
        let token = issue(&without, Uuid::now_v7(), "a@example.com").expect("token");
        assert!(verify(&with_aud, &token).is_err());
    }
}
