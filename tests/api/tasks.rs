//! API.md, Tasks and Listing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_problem, error_fields, row_count, ApiClient, TestApp, NOT_UTF8_JSON};

/// Follows `next` links from `first`, returning every page's titles.
async fn walk(client: &ApiClient<'_>, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next.take() {
        let response = client.send(Method::GET, &path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(r#">; rel="next""#), "{link}");
            link_target(link)
        });
        let page: Vec<Value> = response.json().await.unwrap();
        assert!(!page.is_empty(), "no walk ends on an empty page");
        pages.push(page_titles(&page));
    }
    pages
}

/// The path of a `Link: <path>; rel="next"` header.
fn link_target(link: &str) -> String {
    link.trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned()
}

/// The titles of a page of tasks, in order.
fn page_titles(page: &[Value]) -> Vec<String> {
    page.iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

fn at(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn id(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

#[sqlx::test]
async fn create_returns_201_with_location_and_the_task(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let response = ada
        .send(
            Method::POST,
            "/api/tasks",
            Some(json!({
                "title": "  Buy milk  ", "description": "   ",
                // Members a client may not set are ignored.
                "id": "00000000-0000-0000-0000-000000000000", "user_id": "x", "created_at": 5
            })),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let task: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/tasks/{}", id(&task)));
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["description"], Value::Null, "blank is stored as null");
    assert_eq!(task["completed"], false);
    assert_ne!(task["id"], "00000000-0000-0000-0000-000000000000");
    // RFC 3339, UTC, six fractional digits: 2026-11-26T15:46:00.123456Z
    let created = task["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 27, "{created}");
    assert!(
        created.ends_with('Z') && created.as_bytes()[19] == b'.',
        "{created}"
    );
    let mut keys: Vec<&String> = task.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "completed",
            "completed_at",
            "created_at",
            "description",
            "due_date",
            "due_time",
            "id",
            "labels",
            "priority",
            "project_id",
            "title",
            "updated_at",
            "user_id",
            "version"
        ]
    );
    let (status, fetched) = ada.get_json(&location).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, task);
}

#[sqlx::test]
async fn put_replaces_everything_and_patch_only_what_it_names(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada
        .create(json!({"title": "Write report", "description": "draft", "completed": true}))
        .await;
    let path = format!("/api/tasks/{}", id(&task));

    // PATCH: only the title changes.
    let response = ada
        .send(
            Method::PATCH,
            &path,
            Some(json!({"title": "Write the report"})),
        )
        .await;
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["title"], "Write the report");
    assert_eq!(patched["description"], "draft");
    assert_eq!(patched["completed"], true);
    assert_eq!(patched["created_at"], task["created_at"]);
    assert!(
        patched["updated_at"].as_str() > task["updated_at"].as_str(),
        "updated_at moves"
    );

    // PATCH with "description": null clears it.
    let response = ada
        .send(Method::PATCH, &path, Some(json!({"description": null})))
        .await;
    let cleared: Value = response.json().await.unwrap();
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["title"], "Write the report");

    // PUT: a missing description becomes null and a missing completed becomes false.
    ada.send(Method::PATCH, &path, Some(json!({"description": "again"})))
        .await;
    let response = ada
        .send(Method::PUT, &path, Some(json!({"title": "Replaced"})))
        .await;
    assert_eq!(response.status(), 200);
    let replaced: Value = response.json().await.unwrap();
    assert_eq!(replaced["title"], "Replaced");
    assert_eq!(replaced["description"], Value::Null);
    assert_eq!(replaced["completed"], false);
    assert_eq!(
        replaced["created_at"], task["created_at"],
        "created_at never changes"
    );
    assert!(at(&replaced["updated_at"]) > at(&cleared["updated_at"]));

    // PUT without a title is a 422, and changes nothing.
    let response = ada
        .send(Method::PUT, &path, Some(json!({"completed": true})))
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["field"], "title");
    assert_eq!(ada.get_json(&path).await.1, replaced);
}

/// `null` means "no value": a description may have none, a title and a state may not. A PATCH
/// naming either with `null` is refused, and the task stays as it was.
#[sqlx::test]
async fn patch_refuses_null_for_title_and_completed_but_clears_a_description(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada
        .create(json!({"title": "Keep me", "description": "as I am", "completed": true}))
        .await;
    let path = format!("/api/tasks/{}", id(&task));
    for (body, field) in [
        (json!({"title": null}), "title"),
        (json!({"completed": null}), "completed"),
    ] {
        let response = ada.send(Method::PATCH, &path, Some(body.clone())).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), [field], "{body}");
        assert_eq!(
            ada.get_json(&path).await,
            (StatusCode::OK, task.clone()),
            "{body}"
        );
    }
    let response = ada
        .send(Method::PATCH, &path, Some(json!({"description": null})))
        .await;
    assert_eq!(response.status(), 200);
    let cleared: Value = response.json().await.unwrap();
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(ada.get_json(&path).await.1["description"], Value::Null);
}

#[sqlx::test]
async fn titles_and_descriptions_are_bounded_in_code_points(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for ok in ["a".repeat(255), "😀".repeat(255)] {
        let task = ada.create(json!({"title": ok})).await;
        assert_eq!(task["title"].as_str().unwrap().chars().count(), 255);
    }
    let cases = [
        (json!({"title": "a".repeat(256)}), vec!["title"]),
        (json!({"title": "😀".repeat(256)}), vec!["title"]),
        (json!({"title": "   "}), vec!["title"]),
        (json!({"title": "nul\u{0}here"}), vec!["title"]),
        (
            json!({"title": "ok", "description": "é".repeat(10_001)}),
            vec!["description"],
        ),
        (
            json!({"title": "", "description": "x\u{0}"}),
            vec!["title", "description"],
        ),
        (json!({"title": 5}), vec!["title"]),
        (
            json!({"title": "ok", "completed": "true"}),
            vec!["completed"],
        ),
        (json!({"title": "ok", "completed": 1}), vec!["completed"]),
    ];
    for (body, fields) in cases {
        let response = ada
            .send(Method::POST, "/api/tasks", Some(body.clone()))
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let task = ada
        .create(json!({"title": "ok", "description": "é".repeat(10_000)}))
        .await;
    assert_eq!(
        task["description"].as_str().unwrap().chars().count(),
        10_000
    );
}

/// Every wrong field of a body is reported at once, in the order of the task's fields, and
/// nothing is created.
#[sqlx::test]
async fn every_wrong_field_of_a_new_task_is_reported_and_nothing_is_created(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let body = json!({"title": "", "description": 5, "completed": "yes"});
    let response = ada.send(Method::POST, "/api/tasks", Some(body)).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(
        error_fields(&problem),
        ["title", "description", "completed"]
    );
    assert_eq!(ada.get_json("/api/tasks").await.1, json!([]));
}

/// A body that is not UTF-8 is not JSON at all: 400, not a 422 naming the title.
#[sqlx::test]
async fn a_task_body_that_is_not_utf8_is_400(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let response = app
        .post_json_bytes("/api/tasks", NOT_UTF8_JSON, Some(&ada.token))
        .await;
    assert_problem(response, 400).await;
    assert_eq!(ada.get_json("/api/tasks").await.1, json!([]));
}

#[sqlx::test]
async fn another_users_task_is_a_404_on_every_method_and_stays_unchanged(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let task = ada
        .create(json!({"title": "Ada's", "description": "private"}))
        .await;
    let path = format!("/api/tasks/{}", id(&task));
    let attempts = [
        (Method::GET, path.clone(), None),
        (
            Method::PUT,
            path.clone(),
            Some(json!({"title": "Bob's now"})),
        ),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"completed": true})),
        ),
        (Method::PATCH, format!("{path}/toggle"), None),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, target, body) in attempts {
        let response = bob.send(method.clone(), &target, body).await;
        let problem = assert_problem(response, 404).await;
        assert_eq!(problem["detail"], "task not found", "{method} {target}");
    }
    // Exactly what a task that does not exist gets.
    let missing = bob
        .send(
            Method::GET,
            &format!("/api/tasks/{}", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    let missing = assert_problem(missing, 404).await;
    let forbidden = assert_problem(bob.send(Method::GET, &path, None).await, 404).await;
    assert_eq!(missing, forbidden);
    // Bob's list does not show it; Ada's task is untouched.
    assert_eq!(bob.get_json("/api/tasks").await.1, json!([]));
    assert_eq!(ada.get_json(&path).await.1, task);
}

#[sqlx::test]
async fn ids_that_are_not_uuids_are_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for path in [
        "/api/tasks/42",
        "/api/tasks/not-a-uuid",
        "/api/tasks/42/toggle",
    ] {
        let method = if path.ends_with("toggle") {
            Method::PATCH
        } else {
            Method::GET
        };
        assert_problem(ada.send(method, path, None).await, 404).await;
    }
}

#[sqlx::test]
async fn tasks_need_a_bearer_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (method, path) in [(Method::GET, "/api/tasks"), (Method::POST, "/api/tasks")] {
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_problem(response, 401).await;
    }
}

#[sqlx::test]
async fn unsupported_methods_are_405_with_a_complete_allow(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "x"})).await;
    let cases = [
        (
            Method::DELETE,
            "/api/tasks".to_owned(),
            vec!["GET", "HEAD", "POST"],
        ),
        (
            Method::POST,
            format!("/api/tasks/{}", id(&task)),
            vec!["DELETE", "GET", "HEAD", "PATCH", "PUT"],
        ),
        (
            Method::GET,
            format!("/api/tasks/{}/toggle", id(&task)),
            vec!["PATCH"],
        ),
    ];
    for (method, path, expected) in cases {
        let response = ada.send(method.clone(), &path, None).await;
        let mut allow: Vec<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .collect();
        allow.sort();
        assert_eq!(allow, expected, "{method} {path}");
        assert_problem(response, 405).await;
    }
}

#[sqlx::test]
async fn twenty_concurrent_toggles_lose_no_update(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "flip"})).await;
    let url = app.url(&format!("/api/tasks/{}/toggle", id(&task)));
    let toggles: Vec<_> = (0..20)
        .map(|_| tokio::spawn(app.client.patch(&url).bearer_auth(&ada.token).send()))
        .collect();
    for toggle in toggles {
        assert_eq!(toggle.await.unwrap().unwrap().status(), 200);
    }
    let (_, after) = ada.get_json(&format!("/api/tasks/{}", id(&task))).await;
    assert_eq!(
        after["completed"], false,
        "an even number of toggles leaves it as it was"
    );
}

#[sqlx::test]
async fn fifty_concurrent_creates_all_succeed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let url = app.url("/api/tasks");
    let creates: Vec<_> = (0..50)
        .map(|i| {
            let request = app
                .client
                .post(&url)
                .bearer_auth(&ada.token)
                .json(&json!({"title": format!("task {i}")}));
            tokio::spawn(request.send())
        })
        .collect();
    for create in creates {
        assert_eq!(create.await.unwrap().unwrap().status(), 201);
    }
    let (_, all) = ada.get_json("/api/tasks?limit=500").await;
    assert_eq!(all.as_array().unwrap().len(), 50);
}

#[sqlx::test]
async fn a_page_walk_returns_every_task_once_newest_first(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for i in 0..25 {
        ada.create(json!({"title": format!("task {i:02}")})).await;
    }
    let pages = walk(&ada, "/api/tasks?limit=7").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [7, 7, 7, 4]);
    let titles: Vec<String> = pages.concat();
    let expected: Vec<String> = (0..25).rev().map(|i| format!("task {i:02}")).collect();
    assert_eq!(titles, expected);
    // 14 tasks exactly fill two pages: the second has no next link, so no walk ends empty.
    let bob = ApiClient::new(&app, "bob@example.com").await;
    for i in 0..14 {
        bob.create(json!({"title": format!("b{i}")})).await;
    }
    assert_eq!(walk(&bob, "/api/tasks?limit=7").await.len(), 2);
}

#[sqlx::test]
async fn a_page_walk_is_stable_while_tasks_come_and_go(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let mut tasks = Vec::new();
    for i in 0..25 {
        tasks.push(ada.create(json!({"title": format!("task {i:02}")})).await);
    }
    let first = ada.send(Method::GET, "/api/tasks?limit=7", None).await;
    let next = first.headers()["link"].to_str().unwrap().to_owned();
    let first: Vec<Value> = first.json().await.unwrap();
    // During the walk: a new task arrives, and one not yet seen (task 05) is deleted.
    ada.create(json!({"title": "late arrival"})).await;
    let deleted = &tasks[5];
    let response = ada
        .send(Method::DELETE, &format!("/api/tasks/{}", id(deleted)), None)
        .await;
    assert_eq!(response.status(), 204);
    let rest: Vec<String> = walk(&ada, &link_target(&next)).await.concat();
    let mut seen: Vec<String> = page_titles(&first);
    seen.extend(rest);
    let expected: Vec<String> = (0..25)
        .rev()
        .filter(|i| *i != 5)
        .map(|i| format!("task {i:02}"))
        .collect();
    assert_eq!(
        seen, expected,
        "each remaining task once; the late one is not part of the walk"
    );
}

#[sqlx::test]
async fn listing_filters_by_state_and_by_literal_text(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    ada.create(json!({"title": "Buy MILK", "completed": true}))
        .await;
    ada.create(json!({"title": "Call Bob", "description": "about the milkman"}))
        .await;
    ada.create(json!({"title": "50% off_sale \\o/"})).await;
    ada.create(json!({"title": "500 offers"})).await;
    let titles = |body: Value| page_titles(body.as_array().unwrap());
    assert_eq!(
        titles(ada.get_json("/api/tasks?completed=true").await.1),
        ["Buy MILK"]
    );
    assert_eq!(
        ada.get_json("/api/tasks?completed=false")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        titles(ada.get_json("/api/tasks?q=milk").await.1),
        ["Call Bob", "Buy MILK"],
        "title or description, any case"
    );
    assert_eq!(
        titles(ada.get_json("/api/tasks?q=milk&completed=false").await.1),
        ["Call Bob"]
    );
    // %, _ and \ are literal characters.
    assert_eq!(
        titles(ada.get_json("/api/tasks?q=50%25").await.1),
        ["50% off_sale \\o/"]
    );
    assert_eq!(
        titles(ada.get_json("/api/tasks?q=f_s").await.1),
        ["50% off_sale \\o/"]
    );
    assert_eq!(
        titles(ada.get_json("/api/tasks?q=%5Co").await.1),
        ["50% off_sale \\o/"]
    );
}

#[sqlx::test]
async fn bad_listing_parameters_are_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    for i in 0..3 {
        bob.create(json!({"title": format!("b{i}")})).await;
    }
    let bobs_cursor = bob.next_cursor("/api/tasks?limit=1").await;
    let cases = [
        ("completed=yes", "completed"),
        ("completed=TRUE", "completed"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=1&limit=2", "limit"),
        ("cursor=garbage", "cursor"),
        ("q=a%00b", "q"),
    ];
    for (query, field) in cases {
        let response = ada
            .send(Method::GET, &format!("/api/tasks?{query}"), None)
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
    // A cursor made for Bob is useless to Ada.
    let response = ada
        .send(
            Method::GET,
            &format!("/api/tasks?cursor={bobs_cursor}"),
            None,
        )
        .await;
    assert_problem(response, 422).await;
    // Limits at the bounds are fine, and unknown parameters are ignored.
    for query in ["limit=1", "limit=500", "page=3&order=title"] {
        assert_eq!(
            ada.send(Method::GET, &format!("/api/tasks?{query}"), None)
                .await
                .status(),
            200
        );
    }
}

/// API.md: "A token of the server's own issuer whose sub is unknown (a deleted user) is a 401",
/// on every tasks endpoint, even though the Bearer extractor no longer looks the user up first.
#[sqlx::test]
async fn a_deleted_users_token_is_refused_by_every_tasks_endpoint(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "soon gone"})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    sqlx::query("DELETE FROM users")
        .execute(&pool)
        .await
        .unwrap();
    let body = json!({"title": "x"});
    let requests = [
        (Method::GET, "/api/tasks".to_owned(), None),
        (Method::POST, "/api/tasks".to_owned(), Some(body.clone())),
        (Method::GET, path.clone(), None),
        (Method::PUT, path.clone(), Some(body.clone())),
        (Method::PATCH, path.clone(), Some(body)),
        (Method::PATCH, format!("{path}/toggle"), None),
        (Method::DELETE, path.clone(), None),
        (Method::GET, "/api/tasks/not-a-uuid".to_owned(), None),
    ];
    for (method, path, body) in requests {
        let response = ada.send(method.clone(), &path, body).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer error="invalid_token""#,
            "{method} {path}"
        );
        assert_problem(response, 401).await;
    }
    assert_eq!(row_count(&pool, "tasks").await, 0);
}

/// Issue: "one round trip to the database per request on the common paths". Every request below
/// sends exactly one statement; the proxy counts them on the wire.
#[sqlx::test]
async fn each_common_request_is_one_statement(pool: PgPool) {
    let (app, proxy) = TestApp::spawn_counting_statements(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let first = ada.create(json!({"title": "first"})).await;
    let path = format!("/api/tasks/{}", first["id"].as_str().unwrap());
    let requests = [
        (Method::GET, "/api/tasks".to_owned(), None, 200),
        (
            Method::GET,
            "/api/tasks?completed=false&q=fir&limit=1".to_owned(),
            None,
            200,
        ),
        (
            Method::POST,
            "/api/tasks".to_owned(),
            Some(json!({"title": "second"})),
            201,
        ),
        (Method::GET, path.clone(), None, 200),
        (
            Method::PUT,
            path.clone(),
            Some(json!({"title": "first!"})),
            200,
        ),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"completed": true})),
            200,
        ),
        (Method::PATCH, format!("{path}/toggle"), None, 200),
        (Method::DELETE, path.clone(), None, 204),
    ];
    for (method, path, body, status) in requests {
        let before = proxy.statements();
        let response = ada.send(method.clone(), &path, body).await;
        assert_eq!(response.status(), status, "{method} {path}");
        assert_eq!(proxy.statements() - before, 1, "{method} {path}");
    }
}

/// A generated client passes back only the `cursor` of a `next` link: that must not silently
/// list another listing's tasks. The cursor is bound to its page's filters; with other filters
/// (or none) it is a 422 naming `cursor` and what it was made for.
#[sqlx::test]
async fn a_cursor_is_bound_to_the_filters_it_was_made_with(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for (title, completed) in [
        ("a", true),
        ("b", false),
        ("c", true),
        ("d", false),
        ("e", false),
    ] {
        ada.create(json!({"title": title, "completed": completed}))
            .await;
    }
    let cursor = ada.next_cursor("/api/tasks?completed=false&limit=1").await;

    // The cursor alone: refused, naming the filter it was made with.
    let response = ada
        .send(Method::GET, &format!("/api/tasks?cursor={cursor}"), None)
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(error_fields(&problem), ["cursor"]);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("completed=false"), "{message}");

    // With other filters: refused too.
    for other in ["completed=true", "completed=false&q=b"] {
        let path = format!("/api/tasks?{other}&cursor={cursor}");
        let problem = assert_problem(ada.send(Method::GET, &path, None).await, 422).await;
        assert_eq!(error_fields(&problem), ["cursor"], "{path}");
    }

    // With its own filters (any page size): the rest of that listing, and only that.
    let (status, page) = ada
        .get_json(&format!(
            "/api/tasks?completed=false&limit=10&cursor={cursor}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_titles(page.as_array().unwrap()), ["d", "b"]);

    // The next link itself carries the filters, so following it works as before.
    assert_eq!(
        walk(&ada, "/api/tasks?completed=false&limit=1").await,
        [["e"], ["d"], ["b"]]
    );
}
