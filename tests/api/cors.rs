//! API.md, Operations: CORS for browser clients on other origins.

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::TestApp;

const ALLOWED: &str = "https://app.example.com";

async fn preflight(app: &TestApp, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/tasks"))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

/// The origin a response allows to read it, if any.
fn allowed_origin(response: &reqwest::Response) -> Option<&reqwest::header::HeaderValue> {
    response.headers().get("access-control-allow-origin")
}

#[sqlx::test]
async fn listed_origins_may_call_with_a_token_and_read_link_and_location(pool: PgPool) {
    let app = TestApp::builder(pool)
        .config(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:5173",
        )])
        .spawn()
        .await;
    let response = preflight(
        &app,
        ALLOWED,
        "POST",
        "authorization,content-type,if-match,if-none-match,idempotency-key",
    )
    .await;
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], ALLOWED);
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in [
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
        "idempotency-key",
    ] {
        assert!(allowed_headers.contains(header), "{allowed_headers}");
    }
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    assert!(headers.get("access-control-allow-credentials").is_none());

    // The actual request: the origin is echoed and Link/Location are readable.
    let response = app
        .client
        .get(app.url("/api/tasks"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["access-control-allow-origin"], ALLOWED);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("link") && exposed.contains("location") && exposed.contains("etag"),
        "{exposed}"
    );
}

#[sqlx::test]
async fn unlisted_origins_get_no_allow_origin(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(&[("CORS_ALLOWED_ORIGINS", ALLOWED)])
        .spawn()
        .await;
    for origin in [
        "https://evil.example",
        "https://app.example.com.evil.example",
        "null",
    ] {
        let response = preflight(&app, origin, "GET", "authorization").await;
        assert!(allowed_origin(&response).is_none(), "{origin}");
        let response = app
            .client
            .get(app.url("/api/tasks"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(allowed_origin(&response).is_none(), "{origin}");
    }
    // By default no origin at all is allowed.
    let closed = TestApp::spawn(pool).await;
    let response = preflight(&closed, ALLOWED, "GET", "authorization").await;
    assert!(allowed_origin(&response).is_none());
}
