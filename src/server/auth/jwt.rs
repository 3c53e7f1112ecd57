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
    max_foreign_ttl: u64,
    /// The key of the keyed hash under which refresh tokens and personal access tokens are
    /// stored (see `super::secrets`).
    pub(super) secret_key: hmac::Hmac<sha2::Sha256>,
    /// The key that seals answers kept for idempotent replays (see `super::secrets::seal`).
    pub(super) seal_key: chacha20poly1305::ChaCha20Poly1305,
    pub refresh_ttl: Duration,
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
            max_foreign_ttl: config.max_foreign_ttl.as_secs(),
            secret_key: super::secrets::hash_key(secret),
            seal_key: super::secrets::seal_key(secret),
            refresh_ttl: config.refresh_ttl,
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
    /// When the token was issued: required of an accepted issuer's tokens (see [`verify`]).
    #[serde(default)]
    pub iat: Option<u64>,
    pub exp: u64,
    /// The API sign-in this token belongs to (API-accounts.md): refused once it has ended.
    /// Tokens without one (a main app's, ours from before sign-ins) end only when they expire.
    #[serde(default)]
    pub sid: Option<Uuid>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<Uuid>,
}

/// Why a token was refused: for the log only; every case is the same 401 to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token refused: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    /// An accepted issuer's token without `iat`, issued in the future, or living longer than
    /// `JWT_MAX_FOREIGN_TTL_SECONDS`.
    #[error(
        "token refused: an accepted issuer's token must carry iat and live at most {max_secs} s"
    )]
    ForeignLifetime { max_secs: u64 },
}

impl TokenError {
    /// Expired, but otherwise valid (the signature was checked first).
    pub fn is_expired(&self) -> bool {
        matches!(self, Self::Jwt(err)
            if matches!(err.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature))
    }
}

/// The one verification function: signature, algorithm, `exp`, `nbf`, `iss`, `aud` and `sub`;
/// and for the tokens of an accepted issuer (a main app, which mints them itself), an `iat` that
/// is not in the future and a life (`exp - iat`) within `JWT_MAX_FOREIGN_TTL_SECONDS`.
pub fn verify(keys: &Keys, token: &str) -> Result<Claims, TokenError> {
    let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)?.claims;
    if claims.iss != keys.issuer {
        let now = jsonwebtoken::get_current_timestamp();
        let lifetime_ok = claims.iat.is_some_and(|iat| {
            iat <= now.saturating_add(LEEWAY_SECS)
                && claims.exp.saturating_sub(iat) <= keys.max_foreign_ttl
        });
        if !lifetime_ok {
            return Err(TokenError::ForeignLifetime {
                max_secs: keys.max_foreign_ttl,
            });
        }
    }
    Ok(claims)
}

/// A fresh access token for this user, in the API sign-in `sid` if given (the browser's session
/// holds tokens without one: the session is what a sign-out ends).
pub fn issue(
    keys: &Keys,
    user_id: Uuid,
    email: &str,
    sid: Option<Uuid>,
) -> Result<String, TokenError> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = IssuedClaims {
        sub: user_id,
        email,
        iat: now,
        exp: now + keys.ttl.as_secs(),
        iss: &keys.issuer,
        aud: keys.audience.as_deref(),
        sid,
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
        let token = issue(&keys, id, "ada@example.com", None).expect("token");
        let claims = verify(&keys, &token).expect("valid");
        assert_eq!(claims.sub, id);
        assert_eq!(claims.iss, "taskdeck");
        assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
        assert_eq!(claims.sid, None);
        let sid = Uuid::now_v7();
        let token = issue(&keys, id, "ada@example.com", Some(sid)).expect("token");
        assert_eq!(verify(&keys, &token).expect("valid").sid, Some(sid));
    }

    #[test]
    fn audience_is_required_once_configured() {
        let with_aud = keys(&[("JWT_AUDIENCE", "tasks")]);
        let without = keys(&[]);
        let token = issue(&with_aud, Uuid::now_v7(), "a@example.com", None).expect("token");
        assert!(verify(&with_aud, &token).is_ok());
        let token = issue(&without, Uuid::now_v7(), "a@example.com", None).expect("token");
        assert!(verify(&with_aud, &token).is_err());
    }

    fn foreign(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .expect("token")
    }

    #[test]
    fn an_accepted_issuers_token_must_carry_iat_and_a_bounded_life() {
        let keys = keys(&[
            ("JWT_ACCEPTED_ISSUERS", "main-app"),
            ("JWT_MAX_FOREIGN_TTL_SECONDS", "3600"),
        ]);
        let now = jsonwebtoken::get_current_timestamp();
        let sub = Uuid::now_v7();
        let with = |iat: Option<u64>, exp: u64| {
            let mut claims = serde_json::json!({"sub": sub, "iss": "main-app", "exp": exp});
            if let Some(iat) = iat {
                claims["iat"] = iat.into();
            }
            verify(&keys, &foreign(claims))
        };
        assert!(with(Some(now), now + 3600).is_ok());
        assert!(with(Some(now - 600), now + 3000).is_ok());
        // No iat; a life one second too long; a year-9999 expiry; issued in the future.
        assert!(matches!(
            with(None, now + 600),
            Err(TokenError::ForeignLifetime { .. })
        ));
        assert!(matches!(
            with(Some(now), now + 3601),
            Err(TokenError::ForeignLifetime { .. })
        ));
        assert!(matches!(
            with(Some(now), 253_402_300_799),
            Err(TokenError::ForeignLifetime { .. })
        ));
        assert!(matches!(
            with(Some(now + 3600), now + 4000),
            Err(TokenError::ForeignLifetime { .. })
        ));
        // Our own tokens are ours: their life is JWT_TTL_SECONDS, set when we issue them.
        let own = foreign(serde_json::json!({"sub": sub, "iss": "taskdeck", "exp": now + 600}));
        assert!(verify(&keys, &own).is_ok());
    }
}
