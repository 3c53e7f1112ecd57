//! Listing a user's tasks: [`ListQuery`], the one shape of a listing request (the API's query
//! parameters, the web app's list calls, and the OpenAPI document's description of both), its
//! [`Cursor`], and what the web app's list shows.

use chrono::NaiveDate;
use uuid::Uuid;

pub use super::cursor::{Cursor, SortKey};

use super::cursor::Filters;
use super::organise::{parse_due_date, LabelName, Labels, Priority};
use super::{query_string, FieldError, Task};

/// Tasks per page when the request does not say.
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest page a request may ask for.
pub const MAX_LIMIT: i64 = 500;
/// The longest search text accepted, in characters (code points).
pub const MAX_SEARCH_CHARS: usize = 255;

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(rename_all = "lowercase"))]
pub enum Sort {
    /// Newest first.
    #[default]
    Created,
    /// Earliest due first (date, then time; a date's untimed tasks before its timed ones);
    /// undated last; ties newest first.
    Due,
    /// Highest first; ties newest first.
    Priority,
    /// The project's manual order (needs `project`).
    Manual,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Due => "due",
            Self::Priority => "priority",
            Self::Manual => "manual",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Created, Self::Due, Self::Priority, Self::Manual]
            .into_iter()
            .find(|sort| sort.as_str() == value)
    }
}

/// `project=`: one project, or the Inbox (tasks in no project).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectFilter {
    Inbox,
    Project(Uuid),
}

impl ProjectFilter {
    /// The project id, `None` for the Inbox.
    pub fn id(self) -> Option<Uuid> {
        match self {
            Self::Inbox => None,
            Self::Project(id) => Some(id),
        }
    }

    pub fn encode(self) -> String {
        match self {
            Self::Inbox => "inbox".to_owned(),
            Self::Project(id) => id.to_string(),
        }
    }

    /// `inbox` or a project id. The nil UUID names no project (the manual order's index uses it
    /// for the Inbox).
    pub fn parse(value: &str) -> Option<Self> {
        if value == "inbox" {
            return Some(Self::Inbox);
        }
        match Uuid::try_parse(value) {
            Ok(id) if !id.is_nil() => Some(Self::Project(id)),
            _ => None,
        }
    }
}

/// `due=`: which due dates, relative to today in the user's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(rename_all = "lowercase"))]
pub enum DueFilter {
    /// No due date.
    None,
    /// Any due date.
    Any,
    /// Before now: a date before today, or today at a time already past.
    Overdue,
    /// Today.
    Today,
    /// After today.
    Upcoming,
}

impl DueFilter {
    const ALL: [Self; 5] = [
        Self::None,
        Self::Any,
        Self::Overdue,
        Self::Today,
        Self::Upcoming,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Any => "any",
            Self::Overdue => "overdue",
            Self::Today => "today",
            Self::Upcoming => "upcoming",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|due| due.as_str() == value)
    }

    /// Whether the filter depends on the user's today.
    pub fn needs_today(self) -> bool {
        matches!(self, Self::Overdue | Self::Today | Self::Upcoming)
    }
}

/// Which of a user's tasks to list, in which order, and from where: parsed once, by
/// [`ListQuery::parse`], from the API's query string and from the web app's list calls alike, so
/// both get the same rules and the same messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Only tasks in this state.
    pub completed: Option<bool>,
    /// Only tasks whose title or description contains this text, case-insensitively; `%`, `_`
    /// and `\` are literal.
    #[cfg_attr(feature = "ssr", param(max_length = 255))]
    pub q: Option<String>,
    /// Only this project's tasks (a project id), or the Inbox's (`inbox`). An unknown or another
    /// user's project is a 422 naming `project`.
    #[cfg_attr(
        feature = "ssr",
        param(
            value_type = Option<String>,
            pattern = "^(inbox|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )
    )]
    pub project: Option<ProjectFilter>,
    /// Repeatable: only tasks carrying every one of these labels (case-insensitive; a name with
    /// no label matches nothing).
    #[cfg_attr(
        feature = "ssr",
        param(rename = "label", value_type = Option<Vec<String>>, max_items = 20, style = Form, explode)
    )]
    pub labels: Vec<String>,
    /// Only tasks of this priority.
    #[cfg_attr(feature = "ssr", param(minimum = 0, maximum = 3))]
    pub priority: Option<i16>,
    /// Only tasks due so, relative to today in the user's time zone.
    #[cfg_attr(feature = "ssr", param(inline))]
    pub due: Option<DueFilter>,
    /// Only tasks due on or after this date (`YYYY-MM-DD`).
    #[cfg_attr(feature = "ssr", param(value_type = Option<String>, format = Date))]
    pub due_from: Option<NaiveDate>,
    /// Only tasks due on or before this date (`YYYY-MM-DD`), not before `due_from`.
    #[cfg_attr(feature = "ssr", param(value_type = Option<String>, format = Date))]
    pub due_to: Option<NaiveDate>,
    /// The order; `manual` needs `project`. Default `created`.
    #[cfg_attr(feature = "ssr", param(inline))]
    pub sort: Option<Sort>,
    /// Page size.
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 500, default = 100))]
    pub limit: Option<i64>,
    /// The opaque value from the previous page's `next` link. It is bound to the user it was
    /// made for, to the page's `sort` and to its filters: used with another sort or other
    /// filters, or without the ones it was made with, it is a 422 naming `cursor` (so a client
    /// that passes back only the cursor learns to pass the rest too, rather than silently
    /// getting another listing's tasks). `limit` may change from page to page.
    #[cfg_attr(
        feature = "ssr",
        param(
            value_type = Option<String>,
            pattern = "^-?[0-9]+_[0-9a-f]{32}_[0-9a-f]{32}_[tfa][0-9a-f]{32}_(c|d-?[0-9]+|p[0-3]|m[0-9A-Za-z]+)$"
        )
    )]
    pub cursor: Option<Cursor>,
}

/// What is wrong with one listing parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("must be given at most once")]
    Repeated,
    #[error("must be true or false")]
    NotBoolean,
    #[error("must not contain NUL characters")]
    Nul,
    #[error("must be at most {max} characters", max = MAX_SEARCH_CHARS)]
    SearchTooLong,
    #[error("must be a whole number from 1 to {max}", max = MAX_LIMIT)]
    Limit,
    #[error("is not a cursor from this listing's next link")]
    Cursor,
    #[error(
        "was made for a page with {0}: give the page after it the same filters (or follow its \
         next link)"
    )]
    CursorFilters(String),
    #[error(
        "was made for sort={0}: give the page after it the same sort (or follow its next link)"
    )]
    CursorSort(&'static str),
    #[error("must be a project id or inbox")]
    Project,
    #[error("is not one of your projects")]
    UnknownProject,
    #[error("{0}")]
    Label(String),
    #[error("must be given at most {max} times", max = Labels::MAX)]
    TooManyLabels,
    #[error("must be an integer from 0 to {max}", max = Priority::MAX)]
    Priority,
    #[error("must be one of none, any, overdue, today, upcoming")]
    Due,
    #[error("{0}")]
    Date(String),
    #[error("must not be before due_from")]
    DueRange,
    #[error("must be one of created, due, priority, manual")]
    Sort,
    #[error("sort=manual needs a project (project=<id> or project=inbox)")]
    ManualNeedsProject,
}

impl ListQuery {
    /// The parameters this type reads; any other is ignored.
    pub const PARAMETERS: [&'static str; 11] = [
        "completed",
        "q",
        "project",
        "label",
        "priority",
        "due",
        "due_from",
        "due_to",
        "sort",
        "limit",
        "cursor",
    ];

    /// Parses query parameters for `user_id`'s listing, reporting every bad parameter. An empty
    /// `q` searches for nothing; a cursor is only good for the user it was made for.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        user_id: Uuid,
    ) -> Result<Self, Vec<FieldError>> {
        let mut query = Self::default();
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if !Self::PARAMETERS.contains(&name) {
                continue;
            }
            let result = if name != "label" && seen.contains(&name) {
                Err(ParamError::Repeated)
            } else {
                seen.push(name);
                query.set(name, value, user_id)
            };
            if let Err(err) = result {
                errors.push(FieldError::new(name, err.to_string()));
            }
        }
        let mut report = |name: &str, err: ParamError| {
            errors.push(FieldError::new(name, err.to_string()));
        };
        if query.labels.len() > Labels::MAX {
            report("label", ParamError::TooManyLabels);
        }
        if let (Some(from), Some(to)) = (query.due_from, query.due_to) {
            if to < from {
                report("due_to", ParamError::DueRange);
            }
        }
        if query.sort == Some(Sort::Manual) && query.project.is_none() {
            report("sort", ParamError::ManualNeedsProject);
        }
        if let Some(cursor) = &query.cursor {
            if cursor.key.sort() != query.sort() {
                report("cursor", ParamError::CursorSort(cursor.key.sort().as_str()));
            } else if let Some(made_for) = cursor.filters.mismatch(&Filters::of(&query)) {
                report("cursor", ParamError::CursorFilters(made_for));
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }

    fn set(&mut self, name: &str, value: &str, user_id: Uuid) -> Result<(), ParamError> {
        match name {
            "completed" => {
                self.completed = Some(match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(ParamError::NotBoolean),
                });
            }
            "q" if value.contains('\0') => return Err(ParamError::Nul),
            "q" if value.chars().count() > MAX_SEARCH_CHARS => {
                return Err(ParamError::SearchTooLong)
            }
            "q" => self.q = (!value.is_empty()).then(|| value.to_owned()),
            "project" => {
                self.project = Some(ProjectFilter::parse(value).ok_or(ParamError::Project)?)
            }
            "label" => {
                let name = LabelName::parse(value).map_err(|e| ParamError::Label(e.to_string()))?;
                self.labels.push(name.as_ref().to_owned());
            }
            "priority" => {
                // Exactly one digit: not `+2`, not `02`.
                let priority = match value.as_bytes() {
                    [digit @ b'0'..=b'9'] => Priority::new(i64::from(digit - b'0')).ok(),
                    _ => None,
                }
                .ok_or(ParamError::Priority)?;
                self.priority = Some(priority.get());
            }
            "due" => {
                self.due = Some(DueFilter::parse(value).ok_or(ParamError::Due)?);
            }
            "due_from" | "due_to" => {
                let date = parse_due_date(value).map_err(|e| ParamError::Date(e.to_string()))?;
                if name == "due_from" {
                    self.due_from = Some(date);
                } else {
                    self.due_to = Some(date);
                }
            }
            "sort" => self.sort = Some(Sort::parse(value).ok_or(ParamError::Sort)?),
            "limit" => match value.parse::<i64>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => self.limit = Some(limit),
                _ => return Err(ParamError::Limit),
            },
            _ => self.cursor = Some(Cursor::decode(value, user_id).ok_or(ParamError::Cursor)?),
        }
        Ok(())
    }

    /// The order: as given, or newest first.
    pub fn sort(&self) -> Sort {
        self.sort.unwrap_or_default()
    }

    /// The cursor of the page after `last` (whose manual-order key is `position`), bound to
    /// this query's sort and filters.
    pub fn cursor_after(&self, last: &Task, position: &str) -> Cursor {
        let key = match self.sort() {
            Sort::Created => SortKey::Created,
            Sort::Due => SortKey::Due(super::organise::due_rank(last.due_date, last.due_time)),
            Sort::Priority => SortKey::Priority(last.priority),
            Sort::Manual => SortKey::Manual(position.to_owned()),
        };
        Cursor {
            key,
            created_at: last.created_at,
            id: last.id,
            filters: Filters::of(self),
        }
    }

    /// The page size: as given, or [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The query string of the page at `next`: this query's parameters as given, and that
    /// cursor.
    pub fn next_page(&self, next: &Cursor, user_id: Uuid) -> String {
        let completed = self.completed.map(|c| c.to_string());
        let project = self.project.map(ProjectFilter::encode);
        let priority = self.priority.map(|p| p.to_string());
        let due_from = self.due_from.map(|d| d.to_string());
        let due_to = self.due_to.map(|d| d.to_string());
        let limit = self.limit.map(|l| l.to_string());
        let cursor = next.encode(user_id);
        let mut pairs = vec![
            ("completed", completed.as_deref()),
            ("q", self.q.as_deref()),
            ("project", project.as_deref()),
        ];
        pairs.extend(self.labels.iter().map(|l| ("label", Some(l.as_str()))));
        pairs.extend([
            ("priority", priority.as_deref()),
            ("due", self.due.map(DueFilter::as_str)),
            ("due_from", due_from.as_deref()),
            ("due_to", due_to.as_deref()),
            ("sort", self.sort.map(Sort::as_str)),
            ("limit", limit.as_deref()),
            ("cursor", Some(cursor.as_str())),
        ]);
        query_string(
            pairs
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::task::sample as task;
    use chrono::DateTime;

    #[test]
    fn cursors_round_trip_and_belong_to_their_user() {
        let user = Uuid::now_v7();
        let mut last = task("t", None, false);
        last.created_at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let cursor = ListQuery::default().cursor_after(&last, "V");
        let raw = cursor.encode(user);
        assert_eq!(Cursor::decode(&raw, user), Some(cursor));
        assert_eq!(Cursor::decode(&raw, Uuid::now_v7()), None);
        let old_format = raw.rsplit_once('_').unwrap().0.to_owned();
        for bad in ["", "x", "1_2_3", &format!("{raw}_extra"), &old_format] {
            assert_eq!(Cursor::decode(bad, user), None, "{bad}");
        }
    }

    fn fields(result: Result<ListQuery, Vec<FieldError>>) -> Vec<String> {
        result
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn queries_parse_every_parameter_and_report_each_mistake() {
        let user = Uuid::now_v7();
        let query = ListQuery::parse([("completed", "false"), ("q", "milk"), ("x", "y")], user)
            .expect("valid");
        assert_eq!(query.completed, Some(false));
        assert_eq!(query.q.as_deref(), Some("milk"));
        assert_eq!(query.limit(), DEFAULT_LIMIT);
        assert_eq!(ListQuery::parse([("q", "")], user).unwrap().q, None);
        let too_long = "a".repeat(MAX_SEARCH_CHARS + 1);
        assert_eq!(
            fields(ListQuery::parse(
                [
                    ("completed", "yes"),
                    ("q", too_long.as_str()),
                    ("limit", "0"),
                    ("cursor", "nope"),
                    ("completed", "true"),
                ],
                user
            )),
            ["completed", "q", "limit", "cursor", "completed"]
        );
        let nul = ListQuery::parse([("q", "a\0b")], user).unwrap_err();
        assert_eq!(nul[0].message, ParamError::Nul.to_string());
    }

    #[test]
    fn the_next_page_keeps_the_parameters_given() {
        let user = Uuid::now_v7();
        let query = ListQuery::parse(
            [("completed", "true"), ("q", "a b&c"), ("limit", "2")],
            user,
        )
        .unwrap();
        let last = task("t", None, true);
        let next = query.next_page(&query.cursor_after(&last, "V"), user);
        let cursor = query.cursor_after(&last, "V").encode(user);
        assert_eq!(
            next,
            format!("completed=true&q=a%20b%26c&limit=2&cursor={cursor}")
        );
        let pairs: Vec<(String, String)> = next
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (
                    name.to_owned(),
                    value.replace("%20", " ").replace("%26", "&"),
                )
            })
            .collect();
        let again =
            ListQuery::parse(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())), user).unwrap();
        assert_eq!(again.cursor, Cursor::decode(&cursor, user));
        assert_eq!(
            (again.completed, again.q, again.limit),
            (query.completed, query.q, query.limit)
        );
    }

    #[test]
    fn a_cursor_is_refused_with_other_filters_than_its_own() {
        let user = Uuid::now_v7();
        let last = task("t", None, false);
        let made = |pairs: &[(&str, &str)]| {
            ListQuery::parse(pairs.iter().copied(), user)
                .unwrap()
                .cursor_after(&last, "V")
                .encode(user)
        };
        let active_milk = made(&[("completed", "false"), ("q", "milk")]);
        // With its own filters (and any limit), it works.
        let same = [
            ("completed", "false"),
            ("q", "milk"),
            ("limit", "7"),
            ("cursor", active_milk.as_str()),
        ];
        assert!(ListQuery::parse(same, user).is_ok());
        // Alone, or with other filters, it is a mistake naming the cursor and its filters.
        for pairs in [
            vec![("cursor", active_milk.as_str())],
            vec![
                ("completed", "true"),
                ("q", "milk"),
                ("cursor", &active_milk),
            ],
            vec![
                ("completed", "false"),
                ("q", "bread"),
                ("cursor", &active_milk),
            ],
        ] {
            let errors = ListQuery::parse(pairs.iter().copied(), user).unwrap_err();
            assert_eq!(errors.len(), 1, "{pairs:?}");
            assert_eq!(errors[0].field, "cursor", "{pairs:?}");
        }
        let alone = ListQuery::parse([("cursor", active_milk.as_str())], user).unwrap_err();
        assert!(
            alone[0].message.contains("completed=false and a q"),
            "{}",
            alone[0].message
        );
        // An unfiltered listing's cursor does not carry over to a filtered one either.
        let all = made(&[]);
        let errors =
            ListQuery::parse([("completed", "false"), ("cursor", &all)], user).unwrap_err();
        assert!(
            errors[0].message.contains("no completed"),
            "{}",
            errors[0].message
        );
    }
}
