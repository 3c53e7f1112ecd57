//! Tasks: the one set of queries behind both front doors (the JSON API and the browser's
//! server functions). Every statement names the owner in its WHERE clause, so another user's
//! task is indistinguishable from a missing one.

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{labels, projects, users, WriteError, NOT_YOURS_PROJECT};
use crate::domain::order;
use crate::domain::{
    due_rank, Cursor, DueFilter, Limits, ListQuery, Move, NewTask, Place, ProjectFilter, Sort,
    SortKey, Task, TaskPatch, NO_DUE_RANK,
};

/// `%`, `_` and `\\` match themselves, and the text may appear anywhere.
pub fn like_pattern(q: &str) -> String {
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Creates a task at the top of its project's manual order, within the user's task limit: one
/// statement (the task, its label links, and the user's `task_count`, whose row update makes
/// concurrent creates of one user take turns, so the limit is exact). Labels it names that the
/// user has not got are created first, in the same transaction.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    task: &NewTask,
    limits: &Limits,
) -> Result<Task, WriteError> {
    let created = if task.labels.is_empty() {
        insert(pool, user_id, task, &[], limits.tasks).await?
    } else {
        let mut tx = pool.begin().await?;
        let label_ids = labels::ensure(&mut tx, user_id, &task.labels, limits).await?;
        let created = insert(&mut *tx, user_id, task, &label_ids, limits.tasks).await?;
        // At the limit, dropping the transaction undoes the labels it created.
        if created.is_some() {
            tx.commit().await?;
        }
        created
    };
    match created {
        Some(created) => Ok(created),
        None if users::exists(pool, user_id).await? => Err(WriteError::Limit {
            what: "tasks",
            limit: limits.tasks,
        }),
        None => Err(WriteError::UserGone),
    }
}

/// The insert, counted in `users.task_count`, unless the user already has `below` tasks or more
/// (then `None`). A missing user is `None` too; `create` then finds the user gone.
async fn insert(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    task: &NewTask,
    label_ids: &[Uuid],
    below: i64,
) -> Result<Option<Task>, WriteError> {
    let created = sqlx::query_as!(
        Task,
        r#"WITH counted AS (
               UPDATE users SET task_count = task_count + 1
               WHERE id = $2 AND task_count < $10
               RETURNING id
           ), created AS (
               INSERT INTO tasks (id, user_id, title, description, completed, completed_at,
                                  project_id, priority, due_date, due_time, label_count,
                                  position)
               SELECT $1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END, $6, $7, $8, $9,
                      cardinality($11::uuid[]), order_key_top()
               FROM counted
               RETURNING *
           ), linked AS (
               INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
               SELECT c.user_id, c.id, l.id, c.created_at FROM created c, unnest($11::uuid[]) AS l (id)
               ON CONFLICT DO NOTHING
           )
           SELECT id, title, description, completed, project_id,
                  ARRAY(SELECT name FROM labels WHERE user_id = $2 AND id = ANY($11)
                        ORDER BY lower(name), name) AS "labels!",
                  priority, due_date, due_time, completed_at, user_id, created_at, updated_at
           FROM created"#,
        Uuid::now_v7(),
        user_id,
        task.title.as_ref(),
        task.description.as_deref(),
        task.completed,
        task.project_id,
        task.priority.get(),
        task.due_date,
        task.due_time,
        below.max(0),
        label_ids,
    )
    .fetch_optional(db)
    .await?;
    Ok(created)
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        r#"SELECT id, title, description, completed, project_id,
                  ARRAY(SELECT l.name FROM task_labels tl
                        JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
                        WHERE tl.user_id = t.user_id AND tl.task_id = t.id
                        ORDER BY lower(l.name), l.name) AS "labels!",
                  priority, due_date, due_time, completed_at, user_id, created_at, updated_at
           FROM tasks t WHERE id = $1 AND user_id = $2"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

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
    let rows: Vec<Listed> = statement("", user_id, query, today)
        .build_query_as()
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
         CASE WHEN t.label_count = 0 THEN '{}'::text[] ELSE \
         ARRAY(SELECT l.name FROM task_labels tl \
               JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id \
               WHERE tl.user_id = t.user_id AND tl.task_id = t.id \
               ORDER BY lower(l.name), l.name) END AS labels, \
         t.priority, t.due_date, t.due_time, t.completed_at, t.user_id, t.created_at, \
         t.updated_at, t.position ",
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
        sql.push(" AND (t.title ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR t.description ILIKE ")
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

/// A full replacement (PUT): every writable field, the labels included, in one statement (and
/// one transaction with the creation of labels the user has not got). A change of project puts
/// the task at the top of the new project's manual order.
pub async fn replace(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    task: &NewTask,
    limits: &Limits,
) -> Result<Option<Task>, WriteError> {
    let patch = TaskPatch {
        title: Some(task.title.clone()),
        description: Some(task.description.clone()),
        completed: Some(task.completed),
        project_id: Some(task.project_id),
        labels: Some(task.labels.clone()),
        priority: Some(task.priority),
        due_date: Some(task.due_date),
        due_time: Some(task.due_time),
    };
    update(pool, user_id, id, &patch, limits).await
}

/// A partial update (PATCH): only the given fields change; clearing the due date clears the
/// time. One statement, the label links included; new labels are created first, in the same
/// transaction.
pub async fn update(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    limits: &Limits,
) -> Result<Option<Task>, WriteError> {
    match &patch.labels {
        Some(new_labels) if !new_labels.is_empty() => {
            let mut tx = pool.begin().await?;
            // A missing task is a 404 before any label is created (or refused at the limit).
            let exists = sqlx::query_scalar!(
                r#"SELECT 1 AS "one!" FROM tasks WHERE user_id = $1 AND id = $2 FOR UPDATE"#,
                user_id,
                id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let label_ids = labels::ensure(&mut tx, user_id, new_labels, limits).await?;
            let updated = update_fields(&mut *tx, user_id, id, patch, &label_ids).await?;
            // A missing task changes nothing: dropping the transaction undoes any label it
            // created.
            if updated.is_some() {
                tx.commit().await?;
            }
            Ok(updated)
        }
        _ => update_fields(pool, user_id, id, patch, &[]).await,
    }
}

/// The update itself; `label_ids` are the task's labels when the patch sets them.
async fn update_fields(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
    patch: &TaskPatch,
    label_ids: &[Uuid],
) -> Result<Option<Task>, WriteError> {
    Ok(sqlx::query_as!(
        Task,
        r#"WITH unlinked AS (
               DELETE FROM task_labels
               WHERE $14 AND user_id = $2 AND task_id = $1 AND label_id <> ALL($15)
           ), linked AS (
               INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
               SELECT t.user_id, t.id, l.id, t.created_at FROM tasks t, unnest($15::uuid[]) AS l (id)
               WHERE $14 AND t.user_id = $2 AND t.id = $1
               ON CONFLICT DO NOTHING
           )
           UPDATE tasks t SET
               title = COALESCE($3, title),
               description = CASE WHEN $4 THEN $5 ELSE description END,
               completed = COALESCE($6, completed),
               completed_at = CASE WHEN COALESCE($6, completed)
                                   THEN COALESCE(completed_at, now()) END,
               position = CASE WHEN $7 AND project_id IS DISTINCT FROM $8 THEN order_key_top()
                               ELSE position END,
               project_id = CASE WHEN $7 THEN $8 ELSE project_id END,
               priority = COALESCE($9, priority),
               due_date = CASE WHEN $10 THEN $11 ELSE due_date END,
               due_time = CASE WHEN $10 AND $11::date IS NULL THEN NULL
                               WHEN $12 THEN $13 ELSE due_time END,
               label_count = CASE WHEN $14 THEN cardinality($15::uuid[]) ELSE label_count END,
               updated_at = now()
           WHERE id = $1 AND user_id = $2
           RETURNING id, title, description, completed, project_id,
                     CASE WHEN $14 THEN
                         ARRAY(SELECT name FROM labels WHERE user_id = $2 AND id = ANY($15)
                               ORDER BY lower(name), name)
                     ELSE
                         ARRAY(SELECT l.name FROM task_labels tl
                               JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
                               WHERE tl.user_id = t.user_id AND tl.task_id = t.id
                               ORDER BY lower(l.name), l.name)
                     END AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at"#,
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_ref()),
        patch.description.is_some(),
        patch.description.as_ref().and_then(|d| d.as_deref()),
        patch.completed,
        patch.project_id.is_some(),
        patch.project_id.flatten(),
        patch.priority.map(|p| p.get()),
        patch.due_date.is_some(),
        patch.due_date.flatten(),
        patch.due_time.is_some(),
        patch.due_time.flatten(),
        patch.labels.is_some(),
        label_ids,
    )
    .fetch_optional(db)
    .await?)
}

/// Flips `completed` in one statement: concurrent toggles serialize on the row and none is lost.
pub async fn toggle(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query_as!(
        Task,
        r#"UPDATE tasks t SET completed = NOT completed,
               completed_at = CASE WHEN completed THEN NULL ELSE now() END, updated_at = now()
           WHERE id = $1 AND user_id = $2
           RETURNING id, title, description, completed, project_id,
                     ARRAY(SELECT l.name FROM task_labels tl
                           JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
                           WHERE tl.user_id = t.user_id AND tl.task_id = t.id
                           ORDER BY lower(l.name), l.name) AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// How many times a move runs again after losing a race (see [`WriteError::is_retryable`]).
const MOVE_ATTEMPTS: usize = 8;

/// The longest manual-order key a move writes. Each move into the same gap makes a key about six
/// bits longer; past this length the project's keys are spaced out again (see [`respace`]), so
/// that keys (and the manual listing's cursors) stay short and a move never fails for lack of
/// room.
pub const MAX_KEY_CHARS: usize = 64;

/// Moves a task within or across projects (API-organise.md, Moving): only its own key changes.
/// Each attempt is one transaction that locks the task and its anchor, reads the neighbours and
/// writes the key; the unique key on (user, project, position) turns a concurrent move that
/// computed the same key into a retry with fresh neighbours, so every task keeps exactly one
/// place.
pub async fn move_to(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    to: Move,
) -> Result<Option<Task>, WriteError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match move_once(pool, user_id, id, to).await {
            Err(err) if err.is_retryable() && attempt < MOVE_ATTEMPTS => continue,
            result => return result,
        }
    }
}

async fn move_once(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    to: Move,
) -> Result<Option<Task>, WriteError> {
    let mut tx = pool.begin().await?;
    let anchor = match to.place {
        Place::Top => None,
        Place::Before(anchor) | Place::After(anchor) => Some(anchor),
    };
    // The task and its anchor, locked together in id order (as label writes lock tasks), so
    // that two moves that use each other as anchors cannot deadlock.
    let ids: Vec<Uuid> = [Some(id), anchor].into_iter().flatten().collect();
    let locked = sqlx::query!(
        "SELECT id, project_id FROM tasks WHERE user_id = $1 AND id = ANY($2) \
         ORDER BY id FOR UPDATE",
        user_id,
        &ids
    )
    .fetch_all(&mut *tx)
    .await?;
    let Some(current) = locked.iter().find(|row| row.id == id) else {
        return Ok(None);
    };
    let project = to.project_id.unwrap_or(current.project_id);
    if let Some(project) = project {
        if !projects::exists(&mut *tx, user_id, project).await? {
            return Err(WriteError::invalid("project_id", NOT_YOURS_PROJECT));
        }
    }
    let mut key = place_key(&mut tx, user_id, id, project, to.place).await?;
    if key.as_ref().is_some_and(|key| key.len() > MAX_KEY_CHARS) {
        respace(&mut tx, user_id, project).await?;
        key = place_key(&mut tx, user_id, id, project, to.place).await?;
    }
    let moved = sqlx::query_as!(
        Task,
        r#"UPDATE tasks t SET project_id = $3, position = COALESCE($4, order_key_top()),
               updated_at = now()
           WHERE id = $1 AND user_id = $2
           RETURNING id, title, description, completed, project_id,
                     ARRAY(SELECT l.name FROM task_labels tl
                           JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
                           WHERE tl.user_id = t.user_id AND tl.task_id = t.id
                           ORDER BY lower(l.name), l.name) AS "labels!",
                     priority, due_date, due_time, completed_at, user_id, created_at, updated_at"#,
        id,
        user_id,
        project,
        key,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(moved)
}

/// The key that puts the task at `place` in `project` (`None`: a top key, made by the statement
/// that writes it).
async fn place_key(
    tx: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    project: Option<Uuid>,
    place: Place,
) -> Result<Option<String>, WriteError> {
    Ok(match place {
        Place::Top => None,
        Place::Before(anchor) => {
            let at = anchor_key(tx, user_id, anchor, project, "before").await?;
            match neighbour(tx, user_id, id, project, &at, true).await? {
                Some(previous) => Some(between(&previous, Some(&at))?),
                // First in the project: a top key, which sorts before every key made earlier
                // (so new tasks still land above it). Only a key made in this same microsecond
                // can tie; the clock moves on.
                None => {
                    let mut top = top_key(tx).await?;
                    for _ in 0..3 {
                        if top < at {
                            break;
                        }
                        top = top_key(tx).await?;
                    }
                    Some(if top < at {
                        top
                    } else {
                        between("", Some(&at))?
                    })
                }
            }
        }
        Place::After(anchor) => {
            let at = anchor_key(tx, user_id, anchor, project, "after").await?;
            let next = neighbour(tx, user_id, id, project, &at, false).await?;
            Some(between(&at, next.as_deref())?)
        }
    })
}

/// Gives every task of the project a fresh short key, in their current order: the digits of
/// this transaction's top key, then the task's rank. Keys are never shown, so nothing visible
/// changes; the whole project is locked in id order first, as every multi-task write locks.
async fn respace(
    tx: &mut PgConnection,
    user_id: Uuid,
    project: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH locked AS (
               SELECT id, position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
               ORDER BY id FOR UPDATE
           ), ranked AS (
               SELECT id, left(order_key_top(now()), 10)
                          || order_key_digits(row_number() OVER (ORDER BY position), 4) || '1'
                          AS position
               FROM locked
           )
           UPDATE tasks t SET position = r.position
           FROM ranked r WHERE t.user_id = $1 AND t.id = r.id"#,
        user_id,
        project.unwrap_or_else(Uuid::nil),
    )
    .execute(tx)
    .await?;
    Ok(())
}

fn between(low: &str, high: Option<&str>) -> Result<String, WriteError> {
    order::between(low, high)
        .map_err(|err| WriteError::Database(sqlx::Error::Protocol(err.to_string())))
}

async fn top_key(tx: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT order_key_top() AS "key!""#)
        .fetch_one(tx)
        .await
}

/// The key of the anchor task (locked by the move); a missing or another user's task, or one in
/// another project, is a mistake on `field`.
async fn anchor_key(
    tx: &mut PgConnection,
    user_id: Uuid,
    anchor: Uuid,
    project: Option<Uuid>,
    field: &str,
) -> Result<String, WriteError> {
    let row = sqlx::query!(
        "SELECT project_id, position FROM tasks WHERE user_id = $1 AND id = $2",
        user_id,
        anchor
    )
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(row) if row.project_id == project => Ok(row.position),
        _ => Err(WriteError::invalid(field, "is not a task in that project")),
    }
}

/// The key just before (`before`) or after `at` in the project, other than the moved task's.
async fn neighbour(
    tx: &mut PgConnection,
    user_id: Uuid,
    moved: Uuid,
    project: Option<Uuid>,
    at: &str,
    before: bool,
) -> Result<Option<String>, sqlx::Error> {
    if before {
        sqlx::query_scalar!(
            r#"SELECT position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
                 AND position < $3 AND id <> $4
               ORDER BY position DESC LIMIT 1"#,
            user_id,
            project.unwrap_or_else(Uuid::nil),
            at,
            moved
        )
        .fetch_optional(tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"SELECT position FROM tasks
               WHERE user_id = $1
                 AND COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2
                 AND position > $3 AND id <> $4
               ORDER BY position LIMIT 1"#,
            user_id,
            project.unwrap_or_else(Uuid::nil),
            at,
            moved
        )
        .fetch_optional(tx)
        .await
    }
}

/// Whether a task was deleted.
pub async fn delete(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING 1)
           UPDATE users SET task_count = task_count - (SELECT count(*) FROM gone)
           WHERE id = $2 RETURNING (SELECT count(*) FROM gone) AS "deleted!""#,
        id,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(deleted == Some(1))
}

/// How many of a user's tasks are still to do, and how many are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub active: i64,
    pub completed: i64,
}

pub async fn counts(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Counts, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE NOT completed) AS "active!",
                  count(*) FILTER (WHERE completed) AS "completed!"
           FROM tasks WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(Counts {
        active: row.active,
        completed: row.completed,
    })
}

/// Deletes every completed task of the user in one statement; returns how many went.
pub async fn delete_completed(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM tasks WHERE user_id = $1 AND completed RETURNING 1)
           UPDATE users SET task_count = task_count - (SELECT count(*) FROM gone)
           WHERE id = $1 RETURNING (SELECT count(*) FROM gone) AS "deleted!""#,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(deleted.map_or(0, |n| n.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_pattern("milk"), "%milk%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
