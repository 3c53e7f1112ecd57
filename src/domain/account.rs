use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Email, FieldError, Password};

/// A user as the API shows it: never with a password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
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
}

/// Register and login bodies as they arrive: plain strings, validated by [`Credentials::parse`].
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CredentialsInput {
    /// A plausible address; compared case-insensitively and stored lower-cased.
    #[cfg_attr(feature = "ssr", schema(format = "email", max_length = 254))]
    pub email: String,
    /// 8 to 128 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128))]
    pub password: String,
}

/// An email and password that passed validation.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: Email,
    pub password: Password,
}

impl Credentials {
    /// Validates both fields, reporting every invalid one.
    pub fn parse(email: &str, password: String) -> Result<Self, Vec<FieldError>> {
        let email = Email::parse(email);
        let password = Password::parse(password);
        match (email, password) {
            (Ok(email), Ok(password)) => Ok(Self { email, password }),
            (email, password) => {
                let mut errors = Vec::new();
                if let Err(err) = email {
                    errors.push(FieldError::new("email", err.to_string()));
                }
                if let Err(err) = password {
                    errors.push(FieldError::new("password", err.to_string()));
                }
                Err(errors)
            }
        }
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
}
