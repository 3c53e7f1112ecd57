//! Who is calling: the one step from verified claims to the user a request acts for, taken by
//! the API's Bearer extractor and by the browser's session extractor alike.

use std::sync::Arc;

use tokio::sync::OnceCell;
use uuid::Uuid;

use super::jwt::Claims;
use crate::db;
use crate::domain::{Email, Scope, User};
use crate::server::auth::sign_ins::Known;
use crate::server::error::Internal;
use crate::server::state::AppState;

/// Why a caller was not accepted. Each front door maps it once (see `server::error`).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all (or not of a scheme we read).
    #[error("no credentials")]
    Missing,
    /// Credentials that are present but not acceptable: a bad or expired token, a token whose
    /// user no longer exists, a foreign token for another account's email.
    #[error("credentials refused")]
    Refused,
    #[error(transparent)]
    Internal(Internal),
}

impl From<sqlx::Error> for AuthError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(Box::new(err))
    }
}

/// Something the caller asked for that does not exist for them (or belongs to someone else:
/// the two are indistinguishable). Each front door maps it once.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub &'static str);

impl NotFound {
    /// A task that is not there for this caller (both front doors name it so).
    pub const TASK: Self = Self("task not found");
    pub const PROJECT: Self = Self("project not found");
    pub const LABEL: Self = Self("label not found");
    pub const ACCESS_TOKEN: Self = Self("personal access token not found");
}

/// Either answer to "nothing found": the caller's user is gone, or the thing is not theirs.
#[derive(Debug, thiserror::Error)]
pub enum Absent {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    NotFound(#[from] NotFound),
}

/// See [`Caller::unchanged`].
pub enum Unchanged<T> {
    Moved(T),
    Absent(Absent),
}

/// The user a request acts for.
///
/// For a token of our own issuer the verified `sub` is taken as it is, without asking the
/// database, so that a task query is the request's only round trip. That stays safe because a
/// deleted user's tasks are deleted with them (`ON DELETE CASCADE`) and a write for an unknown
/// user breaks the foreign key (`db::WriteError::UserGone`): such a token reaches nothing. Only
/// when a query finds nothing does [`Caller::found`] ask whether the user still exists, to refuse
/// the token (API.md: a deleted user's token is a 401) rather than answer 404. A trusted main
/// app's token is resolved, and its user provisioned, at once.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: Uuid,
    /// The API sign-in of the caller's access token, if it belongs to one (API-accounts.md).
    pub sign_in: Option<Uuid>,
    /// What the credentials may do: everything, or a personal access token's scopes.
    pub access: Access,
    /// The user's record, read at most once per request (clones share it).
    user: Arc<OnceCell<User>>,
}

/// What a caller's credentials allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A sign-in's access token, a main app's token or a browser session: all of the API.
    Full,
    /// A personal access token: its scopes, and never the management of credentials or the
    /// account.
    Scoped(Vec<Scope>),
}

impl Caller {
    /// The caller that verified claims name. A token of our own issuer must name an existing
    /// user (checked lazily, see above); a trusted main app's token provisions its user on first
    /// use, unless that email already belongs to someone else.
    pub async fn from_claims(state: &AppState, claims: Claims) -> Result<Self, AuthError> {
        if claims.iss == state.keys.issuer {
            if let Some(sign_in) = claims.sid {
                let live = match state.sign_ins.check(sign_in) {
                    Known::Live => true,
                    Known::Ended => false,
                    Known::Unknown => {
                        db::sign_ins::is_live(&state.pool, claims.sub, sign_in).await?
                    }
                };
                if !live {
                    return Err(AuthError::Refused);
                }
            }
            return Ok(Self {
                sign_in: claims.sid,
                ..Self::trusted(claims.sub)
            });
        }
        // A foreign token without a usable email only reaches a user it already created.
        let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
        let user =
            db::users::find_or_provision(&state.pool, &claims.iss, claims.sub, email.as_ref())
                .await?;
        user.map(|user| Self::known(user.into()))
            .ok_or(AuthError::Refused)
    }

    /// A user id that a verified token (or a signed-in session) vouches for, not yet looked up.
    pub fn trusted(id: Uuid) -> Self {
        Self {
            id,
            sign_in: None,
            access: Access::Full,
            user: Arc::default(),
        }
    }

    /// A user whose record was just read.
    pub fn known(user: User) -> Self {
        Self {
            id: user.id,
            sign_in: None,
            access: Access::Full,
            user: Arc::new(OnceCell::new_with(Some(user))),
        }
    }

    /// The caller a presented personal access token names, if it is known, unexpired and
    /// matches (see `db::access_tokens::authenticate`).
    pub async fn from_access_token(state: &AppState, secret: &str) -> Result<Self, AuthError> {
        let (user_id, id, hash) =
            super::secrets::parse_access_token(&state.keys, secret).ok_or(AuthError::Refused)?;
        let scopes = db::access_tokens::authenticate(&state.pool, user_id, id, &hash)
            .await?
            .ok_or(AuthError::Refused)?;
        Ok(Self {
            access: Access::Scoped(scopes),
            ..Self::trusted(user_id)
        })
    }

    /// The caller's user record: looked up once, unless this step already read it. A user that
    /// no longer exists refuses the caller.
    pub async fn user(&self, state: &AppState) -> Result<User, AuthError> {
        self.user
            .get_or_try_init(|| async {
                db::users::find_by_id(&state.pool, self.id)
                    .await?
                    .map(User::from)
                    .ok_or(AuthError::Refused)
            })
            .await
            .cloned()
    }

    /// Confirms the caller's user exists (for an empty answer that would otherwise prove
    /// nothing).
    pub async fn confirm(&self, state: &AppState) -> Result<(), AuthError> {
        self.user(state).await.map(drop)
    }

    /// Why a write that names the versions it may overwrite (`guarded`) changed nothing: the
    /// resource is there at another version ([`Unchanged::Moved`], as `current` reads it now),
    /// or it is absent for this caller. Each front door answers the first with its 412.
    pub async fn unchanged<T, F>(
        &self,
        state: &AppState,
        guarded: bool,
        current: F,
        what: NotFound,
    ) -> Result<Unchanged<T>, sqlx::Error>
    where
        F: std::future::Future<Output = Result<Option<T>, sqlx::Error>>,
    {
        if guarded {
            if let Some(current) = current.await? {
                return Ok(Unchanged::Moved(current));
            }
        }
        Ok(Unchanged::Absent(
            self.found(state, None::<()>, what)
                .await
                .err()
                .unwrap_or(Absent::NotFound(what)),
        ))
    }

    /// `value`, or the answer to its absence: [`Absent::NotFound`] for an existing user,
    /// [`Absent::Auth`] when the caller's user no longer exists.
    pub async fn found<T>(
        &self,
        state: &AppState,
        value: Option<T>,
        what: NotFound,
    ) -> Result<T, Absent> {
        match value {
            Some(value) => Ok(value),
            None => {
                self.confirm(state).await?;
                Err(Absent::NotFound(what))
            }
        }
    }
}
