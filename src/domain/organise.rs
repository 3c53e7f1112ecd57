//! Organising tasks (API-organise.md): project and label names, priority, due dates and times,
//! and the per-user limits. Validated once at the edge, shared by the API, the server functions
//! and the browser.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::input::Field;

/// A project: a named list of tasks. Deleting it deletes its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: Uuid,
    /// Unique per user, case-insensitively.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// 1 at creation, +1 on every change (its ETag is this number in double quotes).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub version: i64,
}

/// A label: a name tasks can carry (tasks show labels by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Label {
    pub id: Uuid,
    /// Unique per user, case-insensitively; no comma.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 64))]
    pub name: String,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "super::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// 1 at creation, +1 on every change (its ETag is this number in double quotes).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub version: i64,
}

/// The body that creates or renames a project.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectInput {
    /// Trimmed, then 1 to 100 characters, no NUL; unique per user, case-insensitively.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, min_length = 1, max_length = 100))]
    pub name: Field<String>,
}

/// The body that creates or renames a label.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelInput {
    /// Trimmed, then 1 to 64 characters, no NUL, no comma; unique per user, case-insensitively.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, required = true, min_length = 1, max_length = 64, pattern = "^[^,]*$")
    )]
    pub name: Field<String>,
}

/// The body of `POST /api/tasks/{id}/move`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MoveInput {
    /// The project to move into (null: the Inbox); absent: the task's own.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub project_id: Field<Uuid>,
    /// Land immediately before this task of that project.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub before: Field<Uuid>,
    /// Land immediately after this task of that project. At most one of `before` and `after`;
    /// neither: the top of the project.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Uuid>))]
    pub after: Field<Uuid>,
}

/// Where a move puts a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// `None`: the task's own project; `Some(None)`: the Inbox.
    pub project_id: Option<Option<Uuid>>,
    pub place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Top,
    Before(Uuid),
    After(Uuid),
}

impl MoveInput {
    /// The move, or every mistake. `task` is the moved task's id: it cannot be its own anchor.
    pub fn parse(self, task: Uuid) -> Result<Move, Vec<super::FieldError>> {
        let mut fields = super::input::Fields::default();
        let project_id = fields.check("project_id", self.project_id.change());
        let before = fields.check("before", self.before.or_null());
        let after = fields.check("after", self.after.or_null());
        for (name, anchor) in [("before", &before), ("after", &after)] {
            if anchor == &Some(Some(task)) {
                fields.check(name, Err::<(), _>("cannot place a task relative to itself"));
            }
        }
        if let (Some(Some(_)), Some(Some(_))) = (&before, &after) {
            fields.check("after", Err::<(), _>("give before or after, not both"));
        }
        fields.finish(|| {
            let place = match (before?, after?) {
                (Some(id), None) => Place::Before(id),
                (None, Some(id)) => Place::After(id),
                _ => Place::Top,
            };
            Some(Move {
                project_id: project_id?,
                place,
            })
        })
    }
}

/// A project's name: trimmed, then 1 to [`ProjectName::MAX_CHARS`] characters, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

/// A label's name: trimmed, then 1 to [`LabelName::MAX_CHARS`] characters, no NUL, no comma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain NUL characters")]
    Nul,
    #[error("must not contain commas")]
    Comma,
    #[error("must not contain control characters")]
    Control,
}

pub(super) fn parse_name(input: &str, max: usize, comma: bool) -> Result<String, NameError> {
    let name = input.trim();
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().count() > max {
        Err(NameError::TooLong(max))
    } else if name.contains('\0') {
        Err(NameError::Nul)
    } else if name.chars().any(char::is_control) {
        Err(NameError::Control)
    } else if !comma && name.contains(',') {
        Err(NameError::Comma)
    } else {
        Ok(name.to_owned())
    }
}

impl ProjectName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        parse_name(input, Self::MAX_CHARS, true).map(Self)
    }
}

impl LabelName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        parse_name(input, Self::MAX_CHARS, false).map(Self)
    }
}

impl AsRef<str> for ProjectName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for LabelName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A task's labels as written: each name valid, names that differ only in case collapsed to the
/// first given, at most [`Labels::MAX`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels(Vec<LabelName>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelsError {
    #[error("label {index}: {error}")]
    Name { index: usize, error: NameError },
    #[error("must have at most {max} labels", max = Labels::MAX)]
    TooMany,
}

impl Labels {
    pub const MAX: usize = 20;

    /// Stops at the first mistake, and at the 21st distinct name: a body of thousands of names
    /// costs no more than reading it. (The database folds case with its own `lower()`, which may
    /// disagree with Rust's on a few letters; it has the last word on which names are one label.)
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, LabelsError> {
        let mut labels: Vec<LabelName> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, name) in names.iter().enumerate() {
            let name = LabelName::parse(name.as_ref())
                .map_err(|error| LabelsError::Name { index, error })?;
            if seen.insert(name.0.to_lowercase()) {
                if labels.len() == Self::MAX {
                    return Err(LabelsError::TooMany);
                }
                labels.push(name);
            }
        }
        Ok(Self(labels))
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|name| name.0.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// 0 none, 1 low, 2 medium, 3 high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Priority(i16);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from 0 to {max}", max = Priority::MAX)]
pub struct PriorityError;

impl Priority {
    pub const MAX: i16 = 3;

    pub fn new(value: i64) -> Result<Self, PriorityError> {
        i16::try_from(value)
            .ok()
            .filter(|p| (0..=Self::MAX).contains(p))
            .map(Self)
            .ok_or(PriorityError)
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

/// The earliest and latest due dates accepted (the contract's years 1900 to 9999).
pub const MIN_DUE_YEAR: i32 = 1900;
pub const MAX_DUE_YEAR: i32 = 9999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DueError {
    #[error("must be a date YYYY-MM-DD from {MIN_DUE_YEAR}-01-01 to {MAX_DUE_YEAR}-12-31")]
    Date,
    #[error("must be a time HH:MM from 00:00 to 23:59")]
    Time,
    #[error("needs a due_date")]
    TimeWithoutDate,
}

/// `YYYY-MM-DD`, exactly: a real calendar date in the accepted years.
pub fn parse_due_date(input: &str) -> Result<NaiveDate, DueError> {
    let bytes = input.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(DueError::Date);
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .ok()
        .filter(|date| (MIN_DUE_YEAR..=MAX_DUE_YEAR).contains(&date.year()))
        .ok_or(DueError::Date)
}

/// `HH:MM`, exactly, 00:00 to 23:59.
pub fn parse_due_time(input: &str) -> Result<NaiveTime, DueError> {
    let bytes = input.as_bytes();
    let shaped = bytes.len() == 5
        && bytes[2] == b':'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 2 || b.is_ascii_digit());
    if !shaped {
        return Err(DueError::Time);
    }
    NaiveTime::parse_from_str(input, "%H:%M").map_err(|_| DueError::Time)
}

/// `HH:MM` on the wire.
pub mod due_time_format {
    use super::*;

    pub fn serialize<S: Serializer>(time: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => s.serialize_str(&format!("{:02}:{:02}", time.hour(), time.minute())),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| parse_due_time(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The due sort's number for a date and time (see the migration that adds `tasks.due_rank`):
/// larger is earlier; a date without a time ranks before that date's timed tasks.
pub fn due_rank(date: Option<NaiveDate>, time: Option<NaiveTime>) -> i64 {
    const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
        Some(date) => date,
        None => panic!("1900-01-01 is a date"),
    };
    match date {
        None => NO_DUE_RANK,
        Some(date) => {
            let days = (date - EPOCH).num_days();
            let minute = time.map_or(0, |t| i64::from(t.hour() * 60 + t.minute()) + 1);
            -(days * 1441 + minute)
        }
    }
}

/// `due_rank` of a task without a due date: the smallest, so undated tasks sort last.
pub const NO_DUE_RANK: i64 = -i64::MAX;

/// The contract's per-user limits, and the variables that change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub tasks: i64,
    pub projects: i64,
    pub labels: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            tasks: 100_000,
            projects: 500,
            labels: 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProjectName::parse("  Home ").unwrap().as_ref(), "Home");
        assert_eq!(ProjectName::parse(" "), Err(NameError::Empty));
        assert!(ProjectName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            ProjectName::parse(&"é".repeat(101)),
            Err(NameError::TooLong(100))
        );
        assert!(ProjectName::parse("a, b").is_ok());
        assert_eq!(LabelName::parse("a,b"), Err(NameError::Comma));
        assert_eq!(LabelName::parse("a\0"), Err(NameError::Nul));
        assert_eq!(LabelName::parse("\u{1c}x"), Err(NameError::Control));
        assert_eq!(ProjectName::parse("a\tb"), Err(NameError::Control));
        assert!(LabelName::parse(&"x".repeat(64)).is_ok());
        assert!(LabelName::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn labels_collapse_case_and_duplicates_and_are_bounded() {
        let labels = Labels::parse(&["Home", " home ", "errands", "HOME"]).unwrap();
        assert_eq!(labels.names(), ["Home", "errands"]);
        let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
        assert_eq!(Labels::parse(&many), Err(LabelsError::TooMany));
        let mut twenty = many[..20].to_vec();
        twenty.push("L0".into());
        assert!(Labels::parse(&twenty).is_ok());
        assert!(matches!(
            Labels::parse(&["ok", ""]),
            Err(LabelsError::Name { index: 1, .. })
        ));
        // Thousands of names stop at the 21st distinct one.
        let huge: Vec<String> = (0..20_000).map(|i| format!("n{i}")).collect();
        assert_eq!(Labels::parse(&huge), Err(LabelsError::TooMany));
        let repeated = vec!["same"; 20_000];
        assert_eq!(Labels::parse(&repeated).unwrap().names(), ["same"]);
    }

    #[test]
    fn priorities_are_zero_to_three() {
        assert_eq!(Priority::new(0).unwrap().get(), 0);
        assert_eq!(Priority::new(3).unwrap().get(), 3);
        assert!(Priority::new(4).is_err());
        assert!(Priority::new(-1).is_err());
        assert!(Priority::new(i64::MAX).is_err());
    }

    #[test]
    fn due_dates_and_times_are_exact() {
        assert!(parse_due_date("2026-12-24").is_ok());
        assert!(parse_due_date("1900-01-01").is_ok());
        assert!(parse_due_date("9999-12-31").is_ok());
        for bad in [
            "2026-02-30",
            "1899-12-31",
            "10000-01-01",
            "2026-1-05",
            "2026-12-24T00:00",
            "",
            "２０２６-12-24",
        ] {
            assert_eq!(parse_due_date(bad), Err(DueError::Date), "{bad}");
        }
        assert!(parse_due_time("00:00").is_ok());
        assert!(parse_due_time("23:59").is_ok());
        for bad in ["24:00", "7:05", "12:00:00", "12:60", "1200", ""] {
            assert_eq!(parse_due_time(bad), Err(DueError::Time), "{bad}");
        }
    }

    #[test]
    fn due_rank_orders_date_then_untimed_then_time_then_undated() {
        let date = |s| parse_due_date(s).ok();
        let time = |s| parse_due_time(s).ok();
        let ranks = [
            due_rank(date("2026-12-23"), time("23:59")),
            due_rank(date("2026-12-24"), None),
            due_rank(date("2026-12-24"), time("00:00")),
            due_rank(date("2026-12-24"), time("17:30")),
            due_rank(date("2026-12-25"), None),
            due_rank(None, None),
        ];
        assert!(ranks.windows(2).all(|w| w[0] > w[1]), "{ranks:?}");
        assert_eq!(due_rank(date("1900-01-01"), None), 0);
    }
}
