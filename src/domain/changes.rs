//! The change feed's shapes (API-sync.md, "Change feed"): a change, a page of them, the cursor
//! and the query. How the feed never skips a change is the database's part (migration
//! 20261202000013 and `db::changes`).

use serde::Serialize;
use uuid::Uuid;

use super::organise::{Label, Project};
use super::task::Task;
use super::FieldError;

/// Changes per page when the query names no `limit`.
pub const DEFAULT_CHANGES: i64 = 500;
/// The most changes one page may ask for.
pub const MAX_CHANGES: i64 = 1000;
/// How long deletions are reported (API-sync.md: at least 30 days); a day more, so that a
/// cursor of exactly 30 days ago still works.
pub const KEEP_DELETIONS_DAYS: i64 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Task,
    Project,
    Label,
}

impl ChangeKind {
    /// The kind as the database stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Project => "project",
            Self::Label => "label",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "task" => Some(Self::Task),
            "project" => Some(Self::Project),
            "label" => Some(Self::Label),
            _ => None,
        }
    }
}

/// A changed resource as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Resource {
    Task(Task),
    Project(Project),
    Label(Label),
}

/// One resource created, changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Change {
    pub kind: ChangeKind,
    pub id: Uuid,
    pub deleted: bool,
    /// The resource as it is now (its `kind`'s shape); null when it was deleted.
    #[cfg_attr(feature = "ssr", schema(schema_with = resource_schema, required = true))]
    pub data: Option<Resource>,
}

/// `data`'s schema: a task, project or label, or null. `anyOf`, not the `oneOf` an untagged enum
/// would get: a project and a label have the same shape, so a label matches both.
#[cfg(feature = "ssr")]
fn resource_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
    use utoipa::openapi::Ref;
    AnyOfBuilder::new()
        .item(Ref::from_schema_name("Task"))
        .item(Ref::from_schema_name("Project"))
        .item(Ref::from_schema_name("Label"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "The resource as it is now (its `kind`'s shape); null when it was deleted",
        ))
        .build()
        .into()
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// Where the next call continues (`since`); opaque.
    pub cursor: String,
    /// Whether more changes are ready now: call again at once with `cursor`.
    pub more: bool,
}

/// Where a reader of the feed is, in the order of the transactions that made the changes (see
/// the migration): every change of a transaction below `xid` has been read, and those of `xid`
/// itself up to `after` (kind and id; `None`: none of them). Deletions by transactions below
/// `floor` are not reported: a full sync starts with everything that exists, and its `floor` is
/// where it started, so that only what is deleted while it runs is reported as deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    pub floor: u64,
    pub xid: u64,
    pub after: Option<(ChangeKind, Uuid)>,
}

impl FeedCursor {
    /// `<floor>_<xid>_<kind or ->_<id or ->_<user id>`: opaque to clients.
    pub fn encode(&self, user_id: Uuid) -> String {
        let (kind, id) = match self.after {
            Some((kind, id)) => (kind.as_str().to_owned(), id.simple().to_string()),
            None => ("-".to_owned(), "-".to_owned()),
        };
        format!(
            "{}_{}_{kind}_{id}_{}",
            self.floor,
            self.xid,
            user_id.simple()
        )
    }

    /// The position a cursor names, if it is well-formed and was made for this user.
    pub fn decode(raw: &str, user_id: Uuid) -> Option<Self> {
        let mut parts = raw.split('_');
        let floor = parts.next()?.parse::<u64>().ok()?;
        let xid = parts.next()?.parse::<u64>().ok()?;
        let after = match (parts.next()?, parts.next()?) {
            ("-", "-") => None,
            (kind, id) => Some((ChangeKind::parse(kind)?, Uuid::try_parse(id).ok()?)),
        };
        let owner = Uuid::try_parse(parts.next()?).ok()?;
        // Transaction ids PostgreSQL can hold (xid8 is a signed 64-bit number there). A floor of
        // 0 is an event's position (`server::events`), never a reader's: reading from there would
        // skip the change the event announced.
        let fits = |n: u64| i64::try_from(n).is_ok();
        if parts.next().is_some() || owner != user_id || !fits(floor) || !fits(xid) || floor == 0 {
            return None;
        }
        Some(Self { floor, xid, after })
    }
}

/// `GET /api/changes`'s query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedQuery {
    /// `None`: a full sync from the start.
    pub since: Option<FeedCursor>,
    pub limit: i64,
}

impl FeedQuery {
    /// The query from its parameters; every mistake is a 422 naming its parameter (unknown
    /// parameters included, as the listing does).
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        user_id: Uuid,
    ) -> Result<Self, Vec<FieldError>> {
        let mut query = Self {
            since: None,
            limit: DEFAULT_CHANGES,
        };
        let mut errors = vec![];
        let mut seen = vec![];
        for (name, value) in pairs {
            if seen.contains(&name) {
                errors.push(FieldError::new(name, "is given more than once"));
                continue;
            }
            seen.push(name);
            match name {
                "since" => match FeedCursor::decode(value, user_id) {
                    Some(cursor) => query.since = Some(cursor),
                    None => errors.push(FieldError::new(
                        "since",
                        "is not a cursor this feed gave you",
                    )),
                },
                "limit" => match value.parse::<i64>() {
                    Ok(limit) if (1..=MAX_CHANGES).contains(&limit) => query.limit = limit,
                    _ => errors.push(FieldError::new(
                        "limit",
                        format!("must be an integer from 1 to {MAX_CHANGES}"),
                    )),
                },
                other => errors.push(FieldError::new(other, "is not a parameter of this feed")),
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_stay_with_their_user() {
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let cursors = [
            FeedCursor {
                floor: 3,
                xid: 0,
                after: None,
            },
            FeedCursor {
                floor: 812,
                xid: 790,
                after: Some((ChangeKind::Project, Uuid::now_v7())),
            },
        ];
        for cursor in cursors {
            let raw = cursor.encode(ada);
            assert_eq!(FeedCursor::decode(&raw, ada), Some(cursor));
            assert_eq!(FeedCursor::decode(&raw, bob), None);
        }
        for bad in [
            "",
            "1_2",
            "1_2_-_-",
            "x_2_-_-_0193",
            "1_2_task_-_0193",
            "1_2_thing_0193_0193",
            &format!("1_2_-_-_{}_extra", ada.simple()),
            &format!("9223372036854775808_2_-_-_{}", ada.simple()),
            // An event's position, not a reader's.
            &format!("0_812_-_-_{}", ada.simple()),
        ] {
            assert_eq!(FeedCursor::decode(bad, ada), None, "{bad}");
        }
    }

    #[test]
    fn the_query_names_each_mistake() {
        let ada = Uuid::now_v7();
        let parse = |pairs: &[(&str, &str)]| FeedQuery::parse(pairs.iter().copied(), ada);
        assert_eq!(
            parse(&[]),
            Ok(FeedQuery {
                since: None,
                limit: 500
            })
        );
        assert_eq!(parse(&[("limit", "1000")]).map(|q| q.limit), Ok(1000));
        for limit in ["0", "1001", "-1", "2.0", "x", ""] {
            let errors = parse(&[("limit", limit)]).expect_err(limit);
            assert_eq!(errors[0].field, "limit", "{limit}");
        }
        let errors = parse(&[("since", "nope"), ("sort", "x")]).expect_err("two mistakes");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["since", "sort"]);
    }
}
