//! API-accounts.md: sign-ins and refresh tokens, logout and logout-all, password change, account
//! deletion, and personal access tokens with scopes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::browser::{get_with_cookie, sign_in};
use crate::helpers::{
    assert_problem, claims_for, join_all, token, token_for_issuer, ServerProcess, TestApp, TestEnv,
    PASSWORD,
};

const NEW_PASSWORD: &str = "a much better passphrase";

/// A JWT's claims, read without checking it (the server checks; the test only looks).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn status(app: &TestApp, method: Method, path: &str, bearer: &str) -> StatusCode {
    send(app, method, path, Some(bearer), None).await.status()
}

async fn json_of(response: Response, expected: StatusCode) -> Value {
    assert_eq!(response.status(), expected);
    response.json().await.expect("JSON body")
}

/// A sign-in's tokens, from a `login`-shaped answer.
struct SignIn {
    access: String,
    refresh: String,
}

impl SignIn {
    fn from(body: &Value) -> Self {
        Self {
            access: body["access_token"].as_str().expect("access").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    fn sid(&self) -> String {
        claims(&self.access)["sid"]
            .as_str()
            .expect("a sid")
            .to_owned()
    }
}

async fn login(app: &TestApp, email: &str) -> SignIn {
    SignIn::from(&json_of(app.login(email, PASSWORD).await, StatusCode::OK).await)
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Response {
    app.post_json(
        "/api/auth/refresh",
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

/// Asserts a 401 that refuses a token (`error="invalid_token"`).
async fn assert_refused(response: Response) {
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_problem(response, 401).await;
}

/// Creates a personal access token with these scopes and returns the 201's body.
async fn create_token(app: &TestApp, access: &str, scopes: &[&str]) -> Value {
    let response = send(
        app,
        Method::POST,
        "/api/tokens",
        Some(access),
        Some(json!({"name": "script", "scopes": scopes})),
    )
    .await;
    json_of(response, StatusCode::CREATED).await
}

/// A secret's random part (its last 32 bytes), as lower-case hex: how a `bytea` column would
/// show it, were it stored as it is.
fn random_part_hex(secret: &str) -> String {
    let bytes = URL_SAFE_NO_PAD.decode(&secret[4..]).expect("base64url");
    bytes[bytes.len() - 32..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every text of every row of every table, to search for a secret.
async fn every_stored_text(pool: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut all = String::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
            .fetch_all(pool)
            .await
            .unwrap();
        all.extend(rows);
    }
    all
}

#[sqlx::test]
async fn login_and_register_start_sign_ins_with_refresh_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let registered = app.register("ada@example.com").await;
    assert_eq!(registered["refresh_expires_in"], 2_592_000);
    let first = SignIn::from(&registered);
    let second = login(&app, "ada@example.com").await;
    for sign_in in [&first, &second] {
        assert!(sign_in.refresh.starts_with("tdr_"), "{}", sign_in.refresh);
        // 32 random bytes and the user's id, base64url.
        assert!(sign_in.refresh.len() >= 4 + 64, "{}", sign_in.refresh);
        Uuid::parse_str(&sign_in.sid()).expect("sid is a UUID");
    }
    assert_ne!(first.sid(), second.sid());
    assert_ne!(first.refresh, second.refresh);
    let sign_ins: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_ins WHERE ended_at IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sign_ins, 2);
    // Only hashes are stored: neither secret, nor its random part, appears in any table.
    let stored = every_stored_text(&pool).await;
    for sign_in in [&first, &second] {
        assert!(!stored.contains(&sign_in.refresh));
        assert!(!stored.contains(&sign_in.refresh[30..]));
        assert!(!stored.contains(&random_part_hex(&sign_in.refresh)));
    }
    assert_eq!(
        app.me(Some(&format!("Bearer {}", second.access)))
            .await
            .status(),
        200
    );
}

#[sqlx::test]
async fn a_refresh_rotates_within_the_sign_in_and_a_reuse_ends_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = SignIn::from(&app.register("ada@example.com").await);
    let body = json_of(refresh(&app, &first.refresh).await, StatusCode::OK).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["email"], "ada@example.com");
    let second = SignIn::from(&body);
    assert_eq!(second.sid(), first.sid(), "same sign-in");
    assert_ne!(second.refresh, first.refresh);
    // Access tokens issued earlier keep working.
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &first.access).await,
        200
    );
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &second.access).await,
        200
    );
    let third = SignIn::from(&json_of(refresh(&app, &second.refresh).await, StatusCode::OK).await);

    // The first refresh token again: a reuse. 401, and the whole sign-in ends.
    assert_refused(refresh(&app, &first.refresh).await).await;
    for access in [&first.access, &second.access, &third.access] {
        assert_refused(send(&app, Method::GET, "/api/tasks", Some(access), None).await).await;
    }
    assert_refused(refresh(&app, &third.refresh).await).await;
}

#[sqlx::test]
async fn a_reuse_ends_only_its_own_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let phone = SignIn::from(&app.register("ada@example.com").await);
    let laptop = login(&app, "ada@example.com").await;
    json_of(refresh(&app, &phone.refresh).await, StatusCode::OK).await;
    assert_refused(refresh(&app, &phone.refresh).await).await;
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &laptop.access).await,
        200
    );
    json_of(refresh(&app, &laptop.refresh).await, StatusCode::OK).await;
}

#[sqlx::test]
async fn of_concurrent_uses_of_one_refresh_token_exactly_one_succeeds(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let sign_in = SignIn::from(&app.register("ada@example.com").await);
    let answers = join_all((0..20).map(|_| refresh(&app, &sign_in.refresh))).await;
    let mut winners = Vec::new();
    let mut refused = 0;
    for answer in answers {
        match answer.status().as_u16() {
            200 => winners.push(SignIn::from(&answer.json::<Value>().await.unwrap())),
            401 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 19));
    // The 19 others presented a spent token: reuses, which ended the sign-in, the winner's new
    // tokens with it (one of the holders is not who they claim).
    let winner = &winners[0];
    assert_eq!(winner.sid(), sign_in.sid());
    assert_refused(send(&app, Method::GET, "/api/tasks", Some(&winner.access), None).await).await;
    assert_refused(refresh(&app, &winner.refresh).await).await;
}

#[sqlx::test]
async fn refresh_tokens_that_cannot_be_spent_are_401(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let response = app.post_json("/api/auth/refresh", &json!({})).await;
    assert_eq!(
        crate::helpers::error_fields(&assert_problem(response, 422).await),
        ["refresh_token"]
    );
    for bad in ["", "tdr_", "tdr_notbase64!", "garbage", &ada.access] {
        assert_refused(refresh(&app, bad).await).await;
    }
    // The same random part under another user's id: no such token of that user.
    let bob = app.register("bob@example.com").await;
    let bob_id = Uuid::parse_str(bob["user"]["id"].as_str().unwrap()).unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(&ada.refresh[4..]).unwrap();
    bytes[..16].copy_from_slice(bob_id.as_bytes());
    let forged = format!("tdr_{}", URL_SAFE_NO_PAD.encode(&bytes));
    assert_refused(refresh(&app, &forged).await).await;
    // Expired.
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_refused(refresh(&app, &ada.refresh).await).await;
}

#[sqlx::test]
async fn logout_ends_that_sign_in_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let phone = SignIn::from(&app.register("ada@example.com").await);
    let laptop = login(&app, "ada@example.com").await;
    let response = send(
        &app,
        Method::POST,
        "/api/auth/logout",
        Some(&phone.access),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_refused(send(&app, Method::GET, "/api/tasks", Some(&phone.access), None).await).await;
    assert_refused(app.me(Some(&format!("Bearer {}", phone.access))).await).await;
    assert_refused(refresh(&app, &phone.refresh).await).await;
    // Another sign-in of the same user goes on.
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &laptop.access).await,
        200
    );
    json_of(refresh(&app, &laptop.refresh).await, StatusCode::OK).await;
}

#[sqlx::test]
async fn tokens_without_a_sign_in_are_not_affected(pool: PgPool) {
    let app = TestApp::builder(pool)
        .config(&[("JWT_ACCEPTED_ISSUERS", "main-app")])
        .spawn()
        .await;
    let body = app.register("ada@example.com").await;
    let ada = SignIn::from(&body);
    let id = body["user"]["id"].as_str().unwrap();
    // Ours from before sign-ins (no sid): logout has nothing to end (400), logout-all ends the
    // sign-ins but not this token.
    let old = token(&claims_for(id));
    let response = send(&app, Method::POST, "/api/auth/logout", Some(&old), None).await;
    assert_problem(response, 400).await;
    assert_eq!(
        status(&app, Method::POST, "/api/auth/logout-all", &old).await,
        204
    );
    assert_refused(send(&app, Method::GET, "/api/tasks", Some(&ada.access), None).await).await;
    assert_eq!(status(&app, Method::GET, "/api/tasks", &old).await, 200);
    // A main app's token (a user it provisioned) likewise.
    let foreign = token_for_issuer("main-app", Uuid::now_v7(), "grace@example.com");
    assert_eq!(status(&app, Method::GET, "/api/tasks", &foreign).await, 200);
    assert_eq!(
        status(&app, Method::POST, "/api/auth/logout-all", &foreign).await,
        204
    );
    assert_eq!(status(&app, Method::GET, "/api/tasks", &foreign).await, 200);
}

#[sqlx::test]
async fn logout_all_ends_every_sign_in_and_web_session_but_keeps_access_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let phone = SignIn::from(&app.register("ada@example.com").await);
    let laptop = login(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    assert_eq!(get_with_cookie(&app, "/tasks", &cookie).await.status(), 200);
    let pat = create_token(&app, &phone.access, &["tasks:read"]).await;
    let pat = pat["token"].as_str().unwrap();
    // Another user's sign-ins and sessions are not touched.
    let bob = SignIn::from(&app.register("bob@example.com").await);
    let bob_cookie = sign_in(&app, "bob@example.com").await;

    assert_eq!(
        status(&app, Method::POST, "/api/auth/logout-all", &laptop.access).await,
        204
    );
    for access in [&phone.access, &laptop.access] {
        assert_refused(send(&app, Method::GET, "/api/tasks", Some(access), None).await).await;
    }
    for refresh_token in [&phone.refresh, &laptop.refresh] {
        assert_refused(refresh(&app, refresh_token).await).await;
    }
    assert!(get_with_cookie(&app, "/tasks", &cookie)
        .await
        .status()
        .is_redirection());
    assert_eq!(status(&app, Method::GET, "/api/tasks", pat).await, 200);
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &bob.access).await,
        200
    );
    assert_eq!(
        get_with_cookie(&app, "/tasks", &bob_cookie).await.status(),
        200
    );
}

/// A sign-in ended by another writer (another process, a script in the database) is refused by
/// a process that did not end it: it heard of it on the channel.
#[sqlx::test]
async fn a_sign_in_ended_in_the_database_is_refused_without_a_restart(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &ada.access).await,
        200
    );
    sqlx::query("UPDATE sign_ins SET ended_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    // Delivered within milliseconds; polled, with a deadline, rather than slept for.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let status = status(&app, Method::GET, "/api/tasks", &ada.access).await;
        if status == 401 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status}");
        tokio::task::yield_now().await;
    }
}

/// A process that cannot listen (no connection for it) asks the database on every request: it
/// never takes a sign-in for live on a guess.
#[sqlx::test]
async fn a_process_that_cannot_listen_asks_the_database(pool: PgPool) {
    let deaf = TestApp::builder(pool.clone())
        .config(&[(
            "DATABASE_MIGRATION_URL",
            "postgres://nobody@127.0.0.1:9/none",
        )])
        .spawn()
        .await;
    let other = TestApp::spawn(pool).await;
    let ada = SignIn::from(&other.register("ada@example.com").await);
    assert_eq!(
        status(&deaf, Method::GET, "/api/tasks", &ada.access).await,
        200
    );
    assert_eq!(
        status(&other, Method::POST, "/api/auth/logout", &ada.access).await,
        204
    );
    assert_refused(send(&deaf, Method::GET, "/api/tasks", Some(&ada.access), None).await).await;
}

/// Revocation holds on every server process sharing the database: two real server binaries,
/// each with its own memory of ended sign-ins. The process that ended it refuses it at once (it
/// answered only after its own listener heard); another hears the same notice in the same
/// instant, but takes a moment to read it (its listener is a task like any other, and under a
/// loaded machine that moment was seen to outlast the next request): allowed up to a second.
#[sqlx::test]
async fn a_sign_in_ended_through_one_server_process_is_refused_by_another_within_a_moment(
    pool: PgPool,
) {
    let env = TestEnv::new().database_of(&pool);
    let (one, two) = tokio::join!(ServerProcess::start(&env), ServerProcess::start(&env));
    let client = reqwest::Client::new();
    let register = client
        .post(one.url("/api/auth/register"))
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let ada = SignIn::from(&json_of(register, StatusCode::CREATED).await);
    let mut others = Vec::new();
    for _ in 0..3 {
        let login = client
            .post(two.url("/api/auth/login"))
            .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        others.push(SignIn::from(&json_of(login, StatusCode::OK).await));
    }
    let get = |server: &ServerProcess, access: &str| {
        client
            .get(server.url("/api/tasks"))
            .bearer_auth(access)
            .send()
    };
    // Asked again every 10 ms until refused, for at most a second.
    let refused_soon = |server: &ServerProcess, access: String| {
        let request = client.get(server.url("/api/tasks")).bearer_auth(access);
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            loop {
                let request = request.try_clone().unwrap();
                let status = request.send().await.unwrap().status();
                if status == StatusCode::UNAUTHORIZED {
                    return;
                }
                assert_eq!(status, StatusCode::OK);
                assert!(
                    std::time::Instant::now() < deadline,
                    "still accepted a second after it ended"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    for server in [&one, &two] {
        assert_eq!(get(server, &ada.access).await.unwrap().status(), 200);
    }
    let logout = client
        .post(one.url("/api/auth/logout"))
        .bearer_auth(&ada.access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(get(&one, &ada.access).await.unwrap().status(), 401);
    refused_soon(&two, ada.access.clone()).await;
    assert_eq!(get(&two, &others[0].access).await.unwrap().status(), 200);

    // Logout-all through the second process: the first refuses them all at once.
    let all = client
        .post(two.url("/api/auth/logout-all"))
        .bearer_auth(&others[0].access)
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 204);
    for other in &others {
        assert_eq!(get(&two, &other.access).await.unwrap().status(), 401);
        refused_soon(&one, other.access.clone()).await;
    }
}

#[sqlx::test]
async fn a_password_change_ends_other_sign_ins_and_starts_a_fresh_one(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let phone = SignIn::from(&app.register("ada@example.com").await);
    let laptop = login(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let pat = create_token(&app, &phone.access, &["tasks:read", "tasks:write"]).await;
    let pat = pat["token"].as_str().unwrap();

    let change = |current: &str, new: &str| {
        send(
            &app,
            Method::POST,
            "/api/auth/password",
            Some(&phone.access),
            Some(json!({"current_password": current, "new_password": new})),
        )
    };
    let wrong = change("not the password", NEW_PASSWORD).await;
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    assert_problem(wrong, 401).await;
    let invalid = change(PASSWORD, "short").await;
    assert_eq!(
        crate::helpers::error_fields(&assert_problem(invalid, 422).await),
        ["new_password"]
    );
    let body = json_of(change(PASSWORD, NEW_PASSWORD).await, StatusCode::OK).await;
    assert_eq!(body["user"]["email"], "ada@example.com");
    let fresh = SignIn::from(&body);
    assert_ne!(fresh.sid(), phone.sid());

    // Every earlier sign-in ended, the caller's included; the fresh one and the personal access
    // token work; every web session ended.
    for access in [&phone.access, &laptop.access] {
        assert_refused(send(&app, Method::GET, "/api/tasks", Some(access), None).await).await;
    }
    assert_refused(refresh(&app, &laptop.refresh).await).await;
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &fresh.access).await,
        200
    );
    assert_eq!(status(&app, Method::GET, "/api/tasks", pat).await, 200);
    assert!(get_with_cookie(&app, "/tasks", &cookie)
        .await
        .status()
        .is_redirection());
    // The new password signs in; the old one does not.
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        app.login("ada@example.com", NEW_PASSWORD).await.status(),
        200
    );
}

#[sqlx::test]
async fn wrong_current_passwords_count_as_failed_logins(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    for _ in 0..10 {
        let response = send(
            &app,
            Method::POST,
            "/api/auth/password",
            Some(&ada.access),
            Some(json!({"current_password": "wrong password", "new_password": NEW_PASSWORD})),
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    let response = send(
        &app,
        Method::POST,
        "/api/auth/password",
        Some(&ada.access),
        Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
    )
    .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429).await;
    // The same throttle as login's, both ways.
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 429);
    let bob = SignIn::from(&app.register("bob@example.com").await);
    for _ in 0..10 {
        assert_eq!(
            app.login("bob@example.com", "wrong password")
                .await
                .status(),
            401
        );
    }
    let response = send(
        &app,
        Method::POST,
        "/api/auth/password",
        Some(&bob.access),
        Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
    )
    .await;
    assert_problem(response, 429).await;
}

#[sqlx::test]
async fn a_user_without_a_password_can_neither_change_one_nor_delete_the_account(pool: PgPool) {
    let app = TestApp::builder(pool)
        .config(&[("JWT_ACCEPTED_ISSUERS", "main-app")])
        .spawn()
        .await;
    let foreign = token_for_issuer("main-app", Uuid::now_v7(), "grace@example.com");
    assert_eq!(
        status(&app, Method::GET, "/api/auth/me", &foreign).await,
        200
    );
    let response = send(
        &app,
        Method::POST,
        "/api/auth/password",
        Some(&foreign),
        Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
    )
    .await;
    assert_problem(response, 403).await;
    for body in [json!({"password": PASSWORD}), json!({})] {
        let response = send(
            &app,
            Method::DELETE,
            "/api/auth/me",
            Some(&foreign),
            Some(body),
        )
        .await;
        assert_problem(response, 403).await;
    }
    assert_eq!(
        status(&app, Method::GET, "/api/auth/me", &foreign).await,
        200
    );
}

/// Every table with a `user_id`, and how many rows of this user each holds; and the rows that
/// name the user otherwise (failed logins by email).
async fn rows_of(pool: &PgPool, user_id: Uuid, email: &str) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND column_name = 'user_id' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let count: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE user_id = $1"))
                .bind(user_id)
                .fetch_one(pool)
                .await
                .unwrap();
        counts.push((table, count));
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
        .unwrap();
    counts.push(("users".to_owned(), users));
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failures WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
    counts.push(("login_failures".to_owned(), failures));
    counts
}

#[sqlx::test]
async fn deleting_the_account_removes_every_row_of_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let body = app.register("ada@example.com").await;
    let id = Uuid::parse_str(body["user"]["id"].as_str().unwrap()).unwrap();
    let ada = SignIn::from(&body);
    let other = login(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let pat = create_token(&app, &ada.access, &["tasks:read", "tasks:write"]).await;
    let pat = pat["token"].as_str().unwrap().to_owned();
    for body in [
        json!({"title": "one", "labels": ["home"], "project_id": null}),
        json!({"title": "two", "labels": ["work", "home"]}),
    ] {
        let response = send(
            &app,
            Method::POST,
            "/api/tasks",
            Some(&ada.access),
            Some(body),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let project = send(
        &app,
        Method::POST,
        "/api/projects",
        Some(&ada.access),
        Some(json!({"name": "Garden"})),
    )
    .await;
    let project = json_of(project, StatusCode::CREATED).await;
    let response = send(
        &app,
        Method::POST,
        "/api/tasks",
        Some(&ada.access),
        Some(json!({"title": "three", "project_id": project["id"]})),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        app.login("ada@example.com", "wrong password")
            .await
            .status(),
        401
    );
    // Another user's rows stay.
    let bob = SignIn::from(&app.register("bob@example.com").await);
    let bob_id = Uuid::parse_str(claims(&bob.access)["sub"].as_str().unwrap()).unwrap();
    let bobs_before = rows_of(&pool, bob_id, "bob@example.com").await;
    let before = rows_of(&pool, id, "ada@example.com").await;
    for table in [
        "tasks",
        "projects",
        "labels",
        "task_labels",
        "sign_ins",
        "refresh_tokens",
        "access_tokens",
        "sessions",
        "login_failures",
        "users",
    ] {
        let count = before.iter().find(|(t, _)| t == table).map(|(_, c)| *c);
        assert!(
            count.unwrap_or(0) > 0,
            "{table} should hold rows of ada before: {before:?}"
        );
    }

    let delete = |body: Value| {
        send(
            &app,
            Method::DELETE,
            "/api/auth/me",
            Some(&ada.access),
            Some(body),
        )
    };
    let missing = delete(json!({})).await;
    assert_eq!(
        crate::helpers::error_fields(&assert_problem(missing, 422).await),
        ["password"]
    );
    assert_problem(delete(json!({"password": "wrong password"})).await, 401).await;
    assert_eq!(delete(json!({"password": PASSWORD})).await.status(), 204);

    let after = rows_of(&pool, id, "ada@example.com").await;
    assert!(after.iter().all(|(_, count)| *count == 0), "{after:?}");
    assert_eq!(rows_of(&pool, bob_id, "bob@example.com").await, bobs_before);
    // Every credential of the user is refused.
    for access in [&ada.access, &other.access, &pat] {
        assert_refused(send(&app, Method::GET, "/api/tasks", Some(access), None).await).await;
    }
    assert_refused(refresh(&app, &other.refresh).await).await;
    for path in ["/api/auth/logout", "/api/auth/logout-all"] {
        assert_refused(send(&app, Method::POST, path, Some(&other.access), None).await).await;
    }
    assert!(get_with_cookie(&app, "/tasks", &cookie)
        .await
        .status()
        .is_redirection());
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 401);
}

#[sqlx::test]
async fn personal_access_tokens_are_created_listed_and_revoked(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let response = send(
        &app,
        Method::POST,
        "/api/tokens",
        Some(&ada.access),
        Some(json!({"name": "  Backup script ", "scopes": ["tasks:write", "tasks:read", "tasks:read"],
                    "expires_at": "2999-01-01T00:00:00Z"})),
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = json_of(response, StatusCode::CREATED).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/tokens/{id}"));
    assert_eq!(created["name"], "Backup script");
    assert_eq!(created["scopes"], json!(["tasks:read", "tasks:write"]));
    assert_eq!(created["expires_at"], "2999-01-01T00:00:00.000000Z");
    assert_eq!(created["last_used_at"], Value::Null);
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tdp_"), "{secret}");
    let second = create_token(&app, &ada.access, &["tasks:read"]).await;

    // Listed newest first, never with a secret.
    let list = json_of(
        send(&app, Method::GET, "/api/tokens", Some(&ada.access), None).await,
        StatusCode::OK,
    )
    .await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second["id"]);
    assert_eq!(list[1]["id"], created["id"]);
    for token in list {
        assert!(token.get("token").is_none(), "{token}");
        let keys: Vec<&str> = token
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
    }
    // Stored as a hash only.
    let stored = every_stored_text(&pool).await;
    assert!(!stored.contains(&secret));
    assert!(!stored.contains(&secret[40..]));
    assert!(!stored.contains(&random_part_hex(&secret)));

    // It works as a bearer token, and its revocation holds at once.
    assert_eq!(status(&app, Method::GET, "/api/tasks", &secret).await, 200);
    let revoke = send(&app, Method::DELETE, &location, Some(&ada.access), None).await;
    assert_eq!(revoke.status(), 204);
    assert_refused(send(&app, Method::GET, "/api/tasks", Some(&secret), None).await).await;
    assert_problem(
        send(&app, Method::DELETE, &location, Some(&ada.access), None).await,
        404,
    )
    .await;
    // A malformed or unknown one is refused like a bad JWT.
    let mut bytes = URL_SAFE_NO_PAD.decode(&secret[4..]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = format!("tdp_{}", URL_SAFE_NO_PAD.encode(&bytes));
    let other = second["token"].as_str().unwrap();
    for bad in ["tdp_", "tdp_AAAA", &tampered] {
        assert_refused(send(&app, Method::GET, "/api/tasks", Some(bad), None).await).await;
    }
    assert_eq!(status(&app, Method::GET, "/api/tasks", other).await, 200);
}

#[sqlx::test]
async fn a_personal_access_token_is_held_to_its_scopes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let task = json_of(
        send(
            &app,
            Method::POST,
            "/api/tasks",
            Some(&ada.access),
            Some(json!({"title": "t"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let task_path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let read = create_token(&app, &ada.access, &["tasks:read"]).await;
    let read = read["token"].as_str().unwrap().to_owned();
    let write = create_token(&app, &ada.access, &["tasks:write"]).await;
    let write = write["token"].as_str().unwrap().to_owned();

    let insufficient = |response: Response| async move {
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer error="insufficient_scope""#
        );
        assert_problem(response, 403).await;
    };
    for path in [
        "/api/tasks",
        task_path.as_str(),
        "/api/projects",
        "/api/labels",
    ] {
        assert_eq!(status(&app, Method::GET, path, &read).await, 200, "{path}");
        insufficient(send(&app, Method::GET, path, Some(&write), None).await).await;
    }
    insufficient(
        send(
            &app,
            Method::POST,
            "/api/tasks",
            Some(&read),
            Some(json!({"title": "x"})),
        )
        .await,
    )
    .await;
    insufficient(
        send(
            &app,
            Method::PATCH,
            &format!("{task_path}/toggle"),
            Some(&read),
            None,
        )
        .await,
    )
    .await;
    insufficient(send(&app, Method::DELETE, &task_path, Some(&read), None).await).await;
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/tasks",
            Some(&write),
            Some(json!({"title": "x"}))
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        send(
            &app,
            Method::PATCH,
            &task_path,
            Some(&write),
            Some(json!({"title": "y"}))
        )
        .await
        .status(),
        200
    );
    // Nothing of the account or of credentials, with any scope: only GET /api/auth/me.
    for token in [&read, &write] {
        assert_eq!(status(&app, Method::GET, "/api/auth/me", token).await, 200);
        for (method, path, body) in [
            (Method::GET, "/api/tokens", None),
            (
                Method::POST,
                "/api/tokens",
                Some(json!({"name": "n", "scopes": ["tasks:read"]})),
            ),
            (
                Method::DELETE,
                "/api/tokens/00000000-0000-0000-0000-000000000000",
                None,
            ),
            (Method::POST, "/api/auth/logout", None),
            (Method::POST, "/api/auth/logout-all", None),
            (
                Method::POST,
                "/api/auth/password",
                Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
            ),
            (
                Method::PATCH,
                "/api/auth/me",
                Some(json!({"timezone": "Europe/Berlin"})),
            ),
            (
                Method::DELETE,
                "/api/auth/me",
                Some(json!({"password": PASSWORD})),
            ),
        ] {
            insufficient(send(&app, method, path, Some(token), body).await).await;
        }
    }
    // The account is intact, the password unchanged.
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 200);
}

#[sqlx::test]
async fn personal_access_tokens_check_their_fields_expiry_owner_and_limit(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let bob = SignIn::from(&app.register("bob@example.com").await);
    let post = |body: Value| {
        send(
            &app,
            Method::POST,
            "/api/tokens",
            Some(&ada.access),
            Some(body),
        )
    };
    let fields = |body: Value| async move {
        crate::helpers::error_fields(&assert_problem(post(body).await, 422).await)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(json!({})).await, ["name", "scopes"]);
    assert_eq!(
        fields(json!({"name": "", "scopes": [], "expires_at": "2000-01-01T00:00:00Z"})).await,
        ["name", "scopes", "expires_at"]
    );
    assert_eq!(
        fields(
            json!({"name": "x".repeat(101), "scopes": ["tasks:admin"], "expires_at": "tomorrow"})
        )
        .await,
        ["name", "scopes", "expires_at"]
    );
    assert_eq!(
        fields(json!({"name": 5, "scopes": "tasks:read"})).await,
        ["name", "scopes"]
    );
    let null_expiry =
        post(json!({"name": "x".repeat(100), "scopes": ["tasks:read"], "expires_at": null})).await;
    assert_eq!(
        json_of(null_expiry, StatusCode::CREATED).await["expires_at"],
        Value::Null
    );

    // Expired: refused like an unknown token.
    let token = create_token(&app, &ada.access, &["tasks:read"]).await;
    let secret = token["token"].as_str().unwrap();
    assert_eq!(status(&app, Method::GET, "/api/tasks", secret).await, 200);
    sqlx::query("UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(Uuid::parse_str(token["id"].as_str().unwrap()).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    assert_refused(send(&app, Method::GET, "/api/tasks", Some(secret), None).await).await;

    // Another user's token: 404, like a missing one, and it keeps working.
    let bobs = create_token(&app, &bob.access, &["tasks:read"]).await;
    let bobs_path = format!("/api/tokens/{}", bobs["id"].as_str().unwrap());
    assert_problem(
        send(&app, Method::DELETE, &bobs_path, Some(&ada.access), None).await,
        404,
    )
    .await;
    assert_problem(
        send(
            &app,
            Method::DELETE,
            "/api/tokens/not-a-uuid",
            Some(&ada.access),
            None,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/tasks",
            bobs["token"].as_str().unwrap()
        )
        .await,
        200
    );
    let listed = json_of(
        send(&app, Method::GET, "/api/tokens", Some(&bob.access), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // The limit (50 unexpired) holds under concurrency: ada holds one live token and one expired
    // one (which does not count); 60 more at once.
    let answers =
        join_all((0..60).map(|n| post(json!({"name": format!("t{n}"), "scopes": ["tasks:read"]}))))
            .await;
    let created = answers.iter().filter(|r| r.status() == 201).count();
    let refused = answers.iter().filter(|r| r.status() == 409).count();
    assert_eq!((created, refused), (49, 11));
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM access_tokens WHERE (expires_at IS NULL OR expires_at > now()) \
         AND user_id = (SELECT id FROM users WHERE email = 'ada@example.com')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(count, 50);
}

#[sqlx::test]
async fn last_used_at_is_kept_to_the_minute_without_a_write_per_request(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let token = create_token(&app, &ada.access, &["tasks:read"]).await;
    let id = Uuid::parse_str(token["id"].as_str().unwrap()).unwrap();
    let secret = token["token"].as_str().unwrap();
    assert_eq!(status(&app, Method::GET, "/api/tasks", secret).await, 200);
    let listed = json_of(
        send(&app, Method::GET, "/api/tokens", Some(&ada.access), None).await,
        StatusCode::OK,
    )
    .await;
    let used = listed[0]["last_used_at"]
        .as_str()
        .expect("set by the first use")
        .to_owned();
    assert!(used.ends_with(":00.000000Z"), "{used}");
    // Within the same minute, a use writes nothing (the row's version stays).
    sqlx::query(
        "UPDATE access_tokens SET last_used_at = date_trunc('minute', now()) WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let version = || async {
        sqlx::query_scalar::<_, String>("SELECT xmin::text FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = version().await;
    for _ in 0..5 {
        assert_eq!(status(&app, Method::GET, "/api/tasks", secret).await, 200);
    }
    assert_eq!(version().await, before);
    // A minute later it moves on.
    sqlx::query(
        "UPDATE access_tokens SET last_used_at = last_used_at - interval '1 minute' WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let stale = version().await;
    assert_eq!(status(&app, Method::GET, "/api/tasks", secret).await, 200);
    assert_ne!(version().await, stale);
}

#[sqlx::test]
async fn management_routes_need_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (method, path) in [
        (Method::POST, "/api/auth/logout"),
        (Method::POST, "/api/auth/logout-all"),
        (Method::POST, "/api/auth/password"),
        (Method::DELETE, "/api/auth/me"),
        (Method::GET, "/api/tokens"),
        (Method::POST, "/api/tokens"),
        (
            Method::DELETE,
            "/api/tokens/00000000-0000-0000-0000-000000000000",
        ),
    ] {
        let response = send(&app, method.clone(), path, None, Some(json!({}))).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer",
            "{method} {path}"
        );
        assert_problem(response, 401).await;
    }
}

#[sqlx::test]
async fn expired_tokens_and_finished_sign_ins_are_cleaned_up(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let live = login(&app, "ada@example.com").await;
    json_of(refresh(&app, &ada.refresh).await, StatusCode::OK).await;
    let token = create_token(&app, &live.access, &["tasks:read"]).await;
    let kept = create_token(&app, &live.access, &["tasks:read"]).await;
    // Ada's first sign-in ended long ago, its refresh tokens expired; one personal access token
    // expired. The other sign-in and token are current.
    sqlx::query(
        "UPDATE sign_ins SET ended_at = now() - interval '1 day', expires_at = now() - interval '1 day' \
         WHERE id = $1",
    )
    .bind(Uuid::parse_str(&ada.sid()).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE sign_in_id = $1",
    )
    .bind(Uuid::parse_str(&ada.sid()).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(Uuid::parse_str(token["id"].as_str().unwrap()).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let keep_for = std::time::Duration::from_secs(3600);
    let removed = taskdeck::db::sign_ins::delete_expired(&pool, keep_for)
        .await
        .unwrap();
    assert_eq!(removed, 3, "two refresh tokens and one sign-in");
    assert_eq!(
        taskdeck::db::access_tokens::delete_expired(&pool)
            .await
            .unwrap(),
        1
    );
    let sign_ins: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM sign_ins")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(sign_ins, [Uuid::parse_str(&live.sid()).unwrap()]);
    let tokens: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM access_tokens")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        tokens,
        [Uuid::parse_str(kept["id"].as_str().unwrap()).unwrap()]
    );
    // What is left still works.
    assert_eq!(
        status(&app, Method::GET, "/api/tasks", &live.access).await,
        200
    );
    json_of(refresh(&app, &live.refresh).await, StatusCode::OK).await;
}

/// Every operation the OpenAPI document lists that takes a bearer token, tried with a read-only
/// and a write-only personal access token: each is refused (403 `insufficient_scope`) exactly
/// where the contract says, and let through everywhere else.
#[sqlx::test]
async fn personal_access_token_scopes_hold_on_every_documented_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = SignIn::from(&app.register("ada@example.com").await);
    let read = create_token(&app, &ada.access, &["tasks:read"]).await;
    let read = read["token"].as_str().unwrap().to_owned();
    let write = create_token(&app, &ada.access, &["tasks:write"]).await;
    let write = write["token"].as_str().unwrap().to_owned();
    let doc = json_of(app.get("/api/openapi.json").await, StatusCode::OK).await;
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["security"] != json!([{"bearer": []}]) {
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = path.replace("{id}", &Uuid::now_v7().to_string());
            let reading = method == Method::GET;
            let area = [
                "/api/tasks",
                "/api/projects",
                "/api/labels",
                "/api/changes",
                "/api/events",
            ]
            .iter()
            .any(|prefix| path.starts_with(prefix));
            let me = path == "/api/auth/me" && reading;
            for (token, may) in [
                (&read, me || (area && reading)),
                (&write, me || (area && !reading)),
            ] {
                let body = (!reading).then(|| json!({}));
                let response = send(&app, method.clone(), &concrete, Some(token), body).await;
                let refused = response.status() == StatusCode::FORBIDDEN;
                assert_eq!(refused, !may, "{method} {path}: {}", response.status());
                if refused {
                    assert_eq!(
                        response.headers()["www-authenticate"],
                        r#"Bearer error="insufficient_scope""#,
                        "{method} {path}"
                    );
                }
                tried += 1;
            }
        }
    }
    assert!(tried >= 50, "only {tried} tries");
    // None of it touched the account or the tokens.
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 200);
    assert_eq!(status(&app, Method::GET, "/api/tasks", &read).await, 200);
}
