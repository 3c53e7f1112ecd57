use std::time::{Duration, Instant};

use sqlx::PgPool;
use taskdeck::db;

use crate::helpers::{assert_problem, DbProxy, TestApp};

#[sqlx::test]
async fn healthz_answers_200(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[sqlx::test]
async fn readyz_answers_200_when_the_database_answers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ready"}));
}

#[sqlx::test]
async fn readyz_reports_a_database_outage_and_recovers_by_itself(pool: PgPool) {
    let proxy = DbProxy::for_pool(&pool).await;
    let app = TestApp::spawn(db::pool(proxy.connect_options(&pool), 4)).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.set_down();
    let body = assert_problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["title"], "Service Unavailable");
    assert_eq!(body["detail"], "the database is not reachable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.set_up();
    // No restart, no intervention: the pool replaces its broken connections on its own.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get("/readyz").await.status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readyz still {status} 15 s after the database came back"
        );
    }
}
