//! The real binary: configuration mistakes, database trouble, and graceful shutdown.

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::{server_command, work_dir, DbProxy, ServerProcess, TestEnv};

/// Runs the binary with `env` to completion and returns its exit code and standard error.
async fn run_to_exit(env: &TestEnv) -> (Option<i32>, String) {
    let dir = work_dir();
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        server_command(dir.path(), env).output(),
    )
    .await
    .expect("the server should give up, not hang")
    .expect("run the server binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A start-up failure is one clear line on stderr and a non-zero exit: no panic, no backtrace.
fn assert_one_line_failure(code: Option<i32>, stderr: &str, expected: &[&str]) {
    assert_ne!(code, Some(0), "the server must not exit successfully");
    assert!(
        code.is_some(),
        "the server must exit, not be killed by a signal"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected exactly one line, got:\n{stderr}");
    for part in expected {
        assert!(
            lines[0].contains(part),
            "{part:?} missing from {:?}",
            lines[0]
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

#[tokio::test]
async fn a_missing_jwt_secret_stops_the_server_with_one_line() {
    let (code, stderr) = run_to_exit(&TestEnv::new().unset("JWT_SECRET")).await;
    assert_one_line_failure(code, &stderr, &["JWT_SECRET", "is not set"]);
}

#[tokio::test]
async fn a_short_jwt_secret_stops_the_server_with_one_line() {
    let (code, stderr) = run_to_exit(&TestEnv::new().set("JWT_SECRET", "too-short-secret")).await;
    assert_one_line_failure(
        code,
        &stderr,
        &["JWT_SECRET", "has 16 bytes", "at least 32"],
    );
}

#[tokio::test]
async fn a_missing_database_url_stops_the_server_with_one_line() {
    let (code, stderr) = run_to_exit(&TestEnv::new().unset("DATABASE_URL")).await;
    assert_one_line_failure(code, &stderr, &["DATABASE_URL", "is not set"]);
}

#[tokio::test]
async fn an_unreachable_database_stops_the_server_with_one_line() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let env = TestEnv::new().set(
        "DATABASE_URL",
        "postgres://taskdeck:hunter2@127.0.0.1:1/taskdeck",
    );
    let (code, stderr) = run_to_exit(&env).await;
    assert_one_line_failure(
        code,
        &stderr,
        &["DATABASE_URL", "cannot connect", "127.0.0.1:1/taskdeck"],
    );
    assert!(
        !stderr.contains("hunter2"),
        "the password must not be shown"
    );
}

#[tokio::test]
async fn an_invalid_setting_names_its_variable() {
    let (code, stderr) = run_to_exit(&TestEnv::new().set("COOKIE_SECURE", "perhaps")).await;
    assert_one_line_failure(code, &stderr, &["COOKIE_SECURE", "true or false"]);
}

/// The binary, connected to `pool`'s database through a proxy the test controls, once ready.
async fn start_ready_server(pool: &PgPool) -> (DbProxy, ServerProcess, reqwest::Client) {
    let proxy = DbProxy::for_pool(pool).await;
    let env = TestEnv::new().set("DATABASE_URL", &proxy.database_url(pool));
    let server = ServerProcess::start(&env).await;
    let client = reqwest::Client::new();
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    (proxy, server, client)
}

#[sqlx::test]
async fn the_binary_migrates_then_serves(pool: PgPool) {
    // A database with no schema at all: the server applies the migrations itself.
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .execute(&pool)
        .await
        .unwrap();
    let (_proxy, _server, _client) = start_ready_server(&pool).await;
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let tables: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "access_tokens",
            "change_horizon",
            "changes",
            "idempotency_keys",
            "labels",
            "login_failures",
            "projects",
            "refresh_tokens",
            "registration_attempts",
            "sessions",
            "sign_ins",
            "task_labels",
            "tasks",
            "users"
        ]
    );
}

#[sqlx::test]
async fn sigterm_lets_an_in_flight_request_finish(pool: PgPool) {
    let (proxy, mut server, client) = start_ready_server(&pool).await;

    // Make the database slow, so that a readiness check is still running when the signal lands.
    proxy.set_delay(Duration::from_millis(250));
    let in_flight = tokio::spawn(client.get(server.url("/readyz")).send());
    proxy.delaying().await;
    server.send_signal("TERM");

    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request gets its answer");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");

    let status = tokio::time::timeout(Duration::from_secs(15), server.child.wait())
        .await
        .expect("the server exits after finishing its requests")
        .unwrap();
    assert!(
        status.success(),
        "a graceful shutdown exits 0, got {status}"
    );
    // Once stopped, nothing listens any more.
    assert!(client.get(server.url("/healthz")).send().await.is_err());
}

/// The binary with `extra` settings, connected through a proxy the test controls, once ready.
async fn start_ready_server_with(
    pool: &PgPool,
    extra: &[(&str, &str)],
) -> (DbProxy, ServerProcess, reqwest::Client) {
    let proxy = DbProxy::for_pool(pool).await;
    let env = TestEnv::new()
        .set("DATABASE_URL", &proxy.database_url(pool))
        .set_all(extra);
    let server = ServerProcess::start(&env).await;
    let client = reqwest::Client::new();
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    (proxy, server, client)
}

/// Reads from `stream` until the server closes it; panics if it has not within 10 s (a bound on
/// the wait, not a pause: it returns as soon as the server closes).
async fn closed_by_the_server(stream: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0_u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {} // an answer (408, or the idle connection's last one): read on
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server left the connection open");
}

/// Issue 12, point 5: clients that send half a request and then nothing are cut off after
/// `HTTP_HEADER_TIMEOUT_SECS`, and do not keep others out even when they fill every connection
/// the server allows (`MAX_CONNECTIONS`): a normal request waits in the listen queue until one
/// is cut off, then is served. An idle kept-alive connection is closed after the same time.
#[sqlx::test]
async fn slow_and_idle_clients_are_cut_off_and_do_not_stop_others(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let (_proxy, server, _) = start_ready_server_with(
        &pool,
        &[("HTTP_HEADER_TIMEOUT_SECS", "1"), ("MAX_CONNECTIONS", "20")],
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: taskdeck\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    for stream in &mut slow {
        closed_by_the_server(stream).await;
    }

    // A kept-alive connection that asks nothing more is closed too.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: taskdeck\r\n\r\n")
        .await
        .unwrap();
    closed_by_the_server(&mut idle).await;
}

/// A request that has no answer within `HTTP_REQUEST_TIMEOUT_SECS` (here the database is made
/// slower than that) is answered 503 as a problem document with Retry-After, not left hanging.
#[sqlx::test]
async fn a_request_past_its_deadline_is_a_503_problem(pool: PgPool) {
    let (proxy, server, client) =
        start_ready_server_with(&pool, &[("HTTP_REQUEST_TIMEOUT_SECS", "1")]).await;
    proxy.set_delay(Duration::from_secs(3));
    let token = crate::helpers::token(&crate::helpers::claims_for(
        &uuid::Uuid::now_v7().to_string(),
    ));
    let response = client
        .get(server.url("/api/tasks"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("2")
    );
    let problem = crate::helpers::assert_problem(response, 503).await;
    assert_eq!(problem["status"], 503);
    proxy.set_delay(Duration::ZERO);
}
