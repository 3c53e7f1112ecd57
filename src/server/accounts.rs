//! Registering and signing in, shared by both front doors: the JSON API and the browser's
//! server functions.

use std::net::IpAddr;

use super::auth;
use super::error::ApiError;
use super::state::AppState;
use crate::db;
use crate::db::users::UserRecord;
use crate::domain::Credentials;

pub async fn register(state: &AppState, credentials: Credentials) -> Result<UserRecord, ApiError> {
    let hash = auth::hash_password(credentials.password).await?;
    db::users::create(&state.pool, &credentials.email, &hash)
        .await?
        .ok_or(ApiError::Conflict("this email is already registered"))
}

/// Checks the password, with throttling: 10 failures per email or 50 per client address within
/// 15 minutes refuse every further attempt, the right password included, until they expire.
pub async fn login(
    state: &AppState,
    credentials: Credentials,
    client_ip: Option<IpAddr>,
) -> Result<UserRecord, ApiError> {
    let email = credentials.email;
    if let Some(retry_after_secs) =
        db::login_failures::throttled_for(&state.pool, &email, client_ip).await?
    {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let user = db::users::find_by_email(&state.pool, &email).await?;
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    // An unknown email is verified against a dummy hash: same time, same answer.
    if !auth::verify_password(credentials.password, hash).await? {
        db::login_failures::record(&state.pool, &email, client_ip).await?;
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    db::login_failures::forget_email(&state.pool, &email).await?;
    Ok(user)
}
