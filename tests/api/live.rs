//! The web app's side of sync (issue 15): the pages' event stream through the session, the
//! changes a page reads after its feed cursor, and browser writes made on a stale copy taking
//! the 412 path (from the page's script and from plain form posts).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use taskdeck::error::AppError;

use crate::browser::{app_error, location, post_from, script_call, sign_in};
use crate::events::{spawn, Stream};
use crate::helpers::{urlencode, ApiClient, TestApp};

/// The page's read of its changes after `since`.
async fn changes_after(app: &TestApp, cookie: &str, since: &str) -> reqwest::Response {
    let body = format!("since={}", urlencode(since));
    script_call(app, "/rpc/tasks/changes", &body, Some(cookie)).await
}

/// Reads changes from `since` until a read brings none, merging each into `copy` (id →
/// the task, or `Null` once deleted); returns the last read (its counts) and its cursor.
async fn catch_up(
    app: &TestApp,
    cookie: &str,
    since: &str,
    copy: &mut HashMap<String, Value>,
) -> (Value, String) {
    let mut cursor = since.to_owned();
    loop {
        let response = changes_after(app, cookie, &cursor).await;
        assert_eq!(response.status(), StatusCode::OK);
        let read: Value = response.json().await.unwrap();
        assert_eq!(read["reload"], false, "{read}");
        cursor = read["cursor"].as_str().unwrap().to_owned();
        let changes = read["changes"].as_array().unwrap();
        for change in changes {
            copy.insert(
                change["id"].as_str().unwrap().to_owned(),
                change["task"].clone(),
            );
        }
        if changes.is_empty() && read["more"] == false {
            return (read, cursor);
        }
    }
}

/// The tasks page's first load from its script: the list and its feed cursor.
async fn page(app: &TestApp, cookie: &str) -> Value {
    let response = script_call(app, "/rpc/tasks/list", "", Some(cookie)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test]
async fn the_pages_event_stream_lives_as_long_as_its_session(pool: PgPool) {
    let app = spawn(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let events = app.url("/events");

    let anonymous = app.client.get(&events).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = app
        .client
        .get(&events)
        .header(COOKIE, "taskdeck_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    let mut stream = Stream::from(app.client.get(&events).header(COOKIE, &cookie)).await;
    stream.settle().await;
    // A change made through the API reaches the page's stream within a second.
    ada.create(json!({"title": "from the API"})).await;
    stream.next_change(Duration::from_secs(1)).await;

    // Signing out ends the session, and the stream with it at its next keep-alive.
    let origin = app.origin();
    let referer = format!("{origin}/tasks");
    let out = post_from(&app, "/rpc/logout", &[], &origin, &referer, Some(&cookie)).await;
    assert!(out.status().is_redirection(), "{}", out.status());
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(frame) = stream
        .next(deadline.saturating_duration_since(Instant::now()))
        .await
    {
        assert!(
            Instant::now() < deadline,
            "the stream outlived its session: {frame:?}"
        );
    }
    let again = app
        .client
        .get(&events)
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn a_user_has_ten_page_streams_and_another_user_their_own(pool: PgPool) {
    let app = spawn(&pool).await;
    app.register("ada@example.com").await;
    app.register("bob@example.com").await;
    let ada = sign_in(&app, "ada@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    let events = app.url("/events");
    let mut open = vec![];
    for _ in 0..10 {
        open.push(Stream::from(app.client.get(&events).header(COOKIE, &ada)).await);
    }
    let eleventh = app
        .client
        .get(&events)
        .header(COOKIE, &ada)
        .send()
        .await
        .unwrap();
    assert_eq!(eleventh.status(), StatusCode::TOO_MANY_REQUESTS);
    Stream::from(app.client.get(&events).header(COOKIE, &bob)).await;
}

/// A page's feed cursor comes before everything its list did not see: a write still in flight
/// while the page is read (not in its list) arrives among its changes once committed.
#[sqlx::test]
async fn a_write_in_flight_while_the_page_is_read_comes_as_a_change(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "before"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&app, "ada@example.com").await;

    let mut writer = pool.begin().await.unwrap();
    sqlx::query("UPDATE tasks SET title = 'after', version = version + 1 WHERE id = $1::uuid")
        .bind(&id)
        .execute(&mut *writer)
        .await
        .unwrap();
    let loaded = page(&app, &cookie).await;
    assert_eq!(loaded["tasks"][0]["title"], "before", "not committed yet");
    writer.commit().await.unwrap();

    let mut copy = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while copy.is_empty() {
        catch_up(&app, &cookie, loaded["feed"].as_str().unwrap(), &mut copy).await;
        assert!(Instant::now() < deadline, "the write never came");
    }
    assert_eq!(copy[&id]["title"], "after");
    assert_eq!(copy[&id]["version"], 2);
}

#[sqlx::test]
async fn a_page_reads_each_change_after_its_cursor_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let kept = ada.create(json!({"title": "kept"})).await;
    let gone = ada.create(json!({"title": "gone"})).await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let first = page(&app, &cookie).await;
    let feed = first["feed"].as_str().unwrap();
    let mut copy = HashMap::new();
    catch_up(&app, &cookie, feed, &mut copy).await;
    assert!(copy.is_empty(), "nothing changed after the page: {copy:?}");

    let kept_id = kept["id"].as_str().unwrap();
    let gone_id = gone["id"].as_str().unwrap();
    let toggled = ada
        .send(Method::PATCH, &format!("/api/tasks/{kept_id}/toggle"), None)
        .await;
    assert_eq!(toggled.status(), StatusCode::OK);
    let deleted = ada
        .send(Method::DELETE, &format!("/api/tasks/{gone_id}"), None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let added = ada.create(json!({"title": "added"})).await;

    // Each change is readable once its transaction has ended; read until all three are in.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (read, cursor) = loop {
        let (read, cursor) = catch_up(&app, &cookie, feed, &mut copy).await;
        if copy.len() == 3 || Instant::now() > deadline {
            break (read, cursor);
        }
        copy.clear();
    };
    assert_eq!(copy.len(), 3, "{copy:?}");
    assert_eq!(copy[kept_id]["completed"], true);
    assert_eq!(copy[kept_id]["version"], 2);
    assert_eq!(copy[gone_id], Value::Null, "a deletion");
    assert_eq!(copy[added["id"].as_str().unwrap()]["title"], "added");
    assert_eq!(
        (&read["active"], &read["completed"]),
        (&json!(1), &json!(1))
    );
    // From the cursor it returned, nothing again.
    let mut again = HashMap::new();
    catch_up(&app, &cookie, &cursor, &mut again).await;
    assert!(again.is_empty(), "{again:?}");

    // A cursor is its user's: bob's page cannot read from ada's, nor from a made-up one.
    app.register("bob@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    for since in [feed, "1_1_-_-_nope", ""] {
        let error = app_error(
            changes_after(&app, &bob, since).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(error.field("since").is_some(), "{since:?}: {error:?}");
    }
    let anonymous = changes_after(&app, "taskdeck_session=none", feed).await;
    assert_eq!(
        app_error(anonymous, StatusCode::UNAUTHORIZED).await,
        AppError::Unauthorized
    );
}

/// A page loaded while others write, then caught up from its feed cursor, ends up with exactly
/// what the database holds: the cursor never passes a change the list did not see.
#[sqlx::test]
async fn a_page_loaded_during_writes_catches_up_to_the_database(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let mut ids = vec![];
    for i in 0..4 {
        let task = ada.create(json!({"title": format!("task {i}")})).await;
        ids.push(task["id"].as_str().unwrap().to_owned());
    }
    let cookie = sign_in(&app, "ada@example.com").await;
    for _ in 0..8 {
        let writers = ids.iter().map(|id| {
            let ada = &ada;
            async move {
                for _ in 0..8 {
                    let path = format!("/api/tasks/{id}/toggle");
                    let toggled = ada.send(Method::PATCH, &path, None).await;
                    assert_eq!(toggled.status(), StatusCode::OK);
                }
            }
        });
        let load = async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            page(&app, &cookie).await
        };
        let (_, loaded) = tokio::join!(futures_util::future::join_all(writers), load);
        let mut copy: HashMap<String, Value> = loaded["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|task| (task["id"].as_str().unwrap().to_owned(), task.clone()))
            .collect();
        // Every writer has finished: once the feed has passed them, the copy is the database.
        let feed = loaded["feed"].as_str().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut caught_up = copy.clone();
            catch_up(&app, &cookie, feed, &mut caught_up).await;
            let stored: Vec<(uuid::Uuid, i64, bool)> =
                sqlx::query_as("SELECT id, version, completed FROM tasks")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            let same = stored.iter().all(|(id, version, completed)| {
                let task = &caught_up[&id.to_string()];
                task["version"] == *version && task["completed"] == *completed
            });
            if same {
                copy = caught_up;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the page's copy never became the database's: {caught_up:?} vs {stored:?}"
            );
        }
        assert_eq!(copy.len(), ids.len());
    }
}

/// A toggle, edit or delete from the page names the version it saw; when the task has moved on,
/// nothing changes and the answer is a 412 carrying the task as it now is.
#[sqlx::test]
async fn writes_from_a_stale_page_change_nothing_and_bring_the_task_as_it_is(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "shared"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["version"], 1);
    let cookie = sign_in(&app, "ada@example.com").await;
    // The page's script calling `path` with `body`, as ada.
    let (page_app, page_cookie) = (&app, cookie.as_str());
    let call = move |path: &'static str, body: String| async move {
        script_call(page_app, path, &body, Some(page_cookie)).await
    };
    // Someone else's edit, after the page read version 1.
    let theirs = ada
        .send(
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            Some(json!({"title": "theirs"})),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::OK);

    for (path, body) in [
        ("/rpc/tasks/toggle", format!("id={id}&version=1")),
        (
            "/rpc/tasks/update",
            format!("id={id}&title=mine&description=&version=1"),
        ),
        ("/rpc/tasks/delete", format!("id={id}&version=1")),
    ] {
        let response = call(path, body.clone()).await;
        match app_error(response, StatusCode::PRECONDITION_FAILED).await {
            AppError::Stale(Some(current)) => {
                assert_eq!(current.title, "theirs", "{path}");
                assert_eq!(current.version, 2, "{path}");
                assert!(!current.completed, "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    let stored: (String, bool, i64) = sqlx::query_as("SELECT title, completed, version FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, ("theirs".to_owned(), false, 2), "nothing changed");

    // With the version it now has, each goes through, and the next needs the next version.
    let response = call("/rpc/tasks/toggle", format!("id={id}&version=2")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let toggled: Value = response.json().await.unwrap();
    assert_eq!(
        (&toggled["completed"], &toggled["version"]),
        (&json!(true), &json!(3))
    );
    let response = call(
        "/rpc/tasks/update",
        format!("id={id}&title=mine&description=&version=3"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = call("/rpc/tasks/delete", format!("id={id}&version=4")).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Gone is gone, whatever version is named.
    let response = call("/rpc/tasks/toggle", format!("id={id}&version=4")).await;
    assert_eq!(
        app_error(response, StatusCode::NOT_FOUND).await,
        AppError::NotFound
    );
    // Another user's task, with its right version, is a missing one.
    let other = ada.create(json!({"title": "ada's"})).await;
    app.register("bob@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    let body = format!("id={}&version=1", other["id"].as_str().unwrap());
    let response = script_call(&app, "/rpc/tasks/toggle", &body, Some(&bob)).await;
    assert_eq!(
        app_error(response, StatusCode::NOT_FOUND).await,
        AppError::NotFound
    );
}

/// Without JavaScript a stale toggle or edit lands back on its page, which shows the task as it
/// now is and says why nothing changed.
#[sqlx::test]
async fn a_stale_form_post_comes_back_to_the_latest_version_with_the_message(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "shared"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&app, "ada@example.com").await;
    let theirs = ada
        .send(
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            Some(json!({"title": "theirs"})),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::OK);
    let message = "This task was changed elsewhere, so your change was not made.";

    let origin = app.origin();
    let response = post_from(
        &app,
        "/rpc/tasks/toggle",
        &[("id", &id), ("version", "1")],
        &origin,
        &format!("{origin}/tasks"),
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response).replace(&app.origin(), "");
    assert!(back.contains("__err="), "{back}");
    let html = crate::browser::get_with_cookie(&app, &back, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(message), "{html}");
    assert!(html.contains("theirs"), "{html}");
    assert!(html.contains("1 task left"), "not toggled: {html}");

    // The edit form, posted from its page, comes back to it with the latest title in the field.
    let referer = format!("{origin}/tasks?edit={id}");
    let response = post_from(
        &app,
        "/rpc/tasks/update",
        &[
            ("id", &id),
            ("title", "mine"),
            ("description", ""),
            ("version", "1"),
            ("back", "/tasks"),
        ],
        &origin,
        &referer,
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response).replace(&app.origin(), "");
    assert!(back.starts_with(&format!("/tasks?edit={id}")), "{back}");
    let html = crate::browser::get_with_cookie(&app, &back, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(message), "{html}");
    assert!(html.contains(r#"value="theirs""#), "{html}");
    assert!(html.contains(r#"name="version" value="2""#), "{html}");
    let title: String = sqlx::query_scalar("SELECT title FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, "theirs");
}
