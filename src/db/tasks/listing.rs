//! Listing a user's tasks: one statement per shape of [`ListQuery`], each a keyset walk of the
//! index its order and filters need.

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::like_pattern;
use crate::db::{projects, users, WriteError, NOT_YOURS_PROJECT};
use crate::domain::{
    due_rank, Cursor, DueFilter, ListQuery, ProjectFilter, Sort, SortKey, Task, NO_DUE_RANK,
};

/// One page of a user's tasks.
#[derive(Debug, Clone)]
pub struct Page {
    pub tasks: Vec<Task>,
    /// Where the next page starts, when more tasks follow the last one.
    pub next: Option<Cursor>,
}

/// A listed row: the task, and its manual-order key (for a manual listing's cursor).
#[derive(sqlx::FromRow)]
struct Listed {
    id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    project_id: Option<Uuid>,
    labels: Vec<String>,
    priority: i16,
    due_date: Option<NaiveDate>,
    due_time: Option<NaiveTime>,
    completed_at: Option<DateTime<Utc>>,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    position: String,
}

impl Listed {
    fn split(self) -> (Task, String) {
        let task = Task {
            id: self.id,
            title: self.title,
            description: self.description,
            completed: self.completed,
            project_id: self.project_id,
            labels: self.labels,
            priority: self.priority,
            due_date: self.due_date,
            due_time: self.due_time,
            completed_at: self.completed_at,
            user_id: self.user_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        };
        (task, self.position)
    }
}

/// One page in the query's order, one extra row read to learn whether another page follows.
///
/// Built for each request (sqlx's `QueryBuilder`) rather than one compile-time-checked
/// statement: the order, the table walked (`task_labels` for a label filter with the default
/// order) and the filters change the statement's shape, and a statement of every optional
/// condition at once could not name the one index each shape needs. Each shape emits only the
/// conditions it uses, all values bound; tests/api/schema.rs holds every shape's plan to an
/// index walk from the cursor, with no sort step, and the integration tests walk every sort.
///
/// Every order ends in (created_at DESC, id DESC), so that a keyset cursor (one row comparison
/// on the index's columns) resumes exactly where the page ended while tasks come and go.
pub async fn list(db: &PgPool, user_id: Uuid, query: &ListQuery) -> Result<Page, WriteError> {
    let limit = query.limit();
    let today = match query.due {
        Some(due) if due.needs_today() => Some(users::timezone(db, user_id).await?.now()),
        _ => None,
    };
    // A prepared statement per shape, like every other query: planning a listing again on every
    // execution cost more than running it. PostgreSQL may choose a generic plan for it after five
    // executions; tests/api/schema.rs holds the generic plan of every shape to the same index
    // walk as the plan for given values.
    //
    // Except a search: whether its trigram index (tasks_user_search_idx) or the order's B-tree
    // is the cheaper walk depends on the text (a rare word: the trigrams; one letter or a common
    // word: the B-tree, checking rows), which a generic plan cannot know. A search is sent
    // unnamed, so that it is planned for its own text every time.
    let rows: Vec<Listed> = statement("", user_id, query, today)
        .build_query_as()
        .persistent(query.q.is_none())
        .fetch_all(db)
        .await?;
    if rows.is_empty() {
        if let Some(ProjectFilter::Project(project)) = query.project {
            // Nothing listed: an unknown or another user's project is a mistake, not an empty
            // project (a listing that found tasks proves its project exists).
            if !projects::exists(db, user_id, project).await? {
                return Err(WriteError::invalid("project", NOT_YOURS_PROJECT));
            }
        }
    }
    let more = rows.len() as i64 > limit;
    let mut tasks = Vec::with_capacity(rows.len());
    let mut last_position = String::new();
    for row in rows.into_iter().take(usize::try_from(limit).unwrap_or(0)) {
        let (task, position) = row.split();
        tasks.push(task);
        last_position = position;
    }
    let next = match tasks.last() {
        Some(last) if more => Some(query.cursor_after(last, &last_position)),
        _ => None,
    };
    Ok(Page { tasks, next })
}

/// The listing's statement for `query` (with `today`, the user's date and time, when its due
/// filter needs them), after `prefix` (tests/api/schema.rs passes `EXPLAIN` to see its plan).
pub fn statement<'a>(
    prefix: &str,
    user_id: Uuid,
    query: &ListQuery,
    today: Option<(NaiveDate, NaiveTime)>,
) -> QueryBuilder<'a, Postgres> {
    let limit = query.limit();
    let sort = query.sort();
    // With a label and the default order, walk the first label's links in creation order.
    let by_label = (sort == Sort::Created)
        .then(|| query.labels.first())
        .flatten();
    let mut sql = QueryBuilder::<Postgres>::new(prefix);
    sql.push(
        "SELECT t.id, t.title, t.description, t.completed, t.project_id, \
         t.label_names AS labels, \
         t.priority, t.due_date, t.due_time, t.completed_at, t.user_id, t.created_at, \
         t.updated_at, t.version, t.position ",
    );
    let (created_at, id) = if let Some(first) = by_label {
        sql.push("FROM task_labels f JOIN tasks t ON t.user_id = f.user_id AND t.id = f.task_id ");
        sql.push("WHERE f.user_id = ").push_bind(user_id);
        sql.push(" AND f.label_id = (SELECT id FROM labels WHERE user_id = ")
            .push_bind(user_id)
            .push(" AND lower(name) = lower(")
            .push_bind(first.clone())
            .push("))");
        ("f.task_created_at", "f.task_id")
    } else {
        sql.push("FROM tasks t WHERE t.user_id = ")
            .push_bind(user_id);
        ("t.created_at", "t.id")
    };
    for name in query.labels.iter().skip(usize::from(by_label.is_some())) {
        sql.push(
            " AND EXISTS (SELECT 1 FROM task_labels x \
             JOIN labels xl ON xl.user_id = x.user_id AND xl.id = x.label_id \
             WHERE x.user_id = t.user_id AND x.task_id = t.id AND lower(xl.name) = lower(",
        )
        .push_bind(name.clone())
        .push("))");
    }
    if let Some(completed) = query.completed {
        sql.push(" AND t.completed = ").push_bind(completed);
    }
    if let Some(q) = &query.q {
        let pattern = like_pattern(q);
        // The ILIKEs are what the trigram index answers; `task_text_matches` is the same test
        // with its real cost declared, so that the planner prefers the index to checking every
        // row (see migration 20261202000005_indexed_search.sql).
        sql.push(" AND (t.title ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR t.description ILIKE ")
            .push_bind(pattern.clone())
            .push(") AND task_text_matches(t.title, t.description, ")
            .push_bind(pattern)
            .push(")");
    }
    match (query.project, sort) {
        // The manual order's index keys the Inbox as the nil UUID (see the migration).
        (Some(project), Sort::Manual) => {
            sql.push(
                " AND COALESCE(t.project_id, '00000000-0000-0000-0000-000000000000'::uuid) = ",
            )
            .push_bind(project.id().unwrap_or_else(Uuid::nil));
        }
        (Some(ProjectFilter::Inbox), _) => {
            sql.push(" AND t.project_id IS NULL");
        }
        (Some(ProjectFilter::Project(project)), _) => {
            sql.push(" AND t.project_id = ").push_bind(project);
        }
        (None, _) => {}
    }
    if let Some(priority) = query.priority {
        sql.push(" AND t.priority = ").push_bind(priority);
    }
    push_due_conditions(&mut sql, query, today);
    match (&query.cursor, sort) {
        (None, _) => {}
        (Some(cursor), Sort::Manual) => {
            if let SortKey::Manual(position) = &cursor.key {
                sql.push(" AND t.position > ").push_bind(position.clone());
            }
        }
        (Some(cursor), _) => {
            let lead = match cursor.key {
                SortKey::Due(rank) => Some(("t.due_rank", rank)),
                SortKey::Priority(priority) => Some(("t.priority", i64::from(priority))),
                SortKey::Created | SortKey::Manual(_) => None,
            };
            sql.push(" AND (");
            if let Some((column, _)) = lead {
                sql.push(column).push(", ");
            }
            sql.push(created_at).push(", ").push(id).push(") < (");
            if let Some((column, value)) = lead {
                // The index's column type, so that the comparison is an index condition.
                if column == "t.priority" {
                    sql.push_bind(i16::try_from(value).unwrap_or(0)).push(", ");
                } else {
                    sql.push_bind(value).push(", ");
                }
            }
            sql.push_bind(cursor.created_at)
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
        }
    }
    sql.push(match sort {
        Sort::Created => "",
        Sort::Due => " ORDER BY t.due_rank DESC, ",
        Sort::Priority => " ORDER BY t.priority DESC, ",
        Sort::Manual => " ORDER BY t.position",
    });
    if sort == Sort::Created {
        sql.push(" ORDER BY ");
    }
    if sort != Sort::Manual {
        sql.push(created_at).push(" DESC, ").push(id).push(" DESC");
    }
    sql.push(" LIMIT ").push_bind(limit + 1);
    sql
}

/// The due filters as ranges of `due_rank` (see the migration that adds it), so that with the
/// due order they are one index range, and with any order a cheap check.
fn push_due_conditions(
    sql: &mut QueryBuilder<'_, Postgres>,
    query: &ListQuery,
    today: Option<(NaiveDate, NaiveTime)>,
) {
    let last_minute = NaiveTime::from_hms_opt(23, 59, 0);
    if let Some(from) = query.due_from {
        sql.push(" AND t.due_rank <= ")
            .push_bind(due_rank(Some(from), None))
            .push(" AND t.due_rank > ")
            .push_bind(NO_DUE_RANK);
    }
    if let Some(to) = query.due_to {
        sql.push(" AND t.due_rank >= ")
            .push_bind(due_rank(Some(to), last_minute));
    }
    let Some(due) = query.due else { return };
    match (due, today) {
        (DueFilter::None, _) => {
            sql.push(" AND t.due_rank = ").push_bind(NO_DUE_RANK);
        }
        (DueFilter::Any, _) => {
            sql.push(" AND t.due_rank > ").push_bind(NO_DUE_RANK);
        }
        (DueFilter::Today, Some((date, _))) => {
            sql.push(" AND t.due_rank BETWEEN ")
                .push_bind(due_rank(Some(date), last_minute))
                .push(" AND ")
                .push_bind(due_rank(Some(date), None));
        }
        (DueFilter::Upcoming, Some((date, _))) => {
            sql.push(" AND t.due_rank < ")
                .push_bind(due_rank(Some(date), last_minute))
                .push(" AND t.due_rank > ")
                .push_bind(NO_DUE_RANK);
        }
        (DueFilter::Overdue, Some((date, now))) => {
            // Before today; or today, timed, at a minute already past (HH:MM:00 < now).
            let seconds = now.num_seconds_from_midnight();
            let past = seconds.div_ceil(60);
            match past
                .checked_sub(1)
                .and_then(|m| NaiveTime::from_hms_opt(m / 60, m % 60, 0))
            {
                Some(last_past) => {
                    sql.push(" AND t.due_rank >= ")
                        .push_bind(due_rank(Some(date), Some(last_past)))
                        .push(" AND t.due_rank <> ")
                        .push_bind(due_rank(Some(date), None));
                }
                None => {
                    sql.push(" AND t.due_rank > ")
                        .push_bind(due_rank(Some(date), None));
                }
            }
        }
        // `today` is read whenever the filter needs it.
        (DueFilter::Today | DueFilter::Upcoming | DueFilter::Overdue, None) => {
            sql.push(" AND false");
        }
    }
}
