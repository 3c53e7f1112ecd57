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
    /// The opaque value from the previous page's `next` link. It is bound to the user it was
    /// made for and to the page's filters (`completed` and `q`): used with other filters, or
    /// without the ones it was made with, it is a 422 naming `cursor` (so a client that passes
    /// back only the cursor learns to pass the filters too, rather than silently getting
    /// another listing's tasks). `limit` may change from page to page.
    #[cfg_attr(
        feature = "ssr",
        param(
            value_type = Option<String>,
            pattern = "^[0-9]+_[0-9a-f]{32}_[0-9a-f]{32}_[tfa][0-9a-f]{16}$"
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
        "was made for a page with {0}: give the page after it the same completed and q (or \
         follow its next link)"
    )]
    CursorFilters(String),
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
        if let Some(cursor) = &query.cursor {
            if let Some(made_for) = cursor.filters.mismatch(&Filters::of(&query)) {
                let err = ParamError::CursorFilters(made_for);
                errors.push(FieldError::new("cursor", err.to_string()));
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

    /// The cursor of the page after `last`, bound to this query's filters.
    pub fn cursor_after(&self, last: &Task) -> Cursor {
        Cursor {
            created_at: last.created_at,
            id: last.id,
            filters: Filters::of(self),
        }
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
        let cursor = self.cursor_after(last).encode(user_id);
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

/// A position in a user's newest-first list (the last task of the previous page), bound to the
/// user it was made for and to the filters of its listing: a cursor used with other filters is
/// refused ([`ParamError::CursorFilters`]), so that a client that passes back only the cursor
/// never silently gets a page of another listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
    filters: Filters,
}

impl Cursor {
    /// `<microseconds>_<task id>_<user id>_<filters>`: opaque to clients. The API's `next` links
    /// and the web app's "Load more" carry the same cursor.
    pub fn encode(self, user_id: Uuid) -> String {
        format!(
            "{}_{}_{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple(),
            user_id.simple(),
            self.filters.encode()
        )
    }

    /// The position a cursor names, if it is well-formed and was made for this user.
    pub fn decode(raw: &str, user_id: Uuid) -> Option<Self> {
        let mut parts = raw.split('_');
        let micros = parts.next()?.parse::<i64>().ok()?;
        let id = Uuid::try_parse(parts.next()?).ok()?;
        let owner = Uuid::try_parse(parts.next()?).ok()?;
        let filters = Filters::decode(parts.next()?)?;
        if parts.next().is_some() || owner != user_id {
            return None;
        }
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros)?,
            id,
            filters,
        })
    }
}

/// The filters a cursor's listing had: `completed` as given, and a digest of `q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Filters {
    completed: Option<bool>,
    /// FNV-1a of `q` (0 without one). Not a secret and not a security check (a cursor only
    /// ever reads its own user's tasks): a stable digest that tells a different search apart,
    /// the same in every build and on both sides, which std's hashers do not promise.
    q: u64,
}

impl Filters {
    fn of(query: &ListQuery) -> Self {
        Self {
            completed: query.completed,
            q: query.q.as_deref().map_or(0, fnv1a),
        }
    }

    /// One letter for `completed` (`t`, `f`, or `a` for all), then the digest in hex.
    fn encode(self) -> String {
        let completed = match self.completed {
            Some(true) => 't',
            Some(false) => 'f',
            None => 'a',
        };
        format!("{completed}{:016x}", self.q)
    }

    fn decode(raw: &str) -> Option<Self> {
        let completed = match raw.get(..1)? {
            "t" => Some(true),
            "f" => Some(false),
            "a" => None,
            _ => return None,
        };
        let digest = raw.get(1..)?;
        if digest.len() != 16 {
            return None;
        }
        Some(Self {
            completed,
            q: u64::from_str_radix(digest, 16).ok()?,
        })
    }

    /// What this cursor's listing had that `other` has not, in words, if anything.
    fn mismatch(self, other: &Self) -> Option<String> {
        let mut made_for = Vec::new();
        if self.completed != other.completed {
            made_for.push(match self.completed {
                Some(completed) => format!("completed={completed}"),
                None => "no completed".to_owned(),
            });
        }
        if self.q != other.q {
            let q = match (self.q, other.q) {
                (0, _) => "no q",
                (_, 0) => "a q",
                _ => "another q",
            };
            made_for.push(q.to_owned());
        }
        (!made_for.is_empty()).then(|| made_for.join(" and "))
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
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
        let mut last = task("t", None, false);
        last.created_at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let cursor = ListQuery::default().cursor_after(&last);
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
        let next = query.next_page(&last, user);
        let cursor = query.cursor_after(&last).encode(user);
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
                .cursor_after(&last)
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

    #[test]
    fn search_is_case_insensitive_over_title_and_description() {
        let t = task("Buy MILK", Some("Oat, 2 litres"), false);
        assert!(matches_search(&t, "milk"));
        assert!(matches_search(&t, "oat"));
        assert!(matches_search(&t, ""));
        assert!(!matches_search(&t, "bread"));
    }
}
