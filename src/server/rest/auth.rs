//! `/api/auth/*`: register, login, me (API.md, Authentication); refresh, logout, logout-all,
//! password change and account deletion (API-accounts.md).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json::ApiJson;
use super::no_store;
use crate::db;
use crate::domain::{
    AuthResponse, Credentials, CredentialsInput, DeleteAccountInput, FieldError, PasswordChange,
    PasswordChangeInput, RefreshInput, RegisterInput, TimeZoneInput, User,
};
use crate::server::accounts;
use crate::server::accounts::{SignInTokens, Verified};
use crate::server::auth::{AuthError, Caller, ClientIp};
use crate::server::error::ApiError;
use crate::server::state::AppState;
use crate::server::time_zone::TimeZone;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/me", get(me).patch(update_me).delete(delete_me))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
        .route("/auth/password", post(change_password))
}

/// Creates an account and signs it in.
#[utoipa::path(
    post, path = "/api/auth/register", tag = "auth",
    request_body = RegisterInput,
    responses(
        (status = 201, description = "Registered; a token for the new user", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 409, response = super::openapi::Conflict),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<Response, ApiError> {
    let credentials = Credentials::try_from(input.credentials);
    let timezone = time_zone(input.timezone.optional());
    let (credentials, timezone) = match (credentials, timezone) {
        (Ok(credentials), Ok(timezone)) => (credentials, timezone.unwrap_or_default()),
        (credentials, timezone) => {
            let mut errors = credentials.err().unwrap_or_default();
            errors.extend(timezone.err());
            return Err(ApiError::Validation(errors));
        }
    };
    let user = accounts::register(&state, credentials, &timezone, client_ip).await?;
    signed_in(&state, user, StatusCode::CREATED).await
}

/// Signs in with an email and password.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = CredentialsInput,
    responses(
        (status = 200, description = "Signed in; a fresh token", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 401, response = super::openapi::InvalidCredentials),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn login(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let credentials = Credentials::try_from(input).map_err(ApiError::Validation)?;
    let user = accounts::login(&state, credentials, client_ip).await?;
    signed_in(&state, user, StatusCode::OK).await
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = User),
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn me(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    Ok(no_store(Json(caller.user(&state).await?)))
}

/// Changes the signed-in user's settings: their time zone.
#[utoipa::path(
    patch, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    request_body = TimeZoneInput,
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 401, response = super::openapi::Unauthorized),
        super::openapi::BodyErrors,
    )
)]
pub(super) async fn update_me(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TimeZoneInput>,
) -> Result<Response, ApiError> {
    let timezone = time_zone(input.timezone.required().map(Some))
        .map_err(|error| ApiError::Validation(vec![error]))?
        .unwrap_or_default();
    match db::users::set_timezone(&state.pool, caller.id, &timezone).await? {
        Some(user) => Ok(no_store(Json(User::from(user)))),
        // The token's user is gone: the token is refused.
        None => Err(AuthError::Refused.into()),
    }
}

/// A `timezone` member, checked against the time zone database.
fn time_zone(member: Result<Option<String>, String>) -> Result<Option<TimeZone>, FieldError> {
    member
        .and_then(|name| {
            name.map(|name| TimeZone::parse(&name).map_err(|err| err.to_string()))
                .transpose()
        })
        .map_err(|message| FieldError::new("timezone", message))
}

/// Spends a refresh token: a new access token and a new refresh token in the same sign-in.
#[utoipa::path(
    post, path = "/api/auth/refresh", tag = "auth",
    request_body = RefreshInput,
    responses(
        (status = 200, description = "A new access token and refresh token, in the same sign-in", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 401, response = super::openapi::Unauthorized),
    )
)]
pub(super) async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> Result<Response, ApiError> {
    let presented = input
        .refresh_token
        .required()
        .map_err(|message| ApiError::Validation(vec![FieldError::new("refresh_token", message)]))?;
    let (user, tokens) = accounts::refresh(&state, &presented).await?;
    Ok(auth_response(&state, user, tokens, StatusCode::OK))
}

/// Ends the caller's sign-in: its access and refresh tokens stop working at once.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "The sign-in has ended"),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
pub(super) async fn logout(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    let sign_in = caller.sign_in.ok_or(ApiError::BadRequest(
        "this access token belongs to no sign-in (a main app's, or one issued before sign-ins): \
         it ends when it expires",
    ))?;
    caller.confirm(&state).await?;
    accounts::end_sign_in(&state, caller.id, sign_in).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every sign-in of the caller, theirs included, and every web session.
#[utoipa::path(
    post, path = "/api/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Every sign-in and web session of the user has ended; personal access tokens are kept"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
    )
)]
pub(super) async fn logout_all(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    caller.confirm(&state).await?;
    accounts::end_all_sign_ins(&state, caller.id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; every sign-in and web session of the user ends, and a new sign-in
/// starts for the caller.
#[utoipa::path(
    post, path = "/api/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeInput,
    responses(
        (status = 200, description = "Changed; a fresh sign-in", body = AuthResponse),
        super::openapi::BodyErrors,
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn change_password(
    caller: Caller,
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<PasswordChangeInput>,
) -> Result<Response, ApiError> {
    let change = match PasswordChange::try_from(input) {
        Ok(change) => change,
        Err(errors) => {
            refuse_without_password(&state, &caller).await?;
            return Err(ApiError::Validation(errors));
        }
    };
    let user = accounts::change_password(&state, caller.id, change, None, client_ip).await?;
    signed_in(&state, user, StatusCode::OK).await
}

/// Deletes the account: the user, their tasks, projects, labels, tokens and sessions.
#[utoipa::path(
    delete, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    request_body = DeleteAccountInput,
    responses(
        (status = 204, description = "The account and everything of it is gone"),
        super::openapi::BodyErrors,
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 429, response = super::openapi::TooManyRequests),
    )
)]
pub(super) async fn delete_me(
    caller: Caller,
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    ApiJson(input): ApiJson<DeleteAccountInput>,
) -> Result<StatusCode, ApiError> {
    let password = input
        .password
        .required()
        .map_err(|message| ApiError::Validation(vec![FieldError::new("password", message)]));
    let password = match password {
        Ok(password) => password,
        Err(err) => {
            refuse_without_password(&state, &caller).await?;
            return Err(err);
        }
    };
    accounts::delete_account(&state, caller.id, password, client_ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user without a password here is refused (403) whatever the body says: no body could make
/// the request work.
async fn refuse_without_password(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let user = db::users::find_by_id(&state.pool, caller.id)
        .await?
        .ok_or(AuthError::Refused)?;
    if user.password_hash.is_none() {
        return Err(accounts::AccountError::NoPassword.into());
    }
    Ok(())
}

/// Starts an API sign-in for the user and answers with its tokens (the `login` shape).
async fn signed_in(
    state: &AppState,
    verified: Verified,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let tokens = accounts::start_sign_in(state, &verified).await?;
    Ok(auth_response(state, verified.user, tokens, status))
}

fn auth_response(
    state: &AppState,
    user: User,
    tokens: SignInTokens,
    status: StatusCode,
) -> Response {
    let body = AuthResponse {
        user,
        access_token: tokens.access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.keys.ttl.as_secs(),
        refresh_token: tokens.refresh_token,
        refresh_expires_in: state.keys.refresh_ttl.as_secs(),
    };
    let mut response = no_store(Json(body));
    *response.status_mut() = status;
    response
}
