use sqlx::PgPool;

use crate::helpers::{assert_problem, TestApp};

#[sqlx::test]
async fn unknown_api_paths_are_problem_documents_for_every_method(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in [
        "/api",
        "/api/",
        "/api/nope",
        "/api/tasks/x/y/z",
        "/api/auth/unknown",
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::DELETE,
        ] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            let body = assert_problem(response, 404).await;
            assert_eq!(body["title"], "Not Found", "{method} {path}");
            assert_eq!(body["detail"], "no such API endpoint");
        }
    }
}

#[sqlx::test]
async fn paths_that_only_start_like_api_are_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/apiary").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[sqlx::test]
async fn static_files_are_served_from_the_site_root(pool: PgPool) {
    let site = tempfile::tempdir().unwrap();
    std::fs::copy("public/favicon.svg", site.path().join("favicon.svg")).unwrap();
    let app = TestApp::builder(pool).site_root(site.path()).spawn().await;
    let response = app.get("/favicon.svg").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        response.bytes().await.unwrap(),
        std::fs::read("public/favicon.svg").unwrap()
    );
}

/// A page keeps its own headers while other clients fetch the site's files. (leptos_axum's file
/// handler, which served them before, moved the headers of a page being rendered at the same
/// time into the file's answer: the page came without its Content-Security-Policy, so with the
/// default `default-src 'none'`, unstyled and without its scripts, about one page in five.)
#[sqlx::test]
async fn a_page_keeps_its_headers_while_the_sites_files_are_fetched(pool: PgPool) {
    let site = tempfile::tempdir().unwrap();
    std::fs::copy("public/favicon.svg", site.path().join("favicon.svg")).unwrap();
    let app = TestApp::builder(pool).site_root(site.path()).spawn().await;
    crate::helpers::ApiClient::new(&app, "ada@example.com").await;
    let cookie = crate::browser::sign_in(&app, "ada@example.com").await;
    let csp = |response: &reqwest::Response| {
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    for round in 0..60 {
        let (page, first, second) = tokio::join!(
            crate::browser::get_with_cookie(&app, "/tasks", &cookie),
            app.get("/favicon.svg"),
            app.get("/favicon.svg"),
        );
        assert_eq!(page.status(), 200);
        assert!(
            csp(&page).contains("script-src 'self' 'nonce-"),
            "round {round}: the page's policy was {}",
            csp(&page)
        );
        for file in [first, second] {
            assert_eq!(file.status(), 200);
            assert!(
                csp(&file).starts_with("default-src 'none'"),
                "{}",
                csp(&file)
            );
        }
    }
}
