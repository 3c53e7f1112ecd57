//! Credentials a user manages (API-accounts.md): personal access tokens and their scopes, and the
//! bodies of the refresh, password and account requests.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Field, Fields};
use super::organise::{parse_name, NameError};
use super::{FieldError, Password};

/// What a personal access token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Scope {
    /// Every `GET` on tasks, projects, labels, changes and events.
    #[serde(rename = "tasks:read")]
    TasksRead,
    /// Every other request on those.
    #[serde(rename = "tasks:write")]
    TasksWrite,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::TasksRead, Scope::TasksWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TasksRead => "tasks:read",
            Self::TasksWrite => "tasks:write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A personal access token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccessToken {
    pub id: Uuid,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    pub scopes: Vec<Scope>,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "super::timestamp::serialize_option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When the token was last used, to the minute.
    #[serde(serialize_with = "super::timestamp::serialize_option")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to creating a personal access token: the token, and its secret, shown only here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedAccessToken {
    #[serde(flatten)]
    pub access_token: AccessToken,
    /// The secret (`tdp_…`), for `Authorization: Bearer`. Stored only as a hash: it cannot be
    /// shown again.
    pub token: String,
}

/// `POST /api/tokens`, member by member (see [`Field`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccessTokenInput {
    /// Trimmed, then 1 to 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, min_length = 1, max_length = 100))]
    pub name: Field<String>,
    /// A non-empty subset of `tasks:read` and `tasks:write`; duplicates collapse.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Scope>, required = true, min_items = 1))]
    pub scopes: Field<Vec<String>>,
    /// A future time, or null or absent for a token that does not expire.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<DateTime<Utc>>))]
    pub expires_at: Field<DateTime<Utc>>,
}

/// A personal access token to create, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    pub name: String,
    /// Sorted, without duplicates, never empty.
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewAccessToken {
    /// The most personal access tokens one user may hold (API-accounts.md).
    pub const MAX_PER_USER: i64 = 50;
    pub const MAX_NAME_CHARS: usize = 100;

    /// Every mistake of the body at once; `expires_at` must be after `now`.
    pub fn parse(input: AccessTokenInput, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut fields = Fields::default();
        let name = fields.check(
            "name",
            input.name.required().and_then(|name| {
                parse_name(&name, Self::MAX_NAME_CHARS, true)
                    .map_err(|err: NameError| err.to_string())
            }),
        );
        let scopes = fields.check("scopes", input.scopes.required().and_then(parse_scopes));
        let expires_at = fields.check(
            "expires_at",
            input.expires_at.or_null().and_then(|at| match at {
                Some(at) if at <= now => Err("must be in the future".to_owned()),
                at => Ok(at),
            }),
        );
        fields.finish(|| {
            Some(Self {
                name: name?,
                scopes: scopes?,
                expires_at: expires_at?,
            })
        })
    }
}

fn parse_scopes(texts: Vec<String>) -> Result<Vec<Scope>, String> {
    let mut scopes = BTreeSet::new();
    for text in &texts {
        match Scope::parse(text) {
            Some(scope) => scopes.insert(scope),
            None => return Err(format!("{text:?} is not a scope (tasks:read, tasks:write)")),
        };
    }
    if scopes.is_empty() {
        return Err("must name at least one scope".into());
    }
    Ok(scopes.into_iter().collect())
}

/// What the settings page shows: the account, and its personal access tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub email: String,
    pub timezone: String,
    /// Users provisioned by a main app have none here: no password change, no deletion here.
    pub has_password: bool,
    pub tokens: Vec<AccessToken>,
    /// A token just created by a form posted without JavaScript: its secret, shown once.
    pub new_token: Option<String>,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefreshInput {
    /// The refresh token of the last login or refresh (`tdr_…`).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub refresh_token: Field<String>,
}

/// `POST /api/auth/password`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChangeInput {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub current_password: Field<String>,
    /// 8 to 128 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, required = true, min_length = 8, max_length = 128)
    )]
    pub new_password: Field<String>,
}

/// A password change, validated. The current password is only checked against the stored hash
/// (any text may be tried, as at login), so it is not parsed as a new password would be.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub current: String,
    pub new: Password,
}

impl TryFrom<PasswordChangeInput> for PasswordChange {
    type Error = Vec<FieldError>;

    fn try_from(input: PasswordChangeInput) -> Result<Self, Self::Error> {
        let mut fields = Fields::default();
        let current = fields.check("current_password", input.current_password.required());
        let new = fields.check(
            "new_password",
            input
                .new_password
                .required()
                .and_then(|password| Password::parse(password).map_err(|err| err.to_string())),
        );
        fields.finish(|| {
            Some(Self {
                current: current?,
                new: new?,
            })
        })
    }
}

/// `DELETE /api/auth/me`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeleteAccountInput {
    /// The account's password (required of users who have one).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub password: Field<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> AccessTokenInput {
        serde_json::from_str(json).expect("an object")
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn access_tokens_parse_every_member_at_once() {
        let now = Utc::now();
        let token = NewAccessToken::parse(
            input(r#"{"name": " CI ", "scopes": ["tasks:write", "tasks:read", "tasks:write"]}"#),
            now,
        )
        .expect("valid");
        assert_eq!(token.name, "CI");
        assert_eq!(token.scopes, [Scope::TasksRead, Scope::TasksWrite]);
        assert_eq!(token.expires_at, None);

        let errors = NewAccessToken::parse(input("{}"), now).unwrap_err();
        assert_eq!(fields(&errors), ["name", "scopes"]);
        let errors = NewAccessToken::parse(
            input(r#"{"name": "", "scopes": [], "expires_at": "2000-01-01T00:00:00Z"}"#),
            now,
        )
        .unwrap_err();
        assert_eq!(fields(&errors), ["name", "scopes", "expires_at"]);
        let errors = NewAccessToken::parse(
            input(r#"{"name": "x", "scopes": ["admin"], "expires_at": "soon"}"#),
            now,
        )
        .unwrap_err();
        assert_eq!(fields(&errors), ["scopes", "expires_at"]);
        let long = "é".repeat(NewAccessToken::MAX_NAME_CHARS + 1);
        let errors = NewAccessToken::parse(
            input(&format!(
                r#"{{"name": "{long}", "scopes": ["tasks:read"]}}"#
            )),
            now,
        )
        .unwrap_err();
        assert_eq!(fields(&errors), ["name"]);
        let later = NewAccessToken::parse(
            input(
                r#"{"name": "x", "scopes": ["tasks:read"], "expires_at": "2999-01-01T00:00:00Z"}"#,
            ),
            now,
        )
        .expect("valid");
        assert!(later.expires_at.is_some());
    }

    #[test]
    fn a_password_change_checks_only_the_new_password() {
        let change: PasswordChangeInput =
            serde_json::from_str(r#"{"current_password": "x", "new_password": "long enough"}"#)
                .expect("an object");
        assert!(PasswordChange::try_from(change).is_ok());
        let change: PasswordChangeInput =
            serde_json::from_str(r#"{"new_password": "short"}"#).expect("an object");
        let errors = PasswordChange::try_from(change).unwrap_err();
        assert_eq!(fields(&errors), ["current_password", "new_password"]);
    }
}
