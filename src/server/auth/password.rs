//! Authentication: JWTs (one verification function for every caller), passwords, and the API's
//! Bearer extractor.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::time::Duration;

use argon2::{Algorithm as Argon2Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::config::JwtConfig;
use super::error::ApiError;
use super::state::AppState;
use crate::db;
use crate::domain::{Email, Password};

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
        let secret = config.secret.expose();
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

/// The claims Taskdeck reads from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// A UUID, or the token is refused.
    pub sub: Uuid,
    #[serde(default)]
    pub email: Option<String>,
    pub exp: u64,
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
pub fn issue(keys: &Keys, user_id: Uuid, email: &str) -> Result<String, ApiError> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = IssuedClaims {
        sub: user_id,
        email,
        iat: now,
        exp: now + keys.ttl.as_secs(),
        iss: &keys.issuer,
        aud: keys.audience.as_deref(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
        .map_err(ApiError::internal)
}

/// The signed-in user of a request, after the token was verified and the user found (or, for a
/// trusted main app's token, provisioned).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub email: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<AuthUser> for crate::domain::User {
    fn from(user: AuthUser) -> Self {
        Self {
            id: user.id,
            email: user.email,
            created_at: user.created_at,
        }
    }
}

impl From<db::users::UserRecord> for AuthUser {
    fn from(record: db::users::UserRecord) -> Self {
        Self {
            id: record.id,
            email: record.email,
            created_at: record.created_at,
        }
    }
}

/// Turns verified claims into a user. A token of our own issuer must name an existing user; a
/// trusted main app's token provisions its user on first use, unless that email already belongs
/// to someone else.
pub async fn resolve_user(state: &AppState, claims: Claims) -> Result<AuthUser, ApiError> {
    let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
    let user = match email {
        Some(email) if claims.iss != state.keys.issuer => {
            db::users::find_or_provision(&state.pool, claims.sub, &email).await?
        }
        // Our own tokens, and foreign ones without a usable email, only reach known users.
        _ => db::users::find_by_id(&state.pool, claims.sub).await?,
    };
    user.map(AuthUser::from).ok_or(ApiError::InvalidToken)
}

/// `Authorization: Bearer <jwt>`, scheme case-insensitive. Never the query string.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated)?
        .to_str()
        .map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::Unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthenticated);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(token)
}

/// The verified claims of a request's bearer token; every refusal is the same 401.
fn bearer_claims(headers: &HeaderMap, keys: &Keys) -> Result<Claims, ApiError> {
    verify(keys, bearer_token(headers)?).map_err(|err| {
        tracing::debug!(%err, "bearer token refused");
        ApiError::InvalidToken
    })
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve_user(state, bearer_claims(&parts.headers, &state.keys)?).await
    }
}

/// The owner of the tasks a `/api/tasks*` request touches, from its bearer token.
///
/// For a token of our own issuer the verified `sub` is taken as it is, without asking the
/// database, so that the task query is the request's only round trip. That stays safe because a
/// deleted user's tasks are deleted with them (`ON DELETE CASCADE`) and creating a task for an
/// unknown user breaks the foreign key: such a token reaches nothing. Only when a query finds
/// nothing does [`TaskOwner::not_found`] ask whether the user still exists, to answer 401 (API.md:
/// a deleted user's token is refused) rather than 404. A trusted main app's token is resolved
/// (and its user provisioned) up front, as for every other endpoint.
#[derive(Debug, Clone, Copy)]
pub struct TaskOwner {
    pub id: Uuid,
    known: bool,
}

impl TaskOwner {
    /// Confirms the token's user exists: for a query that found nothing, or an empty page.
    pub async fn confirm(&self, state: &AppState) -> Result<(), ApiError> {
        if self.known {
            return Ok(());
        }
        match db::users::find_by_id(&state.pool, self.id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::InvalidToken),
        }
    }

    /// The error for a query that found nothing: 404 for an existing user, 401 when the token's
    /// user no longer exists.
    pub async fn not_found(&self, state: &AppState, what: &'static str) -> ApiError {
        match self.confirm(state).await {
            Ok(()) => ApiError::NotFound(what),
            Err(err) => err,
        }
    }

    /// Maps a write's foreign-key violation (the owner does not exist) to the refused token.
    pub fn write_error(err: sqlx::Error) -> ApiError {
        match &err {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => ApiError::InvalidToken,
            _ => err.into(),
        }
    }
}

impl FromRequestParts<AppState> for TaskOwner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = bearer_claims(&parts.headers, &state.keys)?;
        if claims.iss == state.keys.issuer {
            return Ok(Self {
                id: claims.sub,
                known: false,
            });
        }
        let user = resolve_user(state, claims).await?;
        Ok(Self {
            id: user.id,
            known: true,
        })
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
pub fn client_ip(parts: &Parts, trust_proxy_headers: bool) -> Option<IpAddr> {
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

/// argon2id with OWASP's minimum parameters: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params =
        Params::new(19 * 1024, 2, 1, None).expect("BUG: constant argon2 parameters are valid");
    Argon2::new(Argon2Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password (made with [`argon2`]'s parameters, its password discarded),
/// verified against when the email is unknown, so that an unknown email costs the same time as
/// a wrong password; the result of that verification is ignored. A constant rather than one made
/// at start-up: making it cost every server process an argon2 run and a 19 MiB peak of memory,
/// even one that never sees a sign-in.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$4ao4u5Je0FOPqezeVWg/cg$tI7QkdhH2hLhB9JMvu78QG+PHN00qod9FCCyG9DpjqE";

/// How many argon2 computations run at once: half the cores, at least one.
fn argon2_slots() -> usize {
    (std::thread::available_parallelism().map_or(1, usize::from) / 2).max(1)
}

type Argon2Job = Box<dyn FnOnce() + Send>;

/// argon2 runs on a few threads of its own, not on tokio's blocking pool. Each computation takes
/// tens of milliseconds of CPU and 19 MiB of memory by design, so a burst of sign-ins must not
/// take every core (or a block of memory per blocking thread) from the requests that need
/// milliseconds: at most [`argon2_slots`] run at once and the rest queue. (Measured: with 50
/// sign-ins running, listing p99 stays ~31 ms. A lower CPU priority for these threads was tried
/// and dropped: it barely helped the listing and starved sign-ins to 4/s with timeouts.)
static ARGON2_QUEUE: LazyLock<std::sync::mpsc::Sender<Argon2Job>> = LazyLock::new(|| {
    let (sender, receiver) = std::sync::mpsc::channel::<Argon2Job>();
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    for n in 0..argon2_slots() {
        let receiver = std::sync::Arc::clone(&receiver);
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                loop {
                    // A poisoned lock or a closed channel both mean the process is going down.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if let Err(err) = spawned {
            tracing::error!(%err, "could not start an argon2 thread");
        }
    }
    sender
});

/// Runs one argon2 computation on the argon2 threads and waits for its result.
async fn with_argon2_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Argon2Job = Box::new(move || {
        // The caller may have gone away (a closed connection): nothing to tell then.
        let _ = done.send(work());
    });
    ARGON2_QUEUE
        .send(job)
        .map_err(|_| ApiError::Internal("the argon2 threads are gone".into()))?;
    result
        .await
        .map_err(|_| ApiError::Internal("an argon2 computation was lost".into()))
}

thread_local! {
    /// Each argon2 thread's 19 MiB of working memory, allocated once and reused. The crate's own
    /// API allocates (zeroed) per computation, and the allocator kept each freed block: the
    /// server's resident memory grew by ~19 MiB per sign-in, to over 200 MB under a burst.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with these settings into `out`, in this thread's reused memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with_borrow_mut(|blocks| {
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        // Reuse is sound: every block is overwritten in the first pass before it is read.
        argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) for a new password.
fn hash_phc(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::phc::{Output, ParamsString, Salt};
    let argon2 = argon2();
    let params = argon2.params().clone();
    let salt = Salt::new(
        &argon2::password_hash::try_generate_salt()
            .map_err(|_| argon2::password_hash::Error::Crypto)?,
    )?;
    let mut out = [0u8; 32];
    argon2_into(&argon2, &params, password, &salt, &mut out)?;
    Ok(argon2::PasswordHash {
        algorithm: Argon2Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(Output::new(&out)?),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters it names).
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let check = || -> Result<bool, argon2::password_hash::Error> {
        let hash = argon2::PasswordHash::new(phc)?;
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Ok(false);
        };
        let params = Params::try_from(&hash)?;
        let algorithm = Argon2Algorithm::try_from(hash.algorithm.as_str())?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        argon2_into(&argon2, &params, password, salt, &mut out)?;
        // `Output`'s equality is constant-time.
        Ok(argon2::password_hash::phc::Output::new(&out)? == *expected)
    };
    check().unwrap_or(false)
}

/// Hashes on the argon2 threads: argon2 takes tens of milliseconds of CPU by design.
pub async fn hash_password(password: Password) -> Result<String, ApiError> {
    with_argon2_slot(move || hash_phc(password.expose().as_bytes()))
        .await?
        .map_err(|err| ApiError::Internal(format!("argon2: {err}").into()))
}

/// Verifies on the argon2 threads. `None` (unknown user, or one without a password) verifies
/// against the dummy hash and fails, taking the same time as a wrong password.
pub async fn verify_password(password: Password, hash: Option<String>) -> Result<bool, ApiError> {
    with_argon2_slot(move || {
        let known = hash.is_some();
        let hash = hash.as_deref().unwrap_or(DUMMY_HASH);
        let matches = verify_phc(password.expose().as_bytes(), hash);
        known && matches
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Config;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn keys(vars: &[(&str, &str)]) -> Keys {
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
            Err(ApiError::Unauthenticated)
        ));
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::Unauthenticated)
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer ")),
            Err(ApiError::Unauthenticated | ApiError::InvalidToken)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_work_never_runs_beyond_its_slots() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(with_argon2_slot(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for job in jobs {
            job.await.expect("joined").expect("ran");
        }
        assert_eq!(most.load(Ordering::SeqCst), argon2_slots());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let hash = argon2::PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(hash.algorithm, Argon2Algorithm::Argon2id.ident());
        assert_eq!(hash.version, Some(Version::V0x13.into()));
        let (dummy, ours) = (Params::try_from(&hash).expect("parameters"), argon2());
        let ours = ours.params();
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (ours.m_cost(), ours.t_cost(), ours.p_cost())
        );
        assert!(!verify_phc(b"", DUMMY_HASH));
    }

    #[test]
    fn reused_memory_hashes_and_verifies_like_the_crate() {
        let ours = hash_phc(b"correct horse").expect("hash");
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(verify_phc(b"correct horse", &ours));
        assert!(!verify_phc(b"correct horsf", &ours));
        // Hashes made by the crate's own API (every hash stored before this change) verify,
        // also after the memory was used for something else.
        let theirs = argon2()
            .hash_password(b"battery staple")
            .expect("hash")
            .to_string();
        assert!(verify_phc(b"battery staple", &theirs));
        assert!(!verify_phc(b"battery stapler", &theirs));
        assert!(verify_phc(b"correct horse", &ours));
        // And the crate verifies ours.
        let parsed = argon2::PasswordHash::new(&ours).expect("PHC string");
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        for broken in [
            "",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "not a hash",
            "$argon2id$v=99$x",
        ] {
            assert!(!verify_phc(b"correct horse", broken), "{broken}");
        }
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let password = Password::parse("correct horse".into()).expect("valid");
        let hash = argon2()
            .hash_password(password.expose().as_bytes())
            .expect("hash")
            .to_string();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(argon2()
            .verify_password(b"correct horse", hash.as_str())
            .is_ok());
        assert!(argon2()
            .verify_password(b"correct horsf", hash.as_str())
            .is_err());
    }
}
