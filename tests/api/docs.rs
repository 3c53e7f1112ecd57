//! The API reference at /api/docs: a page under a policy of its own (scripts and styles from this
//! origin only, none inline), and Swagger UI's files, committed copies of the npm package that
//! end2end/package.json pins, served from the site root. Here the site root is `public/` itself,
//! which cargo-leptos copies into the real one as it is.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{assert_problem, TestApp};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// A policy's directives by name, each with its source list.
fn directives(csp: &str) -> BTreeMap<&str, Vec<&str>> {
    csp.split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            Some((words.next()?, words.collect()))
        })
        .collect()
}

/// The version of swagger-ui-dist end2end/package.json pins.
fn pinned_swagger_ui() -> String {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string("end2end/package.json").unwrap()).unwrap();
    manifest["devDependencies"]["swagger-ui-dist"]
        .as_str()
        .expect("end2end/package.json pins swagger-ui-dist")
        .to_owned()
}

/// Every `/api/docs/…` URL the page names (its stylesheets and scripts), in order.
fn linked_files(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|quoted| quoted.starts_with("/api/docs/"))
        .map(str::to_owned)
        .collect()
}

async fn app_serving_public(pool: PgPool) -> TestApp {
    TestApp::builder(pool)
        .site_root(Path::new("public"))
        .spawn()
        .await
}

#[sqlx::test]
async fn the_reference_page_is_html_under_a_policy_without_inline_scripts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/api/docs").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    // Nobody's data: it may be kept, if revalidated.
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let policy = directives(&csp);
    assert_eq!(policy["default-src"], ["'none'"], "{csp}");
    assert_eq!(policy["script-src"], ["'self'"], "{csp}");
    assert_eq!(policy["style-src"], ["'self'"], "{csp}");
    assert_eq!(policy["connect-src"], ["'self'"], "{csp}");
    assert_eq!(policy["frame-ancestors"], ["'none'"], "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(!csp.contains('*'), "{csp}");

    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    // Every script is a file of this origin: nothing inline for the policy to allow.
    for tag in html.split("<script").skip(1) {
        assert!(
            tag.trim_start().starts_with("src=\"/"),
            "an inline or foreign script: <script{tag}"
        );
    }
    assert!(!html.contains("<style"), "{html}");
    assert!(!html.contains("://"), "nothing from other origins: {html}");
}

#[sqlx::test]
async fn the_files_the_page_names_are_served_from_the_site_root(pool: PgPool) {
    let app = app_serving_public(pool).await;
    let html = app.get("/api/docs").await.text().await.unwrap();
    let files = linked_files(&html);
    // The pinned version's stylesheets and bundle, then our initializer.
    let vendored = format!("/api/docs/swagger-ui-{}/", pinned_swagger_ui());
    assert_eq!(
        files.iter().filter(|f| f.starts_with(&vendored)).count(),
        3,
        "{files:?}"
    );
    assert_eq!(files.last().map(String::as_str), Some("/api/docs/init.js"));
    assert_eq!(files.len(), 4, "{files:?}");

    for path in &files {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "identity")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        let kind = if path.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert_eq!(headers["content-type"], kind, "{path}");
        // The version is in the path; our initializer changes under its own name.
        let cache = if path.starts_with(&vendored) {
            IMMUTABLE
        } else {
            "no-cache"
        };
        assert_eq!(headers["cache-control"], cache, "{path}");
        assert_eq!(headers["vary"], "accept-encoding", "{path}");
        // The page's policy is the page's: a file itself runs nothing.
        assert_eq!(headers["content-security-policy"], DEFAULT_CSP, "{path}");
        assert_eq!(
            response.bytes().await.unwrap(),
            std::fs::read(format!("public{path}")).unwrap(),
            "{path}"
        );
    }

    // The initializer points Swagger UI at this server's own document...
    let init = app.get("/api/docs/init.js").await;
    let last_modified = init.headers()["last-modified"].to_str().unwrap().to_owned();
    assert!(init
        .text()
        .await
        .unwrap()
        .contains(r#"url: "/api/openapi.json""#));
    assert_eq!(app.get("/api/openapi.json").await.status(), 200);
    // ...and revalidating it costs no body.
    let again = app
        .client
        .get(app.url("/api/docs/init.js"))
        .header("if-modified-since", last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[sqlx::test]
async fn other_paths_under_api_docs_are_problem_documents(pool: PgPool) {
    let app = app_serving_public(pool).await;
    let dir = format!("/api/docs/swagger-ui-{}", pinned_swagger_ui());
    for path in [
        "/api/docs/".to_owned(),
        "/api/docs/nope.js".to_owned(),
        format!("{dir}/nope.js"),
        // A directory is neither listed nor redirected to its slash form.
        dir.clone(),
        format!("{dir}/"),
        // Nothing outside the directory, however the path is spelled.
        "/api/docs/..%2f..%2ffavicon.svg".to_owned(),
    ] {
        let body = assert_problem(app.get(&path).await, 404).await;
        assert_eq!(body["detail"], "no such API endpoint", "{path}");
    }
    for path in ["/api/docs", "/api/docs/init.js"] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert!(
            response.headers()["allow"]
                .to_str()
                .unwrap()
                .contains("GET"),
            "{path}"
        );
        assert_problem(response, 405).await;
    }
}

#[test]
fn swagger_ui_is_the_exact_version_end2end_pins() {
    let version = pinned_swagger_ui();
    // An exact version: a range would let `npm install` pick another one.
    assert!(
        version.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "pin an exact version of swagger-ui-dist, not {version}"
    );
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string("end2end/package-lock.json").unwrap())
            .unwrap();
    assert_eq!(
        lock["packages"]["node_modules/swagger-ui-dist"]["version"],
        version.as_str(),
        "end2end/package-lock.json"
    );
    // The committed copy is that version's (the Playwright suite compares the files themselves
    // with the installed package, as the release server sends them).
    let dir = format!("public/api/docs/swagger-ui-{version}");
    let copied = std::fs::read_to_string(format!("{dir}/package.json"))
        .unwrap_or_else(|_| panic!("no {dir}/package.json: run scripts/vendor-swagger-ui"));
    let copied: Value = serde_json::from_str(&copied).unwrap();
    assert_eq!(copied["name"], "swagger-ui-dist");
    assert_eq!(copied["version"], version.as_str());
    // Its license travels with it.
    for file in ["LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"] {
        assert!(Path::new(&dir).join(file).is_file(), "{dir}/{file}");
    }
    // And no copy of another version is left behind.
    let copies: Vec<String> = std::fs::read_dir("public/api/docs")
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("swagger-ui-"))
        .collect();
    assert_eq!(copies, [format!("swagger-ui-{version}")]);
}
