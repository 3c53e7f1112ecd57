//! The schema's own guarantees, independent of the application code that writes through it.

use sqlx::PgPool;
use uuid::Uuid;

async fn insert_user(pool: &PgPool, email: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO users (email) VALUES ($1) RETURNING id")
        .bind(email)
        .fetch_one(pool)
        .await
}

async fn insert_task(
    pool: &PgPool,
    user: Uuid,
    title: &str,
    description: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO tasks (user_id, title, description) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(user)
    .bind(title)
    .bind(description)
    .fetch_one(pool)
    .await
}

fn constraint(err: sqlx::Error) -> String {
    err.as_database_error()
        .and_then(|db| db.constraint())
        .unwrap_or_else(|| panic!("expected a constraint violation, got {err}"))
        .to_owned()
}

#[sqlx::test]
async fn ids_generated_in_sql_are_time_ordered_uuid_v7(pool: PgPool) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            insert_user(&pool, &format!("user{i}@example.com"))
                .await
                .unwrap(),
        );
    }
    for id in &ids {
        assert_eq!(id.get_version_num(), 7, "{id}");
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
    }
    let timestamps: Vec<u64> = ids
        .iter()
        .map(|id| id.get_timestamp().unwrap().to_unix().0)
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "{timestamps:?}"
    );
    let now = chrono::Utc::now().timestamp().unsigned_abs();
    assert!(
        timestamps.iter().all(|t| t.abs_diff(now) < 60),
        "{timestamps:?}"
    );
}

#[sqlx::test]
async fn emails_are_unique_and_stored_lower_cased(pool: PgPool) {
    insert_user(&pool, "ada@example.com").await.unwrap();
    let duplicate = insert_user(&pool, "ada@example.com").await.unwrap_err();
    assert_eq!(constraint(duplicate), "users_email_key");
    let upper = insert_user(&pool, "Bob@Example.com").await.unwrap_err();
    assert_eq!(constraint(upper), "users_email_lower_case");
}

#[sqlx::test]
async fn task_bounds_mirror_the_contract_in_code_points(pool: PgPool) {
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    // 255 four-byte characters fit: the bound counts characters, not bytes.
    let max_title = "😀".repeat(255);
    insert_task(&pool, user, &max_title, None).await.unwrap();
    let long_title = "a".repeat(256);
    let err = insert_task(&pool, user, &long_title, None)
        .await
        .unwrap_err();
    assert_eq!(constraint(err), "tasks_title_length");
    let err = insert_task(&pool, user, "", None).await.unwrap_err();
    assert_eq!(constraint(err), "tasks_title_length");
    for blank in ["   ", "\t\n", " \r\t "] {
        let err = insert_task(&pool, user, blank, None).await.unwrap_err();
        assert_eq!(constraint(err), "tasks_title_not_blank", "{blank:?}");
    }

    insert_task(&pool, user, "ok", Some(&"é".repeat(10_000)))
        .await
        .unwrap();
    let err = insert_task(&pool, user, "ok", Some(&"é".repeat(10_001)))
        .await
        .unwrap_err();
    assert_eq!(constraint(err), "tasks_description_length");
    let err = insert_task(&pool, user, "ok", Some(" \t "))
        .await
        .unwrap_err();
    assert_eq!(constraint(err), "tasks_description_not_blank");
}

#[sqlx::test]
async fn deleting_a_user_deletes_their_tasks_only(pool: PgPool) {
    let ada = insert_user(&pool, "ada@example.com").await.unwrap();
    let bob = insert_user(&pool, "bob@example.com").await.unwrap();
    for title in ["one", "two", "three"] {
        insert_task(&pool, ada, title, None).await.unwrap();
    }
    insert_task(&pool, bob, "bob's", None).await.unwrap();

    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(ada)
        .execute(&pool)
        .await
        .unwrap();
    let remaining: Vec<(Uuid,)> = sqlx::query_as("SELECT user_id FROM tasks")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(remaining, vec![(bob,)]);
}

/// Many users with a couple of hundred tasks each (a quarter of them completed): the shape the
/// listing index is for. (With a handful of rows a sequential scan is cheaper, and the planner
/// rightly picks it.)
async fn seed_users_with_tasks(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 100) g;
         INSERT INTO tasks (user_id, title, description, completed, created_at)
         SELECT u.id, 'task ' || g, CASE WHEN g % 3 = 0 THEN 'note' END, g % 4 = 0,
                now() - g * interval '1 minute'
         FROM users u, generate_series(1, 200) g;",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// EXPLAIN's rows as one text.
fn plan_text(rows: Vec<(String,)>) -> String {
    rows.into_iter()
        .map(|(line,)| line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The listing statement of `db::tasks::list` (for the first page, and the pages after a cursor), as
/// PostgreSQL plans them on the application's connections for each combination of filters:
/// always the (user_id, created_at, id) index, bounded to that user's rows (and, after a
/// cursor, to the rows past it), never a sequential scan of everyone's tasks, and without text
/// search in index order with no sort step.
#[sqlx::test]
async fn every_listing_filter_reads_only_that_users_rows_in_index_order(pool: PgPool) {
    seed_users_with_tasks(&pool).await;
    sqlx::raw_sql(
        "INSERT INTO users (email) VALUES ('heavy@example.com');
         INSERT INTO tasks (user_id, title, description, completed, created_at)
         SELECT u.id, 'task ' || g, CASE WHEN g % 3 = 0 THEN 'note' END, g % 4 = 0,
                now() - g * interval '1 minute'
         FROM users u, generate_series(1, 5000) g WHERE u.email = 'heavy@example.com';
         ANALYZE users; ANALYZE tasks;",
    )
    .execute(&pool)
    .await
    .unwrap();
    // A user with 5,000 tasks, where reading everything and sorting would hurt.
    let ada: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'heavy@example.com'")
        .fetch_one(&pool)
        .await
        .unwrap();
    // The statement of db::tasks::list, word for word.
    let list = "SELECT id, title, description, completed, user_id, created_at, updated_at \
         FROM tasks WHERE user_id = $1 \
           AND ($2::bool IS NULL OR completed = $2) \
           AND ($3::text IS NULL OR title ILIKE $3 OR description ILIKE $3) \
           AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid)) \
         ORDER BY created_at DESC, id DESC LIMIT $6";
    let cursor = (chrono::Utc::now(), Uuid::max());
    let cases: [(Option<bool>, Option<&str>, bool); 6] = [
        (None, Some("%milk%"), false),
        (Some(false), Some("%task%"), false),
        (Some(true), Some("%x%"), true),
        (None, None, false),
        (Some(true), None, false),
        (None, None, true),
    ];
    // Through the application's own pool, with its connection settings.
    let app_pool = taskdeck::db::pool((*pool.connect_options()).clone(), 1);
    let mut conn = app_pool.acquire().await.unwrap();
    // Set on the database by a migration, not per connection (PgBouncer would leak it).
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "force_custom_plan");
    sqlx::raw_sql(&format!(
        "PREPARE list (uuid, bool, text, timestamptz, uuid, bigint) AS {list}"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let literal = |value: Option<String>| value.map_or("NULL".to_owned(), |v| format!("'{v}'"));
    for (completed, q, with_cursor) in cases {
        let completed_arg = completed.map_or("NULL".to_owned(), |c| c.to_string());
        let q_arg = literal(q.map(str::to_owned));
        let explain = if with_cursor {
            format!(
                "EXPLAIN EXECUTE list('{ada}', {completed_arg}, {q_arg}, '{}', '{}', 101)",
                cursor.0.to_rfc3339(),
                cursor.1
            )
        } else {
            format!("EXPLAIN EXECUTE list('{ada}', {completed_arg}, {q_arg}, NULL, NULL, 101)")
        };
        let case = format!("completed={completed:?} q={q:?} cursor={with_cursor}");
        // A plan for these values (the database forces custom plans: see the migration
        // `plan_each_execution`; a connection of the pool keeps no session settings), also after
        // more than the five executions at which PostgreSQL would consider a generic plan.
        for _ in 0..6 {
            sqlx::raw_sql(&explain[8..])
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let plan = plan_text(
            sqlx::query_as(&explain)
                .fetch_all(&mut *conn)
                .await
                .unwrap(),
        );
        assert!(plan.contains("tasks_user_created_id_idx"), "{case}\n{plan}");
        let index_cond = plan
            .lines()
            .find(|line| line.contains("Index Cond: "))
            .unwrap_or_default();
        assert!(
            index_cond.contains(&format!("user_id = '{ada}'::uuid")),
            "bounded to the user: {case}\n{plan}"
        );
        if with_cursor {
            assert!(
                index_cond.contains("ROW(created_at, id) < ROW("),
                "a later page starts in the index at its cursor: {case}\n{plan}"
            );
        }
        assert!(!plan.contains("Seq Scan"), "{case}\n{plan}");
        // Without text search, walking the index in order and stopping at the page size. (A
        // rare substring has to be looked for in all of the user's rows either way; then sorting
        // the few matches is what PostgreSQL may do.)
        if q.is_none() {
            assert!(!plan.contains("Sort"), "{case}\n{plan}");
        }
    }
}

/// "N tasks left" and "Clear completed (n)": the counts are read from the index alone
/// (`completed` is included in it), without visiting the table's rows once VACUUM has marked
/// their pages all-visible, as autovacuum does.
#[sqlx::test]
async fn a_users_counts_come_from_the_index_alone(pool: PgPool) {
    seed_users_with_tasks(&pool).await;
    sqlx::raw_sql("VACUUM ANALYZE tasks")
        .execute(&pool)
        .await
        .unwrap();
    let ada: Uuid = sqlx::query_scalar("SELECT id FROM users LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let counts = taskdeck::db::tasks::counts(&pool, ada).await.unwrap();
    assert_eq!((counts.active, counts.completed), (150, 50));
    let app_pool = taskdeck::db::pool((*pool.connect_options()).clone(), 1);
    let plan = plan_text(
        sqlx::query_as(
            "EXPLAIN \
             SELECT count(*) FILTER (WHERE NOT completed), count(*) FILTER (WHERE completed) \
             FROM tasks WHERE user_id = $1",
        )
        .bind(ada)
        .fetch_all(&app_pool)
        .await
        .unwrap(),
    );
    assert!(
        plan.contains("Index Only Scan using tasks_user_created_id_idx"),
        "{plan}"
    );
}
