//! The organising migration (`20261202000001_organise.sql`) on a populated database: the schema
//! just before it, holding several users' tasks, migrated, keeps every task with every field as
//! it was, and gives the new fields what API-organise.md promises existing tasks (the Inbox, no
//! labels, priority 0, no due date, `completed_at` from `updated_at`, the Inbox's manual order
//! newest first). The application then reads them as it reads any task.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use taskdeck::db::MIGRATOR;
use taskdeck::domain::{ListQuery, ProjectFilter, Sort, Task, NO_DUE_RANK};
use uuid::Uuid;

/// The migration under test: the database starts at the schema just before it.
const ORGANISE: i64 = 20_261_202_000_001;

/// A user as the schema before the migration stores it: id, email, password hash, created,
/// updated.
type OldUser = (Uuid, String, Option<String>, DateTime<Utc>, DateTime<Utc>);

/// What the migration adds to a task: id, project, priority, due date, due time, completed at,
/// due rank.
type NewFields = (
    Uuid,
    Option<Uuid>,
    i16,
    Option<NaiveDate>,
    Option<NaiveTime>,
    Option<DateTime<Utc>>,
    i64,
);

/// A task as the schema before the migration stores it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct OldTask {
    id: Uuid,
    user_id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The users (email, password hash, created), in insertion order; the last has no tasks.
const USERS: [(&str, Option<&str>, &str); 4] = [
    (
        "ada@example.com",
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"),
        "2023-11-01T10:00:00.000001Z",
    ),
    ("bob@example.com", None, "2023-11-02T11:30:00Z"),
    (
        "chloe@example.com",
        Some("$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo"),
        "2023-12-24T18:00:00.5Z",
    ),
    ("dan@example.com", None, "2024-01-01T00:00:00Z"),
];

/// A task to store in the old schema; `user` indexes [`USERS`].
struct Fixture {
    user: usize,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: &'static str,
    updated_at: &'static str,
}

fn fixture(
    user: usize,
    title: &str,
    description: Option<&str>,
    completed: bool,
    created_at: &'static str,
    updated_at: &'static str,
) -> Fixture {
    Fixture {
        user,
        title: title.to_owned(),
        description: description.map(str::to_owned),
        completed,
        created_at,
        updated_at,
    }
}

/// Completed and not, with and without a description, unicode, the bounds, distinct timestamps
/// to the microsecond, inserted out of creation order (so that the backfilled order can only
/// come from `created_at`). All in the past, so that a task created now sorts above them.
fn fixtures() -> Vec<Fixture> {
    vec![
        // Ada: never updated.
        fixture(
            0,
            "Buy milk",
            None,
            false,
            "2024-03-01T08:00:00.000001Z",
            "2024-03-01T08:00:00.000001Z",
        ),
        fixture(
            0,
            "Café ☕ — réunion à 9 h",
            Some("Ordre du jour :\n• budget\n• 日本語のメモ"),
            true,
            "2024-03-02T09:15:30.123456Z",
            "2024-03-05T17:45:00.654321Z",
        ),
        // The bounds, in code points: 255 four-byte characters, 10,000 two-byte ones.
        fixture(
            0,
            "😀".repeat(255).as_str(),
            Some("é".repeat(10_000).as_str()),
            false,
            "2024-02-10T12:00:00Z",
            "2024-02-11T12:00:00Z",
        ),
        // Completed as it was created: its completed_at is its created_at.
        fixture(
            0,
            "שלום עולם",
            None,
            true,
            "2024-02-28T23:59:59.999999Z",
            "2024-02-28T23:59:59.999999Z",
        ),
        // The oldest, inserted after newer ones.
        fixture(
            0,
            "Zürich → Genève",
            Some("Tab\tinside, and a trailing newline\n"),
            false,
            "2023-12-31T23:00:00Z",
            "2024-06-01T00:00:00Z",
        ),
        // Bob: the same title and the same moment as one of Ada's (order keys are per user).
        fixture(
            1,
            "Buy milk",
            Some("Same title as Ada's, same moment"),
            false,
            "2024-03-01T08:00:00.000001Z",
            "2024-03-01T09:00:00Z",
        ),
        fixture(
            1,
            "Pay rent 💶",
            None,
            true,
            "2024-01-15T10:00:00Z",
            "2024-01-16T10:00:00.0005Z",
        ),
        // Decomposed and precomposed accents, kept apart.
        fixture(
            1,
            "Ünïcödé: e\u{301} ≠ é",
            Some("NFD and NFC"),
            false,
            "2024-01-20T07:30:00Z",
            "2024-01-20T07:30:00Z",
        ),
        // Chloe: one completed task.
        fixture(
            2,
            "🦀 Learn Rust",
            Some("Chapter 1\r\nChapter 2"),
            true,
            "2024-04-01T00:00:00Z",
            "2024-04-02T00:00:00Z",
        ),
    ]
}

fn at(timestamp: &str) -> DateTime<Utc> {
    timestamp
        .parse()
        .unwrap_or_else(|err| panic!("{timestamp}: {err}"))
}

/// Every task's old fields, by id.
async fn stored_tasks(pool: &PgPool) -> Vec<OldTask> {
    sqlx::query_as(
        "SELECT id, user_id, title, description, completed, created_at, updated_at \
         FROM tasks ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every user's old fields, by id.
async fn stored_users(pool: &PgPool) -> Vec<OldUser> {
    sqlx::query_as("SELECT id, email, password_hash, created_at, updated_at FROM users ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The task as the application returns it once migrated: in the Inbox, no labels, priority 0,
/// no due date, completed when it was last updated, at version 1.
fn as_migrated(old: &OldTask) -> Task {
    Task {
        id: old.id,
        title: old.title.clone(),
        description: old.description.clone(),
        completed: old.completed,
        project_id: None,
        labels: Vec::new(),
        priority: 0,
        due_date: None,
        due_time: None,
        completed_at: old.completed.then_some(old.updated_at),
        user_id: old.user_id,
        created_at: old.created_at,
        updated_at: old.updated_at,
        version: 1,
    }
}

#[sqlx::test(migrations = false)]
async fn a_populated_database_keeps_every_task_and_gets_the_new_fields_backfilled(pool: PgPool) {
    // The schema before the migration: every earlier migration, recorded as applied.
    assert!(MIGRATOR.version_exists(ORGANISE));
    let before = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .iter()
                .filter(|migration| migration.version < ORGANISE)
                .cloned()
                .collect::<Vec<_>>(),
        ),
        ..Migrator::DEFAULT
    };
    assert!(!before.migrations.is_empty());
    before.run(&pool).await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'tasks' \
         ORDER BY ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "user_id",
            "title",
            "description",
            "completed",
            "created_at",
            "updated_at"
        ]
    );

    // Data, as the old schema takes it; every row remembered.
    let mut users: Vec<OldUser> = Vec::new();
    for (email, password_hash, created_at) in USERS {
        let user: OldUser = sqlx::query_as(
            "INSERT INTO users (email, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $3 + interval '1 day 2 hours') \
             RETURNING id, email, password_hash, created_at, updated_at",
        )
        .bind(email)
        .bind(password_hash)
        .bind(at(created_at))
        .fetch_one(&pool)
        .await
        .unwrap();
        users.push(user);
    }
    let mut tasks: Vec<OldTask> = Vec::new();
    for fixture in fixtures() {
        let user_id = users[fixture.user].0;
        let created_at = at(fixture.created_at);
        let updated_at = at(fixture.updated_at);
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(fixture.title.as_str())
        .bind(fixture.description.as_deref())
        .bind(fixture.completed)
        .bind(created_at)
        .bind(updated_at)
        .fetch_one(&pool)
        .await
        .unwrap();
        tasks.push(OldTask {
            id,
            user_id,
            title: fixture.title,
            description: fixture.description,
            completed: fixture.completed,
            created_at,
            updated_at,
        });
    }
    tasks.sort_by_key(|task| task.id);
    let mut users_by_id = users.clone();
    users_by_id.sort_by_key(|user| user.0);
    assert_eq!(stored_tasks(&pool).await, tasks);
    assert_eq!(stored_users(&pool).await, users_by_id);

    // The migration, and any after it, as the server applies them at start-up.
    MIGRATOR.run(&pool).await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let all: Vec<i64> = MIGRATOR.iter().map(|migration| migration.version).collect();
    assert_eq!(applied, all);

    // Every task and user, every old field as it was.
    assert_eq!(stored_tasks(&pool).await, tasks);
    assert_eq!(stored_users(&pool).await, users_by_id);
    let zones: Vec<String> = sqlx::query_scalar("SELECT timezone FROM users ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(zones, vec!["UTC"; users.len()]);

    // The new fields: the Inbox, priority 0, no due date (the smallest due rank), completed when
    // last updated; no projects, labels or links.
    let new_fields: Vec<NewFields> = sqlx::query_as(
        "SELECT id, project_id, priority, due_date, due_time, completed_at, due_rank \
         FROM tasks ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<NewFields> = tasks
        .iter()
        .map(|task| -> NewFields {
            let completed_at = task.completed.then_some(task.updated_at);
            (task.id, None, 0, None, None, completed_at, NO_DUE_RANK)
        })
        .collect();
    assert_eq!(new_fields, expected);
    let organised: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM labels), \
                (SELECT count(*) FROM task_labels)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(organised, (0, 0, 0));

    for user in &users {
        let (user_id, email) = (user.0, &user.1);
        let mut mine: Vec<&OldTask> = tasks.iter().filter(|t| t.user_id == user_id).collect();
        mine.sort_by_key(|task| Reverse(task.created_at));
        let newest_first: Vec<Task> = mine.into_iter().map(as_migrated).collect();
        let newest_first_ids: Vec<Uuid> = newest_first.iter().map(|task| task.id).collect();

        // The Inbox's manual order starts as newest first, one key per task.
        let manual: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, position FROM tasks WHERE user_id = $1 AND project_id IS NULL \
             ORDER BY position",
        )
        .bind(user_id)
        .fetch_all(&pool)
        .await
        .unwrap();
        let manual_ids: Vec<Uuid> = manual.iter().map(|(id, _)| *id).collect();
        assert_eq!(manual_ids, newest_first_ids, "{email}: manual order");
        let positions: HashSet<&str> = manual.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(positions.len(), manual.len(), "{email}: {manual:?}");

        // The application reads them: one by one, newest first, and in the Inbox's manual order.
        for task in &newest_first {
            let read = taskdeck::db::tasks::get(&pool, user_id, task.id)
                .await
                .unwrap();
            assert_eq!(read.as_ref(), Some(task), "{email}");
        }
        let page = taskdeck::db::tasks::list(&pool, user_id, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(page.tasks, newest_first, "{email}: default listing");
        assert!(page.next.is_none(), "{email}");
        let inbox = ListQuery {
            project: Some(ProjectFilter::Inbox),
            sort: Some(Sort::Manual),
            ..ListQuery::default()
        };
        let page = taskdeck::db::tasks::list(&pool, user_id, &inbox)
            .await
            .unwrap();
        assert_eq!(
            page.tasks, newest_first,
            "{email}: the Inbox's manual order"
        );
        assert!(page.next.is_none(), "{email}");
    }

    // A task created after the migration lands on top of the Inbox, above every backfilled key.
    let ada = users[0].0;
    let created: Uuid = sqlx::query_scalar(
        "INSERT INTO tasks (user_id, title) VALUES ($1, 'After the migration') RETURNING id",
    )
    .bind(ada)
    .fetch_one(&pool)
    .await
    .unwrap();
    let top: Uuid = sqlx::query_scalar(
        "SELECT id FROM tasks WHERE user_id = $1 AND project_id IS NULL ORDER BY position LIMIT 1",
    )
    .bind(ada)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(top, created);
}

/// The migration that puts each task's label names on the task (`20261202000008_label_names.sql`).
const LABEL_NAMES: i64 = 20_261_202_000_008;

/// Tasks labelled before the label names moved onto them show the same names, in the API's order
/// (case-insensitive), from the task itself; unlabelled tasks have none; nothing else changes.
#[sqlx::test(migrations = false)]
async fn labelled_tasks_get_their_label_names_backfilled(pool: PgPool) {
    assert!(MIGRATOR.version_exists(LABEL_NAMES));
    let before = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .iter()
                .filter(|migration| migration.version < LABEL_NAMES)
                .cloned()
                .collect::<Vec<_>>(),
        ),
        ..Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    let (user, labelled, plain): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "WITH u AS (INSERT INTO users (email) VALUES ('ada@example.com') RETURNING id),
              l AS (INSERT INTO labels (user_id, id, name)
                    SELECT u.id, uuid_generate_v7(now()), n
                    FROM u, unnest(ARRAY['banana', 'Apple', 'cherry']) n RETURNING user_id, id),
              a AS (INSERT INTO tasks (user_id, title, label_count)
                    SELECT id, 'labelled', 3 FROM u RETURNING user_id, id, created_at),
              b AS (INSERT INTO tasks (user_id, title) SELECT id, 'plain' FROM u RETURNING id),
              linked AS (INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
                         SELECT a.user_id, a.id, l.id, a.created_at FROM a, l)
         SELECT (SELECT id FROM u), (SELECT id FROM a), (SELECT id FROM b)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let updated_before: Vec<DateTime<Utc>> =
        sqlx::query_scalar("SELECT updated_at FROM tasks ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();

    MIGRATOR.run(&pool).await.unwrap();

    let task = taskdeck::db::tasks::get(&pool, user, labelled)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.labels, ["Apple", "banana", "cherry"]);
    let task = taskdeck::db::tasks::get(&pool, user, plain)
        .await
        .unwrap()
        .unwrap();
    assert!(task.labels.is_empty());
    let updated_after: Vec<DateTime<Utc>> =
        sqlx::query_scalar("SELECT updated_at FROM tasks ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(updated_after, updated_before);
    // The count column it replaces is gone; the bound on the names holds instead.
    let too_many = sqlx::query(
        "UPDATE tasks SET label_names = array_fill('x'::text, ARRAY[21]) WHERE id = $1",
    )
    .bind(plain)
    .execute(&pool)
    .await;
    assert!(too_many.is_err());
}
