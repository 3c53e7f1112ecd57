//! Registering and signing in, shared by both front doors: the JSON API and the browser's
//! server functions. Errors are this service's own ([`AccountError`]); each front door maps them
//! once (`server::error`).

use std::net::IpAddr;

use super::auth::HashError;
use super::error::Internal;
use super::state::AppState;
use super::time_zone::TimeZone;
use crate::db;
use crate::domain::{Credentials, User};

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
) -> Result<User, AccountError> {
    if let Some(client_ip) = client_ip {
        let limit = state.config.max_registrations_per_hour;
        if let Err(retry_after_secs) =
            db::registrations::take_attempt(&state.pool, client_ip, limit).await?
        {
            return Err(AccountError::RegistrationsThrottled { retry_after_secs });
        }
    }
    let hash = state.passwords.hash(credentials.password).await?;
    db::users::create(&state.pool, &credentials.email, &hash, timezone)
        .await?
        .map(User::from)
        .ok_or(AccountError::EmailTaken)
}

/// Checks the password, with throttling: 10 failures per email or 50 per client address within
/// 15 minutes refuse every further attempt, the right password included, until they expire.
pub async fn login(
    state: &AppState,
    credentials: Credentials,
    client_ip: Option<IpAddr>,
) -> Result<User, AccountError> {
    let email = credentials.email;
    // The attempt is counted before the password is checked, so that concurrent attempts
    // cannot all pass the limit; a right password then takes it back (forget_email).
    let attempt = match db::login_failures::take_attempt(&state.pool, &email, client_ip).await? {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => return Err(AccountError::Throttled { retry_after_secs }),
    };
    let user = db::users::find_by_email(&state.pool, &email).await?;
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    // An unknown email is verified against a dummy hash: same time, same answer.
    let matches = match state.passwords.verify(credentials.password, hash).await {
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
    db::login_failures::forget_email(&state.pool, &email).await?;
    Ok(user.into())
}
