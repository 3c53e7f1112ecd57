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
            "labels",
            "login_failures",
            "projects",
            "sessions",
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
