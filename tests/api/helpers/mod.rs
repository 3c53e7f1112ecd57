//! Shared test scaffolding, one concern a module:
//!
//! - [`config`]: the environment every test server reads ([`TestEnv`]),
//! - [`app`]: the real router on a real socket ([`TestApp`]),
//! - [`accounts`]: registering, signing in and hand-made tokens,
//! - [`db_proxy`] and [`statements`]: a database proxy that can fail, slow down and count,
//! - [`server`]: the real server binary ([`ServerProcess`]),
//!
//! and here, the few assertions every area shares.

mod accounts;
mod app;
mod config;
mod db_proxy;
mod server;
mod statements;

pub use accounts::{claims_for, now, token, token_for_issuer, token_with, ApiClient, PASSWORD};
pub use app::TestApp;
pub use config::{TestEnv, TEST_SECRET};
pub use db_proxy::DbProxy;
pub use server::{server_command, work_dir, ServerProcess};

use serde_json::Value;
use sqlx::PgPool;

/// A JSON body that is not UTF-8: `{"title": "` then the bytes FF FE, which no UTF-8 text holds.
pub const NOT_UTF8_JSON: &[u8] = b"{\"title\": \"\xff\xfe\"}";

/// The base URL of the test cluster (the `#[sqlx::test]` master database).
pub fn master_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL must point at the test PostgreSQL")
}

/// Asserts a problem document with this status and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string(), "{body}");
    body
}

/// The `field` of each entry of a problem document's `errors`, in order.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("an errors array")
        .iter()
        .map(|e| e["field"].as_str().expect("a field name"))
        .collect()
}

/// How many rows `table` holds.
pub async fn row_count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count rows")
}

/// Runs every future at once and returns their outputs in order (the test crate has tokio, not
/// the futures crate, and these futures borrow the app or client, so they cannot be spawned).
pub async fn join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures
        .into_iter()
        .map(|future| Some(Box::pin(future)))
        .collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                if let std::task::Poll::Ready(value) = future.as_mut().poll(cx) {
                    *output = Some(value);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query value.
pub fn urlencode(value: &str) -> String {
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
