//! The browser's side of authentication, spoken as a browser without JavaScript would: form
//! posts to the server functions, redirects, and the session cookie.

use reqwest::header::{
    HeaderMap, ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, REFERER, SET_COOKIE,
};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use taskdeck::error::AppError;

use crate::helpers::{assert_problem, row_count, token, urlencode, ApiClient, TestApp, PASSWORD};

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

/// [`form_post`] from this site's own sign-in page, without a session.
async fn own_form_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    form_post(app, path, fields, &app.origin(), None).await
}

/// A plain HTML form post (JavaScript off) from the page `referer` of `origin`.
pub(crate) async fn post_from(
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

/// The `taskdeck_session=…` pair from a response's Set-Cookie, with the whole header line.
fn session_cookie(headers: &HeaderMap) -> Option<(String, String)> {
    headers.get_all(SET_COOKIE).iter().find_map(|value| {
        let line = value.to_str().ok()?.to_owned();
        let pair = line.split(';').next()?.trim().to_owned();
        pair.starts_with("taskdeck_session=")
            .then_some((pair, line))
    })
}

pub(crate) fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Signs in through the form and returns the session cookie pair.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let response = own_form_post(
        app,
        "/rpc/login",
        &[("email", email), ("password", PASSWORD), ("next", "/tasks")],
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

pub(crate) async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    browse(app, path, Some(cookie)).await
}

/// A call from the hydrated page's script to a server function: a form-encoded `body`, from a
/// page of this site, accepting JSON (no text/html), so that the answer is data, or an encoded
/// [`AppError`] with its own status, never a redirect.
pub(crate) async fn script_call(
    app: &TestApp,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, app.origin())
        .body(body.to_owned());
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// The [`AppError`] a failed script call answered with (JSON-encoded: `src/error.rs`), after
/// checking the status it came with.
pub(crate) async fn app_error(response: Response, status: StatusCode) -> AppError {
    assert_eq!(response.status(), status);
    let body = response.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("not an AppError ({err}): {body}"))
}

#[sqlx::test]
async fn signing_in_sets_a_locked_down_cookie_and_opens_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let response = own_form_post(
        &app,
        "/rpc/login",
        &[
            ("email", "Ada@Example.com"),
            ("password", PASSWORD),
            ("next", "/tasks?filter=active"),
        ],
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
    let app = TestApp::builder(pool)
        .config(&[("COOKIE_SECURE", "true")])
        .spawn()
        .await;
    app.register("ada@example.com").await;
    let response = own_form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    )
    .await;
    let (_, line) = session_cookie(response.headers()).expect("session cookie");
    assert!(line.to_ascii_lowercase().contains("secure"), "{line}");
}

#[sqlx::test]
async fn registering_through_the_form_signs_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = own_form_post(
        &app,
        "/rpc/register",
        &[
            ("email", "grace@example.com"),
            ("password", PASSWORD),
            ("next", ""),
        ],
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

/// Issue 14: the register page sends the browser's time zone (its script fills in a hidden
/// field); without one, or with a name the server does not know, the account is in UTC.
#[sqlx::test]
async fn registering_through_the_form_keeps_the_browsers_time_zone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for (email, zone, kept) in [
        ("tokyo@example.com", Some("Asia/Tokyo"), "Asia/Tokyo"),
        ("mars@example.com", Some("Mars/Olympus_Mons"), "UTC"),
        ("nojs@example.com", None, "UTC"),
    ] {
        let mut fields = vec![("email", email), ("password", PASSWORD), ("next", "")];
        if let Some(zone) = zone {
            fields.push(("timezone", zone));
        }
        let response = own_form_post(&app, "/rpc/register", &fields).await;
        assert!(response.status().is_redirection(), "{email}");
        let stored: String = sqlx::query_scalar("SELECT timezone FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(stored, kept, "{email}");
    }
}

#[sqlx::test]
async fn absolute_or_protocol_relative_next_lands_on_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    for next in [
        "https://evil.example",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let response = own_form_post(
            &app,
            "/rpc/login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(location(&response), "/tasks", "{next}");
    }
}

#[sqlx::test]
async fn wrong_password_comes_back_to_the_form_with_the_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let response = own_form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", "wrong password")],
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

/// Issue 12, point 8: only errors this server wrote reach the page. A link carrying a made-up
/// error (words of an attacker's choosing beside the sign-in form) is sent to the same page
/// without it, and so is a genuine error whose text was altered; the genuine one is shown.
#[sqlx::test]
async fn a_forms_error_in_the_url_shows_only_when_this_server_signed_it(pool: PgPool) {
    use base64::engine::general_purpose::URL_SAFE;
    use base64::Engine;
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
    let forged_error = serde_json::to_string(&AppError::Conflict(
        "Your account is locked. Call +1 555 0100 to unlock it.".into(),
    ))
    .unwrap();
    let forged = format!(
        "/login?next=%2Ftasks&__path=%2Frpc%2Flogin&__err={}",
        URL_SAFE.encode(&forged_error)
    );
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects.get(app.url(&forged)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Ftasks");
    let html = app
        .client
        .get(app.url(&forged))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Call +1 555"), "{html}");

    // A real failed sign-in comes back signed, and shows.
    let response = own_form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", "wrong password")],
    )
    .await;
    let back = location(&response);
    assert!(back.contains("__errsig="), "{back}");
    let page = no_redirects.get(&back).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Wrong email or password."));

    // The same signature on another error, or without its time, is turned away.
    let url = reqwest::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let rebuild = |change: &dyn Fn(&str, &str) -> Option<String>| {
        let mut url = url.clone();
        url.query_pairs_mut().clear();
        for (key, value) in &pairs {
            if let Some(value) = change(key, value) {
                url.query_pairs_mut().append_pair(key, &value);
            }
        }
        url
    };
    let altered = rebuild(&|key, value| {
        Some(if key == "__err" {
            URL_SAFE.encode(&forged_error)
        } else {
            value.to_owned()
        })
    });
    let without_time = rebuild(&|key, value| (key != "__errts").then(|| value.to_owned()));
    for url in [altered, without_time] {
        let response = no_redirects.get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), 303, "{url}");
        assert!(!location(&response).contains("__err"), "{url}");
    }
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
    let status = response.status();
    assert!(
        status.is_redirection(),
        "{status}: {}",
        response.text().await.unwrap_or_default()
    );
}

#[sqlx::test]
async fn cross_origin_posts_to_server_functions_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
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
    assert_eq!(row_count(&pool, "sessions").await, 0);

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
    app.register("ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    assert_eq!(get_with_cookie(&app, "/tasks", &cookie).await.status(), 200);
    let response = form_post(&app, "/rpc/logout", &[], &app.origin(), Some(&cookie)).await;
    assert_eq!(location(&response), "/login");
    assert_eq!(row_count(&pool, "sessions").await, 0);
    // Replayed by hand, the old cookie opens nothing.
    assert!(get_with_cookie(&app, "/tasks", &cookie)
        .await
        .status()
        .is_redirection());
}

#[sqlx::test]
async fn the_session_id_changes_at_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
    // An attacker plants a session id in the victim's browser before they sign in...
    let first = sign_in(&app, "ada@example.com").await;
    // ...the victim signs in with that cookie: they get a new id, and the planted one is gone.
    let response = form_post(
        &app,
        "/rpc/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        &app.origin(),
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
    app.register("ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let expired = token(
        &json!({"sub": user_id, "email": "ada@example.com", "iat": now - 7200, "exp": now - 3600, "iss": "taskdeck"}),
    );
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
    app.register("ada@example.com").await;
    // What the hydrated page sends: no text/html in Accept, so no redirect, but a status.
    let call = |body: &'static str| script_call(&app, "/rpc/login", body, None);
    let wrong = call("email=ada%40example.com&password=wrong+password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("InvalidCredentials"));
    let invalid = call("email=nope&password=short").await;
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
    let response = script_call(&app, "/rpc/tasks/list", "", None).await;
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
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for title in ["first <b>task</b>", "second task"] {
        ada.create(json!({"title": title})).await;
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
    app.register("bob@example.com").await;
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
    let origin = app.origin();
    let referer = format!("{origin}/tasks?filter=active&q=milk");
    post_from(app, path, fields, &origin, &referer, Some(cookie)).await
}

#[sqlx::test]
async fn the_start_page_sends_signed_in_users_to_their_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ada@example.com").await;
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
    app.register("ada@example.com").await;
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
    let back = location(&response).replace(&app.origin(), "");
    assert!(back.contains("__err="), "{back}");
    let html = browse(&app, &back, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("must not be empty"), "{html}");

    let response = task_post(&app, "/rpc/tasks/clear-completed", &[], &cookie).await;
    assert_eq!(response.status(), 302);
    assert_eq!(row_count(&pool, "tasks").await, 0);
    let response = task_post(&app, "/rpc/tasks/delete", &[("id", &id)], &cookie).await;
    assert!(
        location(&response).contains("__err="),
        "deleting a missing task is an error"
    );
}

/// The add form reads quick-add syntax on the server (so it works without JavaScript): the
/// project by the user's own project names, labels created on first use, the priority, and
/// "tomorrow 9am" in the user's time zone (Kiritimati is a day ahead of UTC for ten hours of
/// every day, so the test is the zone's date whenever it runs). The list shows them.
#[sqlx::test]
async fn the_add_form_reads_quick_add_in_the_users_time_zone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let home: uuid::Uuid = sqlx::query_scalar(
        "WITH zone AS (UPDATE users SET timezone = 'Pacific/Kiritimati' RETURNING id)
         INSERT INTO projects (user_id, id, name)
         SELECT id, uuid_generate_v7(now()), 'Home' FROM zone RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let line = "Pay rent #home @bills !3 tomorrow 9am";
    let response = task_post(&app, "/rpc/tasks/create", &[("title", line)], &cookie).await;
    assert_eq!(response.status(), 302);
    let row: (String, Option<uuid::Uuid>, Vec<String>, i16, bool, bool) = sqlx::query_as(
        "SELECT title, project_id, label_names, priority,
                due_date = (now() AT TIME ZONE 'Pacific/Kiritimati')::date + 1,
                due_time = time '09:00'
         FROM tasks",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "Pay rent".into(),
            Some(home),
            vec!["bills".into()],
            3,
            true,
            true
        )
    );
    let labels: Vec<String> = sqlx::query_scalar("SELECT name FROM labels")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(labels, ["bills"], "created on first use");

    // Not one of the user's projects, and nothing else: the line as typed.
    let line = "Fix bug  #123 for Bob";
    task_post(&app, "/rpc/tasks/create", &[("title", line)], &cookie).await;
    let plain: (Option<uuid::Uuid>, i16, Option<chrono::NaiveDate>) =
        sqlx::query_as("SELECT project_id, priority, due_date FROM tasks WHERE title = $1")
            .bind(line)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(plain, (None, 0, None));

    let html = browse(&app, "/tasks", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    // Relative to the user's day, with the date in full as the tooltip.
    for part in [
        ">High priority</span>",
        ">Due tomorrow, 09:00</span>",
        ">@bills</span>",
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
}

/// The names quick add's chips recognise `#project` by: the caller's own projects, no one
/// else's, and nothing without a session.
#[sqlx::test]
async fn the_add_forms_project_names_are_the_callers_own(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
    app.register("bob@example.com").await;
    sqlx::query(
        "INSERT INTO projects (user_id, id, name)
         SELECT u.id, uuid_generate_v7(now()), p.name
         FROM users u JOIN (VALUES ('ada@example.com', 'work'), ('ada@example.com', 'Home'),
                                   ('bob@example.com', 'Bob secret')) p (email, name)
           ON p.email = u.email",
    )
    .execute(&pool)
    .await
    .unwrap();
    let ada = sign_in(&app, "ada@example.com").await;
    let response = script_call(&app, "/rpc/projects/names", "", Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let names: Vec<String> = response.json().await.unwrap();
    assert_eq!(names, ["Home", "work"]);
    let response = script_call(&app, "/rpc/projects/names", "", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn task_server_functions_refuse_cross_site_posts_and_other_users_tasks(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
    app.register("bob@example.com").await;
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

/// The page's script and the API reach the same task through the same query: the script's call
/// adds only the session lookup (the session's JWT names the user, as a bearer token does), so a
/// toggle from the page is two statements, and from the API one (as every common API request:
/// tasks.rs, each_common_request_is_one_statement).
#[sqlx::test]
async fn a_toggle_is_two_statements_from_the_page_and_one_from_the_api(pool: PgPool) {
    let (app, proxy) = TestApp::spawn_counting_statements(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "flip"})).await;
    let id = task["id"].as_str().unwrap();
    let cookie = sign_in(&app, "ada@example.com").await;
    for _ in 0..2 {
        let before = proxy.statements();
        let response = script_call(
            &app,
            "/rpc/tasks/toggle",
            &format!("id={id}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(proxy.statements() - before, 2, "the page's toggle");
        let toggled: Value = response.json().await.unwrap();
        assert_eq!(toggled["completed"], true);

        let before = proxy.statements();
        let response = ada
            .send(Method::PATCH, &format!("/api/tasks/{id}/toggle"), None)
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(proxy.statements() - before, 1, "the API's toggle");
        let toggled: Value = response.json().await.unwrap();
        assert_eq!(toggled["completed"], false);
    }
}

/// The web app's listing checks its search as the API does, and says so in the API's words.
#[sqlx::test]
async fn a_nul_in_the_web_apps_search_is_refused_in_the_apis_words(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    let response = ada.send(Method::GET, "/api/tasks?q=a%00b", None).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["field"], "q");
    let api_message = problem["errors"][0]["message"].as_str().unwrap();
    let response = script_call(
        &app,
        "/rpc/tasks/list",
        "view=%2Ftasks%3Fq%3Da%2500b",
        Some(&cookie),
    )
    .await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error.field("q").as_deref(), Some(api_message), "{error:?}");
}

/// A cursor is made for one user: another user's listing refuses it, in the web app as in the
/// API, instead of quietly starting again from the newest task.
#[sqlx::test]
async fn a_cursor_made_for_another_user_is_refused_by_the_web_app_as_by_the_api(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    for title in ["b1", "b2"] {
        bob.create(json!({"title": title})).await;
    }
    let bobs_cursor = bob.next_cursor("/api/tasks?limit=1").await;
    let listing = format!("/api/tasks?cursor={bobs_cursor}");
    let response = ada.send(Method::GET, &listing, None).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["field"], "cursor");

    let cookie = sign_in(&app, "ada@example.com").await;
    let body = format!("cursor={bobs_cursor}");
    let response = script_call(&app, "/rpc/tasks/list", &body, Some(&cookie)).await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(error.field("cursor").is_some(), "{error:?}");
}

/// Issue 6: a signed-in `/tasks` render asks the database for the session, the user, the page of
/// tasks, its counts and (issue 14) the sidebar's projects and labels: five statements, and no
/// writes. (It was eight: the user was looked up again for the list, and the whole task
/// manager, list and counts included, was built twice.)
#[sqlx::test]
async fn a_signed_in_tasks_page_is_five_statements(pool: PgPool) {
    let (app, proxy) = TestApp::spawn_counting_statements(&pool).await;
    app.register("ada@example.com").await;
    let cookie = sign_in(&app, "ada@example.com").await;
    for _ in 0..2 {
        let before = proxy.statements();
        let page = get_with_cookie(&app, "/tasks", &cookie).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers().get(SET_COOKIE).is_none(), "no session write");
        let html = page.text().await.unwrap();
        assert!(html.contains("ada@example.com"), "{html}");
        assert!(html.contains("0 tasks left"), "{html}");
        assert_eq!(proxy.statements() - before, 5);
    }
}

/// A session lasts 7 days from its last use, not from signing in: a visit an hour or more after
/// the last renewal restarts its 7 days (in the database and in the cookie); visits in between
/// write nothing.
#[sqlx::test]
async fn using_a_session_restarts_its_seven_days_at_most_hourly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register("ada@example.com").await;
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

/// Pages and API lists are compressed for a client that accepts it (brotli or gzip); tiny
/// answers are not worth it and go as they are.
#[sqlx::test]
async fn pages_and_api_lists_are_compressed_when_the_client_accepts_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.register("ada@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..30 {
        let response = app
            .client
            .post(app.url("/api/tasks"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"title": format!("Task number {n}"), "description": "Notes"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let cookie = sign_in(&app, "ada@example.com").await;
    let fetch = |path: &str, encoding: Option<&'static str>| {
        let mut request = app
            .client
            .get(app.url(path))
            .header(ACCEPT, "text/html")
            .header(COOKIE, &cookie)
            .bearer_auth(&token);
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };
    for (path, accept, expected) in [
        ("/tasks", "br, gzip", "br"),
        ("/tasks", "gzip", "gzip"),
        ("/api/tasks", "gzip, deflate, br", "br"),
        ("/api/tasks", "gzip", "gzip"),
    ] {
        let plain = fetch(path, None).await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain = plain.bytes().await.unwrap().len();
        let compressed = fetch(path, Some(accept)).await.unwrap();
        assert_eq!(compressed.status(), 200, "{path}");
        assert_eq!(
            compressed.headers()["content-encoding"],
            expected,
            "{path} {accept}"
        );
        let vary: Vec<String> = compressed
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_lowercase())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("accept-encoding")),
            "{path}: {vary:?}"
        );
        let size = compressed.bytes().await.unwrap().len();
        assert!(size * 3 < plain, "{path} {accept}: {size} bytes of {plain}");
    }
    // A tiny answer is sent as it is.
    let health = fetch("/healthz", Some("br, gzip")).await.unwrap();
    assert!(health.headers().get("content-encoding").is_none());
}
