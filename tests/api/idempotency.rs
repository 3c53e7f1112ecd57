//! API-sync.md, Safe retries: `Idempotency-Key` on every `POST` outside `/api/auth` and on the
//! toggle. A repeat gets the first 2xx answer again and changes nothing; another request with
//! the key is a 422; a key whose request is still running is a 409; exactly one of many
//! concurrent identical requests takes effect, across server processes too.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::helpers::{assert_problem, join_all, row_count, ApiClient, TestApp};

async fn send(
    client: &ApiClient<'_>,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut request = client
        .app
        .client
        .request(method, client.app.url(path))
        .bearer_auth(&client.token);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

/// Status, the headers a replay must repeat, whether it says it is one, and the body.
async fn answer(response: Response) -> (u16, Option<String>, Option<String>, bool, Value) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (location, etag) = (header("location"), header("etag"));
    let replayed = match header("idempotent-replayed").as_deref() {
        None => false,
        Some("true") => true,
        Some(other) => panic!("Idempotent-Replayed: {other}"),
    };
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, location, etag, replayed, body)
}

async fn task_count(pool: &PgPool) -> i64 {
    row_count(pool, "tasks").await
}

#[sqlx::test]
async fn a_repeated_create_gets_the_first_answer_and_creates_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let body = json!({"title": "Pay rent", "priority": 3});

    let first = answer(
        send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some("k-1"),
            Some(body.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(first.0, 201);
    assert!(!first.3, "the first answer is not a replay");
    assert!(first
        .1
        .as_deref()
        .is_some_and(|l| l.starts_with("/api/tasks/")));
    assert_eq!(first.2.as_deref(), Some("\"1\""));

    // The quoted (structured-field) form names the same key.
    for key in ["k-1", "\"k-1\""] {
        let again = send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some(key),
            Some(body.clone()),
        )
        .await;
        assert_eq!(again.headers()["content-type"], "application/json");
        assert_eq!(again.headers()["cache-control"], "no-store");
        let again = answer(again).await;
        assert_eq!(again.0, first.0);
        assert_eq!(again.1, first.1, "Location");
        assert_eq!(again.2, first.2, "ETag");
        assert!(again.3, "Idempotent-Replayed: true");
        assert_eq!(again.4, first.4, "the same body");
    }
    assert_eq!(task_count(&pool).await, 1);

    // Without a key, or with another one, a POST is a new request.
    send(&ada, Method::POST, "/api/tasks", None, Some(body.clone())).await;
    send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("k-2"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(task_count(&pool).await, 3);

    // Keys belong to their user: bob's k-1 is his own first request.
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let bobs = answer(send(&bob, Method::POST, "/api/tasks", Some("k-1"), Some(body)).await).await;
    assert_eq!(bobs.0, 201);
    assert!(!bobs.3);
    assert_ne!(bobs.4["id"], first.4["id"]);
    assert_eq!(task_count(&pool).await, 4);
}

#[sqlx::test]
async fn the_same_key_for_another_request_is_a_422(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let created = answer(
        send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some("k"),
            Some(json!({"title": "a"})),
        )
        .await,
    )
    .await;
    let id = created.4["id"].as_str().unwrap().to_owned();

    // Another body, another path, another method.
    let other_body = send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("k"),
        Some(json!({"title": "b"})),
    )
    .await;
    let problem = assert_problem(other_body, 422).await;
    assert_eq!(crate::helpers::error_fields(&problem), ["Idempotency-Key"]);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    let other_path = send(
        &ada,
        Method::POST,
        "/api/projects",
        Some("k"),
        Some(json!({"title": "a"})),
    )
    .await;
    assert_problem(other_path, 422).await;
    let other_method = send(
        &ada,
        Method::PATCH,
        &format!("/api/tasks/{id}/toggle"),
        Some("k"),
        None,
    )
    .await;
    assert_problem(other_method, 422).await;

    assert_eq!(task_count(&pool).await, 1);
    assert_eq!(row_count(&pool, "projects").await, 0);
    let (_, task) = ada.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(task["completed"], false, "the toggle did not run");
}

#[sqlx::test]
async fn an_answer_that_is_not_2xx_is_not_kept(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let invalid = send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("k"),
        Some(json!({"title": ""})),
    )
    .await;
    assert_problem(invalid, 422).await;
    assert_eq!(row_count(&pool, "idempotency_keys").await, 0);

    // The key is free again: the corrected request runs (not a 422 for another body).
    let fixed = answer(
        send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some("k"),
            Some(json!({"title": "ok"})),
        )
        .await,
    )
    .await;
    assert_eq!(fixed.0, 201);
    assert!(!fixed.3);

    // A 404 (a missing task's toggle) frees its key as well.
    let missing = format!("/api/tasks/{}/toggle", uuid::Uuid::now_v7());
    let gone = send(&ada, Method::PATCH, &missing, Some("k-404"), None).await;
    assert_problem(gone, 404).await;
    assert_eq!(row_count(&pool, "idempotency_keys").await, 1);
}

#[sqlx::test]
async fn toggle_move_projects_labels_and_tokens_are_replayed(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let a = ada.create(json!({"title": "a"})).await;
    let b = ada.create(json!({"title": "b"})).await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let toggle = format!("/api/tasks/{a_id}/toggle");
    let first = answer(send(&ada, Method::PATCH, &toggle, Some("t"), None).await).await;
    let again = answer(send(&ada, Method::PATCH, &toggle, Some("t"), None).await).await;
    assert_eq!(
        (first.0, first.3, again.0, again.3),
        (200, false, 200, true)
    );
    assert_eq!(again.4, first.4);
    assert_eq!(again.2, first.2, "ETag");
    let (_, now) = ada.get_json(&format!("/api/tasks/{a_id}")).await;
    assert_eq!(now["completed"], true, "toggled once, not twice");
    assert_eq!(now["version"], 2);

    let move_path = format!("/api/tasks/{a_id}/move");
    let body = json!({"after": b_id});
    let first = answer(
        send(
            &ada,
            Method::POST,
            &move_path,
            Some("m"),
            Some(body.clone()),
        )
        .await,
    )
    .await;
    let again = answer(send(&ada, Method::POST, &move_path, Some("m"), Some(body)).await).await;
    assert_eq!((first.0, again.0, again.3), (200, 200, true));
    assert_eq!(again.4, first.4);
    let (_, now) = ada.get_json(&format!("/api/tasks/{a_id}")).await;
    assert_eq!(now["version"], 3, "moved once");

    for (path, key) in [("/api/projects", "p"), ("/api/labels", "l")] {
        let body = json!({"name": "Home"});
        let first =
            answer(send(&ada, Method::POST, path, Some(key), Some(body.clone())).await).await;
        let again = answer(send(&ada, Method::POST, path, Some(key), Some(body)).await).await;
        assert_eq!((first.0, again.0, again.3), (201, 201, true), "{path}");
        assert_eq!(again.1, first.1, "{path} Location");
        assert_eq!(again.4, first.4, "{path}");
    }
    assert_eq!(row_count(&pool, "projects").await, 1);
    assert_eq!(row_count(&pool, "labels").await, 1);

    // A token's secret is replayed too, but never stored in the clear.
    let body = json!({"name": "script", "scopes": ["tasks:read"]});
    let first = answer(
        send(
            &ada,
            Method::POST,
            "/api/tokens",
            Some("tok"),
            Some(body.clone()),
        )
        .await,
    )
    .await;
    let again =
        answer(send(&ada, Method::POST, "/api/tokens", Some("tok"), Some(body)).await).await;
    assert_eq!((first.0, again.0, again.3), (201, 201, true));
    let secret = first.4["token"].as_str().unwrap().to_owned();
    assert_eq!(again.4["token"], secret.as_str());
    assert_eq!(row_count(&pool, "access_tokens").await, 1);
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT body FROM idempotency_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    for body in &stored {
        assert!(
            !body.windows(secret.len()).any(|w| w == secret.as_bytes())
                && !body.windows(8).any(|w| w == b"\"title\":"),
            "kept answers are sealed"
        );
    }
}

#[sqlx::test]
async fn twenty_identical_requests_at_once_take_effect_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let body = json!({"title": "Once"});
    let answers = join_all((0..20).map(|_| async {
        answer(
            send(
                &ada,
                Method::POST,
                "/api/tasks",
                Some("once"),
                Some(body.clone()),
            )
            .await,
        )
        .await
    }))
    .await;
    assert_eq!(task_count(&pool).await, 1);
    let first: Vec<_> = answers.iter().filter(|a| a.0 == 201 && !a.3).collect();
    assert_eq!(first.len(), 1, "exactly one ran: {answers:?}");
    for other in &answers {
        match other.0 {
            201 => assert_eq!(other.4, first[0].4),
            409 => assert_eq!(other.4["status"], 409),
            status => panic!("unexpected {status}: {other:?}"),
        }
    }
    // Once it has settled, every repeat is the replay.
    let late = answer(send(&ada, Method::POST, "/api/tasks", Some("once"), Some(body)).await).await;
    assert_eq!((late.0, late.3), (201, true));
    assert_eq!(late.4, first[0].4);
}

#[sqlx::test]
async fn two_server_processes_share_the_keys(pool: PgPool) {
    let one = TestApp::spawn(pool.clone()).await;
    let two = TestApp::spawn(pool.clone()).await;
    let on_one = ApiClient::new(&one, "ada@example.com").await;
    let on_two = ApiClient {
        app: &two,
        token: on_one.token.clone(),
    };
    let body = json!({"title": "Shared"});
    let first = answer(
        send(
            &on_one,
            Method::POST,
            "/api/tasks",
            Some("s"),
            Some(body.clone()),
        )
        .await,
    )
    .await;
    let again =
        answer(send(&on_two, Method::POST, "/api/tasks", Some("s"), Some(body)).await).await;
    assert_eq!(
        (first.0, first.3, again.0, again.3),
        (201, false, 201, true)
    );
    assert_eq!(again.4, first.4);
    let other = send(
        &on_two,
        Method::POST,
        "/api/tasks",
        Some("s"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_problem(other, 422).await;
    assert_eq!(task_count(&pool).await, 1);
}

/// A key row as the first request leaves it while it runs.
async fn hold_key(pool: &PgPool, email: &str, key: &str, path: &str, body: &Value, until: &str) {
    let digest: [u8; 32] = Sha256::digest(serde_json::to_vec(body).unwrap()).into();
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, method, path, body_sha256, claim, locked_until, expires_at)
         SELECT id, $2, 'POST', $3, $4, gen_random_uuid(), now() + $5::interval, now() + interval '1 day'
         FROM users WHERE email = $1",
    )
    .bind(email)
    .bind(key)
    .bind(path)
    .bind(&digest[..])
    .bind(until)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test]
async fn a_key_still_in_flight_is_a_409_until_its_hold_ends(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let body = json!({"title": "Slow"});
    hold_key(
        &pool,
        "ada@example.com",
        "busy",
        "/api/tasks",
        &body,
        "1 minute",
    )
    .await;
    let busy = send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("busy"),
        Some(body.clone()),
    )
    .await;
    let problem = assert_problem(busy, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    assert_eq!(task_count(&pool).await, 0);

    // A first request whose process died holds its key only until the hold ends; then the same
    // request runs (another request with the key is still a 422).
    hold_key(
        &pool,
        "ada@example.com",
        "dead",
        "/api/tasks",
        &body,
        "-1 second",
    )
    .await;
    let other = send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("dead"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_problem(other, 422).await;
    let same = answer(send(&ada, Method::POST, "/api/tasks", Some("dead"), Some(body)).await).await;
    assert_eq!((same.0, same.3), (201, false));
    assert_eq!(task_count(&pool).await, 1);
}

#[sqlx::test]
async fn expired_keys_are_free_and_cleaned_up(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("old"),
        Some(json!({"title": "a"})),
    )
    .await;
    send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some("new"),
        Some(json!({"title": "b"})),
    )
    .await;
    let kept: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM idempotency_keys WHERE key = 'new'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        kept >= 24.0 * 3600.0,
        "kept for at least 24 hours: {kept} s"
    );

    sqlx::query(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'old'",
    )
    .execute(&pool)
    .await
    .unwrap();
    // An expired key is a new request's, whatever it was first sent with.
    let reused = answer(
        send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some("old"),
            Some(json!({"title": "c"})),
        )
        .await,
    )
    .await;
    assert_eq!((reused.0, reused.3), (201, false));
    assert_eq!(task_count(&pool).await, 3);

    sqlx::query(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'old'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        taskdeck::db::idempotency::delete_expired(&pool)
            .await
            .unwrap(),
        1
    );
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["new"]);
}

#[sqlx::test]
async fn malformed_keys_are_a_400_and_other_routes_ignore_the_header(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let long = "k".repeat(256);
    for key in ["", "two words", long.as_str(), "\"\""] {
        let response = send(
            &ada,
            Method::POST,
            "/api/tasks",
            Some(key),
            Some(json!({"title": "a"})),
        )
        .await;
        assert_problem(response, 400).await;
    }
    let twice = app
        .client
        .post(app.url("/api/tasks"))
        .bearer_auth(&ada.token)
        .header("idempotency-key", "a")
        .header("idempotency-key", "b")
        .json(&json!({"title": "a"}))
        .send()
        .await
        .unwrap();
    assert_problem(twice, 400).await;
    let ok = send(
        &ada,
        Method::POST,
        "/api/tasks",
        Some(&"k".repeat(255)),
        Some(json!({"title": "a"})),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(task_count(&pool).await, 1);

    // PATCH of a task is not one of the contract's: the header changes nothing there.
    let id = ok.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for title in ["b", "c"] {
        let patched = send(
            &ada,
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            Some("p"),
            Some(json!({"title": title})),
        )
        .await;
        assert_eq!(patched.status(), StatusCode::OK);
        assert!(patched.headers().get("idempotent-replayed").is_none());
    }
    assert_eq!(row_count(&pool, "idempotency_keys").await, 1);

    // A method a route does not take stays a 405, key or no key.
    let not_allowed = send(
        &ada,
        Method::POST,
        &format!("/api/tasks/{id}/toggle"),
        Some("two words"),
        None,
    )
    .await;
    assert_problem(not_allowed, 405).await;
    // Without valid credentials the answer is the 401 and no key is kept, whatever the key:
    // credentials are checked first.
    for key in ["anon", "two words"] {
        let anonymous = app
            .client
            .post(app.url("/api/tasks"))
            .header("idempotency-key", key)
            .json(&json!({"title": "a"}))
            .send()
            .await
            .unwrap();
        assert_problem(anonymous, 401).await;
    }
    assert_eq!(row_count(&pool, "idempotency_keys").await, 1);
}

#[sqlx::test]
async fn a_client_that_gives_up_finds_the_answer_on_its_retry(pool: PgPool) {
    let (app, proxy) = TestApp::spawn_counting_statements(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let body = json!({"title": "Over a flaky network"});
    proxy.set_delay(std::time::Duration::from_millis(300));
    // The client gives up as soon as the request reaches the database (the key's claim).
    tokio::select! {
        response = send(&ada, Method::POST, "/api/tasks", Some("flaky"), Some(body.clone())) => {
            panic!("answered before the database was reached: {}", response.status())
        }
        () = proxy.delaying() => {}
    }
    proxy.set_delay(std::time::Duration::ZERO);
    // The request still runs to its end and its answer is kept.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status: Option<i16> =
            sqlx::query_scalar("SELECT status FROM idempotency_keys WHERE key = 'flaky'")
                .fetch_optional(&pool)
                .await
                .unwrap()
                .flatten();
        if status == Some(201) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the abandoned request never settled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let retry =
        answer(send(&ada, Method::POST, "/api/tasks", Some("flaky"), Some(body)).await).await;
    assert_eq!((retry.0, retry.3), (201, true));
    assert_eq!(retry.4["title"], "Over a flaky network");
    assert_eq!(task_count(&pool).await, 1);
}
