//! Tasks: the validated values and the wire shapes shared by the API, the server functions and
//! the browser.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Field, Fields};
use super::organise::{
    due_time_format, parse_due_date, parse_due_time, DueError, Labels, Priority,
};
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
    /// Always sent: `null` when there is none.
    #[cfg_attr(feature = "ssr", schema(required = true, max_length = 10_000))]
    pub description: Option<String>,
    pub completed: bool,
    /// The project, or `null` for the Inbox.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub project_id: Option<Uuid>,
    /// The names of the task's labels, sorted case-insensitively.
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub labels: Vec<String>,
    /// 0 none, 1 low, 2 medium, 3 high.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 3))]
    pub priority: i16,
    /// `YYYY-MM-DD`, or `null`.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub due_date: Option<NaiveDate>,
    /// `HH:MM`, wall-clock time in the user's time zone; only with a `due_date`.
    #[serde(with = "due_time_format")]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Option<String>, required = true, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub due_time: Option<NaiveTime>,
    /// When the task became completed; `null` while it is not.
    #[serde(serialize_with = "super::timestamp::serialize_option")]
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub completed_at: Option<DateTime<Utc>>,
    pub user_id: Uuid,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// 1 at creation, +1 on every change (its ETag is this number in double quotes).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub version: i64,
}

/// A title: trimmed, then 1 to [`Title::MAX_CHARS`] characters (code points), no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters", max = Title::MAX_CHARS)]
    TooLong,
    #[error("must not contain NUL characters")]
    Nul,
}

impl Title {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(input: &str) -> Result<Self, TitleError> {
        let title = input.trim();
        if title.is_empty() {
            Err(TitleError::Empty)
        } else if title.chars().count() > Self::MAX_CHARS {
            Err(TitleError::TooLong)
        } else if title.contains('\0') {
            Err(TitleError::Nul)
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

/// A description: up to [`Description::MAX_CHARS`] characters, no NUL; empty or blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(Option<String>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("must be at most {max} characters", max = Description::MAX_CHARS)]
    TooLong,
    #[error("must not contain NUL characters")]
    Nul,
}

impl Description {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(input: Option<&str>) -> Result<Self, DescriptionError> {
        match input {
            None => Ok(Self(None)),
            Some(text) if text.trim().is_empty() => Ok(Self(None)),
            Some(text) if text.chars().count() > Self::MAX_CHARS => Err(DescriptionError::TooLong),
            Some(text) if text.contains('\0') => Err(DescriptionError::Nul),
            Some(text) => Ok(Self(Some(text.to_owned()))),
        }
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// The body of a create or a full replacement (PUT): a missing (or null) description is none, a
/// missing `completed` is false. Other members (`id`, `user_id`, timestamps) are ignored. Each
/// member is read on its own (see [`Field`]), so every bad one is reported.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskInput {
    /// Trimmed, then 1 to 255 characters, no NUL.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")
    )]
    pub title: Field<String>,
    /// Up to 10,000 characters; empty or blank is stored as null.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, max_length = 10_000))]
    pub description: Field<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = bool, default = false))]
    pub completed: Field<bool>,
    /// One of the caller's projects, or null (the default) for the Inbox.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub project_id: Field<Uuid>,
    /// Label names: each trimmed, 1 to 64 characters, no NUL, no comma; at most 20; a name the
    /// caller has no label for creates the label. Default `[]`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>, max_items = 20))]
    pub labels: Field<Vec<String>>,
    /// 0 to 3, default 0.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i16, minimum = 0, maximum = 3, default = 0))]
    pub priority: Field<i64>,
    /// `YYYY-MM-DD`, years 1900 to 9999, or null (the default).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub due_date: Field<String>,
    /// `HH:MM`, only with a `due_date`; null is the default.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Option<String>, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub due_time: Field<String>,
}

/// A validated [`TaskInput`].
#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: Title,
    pub description: Description,
    pub completed: bool,
    pub project_id: Option<Uuid>,
    pub labels: Labels,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<NaiveTime>,
}

impl NewTask {
    /// A new task from a form's text (the web app's add form, in the browser and on the server).
    pub fn parse(
        title: &str,
        description: Option<&str>,
        completed: bool,
    ) -> Result<Self, Vec<FieldError>> {
        let mut fields = Fields::default();
        let title = fields.check("title", Title::parse(title));
        let description = fields.check("description", Description::parse(description));
        fields.finish(|| {
            Some(Self {
                title: title?,
                description: description?,
                completed,
                project_id: None,
                labels: Labels::default(),
                priority: Priority::default(),
                due_date: None,
                due_time: None,
            })
        })
    }
}

impl TryFrom<TaskInput> for NewTask {
    type Error = Vec<FieldError>;

    fn try_from(input: TaskInput) -> Result<Self, Self::Error> {
        let mut fields = Fields::default();
        let title = fields.check("title", input.title.required().and_then(parse_title));
        let description = fields.check(
            "description",
            input.description.or_null().and_then(parse_description),
        );
        let completed = fields.check("completed", input.completed.optional());
        let project_id = fields.check("project_id", input.project_id.or_null());
        let labels = fields.check(
            "labels",
            input
                .labels
                .optional()
                .and_then(|names| parse_labels(names.unwrap_or_default())),
        );
        let priority = fields.check(
            "priority",
            input
                .priority
                .optional()
                .and_then(|p| parse_priority(p.unwrap_or(0))),
        );
        let due_date = fields.check(
            "due_date",
            input
                .due_date
                .or_null()
                .and_then(|d| d.map(parse_date).transpose()),
        );
        let due_time = fields.check(
            "due_time",
            input
                .due_time
                .or_null()
                .and_then(|t| t.map(parse_time).transpose()),
        );
        if let (Some(None), Some(Some(_))) = (&due_date, &due_time) {
            fields.check("due_time", Err::<(), _>(DueError::TimeWithoutDate));
        }
        fields.finish(|| {
            Some(Self {
                title: title?,
                description: description?,
                completed: completed?.unwrap_or(false),
                project_id: project_id?,
                labels: labels?,
                priority: priority?,
                due_date: due_date?,
                due_time: due_time?,
            })
        })
    }
}

/// The body of a partial update (PATCH): any subset. `null` clears a nullable member
/// (`description`, `project_id`, `due_date`, `due_time`); the others may not be `null`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskPatchInput {
    /// Trimmed, then 1 to 255 characters, no NUL; absent leaves the title as it is.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, min_length = 1, max_length = 255, pattern = r"\S")
    )]
    pub title: Field<String>,
    /// Absent: unchanged. `null`: cleared. A string: replaced.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, max_length = 10_000))]
    pub description: Field<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = bool))]
    pub completed: Field<bool>,
    /// Absent: unchanged. `null`: to the Inbox. An id: to that project (at the top of its manual
    /// order).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub project_id: Field<Uuid>,
    /// Absent: unchanged. A list (`[]` removes every label): replaces the labels.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>, max_items = 20))]
    pub labels: Field<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i16, minimum = 0, maximum = 3))]
    pub priority: Field<i64>,
    /// Absent: unchanged. `null`: cleared (which clears `due_time` too).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub due_date: Field<String>,
    /// Absent: unchanged. `null`: cleared. Needs a due date (given or already set).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Option<String>, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub due_time: Field<String>,
}

/// A validated [`TaskPatchInput`]: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub completed: Option<bool>,
    pub project_id: Option<Option<Uuid>>,
    pub labels: Option<Labels>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<NaiveDate>>,
    pub due_time: Option<Option<NaiveTime>>,
}

impl TaskPatch {
    /// A change of title and description from a form's text (the web app's edit form).
    pub fn parse(title: &str, description: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let NewTask {
            title, description, ..
        } = NewTask::parse(title, description, false)?;
        Ok(Self {
            title: Some(title),
            description: Some(description),
            ..Self::default()
        })
    }
}

impl TryFrom<TaskPatchInput> for TaskPatch {
    type Error = Vec<FieldError>;

    fn try_from(input: TaskPatchInput) -> Result<Self, Self::Error> {
        let mut fields = Fields::default();
        let title = fields.check(
            "title",
            input
                .title
                .optional()
                .and_then(|title| title.map(parse_title).transpose()),
        );
        let description = fields.check(
            "description",
            input
                .description
                .change()
                .and_then(|change| change.map(parse_description).transpose()),
        );
        let completed = fields.check("completed", input.completed.optional());
        let project_id = fields.check("project_id", input.project_id.change());
        let labels = fields.check(
            "labels",
            input
                .labels
                .optional()
                .and_then(|names| names.map(parse_labels).transpose()),
        );
        let priority = fields.check(
            "priority",
            input
                .priority
                .optional()
                .and_then(|p| p.map(parse_priority).transpose()),
        );
        let due_date = fields.check(
            "due_date",
            input
                .due_date
                .change()
                .and_then(|d| d.map(|d| d.map(parse_date).transpose()).transpose()),
        );
        let due_time = fields.check(
            "due_time",
            input
                .due_time
                .change()
                .and_then(|t| t.map(|t| t.map(parse_time).transpose()).transpose()),
        );
        // Clearing the date clears the time: a time given with it is a contradiction.
        if let (Some(Some(None)), Some(Some(Some(_)))) = (&due_date, &due_time) {
            fields.check("due_time", Err::<(), _>(DueError::TimeWithoutDate));
        }
        fields.finish(|| {
            Some(Self {
                title: title?,
                description: description?,
                completed: completed?,
                project_id: project_id?,
                labels: labels?,
                priority: priority?,
                due_date: due_date?,
                due_time: due_time?,
            })
        })
    }
}

impl TaskPatch {
    /// Whether the labels change, which takes a transaction (the links and the task agree).
    pub fn changes_labels(&self) -> bool {
        self.labels.is_some()
    }
}

fn parse_title(title: String) -> Result<Title, String> {
    Title::parse(&title).map_err(|err| err.to_string())
}

fn parse_description(description: Option<String>) -> Result<Description, String> {
    Description::parse(description.as_deref()).map_err(|err| err.to_string())
}

pub(super) fn parse_labels(names: Vec<String>) -> Result<Labels, String> {
    Labels::parse(&names).map_err(|err| err.to_string())
}

pub(super) fn parse_priority(priority: i64) -> Result<Priority, String> {
    Priority::new(priority).map_err(|err| err.to_string())
}

pub(super) fn parse_date(date: String) -> Result<NaiveDate, String> {
    parse_due_date(&date).map_err(|err| err.to_string())
}

pub(super) fn parse_time(time: String) -> Result<NaiveTime, String> {
    parse_due_time(&time).map_err(|err| err.to_string())
}

/// A task with these fields and defaults for the rest, for the domain's unit tests.
#[cfg(test)]
pub(crate) fn sample(title: &str, description: Option<&str>, completed: bool) -> Task {
    Task {
        id: Uuid::now_v7(),
        title: title.into(),
        description: description.map(Into::into),
        completed,
        project_id: None,
        labels: Vec::new(),
        priority: 0,
        due_date: None,
        due_time: None,
        completed_at: None,
        user_id: Uuid::now_v7(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }
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
            title: Field::Value(" ".into()),
            description: Field::Value("x".repeat(10_001)),
            ..TaskInput::default()
        };
        let errors = NewTask::try_from(input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "description"]);
        let input: TaskInput =
            serde_json::from_str(r#"{"title": "", "description": 5, "completed": "yes"}"#).unwrap();
        let errors = NewTask::try_from(input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "description", "completed"]);
    }

    fn patch(json: &str) -> Result<TaskPatch, Vec<FieldError>> {
        TaskPatch::try_from(serde_json::from_str::<TaskPatchInput>(json).unwrap())
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let absent = patch(r#"{"title": "x"}"#).unwrap();
        assert_eq!(absent.description, None);
        let null = patch(r#"{"description": null}"#).unwrap();
        assert_eq!(null.description, Some(Description(None)));
        let set = patch(r#"{"description": "d"}"#).unwrap();
        assert_eq!(set.description, Some(Description(Some("d".into()))));
    }

    #[test]
    fn only_the_description_may_be_null() {
        for (json, field) in [
            (r#"{"title": null}"#, "title"),
            (r#"{"completed": null}"#, "completed"),
        ] {
            let errors = patch(json).unwrap_err();
            assert_eq!(errors.len(), 1, "{json}");
            assert_eq!(errors[0].field, field, "{json}");
        }
    }
}
