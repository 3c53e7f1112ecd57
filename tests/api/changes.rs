//! API-sync.md, Change feed: a full sync without `since`, then each change once in its latest
//! state; deletions for 30 days (410 after); cursors bound to their user; and the guarantee that
//! a reader polling while others write never skips a change.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    assert_problem, error_fields, join_all, row_count, urlencode, ApiClient, TestApp, PASSWORD,
};

/// One page of the feed.
async fn page(client: &ApiClient<'_>, since: Option<&str>, limit: Option<u32>) -> Value {
    let mut query = vec![];
    if let Some(since) = since {
        query.push(format!("since={}", urlencode(since)));
    }
    if let Some(limit) = limit {
        query.push(format!("limit={limit}"));
    }
    let response = client
        .send(
            Method::GET,
            &format!("/api/changes?{}", query.join("&")),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

/// A client's copy: (kind, id) → the resource.
type Copy = HashMap<(String, String), Value>;

/// Applies one page to `copy`; returns the page's cursor and `more`.
fn apply(copy: &mut Copy, page: &Value) -> (String, bool) {
    let mut seen = vec![];
    for change in page["changes"].as_array().unwrap() {
        let key = (
            change["kind"].as_str().unwrap().to_owned(),
            change["id"].as_str().unwrap().to_owned(),
        );
        assert!(!seen.contains(&key), "a page names a resource once: {page}");
        seen.push(key.clone());
        if change["deleted"] == true {
            assert!(change["data"].is_null(), "{change}");
            copy.remove(&key);
        } else {
            let data = change["data"].clone();
            assert_eq!(data["id"], change["id"]);
            if let Some(old) = copy.get(&key) {
                assert!(
                    old["version"].as_i64() <= data["version"].as_i64(),
                    "never back in time: {old} then {data}"
                );
            }
            copy.insert(key, data);
        }
    }
    (
        page["cursor"].as_str().unwrap().to_owned(),
        page["more"].as_bool().unwrap(),
    )
}

/// Reads pages from `cursor` until one says no more follow.
async fn drain(
    client: &ApiClient<'_>,
    copy: &mut Copy,
    mut cursor: Option<String>,
    limit: u32,
) -> String {
    loop {
        let page = page(client, cursor.as_deref(), Some(limit)).await;
        let (next, more) = apply(copy, &page);
        cursor = Some(next);
        if !more {
            return cursor.unwrap();
        }
    }
}

/// The user's tasks, projects and labels as (kind, id) → version, from the database.
async fn truth(pool: &PgPool, email: &str) -> HashMap<(String, String), i64> {
    let rows: Vec<(String, Uuid, i64)> = sqlx::query_as(
        "SELECT 'task', t.id, t.version FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.email = $1
         UNION ALL SELECT 'project', p.id, p.version FROM projects p JOIN users u ON u.id = p.user_id WHERE u.email = $1
         UNION ALL SELECT 'label', l.id, l.version FROM labels l JOIN users u ON u.id = l.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(kind, id, version)| ((kind, id.to_string()), version))
        .collect()
}

fn versions(copy: &Copy) -> HashMap<(String, String), i64> {
    copy.iter()
        .map(|(key, data)| (key.clone(), data["version"].as_i64().unwrap()))
        .collect()
}

/// Polls the feed from `cursor` until the copy equals the database (a change the feed skipped
/// would never arrive, and this would time out). Changes become readable once every older
/// transaction of the cluster has ended: a moment, not at once.
async fn catch_up(
    client: &ApiClient<'_>,
    pool: &PgPool,
    email: &str,
    copy: &mut Copy,
    mut cursor: String,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        cursor = drain(client, copy, Some(cursor), 50).await;
        let want = truth(pool, email).await;
        if versions(copy) == want {
            return cursor;
        }
        assert!(
            Instant::now() < deadline,
            "the copy never caught up: {:?} against {want:?}",
            versions(copy)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test]
async fn a_full_sync_in_pages_then_each_change_once_in_its_latest_state(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let home = ada
        .send(Method::POST, "/api/projects", Some(json!({"name": "Home"})))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let mut tasks = vec![];
    for n in 0..5 {
        let project = if n < 2 {
            home["id"].clone()
        } else {
            Value::Null
        };
        tasks.push(
            ada.create(
                json!({"title": format!("t{n}"), "project_id": project, "labels": ["bills"]}),
            )
            .await,
        );
    }
    // Another user's data never shows.
    let bob = ApiClient::new(&app, "bob@example.com").await;
    bob.create(json!({"title": "bob's"})).await;

    // Changes become readable once every older transaction of the cluster has ended, and the
    // tests beside this one run theirs: wait until all seven are, so that the walk below meets
    // them all (else it ends early, at the horizon, and is not the walk in pages it means to be).
    let mut probe = Copy::new();
    let start = drain(&ada, &mut probe, None, 50).await;
    catch_up(&ada, &pool, "ada@example.com", &mut probe, start).await;

    // The full sync: 5 tasks, 1 project, 1 label, in pages of 2, each once.
    let mut copy = Copy::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = page(&ada, cursor.as_deref(), Some(2)).await;
        assert!(page["changes"].as_array().unwrap().len() <= 2);
        let (next, more) = apply(&mut copy, &page);
        pages += 1;
        cursor = Some(next);
        if !more {
            break;
        }
    }
    assert!(pages >= 4, "{pages} pages of at most 2 for 7 resources");
    let cursor = catch_up(&ada, &pool, "ada@example.com", &mut copy, cursor.unwrap()).await;
    assert_eq!(copy.len(), 7);
    let task = &copy[&(
        "task".to_owned(),
        tasks[4]["id"].as_str().unwrap().to_owned(),
    )];
    assert_eq!(task, &tasks[4], "data is the resource as the API shows it");

    // Nothing changed: an empty page, and the cursor stays usable.
    let quiet = page(&ada, Some(&cursor), None).await;
    assert_eq!(quiet["changes"], json!([]));
    assert_eq!(quiet["more"], false);

    // Changes: a toggle twice (one change, latest state), a label rename (its tasks change),
    // a task deleted, the project deleted with its two tasks.
    let t4 = tasks[4]["id"].as_str().unwrap();
    ada.send(Method::PATCH, &format!("/api/tasks/{t4}/toggle"), None)
        .await;
    ada.send(Method::PATCH, &format!("/api/tasks/{t4}/toggle"), None)
        .await;
    let (_, labels) = ada.get_json("/api/labels").await;
    let label = labels[0]["id"].as_str().unwrap().to_owned();
    ada.send(
        Method::PATCH,
        &format!("/api/labels/{label}"),
        Some(json!({"name": "Bills"})),
    )
    .await;
    let t3 = tasks[3]["id"].as_str().unwrap();
    ada.send(Method::DELETE, &format!("/api/tasks/{t3}"), None)
        .await;
    let home_id = home["id"].as_str().unwrap();
    ada.send(Method::DELETE, &format!("/api/projects/{home_id}"), None)
        .await;

    let mut changes: Vec<Value> = vec![];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut at = cursor.clone();
    while changes.len() < 7 {
        let page = page(&ada, Some(&at), None).await;
        changes.extend(page["changes"].as_array().unwrap().iter().cloned());
        at = page["cursor"].as_str().unwrap().to_owned();
        assert!(Instant::now() < deadline, "changes never came: {changes:?}");
    }
    let mut got: Vec<(String, String, bool)> = changes
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
                c["deleted"] == true,
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        ("label".to_owned(), label.clone(), false),
        ("project".to_owned(), home_id.to_owned(), true),
        (
            "task".to_owned(),
            tasks[0]["id"].as_str().unwrap().to_owned(),
            true,
        ),
        (
            "task".to_owned(),
            tasks[1]["id"].as_str().unwrap().to_owned(),
            true,
        ),
        (
            "task".to_owned(),
            tasks[2]["id"].as_str().unwrap().to_owned(),
            false,
        ),
        ("task".to_owned(), t3.to_owned(), true),
        ("task".to_owned(), t4.to_owned(), false),
    ];
    want.sort();
    assert_eq!(got, want, "each changed resource once");
    let t4_change = changes.iter().find(|c| c["id"] == t4).unwrap();
    assert_eq!(
        t4_change["data"]["completed"], false,
        "toggled twice: its latest state"
    );
    assert_eq!(t4_change["data"]["labels"], json!(["Bills"]));
    assert_eq!(t4_change["data"]["version"], 4);
    for change in &changes {
        apply(
            &mut copy,
            &json!({"changes": [change], "cursor": "", "more": false}),
        );
    }
    assert_eq!(versions(&copy), truth(&pool, "ada@example.com").await);
}

#[sqlx::test]
async fn a_full_sync_reports_deletions_made_while_it_runs_not_before(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let gone_before = ada.create(json!({"title": "deleted before"})).await;
    let first = ada.create(json!({"title": "first"})).await;
    let second = ada.create(json!({"title": "second"})).await;
    let id = |task: &Value| task["id"].as_str().unwrap().to_owned();
    ada.send(
        Method::DELETE,
        &format!("/api/tasks/{}", id(&gone_before)),
        None,
    )
    .await;
    // Wait until the feed can see all three (changes are readable a moment after they commit).
    let deadline = Instant::now() + Duration::from_secs(20);
    let one = loop {
        let full = page(&ada, None, None).await;
        if full["changes"].as_array().unwrap().len() == 2 {
            break page(&ada, None, Some(1)).await;
        }
        assert!(Instant::now() < deadline, "{full}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(one["more"], true);
    let mut copy = Copy::new();
    let (cursor, _) = apply(&mut copy, &one);
    // While the full sync runs, the task it already returned is deleted.
    let returned = one["changes"][0]["id"].as_str().unwrap().to_owned();
    ada.send(Method::DELETE, &format!("/api/tasks/{returned}"), None)
        .await;
    catch_up(&ada, &pool, "ada@example.com", &mut copy, cursor).await;
    let left: Vec<&String> = copy.keys().map(|(_, id)| id).collect();
    let other = if returned == id(&first) {
        id(&second)
    } else {
        id(&first)
    };
    assert_eq!(left, [&other]);
}

#[sqlx::test]
async fn cursors_belong_to_their_user_and_bad_queries_are_422(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let adas = page(&ada, None, None).await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for query in [
        format!("since={}", urlencode(&adas)),
        "since=garbage".to_owned(),
        "since=".to_owned(),
    ] {
        let response = bob
            .send(Method::GET, &format!("/api/changes?{query}"), None)
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), ["since"], "{query}");
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("sort=due", "sort"),
    ] {
        let response = ada
            .send(Method::GET, &format!("/api/changes?{query}"), None)
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
    let limit = page(&ada, None, Some(1000)).await;
    assert_eq!(limit["more"], false);
    let anonymous = app
        .client
        .get(app.url("/api/changes"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401).await;
}

#[sqlx::test]
async fn deletions_are_kept_30_days_then_older_cursors_are_410(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let old = page(&ada, None, None).await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = ada.create(json!({"title": "short-lived"})).await;
    let id = task["id"].as_str().unwrap();
    ada.send(Method::DELETE, &format!("/api/tasks/{id}"), None)
        .await;

    // 30 days on, the deletion is still reported.
    sqlx::query("UPDATE changes SET changed_at = now() - interval '30 days' WHERE deleted")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        taskdeck::db::changes::forget_old_deletions(&pool)
            .await
            .unwrap(),
        0
    );
    let mut copy = Copy::new();
    copy.insert(("task".into(), id.into()), task.clone());
    catch_up(&ada, &pool, "ada@example.com", &mut copy, old.clone()).await;
    assert!(copy.is_empty(), "the deletion arrived");

    // Past that it is forgotten, and a cursor that had not read it is too old.
    sqlx::query("UPDATE changes SET changed_at = now() - interval '32 days' WHERE deleted")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        taskdeck::db::changes::forget_old_deletions(&pool)
            .await
            .unwrap(),
        1
    );
    let response = ada
        .send(
            Method::GET,
            &format!("/api/changes?since={}", urlencode(&old)),
            None,
        )
        .await;
    let problem = assert_problem(response, 410).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("without `since`"),
        "{problem}"
    );
    // A full sync starts over.
    let fresh = page(&ada, None, None).await;
    assert_eq!(fresh["changes"], json!([]));
    let again = page(&ada, Some(fresh["cursor"].as_str().unwrap()), None).await;
    assert_eq!(again["changes"], json!([]));
}

#[sqlx::test]
async fn a_reader_polling_while_twenty_writers_run_never_skips_a_change(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let mut copy = Copy::new();
    let mut cursor = drain(&ada, &mut copy, None, 50).await;
    let done = std::sync::atomic::AtomicBool::new(false);

    let writers = join_all((0..20).map(|w| {
        let ada = &ada;
        async move {
            for n in 0..6 {
                let task = ada
                    .create(
                        json!({"title": format!("w{w} n{n}"), "labels": [format!("l{}", n % 3)]}),
                    )
                    .await;
                let id = task["id"].as_str().unwrap().to_owned();
                match n % 3 {
                    0 => {
                        ada.send(Method::PATCH, &format!("/api/tasks/{id}/toggle"), None)
                            .await;
                    }
                    1 => {
                        ada.send(Method::DELETE, &format!("/api/tasks/{id}"), None)
                            .await;
                    }
                    _ => {
                        ada.send(
                            Method::PATCH,
                            &format!("/api/tasks/{id}"),
                            Some(json!({"priority": 2})),
                        )
                        .await;
                    }
                }
            }
        }
    }));
    let reader = async {
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            cursor = drain(&ada, &mut copy, Some(cursor.clone()), 7).await;
            reads += 1;
        }
        reads
    };
    let (_, reads) = tokio::join!(
        async {
            writers.await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        },
        reader
    );
    assert!(
        reads > 1,
        "the reader polled while the writers ran ({reads} rounds)"
    );
    catch_up(&ada, &pool, "ada@example.com", &mut copy, cursor).await;
    assert_eq!(
        copy.len() as i64,
        row_count(&pool, "tasks").await + row_count(&pool, "labels").await
    );
}

#[sqlx::test]
async fn a_deleted_account_leaves_no_changes_behind(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    ada.create(json!({"title": "a", "labels": ["x"]})).await;
    assert!(row_count(&pool, "changes").await >= 2);
    let response = ada
        .send(
            Method::DELETE,
            "/api/auth/me",
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(row_count(&pool, "changes").await, 0);
}

/// The feed's statement, as `db::changes::read` sends it (checked against the source below).
const FEED_STATEMENT: &str = r#"SELECT kind, id, deleted, xid::text::bigint AS "xid!"
           FROM changes
           WHERE user_id = $1
             AND (xid, kind, id) > ($2::bigint::text::xid8, $3, $4)
             AND xid < $5::bigint::text::xid8
             AND (NOT deleted OR xid >= $6::bigint::text::xid8)
           ORDER BY xid, kind, id
           LIMIT $7"#;

#[sqlx::test]
async fn the_feed_walks_its_index_from_the_cursor(pool: PgPool) {
    assert!(
        include_str!("../../src/db/changes.rs").contains(FEED_STATEMENT),
        "FEED_STATEMENT is a copy of the statement in src/db/changes.rs"
    );
    // 40 users with 2,000 changes each.
    sqlx::raw_sql(
        "INSERT INTO users (id, email, password_hash)
         SELECT ('00000000-0000-0000-0000-' || lpad(u::text, 12, '0'))::uuid, 'u' || u || '@example.com', NULL
         FROM generate_series(1, 40) u;
         INSERT INTO changes (user_id, kind, id, xid, deleted)
         SELECT ('00000000-0000-0000-0000-' || lpad(u::text, 12, '0'))::uuid, 'task', gen_random_uuid(),
                (1000 + n)::text::xid8, n % 10 = 0
         FROM generate_series(1, 40) u, generate_series(1, 2000) n;
         ANALYZE changes;",
    )
    .execute(&pool)
    .await
    .unwrap();
    let explain = format!(
        "EXPLAIN {}",
        FEED_STATEMENT
            .replace("$1", "'00000000-0000-0000-0000-000000000007'::uuid")
            .replace("$2", "1500")
            .replace("$3", "''")
            .replace("$4", "'00000000-0000-0000-0000-000000000000'::uuid")
            .replace("$5", "2500")
            .replace("$6", "1000")
            .replace("$7", "501")
    );
    let plan: Vec<(String,)> = sqlx::query_as(&explain).fetch_all(&pool).await.unwrap();
    let plan: String = plan.into_iter().map(|(line,)| line + "\n").collect();
    assert!(
        plan.contains("Index Scan using changes_user_xid_idx"),
        "{plan}"
    );
    assert!(
        !plan.contains("Seq Scan") && !plan.contains("Sort"),
        "{plan}"
    );
}
