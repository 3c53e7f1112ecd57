//! A listing's cursor: where a page ended, in its sort's order, bound to the user it was made
//! for, to its sort and to its filters. Opaque to clients; the API's `next` links and the web
//! app's "Load more" carry the same text.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::listing::{ListQuery, ProjectFilter, Sort};
use super::organise::Priority;

/// The range of cursor timestamps accepted: 0000-01-01 to 9999-12-31, in microseconds.
const MIN_MICROS: i64 = -62_167_219_200_000_000;
const MAX_MICROS: i64 = 253_402_300_799_999_999;

/// Where a page ends in its sort's order: the last task's key in that order (newest first
/// breaks every tie, so the creation time and id follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Created,
    /// The task's `due_rank` (see [`super::organise::due_rank`]).
    Due(i64),
    Priority(i16),
    /// The task's manual-order key.
    Manual(String),
}

impl SortKey {
    pub fn sort(&self) -> Sort {
        match self {
            Self::Created => Sort::Created,
            Self::Due(_) => Sort::Due,
            Self::Priority(_) => Sort::Priority,
            Self::Manual(_) => Sort::Manual,
        }
    }

    fn encode(&self) -> String {
        match self {
            Self::Created => "c".to_owned(),
            Self::Due(rank) => format!("d{rank}"),
            Self::Priority(priority) => format!("p{priority}"),
            Self::Manual(key) => format!("m{key}"),
        }
    }

    fn decode(raw: &str) -> Option<Self> {
        let (kind, rest) = (raw.get(..1)?, raw.get(1..)?);
        match kind {
            "c" if rest.is_empty() => Some(Self::Created),
            "d" => rest.parse().ok().map(Self::Due),
            "p" => rest
                .parse::<i64>()
                .ok()
                .and_then(|p| Priority::new(p).ok())
                .map(|p| Self::Priority(p.get())),
            "m" if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(Self::Manual(rest.to_owned()))
            }
            _ => None,
        }
    }
}

/// A position in a user's listing (the last task of the previous page), bound to the user it
/// was made for, to its sort and to the filters of its listing: a cursor used with another sort
/// or other filters is refused ([`ParamError::CursorSort`], [`ParamError::CursorFilters`]), so
/// that a client that passes back only the cursor never silently gets a page of another listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: SortKey,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
    pub(super) filters: Filters,
}

impl Cursor {
    /// `<microseconds>_<task id>_<user id>_<filters>_<sort key>`: opaque to clients. The API's
    /// `next` links and the web app's "Load more" carry the same cursor.
    pub fn encode(&self, user_id: Uuid) -> String {
        format!(
            "{}_{}_{}_{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple(),
            user_id.simple(),
            self.filters.encode(),
            self.key.encode()
        )
    }

    /// The position a cursor names, if it is well-formed and was made for this user.
    pub fn decode(raw: &str, user_id: Uuid) -> Option<Self> {
        let mut parts = raw.split('_');
        let micros = parts.next()?.parse::<i64>().ok()?;
        let id = Uuid::try_parse(parts.next()?).ok()?;
        let owner = Uuid::try_parse(parts.next()?).ok()?;
        let filters = Filters::decode(parts.next()?)?;
        let key = SortKey::decode(parts.next()?)?;
        // A position PostgreSQL can compare: from year 0 to 9999 (a crafted cursor outside
        // them is not one of ours).
        if parts.next().is_some()
            || owner != user_id
            || !(MIN_MICROS..=MAX_MICROS).contains(&micros)
        {
            return None;
        }
        Some(Self {
            key,
            created_at: DateTime::from_timestamp_micros(micros)?,
            id,
            filters,
        })
    }
}

/// The filters a cursor's listing had: `completed` as given, a digest of `q`, and a digest of
/// the organising filters (project, labels, priority, due, due_from, due_to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Filters {
    completed: Option<bool>,
    /// FNV-1a of `q` (0 without one). Not a secret and not a security check (a cursor only
    /// ever reads its own user's tasks): a stable digest that tells a different search apart,
    /// the same in every build and on both sides, which std's hashers do not promise.
    q: u64,
    /// FNV-1a of the other filters in one canonical text (0 without any).
    other: u64,
}

impl Filters {
    pub(super) fn of(query: &ListQuery) -> Self {
        let mut labels: Vec<String> = query.labels.iter().map(|l| l.to_lowercase()).collect();
        labels.sort();
        labels.dedup();
        let other = [
            query.project.map(ProjectFilter::encode).unwrap_or_default(),
            labels.join(","),
            query.priority.map(|p| p.to_string()).unwrap_or_default(),
            query.due.map(|d| d.as_str().to_owned()).unwrap_or_default(),
            query.due_from.map(|d| d.to_string()).unwrap_or_default(),
            query.due_to.map(|d| d.to_string()).unwrap_or_default(),
        ];
        let other = if other.iter().all(String::is_empty) {
            0
        } else {
            fnv1a(&other.join("\u{1f}"))
        };
        Self {
            completed: query.completed,
            q: query.q.as_deref().map_or(0, fnv1a),
            other,
        }
    }

    /// One letter for `completed` (`t`, `f`, or `a` for all), then the digests in hex.
    fn encode(self) -> String {
        let completed = match self.completed {
            Some(true) => 't',
            Some(false) => 'f',
            None => 'a',
        };
        format!("{completed}{:016x}{:016x}", self.q, self.other)
    }

    fn decode(raw: &str) -> Option<Self> {
        let completed = match raw.get(..1)? {
            "t" => Some(true),
            "f" => Some(false),
            "a" => None,
            _ => return None,
        };
        let (q, other) = (raw.get(1..17)?, raw.get(17..)?);
        if other.len() != 16 {
            return None;
        }
        Some(Self {
            completed,
            q: u64::from_str_radix(q, 16).ok()?,
            other: u64::from_str_radix(other, 16).ok()?,
        })
    }

    /// What this cursor's listing had that `other` has not, in words, if anything.
    pub(super) fn mismatch(self, other: &Self) -> Option<String> {
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
        if self.other != other.other {
            made_for
                .push("other project, label, priority, due, due_from or due_to filters".to_owned());
        }
        (!made_for.is_empty()).then(|| made_for.join(" and "))
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
