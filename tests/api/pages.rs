use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn the_landing_page_is_rendered_on_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h1>Taskdeck</h1>"), "{html}");
    assert!(html.contains("<title>Taskdeck</title>"), "{html}");
    // The hydration scripts are there, pointing at this build's bundle...
    assert!(html.contains("/pkg/taskdeck.js"), "{html}");
    // ...but the hydration marker is only ever set in the browser.
    assert!(!html.contains("data-hydrated"), "{html}");
}

#[sqlx::test]
async fn unknown_pages_are_404_html(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}
