//! Registering and signing in, shared by both front doors: the JSON API and the browser's
//! server functions. Errors are this service's own ([`AccountError`]); each front door maps them
//! once (`server::error`).

use std::net::IpAddr;

use uuid::Uuid;

use super::auth::{jwt, secrets, HashError};
use super::error::Internal;
use super::state::AppState;
use super::time_zone::TimeZone;
use crate::db;
use crate::db::sign_ins::Refreshed;
use crate::db::users::UserRecord;
use crate::domain::{
    CreatedAccessToken, Credentials, Email, NewAccessToken, Password, PasswordChange, User,
};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("this email is already registered")]
    EmailTaken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts")]
    Throttled { retry_after_secs: u64 },
    #[error("too many registrations from this address")]
    RegistrationsThrottled { retry_after_secs: u64 },
    /// Password hashing is busy; nothing was done.
    #[error("password hashing is busy")]
    Busy { retry_after_secs: u64 },
    /// The password that confirms a change of the account is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// A user provisioned from a main app's token has no password here to change or confirm.
    #[error("this account has no password here")]
    NoPassword,
    /// A refresh token that is unknown, expired, already spent (a reuse, which ended its
    /// sign-in) or of an ended sign-in.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// The caller's user is gone.
    #[error("the caller's user is gone")]
    UserGone,
    /// A write the database refused (a limit reached, the user gone).
    #[error(transparent)]
    Write(#[from] db::WriteError),
    #[error(transparent)]
    Internal(Internal),
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl From<HashError> for AccountError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy { retry_after_secs } => Self::Busy { retry_after_secs },
            HashError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// Creates an account, at most `MAX_REGISTRATIONS_PER_HOUR` attempts per client address (each
/// costs a password hash, whether or not the email is free).
pub async fn register(
    state: &AppState,
    credentials: Credentials,
    timezone: &TimeZone,
    client_ip: Option<IpAddr>,
) -> Result<Verified, AccountError> {
    if let Some(client_ip) = client_ip {
        let limit = state.config.max_registrations_per_hour;
        if let Err(retry_after_secs) =
            db::registrations::take_attempt(&state.pool, client_ip, limit).await?
        {
            return Err(AccountError::RegistrationsThrottled { retry_after_secs });
        }
    }
    let hash = state.passwords.hash(credentials.password).await?;
    let user = db::users::create(&state.pool, &credentials.email, &hash, timezone)
        .await?
        .ok_or(AccountError::EmailTaken)?;
    Ok(Verified {
        user: user.into(),
        password_hash: Some(hash),
    })
}

/// A user whose password was just checked (or set), and the hash it was checked against: a
/// sign-in started from it holds only while that hash does (see `db::sign_ins::start`).
pub struct Verified {
    pub user: User,
    pub password_hash: Option<String>,
}

impl From<UserRecord> for Verified {
    fn from(record: UserRecord) -> Self {
        Self {
            password_hash: record.password_hash.clone(),
            user: record.into(),
        }
    }
}

/// Checks the password, with throttling: 10 failures per email or 50 per client address within
/// 15 minutes refuse every further attempt, the right password included, until they expire.
pub async fn login(
    state: &AppState,
    credentials: Credentials,
    client_ip: Option<IpAddr>,
) -> Result<Verified, AccountError> {
    let user = db::users::find_by_email(&state.pool, &credentials.email).await?;
    check_password(
        state,
        &credentials.email,
        user,
        credentials.password,
        client_ip,
    )
    .await
    .map(Verified::from)
}

/// The one throttled password check, of a sign-in and of the requests that confirm a password
/// (a password change, an account's deletion): they count against the same limits.
async fn check_password(
    state: &AppState,
    email: &Email,
    user: Option<UserRecord>,
    password: Password,
    client_ip: Option<IpAddr>,
) -> Result<UserRecord, AccountError> {
    // The attempt is counted before the password is checked, so that concurrent attempts
    // cannot all pass the limit; a right password then takes it back (forget_email).
    let attempt = match db::login_failures::take_attempt(&state.pool, email, client_ip).await? {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => return Err(AccountError::Throttled { retry_after_secs }),
    };
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    // An unknown email is verified against a dummy hash: same time, same answer.
    let matches = match state.passwords.verify(password, hash).await {
        Ok(matches) => matches,
        Err(HashError::Busy { retry_after_secs }) => {
            // Refused before the password was checked: not a failure of this user's.
            db::login_failures::give_back(&state.pool, attempt).await?;
            return Err(AccountError::Busy { retry_after_secs });
        }
        Err(err) => return Err(err.into()),
    };
    if !matches {
        return Err(AccountError::InvalidCredentials);
    }
    let user = user.ok_or(AccountError::InvalidCredentials)?;
    db::login_failures::forget_email(&state.pool, email).await?;
    Ok(user)
}

/// The tokens of an API sign-in, as the `login` shape hands them out.
pub struct SignInTokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// Starts an API sign-in for this user: its row, its first refresh token, an access token naming
/// it. Refused (as a wrong password would be) when the password changed, or the user went,
/// since it was verified.
pub async fn start_sign_in(
    state: &AppState,
    verified: &Verified,
) -> Result<SignInTokens, AccountError> {
    let user = &verified.user;
    let sign_in = Uuid::now_v7();
    let refresh = secrets::new_refresh_token(&state.keys, user.id).map_err(internal)?;
    let started = db::sign_ins::start(
        &state.pool,
        user.id,
        sign_in,
        &refresh.hash,
        state.keys.refresh_ttl,
        verified.password_hash.as_deref(),
    )
    .await?;
    if !started {
        return Err(AccountError::InvalidCredentials);
    }
    Ok(SignInTokens {
        access_token: access_token(state, user, sign_in)?,
        refresh_token: refresh.secret,
    })
}

fn access_token(state: &AppState, user: &User, sign_in: Uuid) -> Result<String, AccountError> {
    jwt::issue(&state.keys, user.id, &user.email, Some(sign_in)).map_err(internal)
}

fn internal(err: impl std::error::Error + Send + Sync + 'static) -> AccountError {
    AccountError::Internal(Box::new(err))
}

/// Spends a refresh token for a new access token and a new refresh token in the same sign-in
/// (API-accounts.md). A token spent before is a reuse: its whole sign-in ends.
pub async fn refresh(
    state: &AppState,
    presented: &str,
) -> Result<(User, SignInTokens), AccountError> {
    let (user_id, hash) = secrets::parse_refresh_token(&state.keys, presented)
        .ok_or(AccountError::InvalidRefreshToken)?;
    let next = secrets::new_refresh_token(&state.keys, user_id).map_err(internal)?;
    let refreshed = db::sign_ins::refresh(
        &state.pool,
        user_id,
        &hash,
        &next.hash,
        state.keys.refresh_ttl,
    )
    .await?;
    let sign_in = match refreshed {
        Refreshed::Rotated { sign_in_id } => sign_in_id,
        Refreshed::Reused { ended } => {
            tracing::warn!(%user_id, "a spent refresh token was presented again; its sign-in ended");
            state.sign_ins.ended_here(ended.as_slice()).await;
            return Err(AccountError::InvalidRefreshToken);
        }
        Refreshed::Refused => return Err(AccountError::InvalidRefreshToken),
    };
    let user: User = db::users::find_by_id(&state.pool, user_id)
        .await?
        .ok_or(AccountError::InvalidRefreshToken)?
        .into();
    let tokens = SignInTokens {
        access_token: access_token(state, &user, sign_in)?,
        refresh_token: next.secret,
    };
    Ok((user, tokens))
}

/// Ends one sign-in; every server process refuses its tokens from the answer on.
pub async fn end_sign_in(
    state: &AppState,
    user_id: Uuid,
    sign_in: Uuid,
) -> Result<(), AccountError> {
    db::sign_ins::end(&state.pool, user_id, sign_in).await?;
    state.sign_ins.ended_here(&[sign_in]).await;
    Ok(())
}

/// Ends every sign-in of the user and every web session but `keep_session`.
pub async fn end_all_sign_ins(
    state: &AppState,
    user_id: Uuid,
    keep_session: Option<&str>,
) -> Result<(), AccountError> {
    let ended = db::sign_ins::end_all(&state.pool, user_id, keep_session).await?;
    state.sign_ins.ended_here(&ended).await;
    Ok(())
}

/// Creates a personal access token for the user: its secret, shown only in this answer, and
/// its row holding the secret's hash (at most [`NewAccessToken::MAX_PER_USER`] unexpired).
pub async fn create_access_token(
    state: &AppState,
    user_id: Uuid,
    token: &NewAccessToken,
) -> Result<CreatedAccessToken, AccountError> {
    let id = Uuid::now_v7();
    let issued = secrets::new_access_token(&state.keys, user_id, id).map_err(internal)?;
    let access_token = db::access_tokens::create(
        &state.pool,
        user_id,
        id,
        token,
        &issued.hash,
        NewAccessToken::MAX_PER_USER,
    )
    .await?;
    Ok(CreatedAccessToken {
        access_token,
        token: issued.secret,
    })
}

/// A confirming password's mismatch, in the terms of a change to the account.
fn wrong_password(err: AccountError) -> AccountError {
    match err {
        AccountError::InvalidCredentials => AccountError::WrongPassword,
        err => err,
    }
}

/// The caller's user, who must have a password here.
async fn with_password(
    state: &AppState,
    user_id: Uuid,
) -> Result<(UserRecord, Email), AccountError> {
    let user = db::users::find_by_id(&state.pool, user_id)
        .await?
        .ok_or(AccountError::UserGone)?;
    if user.password_hash.is_none() {
        return Err(AccountError::NoPassword);
    }
    // Stored emails were parsed when they were stored. One that no longer parses (had the rules
    // tightened since) could not be throttled by, so it is refused rather than left unthrottled.
    let email = Email::parse(&user.email).map_err(|_| AccountError::WrongPassword)?;
    Ok((user, email))
}

/// Changes the caller's password after checking the current one (throttled as a login is), and
/// ends every sign-in and every web session of theirs but `keep_session`. Personal access tokens
/// are kept. The caller then starts a fresh sign-in (the API) or keeps its session (a browser).
pub async fn change_password(
    state: &AppState,
    user_id: Uuid,
    change: PasswordChange,
    keep_session: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Result<Verified, AccountError> {
    let (user, email) = with_password(state, user_id).await?;
    // Every stored password passed Password::parse: one that does not cannot be right.
    let current = Password::parse(change.current).map_err(|_| AccountError::WrongPassword)?;
    let user = check_password(state, &email, Some(user), current, client_ip)
        .await
        .map_err(wrong_password)?;
    let old_hash = user.password_hash.clone().unwrap_or_default();
    let new_hash = state.passwords.hash(change.new).await?;
    let mut tx = crate::db::begin(&state.pool).await?;
    if !db::users::set_password(&mut *tx, user_id, &old_hash, &new_hash).await? {
        // Changed (or the user deleted) since it was checked: this request's password is stale.
        return Err(AccountError::WrongPassword);
    }
    let ended = db::sign_ins::end_all(&mut *tx, user_id, keep_session).await?;
    tx.commit().await?;
    state.sign_ins.ended_here(&ended).await;
    Ok(Verified {
        user: user.into(),
        password_hash: Some(new_hash),
    })
}

/// Deletes the caller's account, and with it every row of theirs, after checking the password
/// (throttled as a login is).
pub async fn delete_account(
    state: &AppState,
    user_id: Uuid,
    password: String,
    client_ip: Option<IpAddr>,
) -> Result<(), AccountError> {
    let (user, email) = with_password(state, user_id).await?;
    let password = Password::parse(password).map_err(|_| AccountError::WrongPassword)?;
    check_password(state, &email, Some(user), password, client_ip)
        .await
        .map_err(wrong_password)?;
    // Ended first, in the same transaction, so that every process (this one at once) counts
    // them ended, not merely gone.
    let mut tx = crate::db::begin(&state.pool).await?;
    let ended = db::sign_ins::end_all(&mut *tx, user_id, None).await?;
    db::users::delete(&mut *tx, user_id).await?;
    tx.commit().await?;
    state.sign_ins.ended_here(&ended).await;
    Ok(())
}
