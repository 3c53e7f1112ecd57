//! `AppError`: what a server function can tell the UI. Shared by the server and the WASM client,
//! so the UI matches on variants (and shows field errors beside their inputs) instead of parsing
//! messages. Its `Display` texts are written for the person using the app.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("Wrong email or password.")]
    InvalidCredentials,
    /// The password confirming a change of the account.
    #[error("That is not your current password.")]
    WrongPassword,
    #[error("An account with this email already exists. Sign in instead?")]
    EmailTaken,
    /// A name already in use, or a limit reached: the server's words, for the person.
    #[error("{0}")]
    Conflict(String),
    #[error("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("Too many accounts were created from your network. Try again in {} minutes.", retry_after_secs.div_ceil(60))]
    TooManyRegistrations { retry_after_secs: u64 },
    #[error("Please sign in again.")]
    Unauthorized,
    #[error("That task no longer exists. It may have been deleted elsewhere.")]
    NotFound,
    /// A project or label (named) that is not, or no longer, the user's.
    #[error("That {0} no longer exists. It may have been deleted elsewhere.")]
    Missing(String),
    /// A write made on an out-of-date copy of a task (its version had moved on): nothing was
    /// changed. Carries the task as it now is, for the page to show (not for a plain form post,
    /// whose error travels in a URL and whose page is loaded afresh anyway).
    #[error("This task was changed elsewhere, so your change was not made. It now shows the latest version.")]
    Stale(Option<Box<crate::domain::Task>>),
    #[error("This request did not come from Taskdeck and was refused.")]
    CrossSite,
    #[error("Could not reach Taskdeck. Check your connection and try again.")]
    Network,
    /// The server's database could not answer in time: nothing was lost, try again.
    #[error("Taskdeck is busy right now. Please try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    /// The message for one form field, if this error concerns it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|error| error.field == name)
                .map(|error| error.message.clone()),
            _ => None,
        }
    }

    /// The message for the form as a whole: everything but per-field validation.
    pub fn form_message(&self) -> Option<String> {
        match self {
            Self::Validation(_) => None,
            other => Some(other.to_string()),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request never got an answer: the network, not the server.
            ServerFnErrorErr::Request(_) => Self::Network,
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_and_form_messages_are_separate() {
        let error = AppError::Validation(vec![FieldError::new("email", "must not be empty")]);
        assert_eq!(error.field("email").as_deref(), Some("must not be empty"));
        assert_eq!(error.field("password"), None);
        assert_eq!(error.form_message(), None);
        assert_eq!(
            AppError::InvalidCredentials.form_message().as_deref(),
            Some("Wrong email or password.")
        );
    }

    #[test]
    fn round_trips_through_its_encoding() {
        let error = AppError::TooManyAttempts {
            retry_after_secs: 42,
        };
        assert_eq!(AppError::de(error.ser()), error);
    }
}
