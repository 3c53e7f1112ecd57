use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Field, Fields};
use super::{Email, FieldError, Password};

/// A user as the API shows it: never with a password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    /// An IANA time zone name; "today" in the due filters is the date there. Default `UTC`.
    #[cfg_attr(feature = "ssr", schema(example = "Europe/Berlin"))]
    pub timezone: String,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

/// The answer to a successful registration or login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: User,
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// Spent by `POST /api/auth/refresh` for a new access token and a new refresh token, in the
    /// same sign-in (API-accounts.md). Opaque, `tdr_…`.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// Register and login bodies as they arrive, member by member (see [`Field`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CredentialsInput {
    /// A plausible address; compared case-insensitively and stored lower-cased.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, required = true, format = "email", max_length = 254)
    )]
    pub email: Field<String>,
    /// 8 to 128 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, required = true, min_length = 8, max_length = 128)
    )]
    pub password: Field<String>,
}

/// The register body: the credentials, and optionally the user's time zone.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegisterInput {
    #[serde(flatten)]
    pub credentials: CredentialsInput,
    /// An IANA time zone name; default `UTC`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "Europe/Berlin"))]
    pub timezone: Field<String>,
}

/// `PATCH /api/auth/me`: the user's settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimeZoneInput {
    /// An IANA time zone name, such as `Europe/Berlin`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "Europe/Berlin"))]
    pub timezone: Field<String>,
}

/// An email and password that passed validation.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: Email,
    pub password: Password,
}

impl Credentials {
    /// Validates both fields of a form, reporting every invalid one.
    pub fn parse(email: &str, password: String) -> Result<Self, Vec<FieldError>> {
        let mut fields = Fields::default();
        let email = fields.check("email", Email::parse(email));
        let password = fields.check("password", Password::parse(password));
        fields.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

impl TryFrom<CredentialsInput> for Credentials {
    type Error = Vec<FieldError>;

    fn try_from(input: CredentialsInput) -> Result<Self, Self::Error> {
        let mut fields = Fields::default();
        let email = fields.check(
            "email",
            input
                .email
                .required()
                .and_then(|email| Email::parse(&email).map_err(|err| err.to_string())),
        );
        let password = fields.check(
            "password",
            input
                .password
                .required()
                .and_then(|password| Password::parse(password).map_err(|err| err.to_string())),
        );
        fields.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_invalid_field() {
        let errors = Credentials::parse("nope", "short".into()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password"]);
        let errors = Credentials::parse("a@example.com", "short".into()).unwrap_err();
        assert_eq!(errors[0].field, "password");
        assert!(Credentials::parse("A@Example.com", "long enough".into()).is_ok());
    }

    #[test]
    fn an_empty_body_names_both_fields() {
        let input: CredentialsInput = serde_json::from_str("{}").unwrap();
        let errors = Credentials::try_from(input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password"]);
    }
}
