use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn pages_are_rendered_on_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/login").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h1>Sign in</h1>"), "{html}");
    assert!(html.contains("<title>Sign in · Taskdeck</title>"), "{html}");
    // The hydration scripts are there, pointing at this build's bundle...
    assert!(html.contains("/pkg/taskdeck.js"), "{html}");
    // ...but the hydration marker is only ever set in the browser.
    assert!(!html.contains("data-hydrated"), "{html}");
}

#[sqlx::test]
async fn the_start_page_sends_visitors_to_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/login");
}

#[sqlx::test]
async fn unknown_pages_are_404_html(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}

#[sqlx::test]
async fn pages_carry_a_csp_with_the_nonce_of_their_hydration_scripts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/login", "/no/such/page"] {
        let response = app.get(path).await;
        let headers = response.headers().clone();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["x-frame-options"], "DENY");
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no nonce in {csp}"))
            .to_owned();
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)),
            "the hydration script must carry the CSP's nonce"
        );
        // A fresh nonce for every response.
        let again = app.get(path).await.headers()["content-security-policy"].clone();
        assert_ne!(again.to_str().unwrap(), csp);
    }
}

#[sqlx::test]
async fn every_other_response_carries_the_security_headers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/healthz", "/readyz", "/api/nope", "/api/auth/me"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(
            headers["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
            "{path}"
        );
    }
}
