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

#[sqlx::test]
async fn a_users_newest_first_page_reads_the_keyset_index(pool: PgPool) {
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    for i in 0..50 {
        insert_task(&pool, user, &format!("task {i}"), None)
            .await
            .unwrap();
    }
    sqlx::query("ANALYZE tasks").execute(&pool).await.unwrap();
    // Tiny tables are cheaper to scan; make the planner show the plan it uses at scale.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let plan: Vec<(String,)> = sqlx::query_as(
        "EXPLAIN SELECT id FROM tasks WHERE user_id = $1 \
         AND (created_at, id) < (now(), 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid) \
         ORDER BY created_at DESC, id DESC LIMIT 20",
    )
    .bind(user)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan
        .into_iter()
        .map(|(line,)| line)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("tasks_user_created_id_idx"), "{plan}");
    assert!(
        !plan.contains("Sort"),
        "the index order should make a sort unnecessary:\n{plan}"
    );
}
