//! The browser's side of authentication, spoken as a browser without JavaScript would: form
//! posts to the server functions, redirects, and the session cookie.

use jsonwebtoken::{EncodingKey, Header};
use reqwest::header::{
    HeaderMap, ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, REFERER, SET_COOKIE,
};
use reqwest::{Response, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{DbProxy, TestApp, TEST_SECRET};

const PASSWORD: &str = "correct horse battery";

/// A browser's form post to a server function, from a page of `origin`.
async fn form_post(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    origin: &str,
    cookie: Option<&str>,
) -> Response {
    let referer = format!("{origin}/login?next=/tasks");
    post_from(app, path, fields, origin, &referer, cookie).await
}

/// A plain HTML form post (JavaScript off) from the page `referer` of `origin`.
async fn post_from(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    origin: &str,
    referer: &str,
    cookie: Option<&str>,
) -> Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, origin)
        .header(REFERER, referer)
        .body(
            fields
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        );
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn origin(app: &TestApp) -> String {
    format!("http://{}", app.addr)
}

/// The `taskdeck_session=…` pair from a response's Set-Cookie, with the whole header line.
fn session_cookie(headers: &HeaderMap) -> Option<(String, String)> {
    headers.get_all(SET_COOKIE).iter().find_map(|value| {
        let line = value.to_str().ok()?.to_owned();
        let pair = line.split(';').next()?.trim().to_owned();
        pair.starts_with("taskdeck_session=")
            .then_some((pair, line))
    })
}

fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn register_api(app: &TestApp, email: &str) {
    let response = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// Signs in through the form and returns the session cookie pair.
async fn sign_in(app: &TestApp, email: &str) -> String {
    let response = form_post(
        app,
        "/rpc/login",
        &[("email", email), ("password", PASSWORD), ("next", "/tasks")],
        &origin(app),
        None,
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(location(&response), "/tasks");
    session_cookie(response.headers())
        .expect("a session cookie")
        .0
}

/// A browser's page request: it accepts HTML, which is what turns a render-time redirect
/// into a real 302.
async fn browse(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path)).header(ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    browse(app, path, Some(cookie)).await
}

#[sqlx::test]
async fn signing_in_sets_a_locked_down_cookie_and_opens_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_api(&app, "ada@example.com").await;
    let response = form_post(
        &app,
        "/rpc/login",
        &[
            ("email", "Ada@Example.com"),
            ("password", PASSWORD),
            ("next", "/tasks?filter=active"),
        ],
        &origin(&app),
        None,
    )
    .await;
    assert!(response.status().is_redirection());
    assert_eq!(location(&response), "/tasks?filter=active");
    let (cookie, line) = session_cookie(response.headers()).expect("session cookie");
    let attributes = line.to_ascii_lowercase();
    assert!(attributes.contains("httponly"), "{line}");
    assert!(attributes.contains("samesite=lax"), "{line}");
    assert!(attributes.contains("path=/"), "{line}");
    // Seven days without use (renewal: using_a_session_restarts_its_seven_days_at_most_hourly).
    assert!(attributes.contains("max-age=604800"), "{line}");
    // The tests run with COOKIE_SECURE=false, as the local run command does.
    assert!(
        !attributes.contains("secure;") && !attributes.ends_with("secure"),
        "{line}"
    );

    let page = get_with_cookie(&app, "/tasks", &cookie).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Signed in as <strong>ada@example.com</strong>"),
        "{html}"
    );
}

#[sqlx::test]
async fn the_cookie_is_secure_unless_disabled(pool: PgPool) {
    let app = TestApp::spawn_with_config(pool, &[("COOKIE_SECURE", "true")]).await;
    register_api(&app, "ada@example.com").await;
    let response = form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        &origin(&app),
        None,
    )
    .await;
    let (_, line) = session_cookie(response.headers()).expect("session cookie");
    assert!(line.to_ascii_lowercase().contains("secure"), "{line}");
}

#[sqlx::test]
async fn registering_through_the_form_signs_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = form_post(
        &app,
        "/rpc/register",
        &[
            ("email", "grace@example.com"),
            ("password", PASSWORD),
            ("next", ""),
        ],
        &origin(&app),
        None,
    )
    .await;
    assert!(response.status().is_redirection());
    assert_eq!(location(&response), "/tasks");
    let (cookie, _) = session_cookie(response.headers()).expect("session cookie");
    let html = get_with_cookie(&app, "/tasks", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("grace@example.com"), "{html}");
}

#[sqlx::test]
async fn absolute_or_protocol_relative_next_lands_on_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_api(&app, "ada@example.com").await;
    for next in [
        "https://evil.example",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let response = form_post(
            &app,
            "/rpc/login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ],
            &origin(&app),
            None,
        )
        .await;
        assert_eq!(location(&response), "/tasks", "{next}");
    }
}

#[sqlx::test]
async fn wrong_password_comes_back_to_the_form_with_the_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_api(&app, "ada@example.com").await;
    let response = form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", "wrong password")],
        &origin(&app),
        None,
    )
    .await;
    assert!(response.status().is_redirection());
    let back = location(&response);
    assert!(
        back.contains("/login?next=%2Ftasks") || back.contains("/login?next=/tasks"),
        "{back}"
    );
    assert!(back.contains("__err="), "{back}");
    assert!(session_cookie(response.headers()).is_none());
    let html = app
        .client
        .get(&back)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong email or password."), "{html}");
}

#[sqlx::test]
async fn tasks_without_a_session_redirects_to_sign_in_during_ssr(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = browse(&app, "/tasks?filter=active", None).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(location(&response), "/login?next=/tasks%3Ffilter%3Dactive");
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("Signed in as"),
        "no flash of protected content"
    );
    // A cookie that names no session is no better.
    let response = get_with_cookie(&app, "/tasks", "taskdeck_session=bogus").await;
    assert!(response.status().is_redirection());
}

#[sqlx::test]
async fn cross_origin_posts_to_server_functions_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    // Signing in from another site's page: refused, no session created.
    let response = form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        "https://evil.example",
        None,
    )
    .await;
    assert!(session_cookie(response.headers()).is_none());
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);

    // Signing a signed-in user out from another site's page: refused, the session lives on.
    let cookie = sign_in(&app, "ada@example.com").await;
    let response = form_post(
        &app,
        "/rpc/logout",
        &[],
        "https://evil.example",
        Some(&cookie),
    )
    .await;
    assert_ne!(
        response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap()),
        Some("/login")
    );
    assert_eq!(get_with_cookie(&app, "/tasks", &cookie).await.status(), 200);

    // A JSON-accepting (fetch) call without any Origin or Referer is refused too.
    let response = app
        .client
        .post(app.url("/rpc/logout"))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("CrossSite"));
    assert_eq!(get_with_cookie(&app, "/tasks", &cookie).await.status(), 200);
}

#[sqlx::test]
async fn sign_out_deletes_the_session_so_the_old_cookie_is_worthless(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    assert_eq!(get_with_cookie(&app, "/tasks", &cookie).await.status(), 200);
    let response = form_post(&app, "/rpc/logout", &[], &origin(&app), Some(&cookie)).await;
    assert_eq!(location(&response), "/login");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    // Replayed by hand, the old cookie opens nothing.
    assert!(get_with_cookie(&app, "/tasks", &cookie)
        .await
        .status()
        .is_redirection());
}

#[sqlx::test]
async fn the_session_id_changes_at_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    // An attacker plants a session id in the victim's browser before they sign in...
    let first = sign_in(&app, "ada@example.com").await;
    // ...the victim signs in with that cookie: they get a new id, and the planted one is gone.
    let response = form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        &origin(&app),
        Some(&first),
    )
    .await;
    let (second, _) = session_cookie(response.headers()).expect("a new session cookie");
    assert_ne!(first, second);
    assert!(get_with_cookie(&app, "/tasks", &first)
        .await
        .status()
        .is_redirection());
    assert_eq!(get_with_cookie(&app, "/tasks", &second).await.status(), 200);
}

#[sqlx::test]
async fn an_expired_jwt_in_a_live_session_is_replaced(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &Header::default(),
        &json!({"sub": user_id, "email": "ada@example.com", "iat": now - 7200, "exp": now - 3600, "iss": "taskdeck"}),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    sqlx::query(
        "UPDATE sessions SET data = convert_to(jsonb_set(convert_from(data, 'UTF8')::jsonb, \
         '{jwt}', to_jsonb($1::text))::text, 'UTF8')",
    )
    .bind(&expired)
    .execute(&pool)
    .await
    .unwrap();

    let page = get_with_cookie(&app, "/tasks", &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("ada@example.com"));
    let stored: String =
        sqlx::query_scalar("SELECT convert_from(data, 'UTF8')::jsonb ->> 'jwt' FROM sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_ne!(stored, expired, "a fresh JWT was issued into the session");
}

#[sqlx::test]
async fn failed_calls_from_the_page_script_get_their_real_status(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_api(&app, "ada@example.com").await;
    // What the hydrated page sends: no text/html in Accept, so no redirect, but a status.
    let call = |body: &'static str| {
        app.client
            .post(app.url("/rpc/login"))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ORIGIN, origin(&app))
            .body(body)
            .send()
    };
    let wrong = call("email=ada%40example.com&password=wrong+password")
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("InvalidCredentials"));
    let invalid = call("email=nope&password=short").await.unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = invalid.text().await.unwrap();
    assert!(
        body.contains("email") && body.contains("password"),
        "{body}"
    );
}

#[sqlx::test]
async fn a_server_function_without_a_session_answers_unauthorized(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .client
        .post(app.url("/rpc/tasks/list"))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, origin(&app))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body = response.text().await.unwrap();
    assert_eq!(body, r#""Unauthorized""#);
    // The UI words it so.
    assert_eq!(
        taskdeck::error::AppError::Unauthorized.to_string(),
        "Please sign in again."
    );
}

#[sqlx::test]
async fn the_tasks_page_lists_what_the_api_created(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = app.register("ada@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    for title in ["first <b>task</b>", "second task"] {
        let response = app
            .client
            .post(app.url("/api/tasks"))
            .bearer_auth(token)
            .json(&json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let cookie = sign_in(&app, "ada@example.com").await;
    let html = get_with_cookie(&app, "/tasks", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let second = html.find("second task").expect("second task listed");
    let first = html
        .find("first &lt;b&gt;task&lt;/b&gt;")
        .expect("first task listed, escaped");
    assert!(second < first, "newest first");
    // Another user sees none of them.
    register_api(&app, "bob@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    let html = get_with_cookie(&app, "/tasks", &bob)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No tasks yet."), "{html}");
    assert!(!html.contains("second task"));
}

/// A form post from the tasks page (JavaScript off), signed in with `cookie`.
async fn task_post(app: &TestApp, path: &str, fields: &[(&str, &str)], cookie: &str) -> Response {
    let origin = origin(app);
    let referer = format!("{origin}/tasks?filter=active&q=milk");
    post_from(app, path, fields, &origin, &referer, Some(cookie)).await
}

#[sqlx::test]
async fn the_start_page_sends_signed_in_users_to_their_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let response = browse(&app, "/", Some(&cookie)).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/tasks");
}

/// Without JavaScript every task action is a form post that lands back on the same filtered
/// view, and goes through the same queries as the API.
#[sqlx::test]
async fn task_forms_work_without_javascript(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;

    let response = task_post(
        &app,
        "/rpc/tasks/create",
        &[("title", " Buy milk "), ("description", "")],
        &cookie,
    )
    .await;
    assert_eq!(response.status(), 302);
    // Back to the page the form was on (the Referer).
    assert!(location(&response).ends_with("/tasks?filter=active&q=milk"));
    let (id, title, description): (uuid::Uuid, String, Option<String>) =
        sqlx::query_as("SELECT id, title, description FROM tasks")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((title.as_str(), description), ("Buy milk", None));
    let id = id.to_string();

    // The page renders the filtered view on the server.
    let html = browse(&app, "/tasks?filter=active&q=milk", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Buy milk"), "{html}");
    assert!(html.contains("1 task left"), "{html}");
    let html = browse(&app, "/tasks?filter=completed", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No completed tasks yet."), "{html}");

    let response = task_post(&app, "/rpc/tasks/toggle", &[("id", &id)], &cookie).await;
    assert!(location(&response).ends_with("/tasks?filter=active&q=milk"));
    let back = "/tasks?filter=completed";
    let response = task_post(
        &app,
        "/rpc/tasks/update",
        &[
            ("id", &id),
            ("title", "Buy oat milk"),
            ("description", "2 l"),
            ("back", back),
        ],
        &cookie,
    )
    .await;
    assert_eq!(location(&response), back);
    let (title, completed): (String, bool) = sqlx::query_as("SELECT title, completed FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((title.as_str(), completed), ("Buy oat milk", true));

    // A blank title comes back to the page in the URL, for the form to show beside the field.
    let response = task_post(&app, "/rpc/tasks/create", &[("title", "  ")], &cookie).await;
    assert_eq!(response.status(), 302);
    let back = location(&response).replace(&origin(&app), "");
    assert!(back.contains("__err="), "{back}");
    let html = browse(&app, &back, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("must not be empty"), "{html}");

    let response = task_post(&app, "/rpc/tasks/clear-completed", &[], &cookie).await;
    assert_eq!(response.status(), 302);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let response = task_post(&app, "/rpc/tasks/delete", &[("id", &id)], &cookie).await;
    assert!(
        location(&response).contains("__err="),
        "deleting a missing task is an error"
    );
}

#[sqlx::test]
async fn task_server_functions_refuse_cross_site_posts_and_other_users_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    register_api(&app, "bob@example.com").await;
    let ada = sign_in(&app, "ada@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    task_post(&app, "/rpc/tasks/create", &[("title", "Ada's")], &ada).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    let id = id.to_string();
    for path in ["/rpc/tasks/toggle", "/rpc/tasks/delete"] {
        let response = task_post(&app, path, &[("id", &id)], &bob).await;
        assert!(location(&response).contains("__err="), "{path}");
    }
    task_post(&app, "/rpc/tasks/clear-completed", &[], &bob).await;
    // From another site, with Ada's own cookie: refused.
    let response = form_post(
        &app,
        "/rpc/tasks/delete",
        &[("id", &id)],
        "https://evil.example",
        Some(&ada),
    )
    .await;
    assert!(location(&response).contains("__err="));
    let (title, completed): (String, bool) = sqlx::query_as("SELECT title, completed FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((title.as_str(), completed), ("Ada's", false));
}

/// Issue 6: a signed-in `/tasks` render asks the database for the session, the user, the page of
/// tasks and its counts: four statements, and no writes. (It was eight: the user was looked up
/// again for the list, and the whole task manager, list and counts included, was built twice.)
#[sqlx::test]
async fn a_signed_in_tasks_page_is_four_statements(pool: PgPool) {
    let proxy = DbProxy::for_pool(&pool).await;
    let options = proxy
        .connect_options(&pool)
        .ssl_mode(sqlx::postgres::PgSslMode::Disable);
    // One connection, so that no connection's set-up statement is counted against the page.
    let app = TestApp::spawn(taskdeck::db::pool(options, 1)).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    for _ in 0..2 {
        let before = proxy.statements();
        let page = get_with_cookie(&app, "/tasks", &cookie).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers().get(SET_COOKIE).is_none(), "no session write");
        let html = page.text().await.unwrap();
        assert!(html.contains("ada@example.com"), "{html}");
        assert!(html.contains("0 tasks left"), "{html}");
        assert_eq!(proxy.statements() - before, 4);
    }
}

/// A session lasts 7 days from its last use, not from signing in: a visit an hour or more after
/// the last renewal restarts its 7 days (in the database and in the cookie); visits in between
/// write nothing.
#[sqlx::test]
async fn using_a_session_restarts_its_seven_days_at_most_hourly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    register_api(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let page = get_with_cookie(&app, "/tasks", &cookie).await;
    assert_eq!(page.status(), 200);
    assert!(session_cookie(page.headers()).is_none(), "just signed in");

    // Six days on, as the session's row sees it: one day left, last renewed six days ago.
    sqlx::query(
        "UPDATE sessions SET expires_at = now() + interval '1 day', \
         data = convert_to(jsonb_set(convert_from(data, 'UTF8')::jsonb, '{renewed_at}', \
             to_jsonb(extract(epoch FROM now() - interval '6 days')::bigint))::text, 'UTF8')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let page = get_with_cookie(&app, "/tasks", &cookie).await;
    assert_eq!(page.status(), 200);
    let (renewed, line) = session_cookie(page.headers()).expect("the cookie is sent again");
    assert_eq!(renewed, cookie, "same session");
    assert!(
        line.to_ascii_lowercase().contains("max-age=604800"),
        "{line}"
    );
    let left: f64 =
        sqlx::query_scalar("SELECT extract(epoch FROM expires_at - now())::float8 FROM sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(left > 6.9 * 86_400.0, "{left} s left");

    let page = get_with_cookie(&app, "/tasks", &cookie).await;
    assert!(
        session_cookie(page.headers()).is_none(),
        "renewed a moment ago"
    );
}
