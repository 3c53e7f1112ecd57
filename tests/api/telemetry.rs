//! Telemetry: a request id on every response, and in the server's one log line per request.

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::{ApiClient, ServerProcess, TestApp, TestEnv};

const REQUEST_ID: &str = "x-request-id";

/// One route of each kind, with the bearer token it needs and the status it answers: the API,
/// a probe, a page, and an unknown API path.
fn routes(token: &str) -> [(&'static str, Option<&str>, u16); 4] {
    [
        ("/api/tasks", Some(token), 200),
        ("/healthz", None, 200),
        ("/login", None, 200),
        ("/api/nope", None, 404),
    ]
}

/// GET `path` (with `token` as bearer, and `sent` as its request id, when given): checks the
/// status, and returns the response's request id.
async fn request_id(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    sent: Option<&str>,
    status: u16,
) -> String {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(id) = sent {
        request = request.header(REQUEST_ID, id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), status, "{path}");
    response
        .headers()
        .get(REQUEST_ID)
        .unwrap_or_else(|| panic!("{path}: no {REQUEST_ID}"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test]
async fn every_response_gets_a_fresh_request_id(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for (path, token, status) in routes(&ada.token) {
        let first = request_id(&app, path, token, None, status).await;
        let second = request_id(&app, path, token, None, status).await;
        assert!(!first.is_empty(), "{path}");
        assert_ne!(first, second, "{path}: one id per request");
    }
}

#[sqlx::test]
async fn a_request_id_the_client_sent_is_echoed_back(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for (path, token, status) in routes(&ada.token) {
        let echoed = request_id(&app, path, token, Some("test-req-42"), status).await;
        assert_eq!(echoed, "test-req-42", "{path}");
    }
}

/// The real binary's log: the line it writes for a request names that request's id, with its
/// path and status, so a client's report can be matched with the server's log.
#[sqlx::test]
async fn the_request_log_line_carries_the_request_id(pool: PgPool) {
    let env = TestEnv::new().database_of(&pool).set("RUST_LOG", "info");
    let server = ServerProcess::start(&env).await;
    let response = reqwest::Client::new()
        .get(server.url("/healthz"))
        .header(REQUEST_ID, "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The status as a field, whichever the log format: `status=200` or `"status":200`. No such
    // line within the time fails the test, showing everything the server printed.
    let status_200 = |line: &str| line.contains("status=200") || line.contains(r#""status":200"#);
    server
        .wait_for_line(
            |line| line.contains("trace-me-123") && line.contains("/healthz") && status_200(line),
            Duration::from_secs(10),
        )
        .await;
}
