//! Listing a user's tasks: [`ListQuery`], the one shape of a listing request (the API's query
//! parameters, the web app's list calls, and the OpenAPI document's description of both), its
//! [`Cursor`], and what the web app's list shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{query_string, FieldError, Task};

/// Tasks per page when the request does not say.
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest page a request may ask for.
pub const MAX_LIMIT: i64 = 500;
/// The longest search text accepted, in characters (code points).
pub const MAX_SEARCH_CHARS: usize = 255;

/// Which of a user's tasks to list, and from where: parsed once, by [`ListQuery::parse`], from
/// the API's query string and from the web app's list calls alike, so both get the same rules
/// and the same messages.
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
    /// Page size.
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 500, default = 100))]
    pub limit: Option<i64>,
    /// The opaque value from the previous page's `next` link; only good for the user it was
    /// made for.
    #[cfg_attr(
        feature = "ssr",
        param(value_type = Option<String>, pattern = "^[0-9]+_[0-9a-f]{32}_[0-9a-f]{32}$")
    )]
    pub cursor: Option<Cursor>,
}

/// What is wrong with one listing parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
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
}

impl ListQuery {
    /// The parameters this type reads; any other is ignored.
    pub const PARAMETERS: [&'static str; 4] = ["completed", "q", "limit", "cursor"];

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
            let result = if seen.contains(&name) {
                Err(ParamError::Repeated)
            } else {
                seen.push(name);
                query.set(name, value, user_id)
            };
            if let Err(err) = result {
                errors.push(FieldError::new(name, err.to_string()));
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
            "limit" => match value.parse::<i64>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => self.limit = Some(limit),
                _ => return Err(ParamError::Limit),
            },
            _ => self.cursor = Some(Cursor::decode(value, user_id).ok_or(ParamError::Cursor)?),
        }
        Ok(())
    }

    /// The page size: as given, or [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The query string of the page after `last`: this query's parameters as given, and the
    /// cursor just past `last`.
    pub fn next_page(&self, last: &Task, user_id: Uuid) -> String {
        let completed = self.completed.map(|c| c.to_string());
        let limit = self.limit.map(|l| l.to_string());
        let cursor = Cursor::after(last).encode(user_id);
        let pairs = [
            ("completed", completed.as_deref()),
            ("q", self.q.as_deref()),
            ("limit", limit.as_deref()),
            ("cursor", Some(cursor.as_str())),
        ];
        query_string(
            pairs
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        )
    }
}

/// A position in a user's newest-first list: the last task of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// `<microseconds>_<task id>_<user id>`: opaque to clients, and bound to the user it was made
    /// for. The API's `next` links and the web app's "Load more" carry the same cursor.
    pub fn encode(self, user_id: Uuid) -> String {
        format!(
            "{}_{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple(),
            user_id.simple()
        )
    }

    /// The position a cursor names, if it is well-formed and was made for this user.
    pub fn decode(raw: &str, user_id: Uuid) -> Option<Self> {
        let mut parts = raw.split('_');
        let micros = parts.next()?.parse::<i64>().ok()?;
        let id = Uuid::try_parse(parts.next()?).ok()?;
        let owner = Uuid::try_parse(parts.next()?).ok()?;
        if parts.next().is_some() || owner != user_id {
            return None;
        }
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros)?,
            id,
        })
    }

    /// The position just past this task.
    pub fn after(task: &Task) -> Self {
        Self {
            created_at: task.created_at,
            id: task.id,
        }
    }
}

/// The web app's filter tabs: its pages' name for [`ListQuery::completed`], as they appear in
/// the page's URL (`?filter=active`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TaskFilter {
    #[default]
    All,
    Active,
    Completed,
}

impl TaskFilter {
    pub const ALL: [Self; 3] = [Self::All, Self::Active, Self::Completed];

    /// Anything unknown is "all": a mistyped link still shows the user's tasks.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("active") => Self::Active,
            Some("completed") => Self::Completed,
            _ => Self::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Active => "Active",
            Self::Completed => "Completed",
        }
    }

    /// The `completed` value this filter selects, as the data layer takes it.
    pub fn completed(self) -> Option<bool> {
        match self {
            Self::All => None,
            Self::Active => Some(false),
            Self::Completed => Some(true),
        }
    }

    pub fn shows(self, task: &Task) -> bool {
        self.completed()
            .is_none_or(|completed| task.completed == completed)
    }
}

/// Whether `q` (already trimmed) finds this task, as the server's search does: a
/// case-insensitive substring of the title or the description.
pub fn matches_search(task: &Task, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let q = q.to_lowercase();
    task.title.to_lowercase().contains(&q)
        || task
            .description
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains(&q))
}

/// One page of the list, newest first, with the counts the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// The cursor of the next page, when there is one (the API's cursor).
    pub next: Option<String>,
    /// Tasks still to do, over all of the user's tasks (not just this filter or page).
    pub active: i64,
    /// Completed tasks, over all of the user's tasks.
    pub completed: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(title: &str, description: Option<&str>, completed: bool) -> Task {
        Task {
            id: Uuid::now_v7(),
            title: title.into(),
            description: description.map(Into::into),
            completed,
            user_id: Uuid::now_v7(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn filters_parse_leniently_and_select_by_state() {
        assert_eq!(TaskFilter::parse(Some("active")), TaskFilter::Active);
        assert_eq!(TaskFilter::parse(Some("bogus")), TaskFilter::All);
        assert_eq!(TaskFilter::parse(None), TaskFilter::All);
        let done = task("a", None, true);
        assert!(TaskFilter::Completed.shows(&done));
        assert!(!TaskFilter::Active.shows(&done));
        assert!(TaskFilter::All.shows(&done));
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_user() {
        let user = Uuid::now_v7();
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        let raw = cursor.encode(user);
        assert_eq!(Cursor::decode(&raw, user), Some(cursor));
        assert_eq!(Cursor::decode(&raw, Uuid::now_v7()), None);
        for bad in ["", "x", "1_2_3", &format!("{raw}_extra")] {
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
        let next = query.next_page(&last, user);
        let cursor = Cursor::after(&last).encode(user);
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
    fn search_is_case_insensitive_over_title_and_description() {
        let t = task("Buy MILK", Some("Oat, 2 litres"), false);
        assert!(matches_search(&t, "milk"));
        assert!(matches_search(&t, "oat"));
        assert!(matches_search(&t, ""));
        assert!(!matches_search(&t, "bread"));
    }
}
