//! Tasks: the validated values and the wire shapes shared by the API, the server functions and
//! the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::FieldError;

/// A task as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: Uuid,
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 255, pattern = r"\S")
    )]
    pub title: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 10_000))]
    pub description: Option<String>,
    pub completed: bool,
    pub user_id: Uuid,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// A title: trimmed, then 1 to 255 characters (code points), no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(input: &str) -> Result<Self, String> {
        let title = input.trim();
        if title.is_empty() {
            Err("must not be empty".into())
        } else if title.chars().count() > Self::MAX_CHARS {
            Err(format!("must be at most {} characters", Self::MAX_CHARS))
        } else if title.contains('\0') {
            Err("must not contain NUL characters".into())
        } else {
            Ok(Self(title.to_owned()))
        }
    }
}

impl AsRef<str> for Title {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A description: up to 10,000 characters, no NUL; empty or blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(Option<String>);

impl Description {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(input: Option<&str>) -> Result<Self, String> {
        match input {
            None => Ok(Self(None)),
            Some(text) if text.trim().is_empty() => Ok(Self(None)),
            Some(text) if text.chars().count() > Self::MAX_CHARS => {
                Err(format!("must be at most {} characters", Self::MAX_CHARS))
            }
            Some(text) if text.contains('\0') => Err("must not contain NUL characters".into()),
            Some(text) => Ok(Self(Some(text.to_owned()))),
        }
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// The body of a create or a full replacement (PUT): a missing description is none, a missing
/// `completed` is false. Other members (`id`, `user_id`, timestamps) are ignored.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskInput {
    /// Trimmed, then 1 to 255 characters, no NUL.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 255, pattern = r"\S")
    )]
    pub title: String,
    /// Up to 10,000 characters; empty or blank is stored as null.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 10_000))]
    pub description: Option<String>,
    #[serde(default)]
    pub completed: bool,
}

/// A validated [`TaskInput`].
#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: Title,
    pub description: Description,
    pub completed: bool,
}

impl TryFrom<TaskInput> for NewTask {
    type Error = Vec<FieldError>;

    fn try_from(input: TaskInput) -> Result<Self, Self::Error> {
        let title = Title::parse(&input.title);
        let description = Description::parse(input.description.as_deref());
        match (title, description) {
            (Ok(title), Ok(description)) => Ok(Self {
                title,
                description,
                completed: input.completed,
            }),
            (title, description) => Err(field_errors(title.err(), description.err())),
        }
    }
}

/// The body of a partial update (PATCH): any subset; `"description": null` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskPatchInput {
    /// Trimmed, then 1 to 255 characters, no NUL; absent or null leaves the title as it is.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 255, pattern = r"\S")
    )]
    pub title: Option<String>,
    /// Absent: unchanged. `null`: cleared. A string: replaced.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, max_length = 10_000))]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub completed: Option<bool>,
}

/// A present member, even `null`, becomes `Some`; an absent one stays `None` (the default).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A validated [`TaskPatchInput`].
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub completed: Option<bool>,
}

impl TryFrom<TaskPatchInput> for TaskPatch {
    type Error = Vec<FieldError>;

    fn try_from(input: TaskPatchInput) -> Result<Self, Self::Error> {
        let title = input.title.as_deref().map(Title::parse).transpose();
        let description = input
            .description
            .as_ref()
            .map(|d| Description::parse(d.as_deref()))
            .transpose();
        match (title, description) {
            (Ok(title), Ok(description)) => Ok(Self {
                title,
                description,
                completed: input.completed,
            }),
            (title, description) => Err(field_errors(title.err(), description.err())),
        }
    }
}

fn field_errors(title: Option<String>, description: Option<String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(message) = title {
        errors.push(FieldError::new("title", message));
    }
    if let Some(message) = description {
        errors.push(FieldError::new("description", message));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_counted_in_code_points() {
        assert_eq!(Title::parse("  Buy milk \n").unwrap().as_ref(), "Buy milk");
        assert!(Title::parse(" \t ").is_err());
        assert!(Title::parse(&"😀".repeat(255)).is_ok());
        assert!(Title::parse(&"😀".repeat(256)).is_err());
        assert!(Title::parse(&format!("  {}  ", "a".repeat(255))).is_ok());
        assert!(Title::parse("a\0b").is_err());
    }

    #[test]
    fn blank_descriptions_are_none() {
        assert_eq!(Description::parse(Some("   ")).unwrap().as_deref(), None);
        assert_eq!(Description::parse(None).unwrap().as_deref(), None);
        assert_eq!(
            Description::parse(Some(" keep spaces "))
                .unwrap()
                .as_deref(),
            Some(" keep spaces ")
        );
        assert!(Description::parse(Some(&"é".repeat(10_000))).is_ok());
        assert!(Description::parse(Some(&"é".repeat(10_001))).is_err());
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let input = TaskInput {
            title: " ".into(),
            description: Some("x".repeat(10_001)),
            completed: false,
        };
        let errors = NewTask::try_from(input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "description"]);
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let absent: TaskPatchInput = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        assert_eq!(absent.description, None);
        let null: TaskPatchInput = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(null.description, Some(None));
        let set: TaskPatchInput = serde_json::from_str(r#"{"description": "d"}"#).unwrap();
        assert_eq!(set.description, Some(Some("d".into())));
    }
}
