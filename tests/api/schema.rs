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
         INSERT INTO tasks (user_id, title, description, completed, completed_at, created_at)
         SELECT u.id, 'task ' || g, CASE WHEN g % 3 = 0 THEN 'note' END, g % 4 = 0,
                CASE WHEN g % 4 = 0 THEN now() END, now() - g * interval '1 minute'
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

/// The generic plan of `sql` (whose parameters are `$1`...`$n`): the one PostgreSQL caches for a
/// prepared statement, whatever its values, once it finds it no worse than planning each time.
async fn generic_plan(pool: &PgPool, sql: &str) -> Vec<(String,)> {
    let params = (1..=64)
        .take_while(|n| sql.contains(&format!("${n}")))
        .count();
    let nulls = vec!["NULL"; params].join(", ");
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(&format!(
        "PREPARE listing AS {sql}; SET plan_cache_mode = force_generic_plan"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let plan = sqlx::query_as(&format!("EXPLAIN EXECUTE listing({nulls})"))
        .persistent(false)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql("DEALLOCATE listing; RESET plan_cache_mode")
        .execute(&mut *conn)
        .await
        .unwrap();
    plan
}

/// A listing's query parameters.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// A plan without its `SubPlan` and `InitPlan` blocks (each listed task's labels, the label
/// filter's one lookup of a name): the listing's own walk.
fn without_subplans(plan: &str) -> String {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut kept = Vec::new();
    let mut skipping_deeper_than = None;
    for line in plan.lines() {
        if let Some(depth) = skipping_deeper_than {
            if indent(line) > depth {
                continue;
            }
            skipping_deeper_than = None;
        }
        if ["SubPlan", "InitPlan"]
            .iter()
            .any(|block| line.trim_start().starts_with(block))
        {
            skipping_deeper_than = Some(indent(line));
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// A user with 20,000 tasks organised as people do (a fifth in one of 5 projects, a third with one
/// of 5 labels, 40% due within ten days either side of today, every priority), among 100
/// users with 200 plain tasks each: where reading everything and sorting would hurt.
async fn seed_heavy_user(pool: &PgPool) -> (Uuid, Uuid, String) {
    seed_users_with_tasks(pool).await;
    sqlx::raw_sql(
        "INSERT INTO users (email) VALUES ('heavy@example.com');
         INSERT INTO projects (user_id, name)
         SELECT id, 'project ' || g FROM users, generate_series(1, 5) g
         WHERE email = 'heavy@example.com';
         INSERT INTO labels (user_id, name)
         SELECT id, 'label ' || g FROM users, generate_series(1, 5) g
         WHERE email = 'heavy@example.com';
         INSERT INTO tasks (user_id, title, description, completed, completed_at, created_at,
                            project_id, priority, due_date, due_time)
         SELECT u.id, 'task ' || g, CASE WHEN g % 3 = 0 THEN 'note' END, g % 4 = 0,
                CASE WHEN g % 4 = 0 THEN now() END, now() - g * interval '1 minute',
                CASE WHEN g % 5 = 0 THEN (SELECT id FROM projects p WHERE p.user_id = u.id
                                          ORDER BY id OFFSET (g / 5) % 5 LIMIT 1) END,
                g % 4,
                CASE WHEN g % 5 < 2 THEN current_date + (g % 21 - 10) END,
                CASE WHEN g % 10 = 0 THEN time '09:00' + (g % 48) * interval '15 minutes' END
         FROM users u, generate_series(1, 20000) g WHERE u.email = 'heavy@example.com';
         INSERT INTO task_labels (user_id, task_id, label_id, task_created_at)
         SELECT t.user_id, t.id,
                (SELECT id FROM labels l WHERE l.user_id = t.user_id
                 ORDER BY id OFFSET abs(hashtext(t.id::text)) % 5 LIMIT 1),
                t.created_at
         FROM tasks t JOIN users u ON u.id = t.user_id
         WHERE u.email = 'heavy@example.com' AND abs(hashtext(t.title)) % 3 = 0;
         UPDATE tasks t SET label_names = ARRAY[l.name]
         FROM task_labels tl JOIN labels l ON l.user_id = tl.user_id AND l.id = tl.label_id
         WHERE tl.user_id = t.user_id AND tl.task_id = t.id;
         ANALYZE;",
    )
    .execute(pool)
    .await
    .unwrap();
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'heavy@example.com'")
        .fetch_one(pool)
        .await
        .unwrap();
    let project: Uuid =
        sqlx::query_scalar("SELECT id FROM projects WHERE user_id = $1 ORDER BY id LIMIT 1")
            .bind(user)
            .fetch_one(pool)
            .await
            .unwrap();
    let label: String =
        sqlx::query_scalar("SELECT name FROM labels WHERE user_id = $1 ORDER BY id LIMIT 1")
            .bind(user)
            .fetch_one(pool)
            .await
            .unwrap();
    (user, project, label)
}

/// Every sort, and the common filters, as `db::tasks::list` states them and PostgreSQL plans
/// them on the application's connections (first page and a later page): a walk of that sort's
/// index from the user's first row (or the cursor), stopping at the page size, with no sort step
/// and no sequential scan; a filter with an index of its own (project, label, priority, due)
/// reads only the rows it returns.
#[sqlx::test]
async fn every_listing_shape_walks_its_index_and_reads_only_what_it_returns(pool: PgPool) {
    let (user, project, label) = seed_heavy_user(&pool).await;
    let project = project.to_string();
    // (query, the index it walks, whether every row it reads is returned)
    let cases: Vec<(Params, &str, bool)> = vec![
        (vec![], "tasks_user_created_id_idx", true),
        (
            vec![("completed", "false")],
            "tasks_user_created_id_idx",
            false,
        ),
        (vec![("sort", "due")], "tasks_user_due_idx", true),
        (vec![("sort", "priority")], "tasks_user_priority_idx", true),
        (
            vec![("project", &project), ("sort", "manual")],
            "tasks_manual_order_key",
            true,
        ),
        (
            vec![("project", "inbox"), ("sort", "manual")],
            "tasks_manual_order_key",
            true,
        ),
        (vec![("project", &project)], "tasks_user_project_idx", true),
        (vec![("label", &label)], "task_labels_label_idx", true),
        (vec![("priority", "3")], "tasks_user_priority_idx", true),
        (
            vec![("due", "today"), ("sort", "due")],
            "tasks_user_due_idx",
            true,
        ),
        (
            vec![("due", "overdue"), ("sort", "due")],
            "tasks_user_due_idx",
            false,
        ),
        (
            vec![("due", "upcoming"), ("sort", "due")],
            "tasks_user_due_idx",
            true,
        ),
        (
            vec![("due", "none"), ("sort", "due")],
            "tasks_user_due_idx",
            true,
        ),
        (
            vec![
                ("due_from", "2000-01-01"),
                ("due_to", "2100-01-01"),
                ("sort", "due"),
            ],
            "tasks_user_due_idx",
            true,
        ),
    ];
    // Through the application's own pool, with its connection settings.
    let app_pool = taskdeck::db::pool((*pool.connect_options()).clone(), 1);
    // PostgreSQL's default caching (generic plans for the fixed statements): the listing is
    // planned for its values because it is sent unnamed, not because of a setting.
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&app_pool)
        .await
        .unwrap();
    assert_eq!(mode, "auto");
    let now = chrono::Utc::now().naive_utc();
    let today = Some((now.date(), now.time()));
    for (pairs, index, exact) in cases {
        let mut pairs = pairs;
        pairs.push(("limit", "50"));
        let mut query = taskdeck::domain::ListQuery::parse(pairs.iter().copied(), user).unwrap();
        let first = taskdeck::db::tasks::list(&app_pool, user, &query)
            .await
            .unwrap();
        assert_eq!(
            first.tasks.len(),
            50,
            "{pairs:?}: the seed has enough of these"
        );
        for page in ["first", "later"] {
            if page == "later" {
                query.cursor = first.next.clone();
            }
            let case = format!("{pairs:?}, {page} page");
            let plan = plan_text(
                taskdeck::db::tasks::statement(
                    "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) ",
                    user,
                    &query,
                    today,
                )
                .build_query_as()
                .persistent(false)
                .fetch_all(&app_pool)
                .await
                .unwrap(),
            );
            assert!(plan.contains(index), "{case}: walks {index}\n{plan}");
            // The plan PostgreSQL may cache for this shape after five executions, for any values
            // (a generic plan): the same walk.
            let sql = taskdeck::db::tasks::statement("", user, &query, today)
                .sql()
                .to_owned();
            let generic = plan_text(generic_plan(&app_pool, &sql).await);
            assert!(
                generic.contains(index),
                "{case}: generic plan walks {index}\n{generic}"
            );
            assert!(!generic.contains("Seq Scan on tasks "), "{case}\n{generic}");
            assert!(
                !without_subplans(&generic).contains("Sort"),
                "{case}: generic plan has no sort step\n{generic}"
            );
            for table in ["tasks", "task_labels"] {
                assert!(
                    !plan.contains(&format!("Seq Scan on {table} ")),
                    "{case}\n{plan}"
                );
            }
            // (The labels of each listed task are a small sorted subquery of their own, and a
            // label filter looks its name up once.)
            let walk_only = without_subplans(&plan);
            assert!(!walk_only.contains("Sort"), "{case}: no sort step\n{plan}");
            assert!(
                plan.lines()
                    .any(|line| line.contains("Index Cond: ") && line.contains(&user.to_string())),
                "{case}: bounded to the user\n{plan}"
            );
            // The walk's own node reads 51 rows (the page and one to learn that more follow).
            let walk = plan
                .lines()
                .find(|line| line.contains(index))
                .unwrap_or_default();
            assert!(
                walk.contains("actual rows=51 "),
                "{case}: reads one page\n{plan}"
            );
            if exact {
                assert!(
                    !walk_only.contains("Rows Removed by Filter"),
                    "{case}: reads only what it returns\n{plan}"
                );
            }
        }
    }
}

/// A toggle changes no indexed column, so PostgreSQL rewrites the row in place on its page
/// (a heap-only tuple update) and writes no index entry: no index of tasks may hold `completed`,
/// `completed_at` or `updated_at` (see migration 20261202000004_hot_toggles.sql).
#[sqlx::test]
async fn toggles_write_no_index_entry(pool: PgPool) {
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            insert_task(&pool, user, &format!("task {i}"), Some("a description"))
                .await
                .unwrap(),
        );
    }
    let mut tx = pool.begin().await.unwrap();
    for _ in 0..3 {
        for &id in &ids {
            let toggled = taskdeck::db::tasks::toggle(&mut *tx, user, id, None)
                .await
                .unwrap();
            assert!(toggled.is_some());
        }
    }
    // This transaction's own counts of updated rows, and of those that were heap-only.
    let (updated, hot): (i64, i64) = sqlx::query_as(
        "SELECT pg_stat_get_xact_tuples_updated('tasks'::regclass), \
                pg_stat_get_xact_tuples_hot_updated('tasks'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((updated, hot), (30, 30));
    let counts = taskdeck::db::tasks::counts(&mut *tx, user).await.unwrap();
    assert_eq!((counts.active, counts.completed), (0, 10));
}

/// A new task's manual-order key: ten digits from the clock (newer is smaller, so it sorts on
/// top), as `order_key_digits` writes them, then five random ones, the last never '0'; the
/// database's CHECK accepts it. Across the whole range of timestamps the keys are in order.
#[sqlx::test]
async fn top_keys_are_the_clock_in_base_62_newest_first(pool: PgPool) {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT order_key_top(t),
                order_key_digits(839299365868340223 - (extract(epoch FROM t) * 1000000)::bigint, 10)
         FROM (SELECT timestamptz '1970-01-01' + n * interval '1 day 3 hours 1.000007 seconds'
               FROM generate_series(0, 100000, 7) n) s(t)
         ORDER BY t",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(rows.len() > 10_000);
    for (key, digits) in &rows {
        assert_eq!(key.len(), 15, "{key}");
        assert_eq!(&key[..10], digits, "{key}");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
        assert!(!key.ends_with('0'), "{key}");
    }
    assert!(rows
        .windows(2)
        .all(|pair| pair[0].0[..10] > pair[1].0[..10]));
}

/// Hundreds of moves into the same gap: once a key would pass `MAX_KEY_CHARS`, the project's keys
/// are spaced out again, so keys stay short and the order stays exactly what the moves made.
#[sqlx::test]
async fn keys_stay_short_through_hundreds_of_moves_into_one_gap(pool: PgPool) {
    use taskdeck::domain::{Limits, ListQuery, Move, NewTask, Place};
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    let limits = Limits::default();
    let mut ids = Vec::new();
    for i in 0..40 {
        let task = NewTask::parse(&format!("task {i}"), None, false).unwrap();
        ids.push(
            taskdeck::db::tasks::create(&pool, user, &task, &limits)
                .await
                .unwrap()
                .id,
        );
    }
    // Newest first: ids reversed. Each move lands right after the first task, in front of the
    // task moved before it, so every key is made in the same shrinking gap.
    let mut expected: Vec<Uuid> = ids.iter().rev().copied().collect();
    let first = expected[0];
    for round in 0..450 {
        let moved = expected[expected.len() - 1 - (round % 30)];
        let to = Move {
            project_id: None,
            place: Place::After(first),
        };
        taskdeck::db::tasks::move_to(&pool, user, moved, to, None)
            .await
            .unwrap()
            .unwrap();
        expected.retain(|id| *id != moved);
        expected.insert(1, moved);
    }
    let longest: i32 =
        sqlx::query_scalar("SELECT max(length(position)) FROM tasks WHERE user_id = $1")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        longest as usize <= taskdeck::db::tasks::MAX_KEY_CHARS,
        "longest key {longest}"
    );
    let query = ListQuery::parse(
        [("project", "inbox"), ("sort", "manual"), ("limit", "500")],
        user,
    )
    .unwrap();
    let listed: Vec<Uuid> = taskdeck::db::tasks::list(&pool, user, &query)
        .await
        .unwrap()
        .tasks
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, expected);
    // And a new task still lands on top.
    let task = NewTask::parse("newest", None, false).unwrap();
    let newest = taskdeck::db::tasks::create(&pool, user, &task, &limits)
        .await
        .unwrap();
    let listed = taskdeck::db::tasks::list(&pool, user, &query)
        .await
        .unwrap();
    assert_eq!(listed.tasks[0].id, newest.id);
}

/// `users.task_count` (what the task limit reads) follows every way tasks come and go: creates,
/// a delete, clearing the completed ones, deleting a project with its tasks.
#[sqlx::test]
async fn a_users_task_count_follows_creates_and_every_kind_of_delete(pool: PgPool) {
    use taskdeck::domain::{Limits, NewTask, ProjectName};
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    let limits = Limits::default();
    let count = || async {
        let stored: i64 = sqlx::query_scalar("SELECT task_count FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
        let actual: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE user_id = $1")
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(stored, actual);
        actual
    };
    let project =
        taskdeck::db::projects::create(&pool, user, &ProjectName::parse("Home").unwrap(), &limits)
            .await
            .unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        let mut task = NewTask::parse(&format!("t{i}"), None, i % 3 == 0).unwrap();
        task.project_id = (i >= 4).then_some(project.id);
        ids.push(
            taskdeck::db::tasks::create(&pool, user, &task, &limits)
                .await
                .unwrap()
                .id,
        );
    }
    assert_eq!(count().await, 6);
    assert!(taskdeck::db::tasks::delete(&pool, user, ids[1], None)
        .await
        .unwrap());
    assert!(!taskdeck::db::tasks::delete(&pool, user, ids[1], None)
        .await
        .unwrap());
    assert_eq!(count().await, 5);
    assert_eq!(
        taskdeck::db::tasks::delete_completed(&pool, user)
            .await
            .unwrap(),
        2
    );
    assert_eq!(count().await, 3);
    assert!(
        taskdeck::db::projects::delete(&pool, user, project.id, None)
            .await
            .unwrap()
    );
    assert_eq!(count().await, 1);
}

/// A task moved into a project while the project is being deleted goes with it, counted off
/// `users.task_count`: the deletion's statement, which counts the tasks it deletes, did not see
/// the task (the move had not committed when it began), and a cascade from the project would
/// delete it uncounted, leaving the count one too high for good.
#[sqlx::test]
async fn a_task_moved_into_a_project_being_deleted_is_counted_off(pool: PgPool) {
    use taskdeck::domain::{Limits, NewTask, ProjectName};
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    let limits = Limits::default();
    let project =
        taskdeck::db::projects::create(&pool, user, &ProjectName::parse("Home").unwrap(), &limits)
            .await
            .unwrap();
    let mut inbox = None;
    for i in 0..3 {
        let mut task = NewTask::parse(&format!("t{i}"), None, false).unwrap();
        task.project_id = (i > 0).then_some(project.id);
        let created = taskdeck::db::tasks::create(&pool, user, &task, &limits)
            .await
            .unwrap();
        inbox = inbox.or(Some(created.id));
    }
    // The move, in flight: its write done, not yet committed.
    let mut moving = pool.begin().await.unwrap();
    sqlx::query("UPDATE tasks SET project_id = $3 WHERE user_id = $1 AND id = $2")
        .bind(user)
        .bind(inbox)
        .bind(project.id)
        .execute(&mut *moving)
        .await
        .unwrap();
    let deletion = taskdeck::db::projects::delete(&pool, user, project.id, None);
    let commit = async {
        // Once the deletion waits for the move's lock on the project, the move commits.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the deletion never waited"
            );
            tokio::task::yield_now().await;
        }
        moving.commit().await.unwrap();
    };
    let (deleted, ()) = tokio::join!(deletion, commit);
    assert!(deleted.unwrap());
    let (stored, actual): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT task_count FROM users WHERE id = $1), \
                (SELECT count(*) FROM tasks WHERE user_id = $1)",
    )
    .bind(user)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((stored, actual), (0, 0));
}

/// The due order's number is computed twice: by the database, as the generated column
/// `due_rank` that the due sort and filters walk, and by the application, for the filters'
/// bounds and the cursor (`domain::due_rank`). They must agree to the minute, or a filter would
/// miss the tasks at its edges and a cursor would skip or repeat a task.
#[sqlx::test]
async fn the_due_rank_of_the_database_is_the_applications(pool: PgPool) {
    use chrono::{NaiveDate, NaiveTime};
    use taskdeck::domain::{due_rank, NO_DUE_RANK};
    let user = insert_user(&pool, "ada@example.com").await.unwrap();
    let dates = [
        "1900-01-01",
        "1969-12-31",
        "2026-02-28",
        "2026-12-24",
        "9999-12-31",
    ]
    .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    let times = [
        None,
        Some((0, 0)),
        Some((0, 1)),
        Some((9, 30)),
        Some((23, 59)),
    ]
    .map(|t| t.map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap()));
    let mut cases = vec![(None, None)];
    for date in dates {
        for time in times {
            cases.push((Some(date), time));
        }
    }
    for (date, time) in cases {
        let in_sql: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (user_id, title, due_date, due_time) VALUES ($1, 'due', $2, $3) \
             RETURNING due_rank",
        )
        .bind(user)
        .bind(date)
        .bind(time)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(in_sql, due_rank(date, time), "{date:?} {time:?}");
        if date.is_none() {
            assert_eq!(in_sql, NO_DUE_RANK);
        }
    }
}
