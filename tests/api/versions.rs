//! API-sync.md, Versions and ETags: every task, project and label has a version (1 at creation,
//! +1 on every change), every answer carrying one of them has its `ETag`, `If-None-Match` makes
//! a 304 and `If-Match` guards every write with a 412 that shows the current resource.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_problem, join_all, ApiClient, TestApp};

async fn send(
    client: &ApiClient<'_>,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Response {
    let mut request = client
        .app
        .client
        .request(method, client.app.url(path))
        .bearer_auth(&client.token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

fn etag(response: &Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// A response's ETag, its status and its body (checked to agree with the body's version).
async fn versioned(response: Response, status: u16) -> (String, Value) {
    assert_eq!(response.status().as_u16(), status);
    let tag = etag(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(tag, format!("\"{}\"", body["version"]), "{body}");
    (tag, body)
}

#[sqlx::test]
async fn every_single_task_answer_has_its_version_as_etag(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let project = send(
        &ada,
        Method::POST,
        "/api/projects",
        &[],
        Some(json!({"name": "Home"})),
    )
    .await;
    let (_, project) = versioned(project, 201).await;

    let created = send(
        &ada,
        Method::POST,
        "/api/tasks",
        &[],
        Some(json!({"title": "t"})),
    )
    .await;
    let (tag, task) = versioned(created, 201).await;
    assert_eq!(tag, "\"1\"");
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let steps: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"title": "u"}))),
        (Method::PUT, path.clone(), Some(json!({"title": "v"}))),
        (Method::PATCH, format!("{path}/toggle"), None),
        (
            Method::POST,
            format!("{path}/move"),
            Some(json!({"project_id": project["id"]})),
        ),
        (Method::GET, path.clone(), None),
    ];
    let mut version = 1;
    for (method, at, body) in steps {
        let changes = method != Method::GET;
        let (tag, task) = versioned(send(&ada, method.clone(), &at, &[], body).await, 200).await;
        if changes {
            version += 1;
        }
        assert_eq!(task["version"], version, "{method} {at}");
        assert_eq!(tag, format!("\"{version}\""));
    }
}

#[sqlx::test]
async fn projects_and_labels_have_versions_too_and_a_label_change_is_a_change_of_its_tasks(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for kind in ["projects", "labels"] {
        let (tag, made) = versioned(
            send(
                &ada,
                Method::POST,
                &format!("/api/{kind}"),
                &[],
                Some(json!({"name": "a"})),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(tag, "\"1\"");
        let path = format!("/api/{kind}/{}", made["id"].as_str().unwrap());
        let (tag, _) = versioned(send(&ada, Method::GET, &path, &[], None).await, 200).await;
        assert_eq!(tag, "\"1\"");
        let renamed = send(&ada, Method::PATCH, &path, &[], Some(json!({"name": "b"}))).await;
        let (tag, renamed) = versioned(renamed, 200).await;
        assert_eq!(
            (tag.as_str(), renamed["version"].as_i64()),
            ("\"2\"", Some(2))
        );
        // Listed with their versions.
        let (_, list) = ada.get_json(&format!("/api/{kind}")).await;
        assert_eq!(list[0]["version"], 2);
    }
    // A label's rename and delete change the tasks that carry it.
    let task = ada.create(json!({"title": "t", "labels": ["x"]})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let (_, labels) = ada.get_json("/api/labels").await;
    let x = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "x")
        .unwrap()
        .clone();
    let x_path = format!("/api/labels/{}", x["id"].as_str().unwrap());
    let renamed = send(
        &ada,
        Method::PATCH,
        &x_path,
        &[],
        Some(json!({"name": "y"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(ada.get_json(&path).await.1["version"], 2);
    assert_eq!(
        send(&ada, Method::DELETE, &x_path, &[], None)
            .await
            .status(),
        204
    );
    let (_, now) = ada.get_json(&path).await;
    assert_eq!(
        (now["version"].as_i64(), &now["labels"]),
        (Some(3), &json!([]))
    );
}

#[sqlx::test]
async fn if_none_match_with_the_current_etag_is_a_304(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "t"})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    for value in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
        let response = send(&ada, Method::GET, &path, &[("if-none-match", value)], None).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{value}");
        assert_eq!(etag(&response), "\"1\"");
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let response = send(
        &ada,
        Method::GET,
        &path,
        &[("if-none-match", "\"2\"")],
        None,
    )
    .await;
    versioned(response, 200).await;
    // After a change the old tag no longer matches.
    send(&ada, Method::PATCH, &path, &[], Some(json!({"title": "u"}))).await;
    let response = send(
        &ada,
        Method::GET,
        &path,
        &[("if-none-match", "\"1\"")],
        None,
    )
    .await;
    let (tag, _) = versioned(response, 200).await;
    assert_eq!(tag, "\"2\"");
    // Projects and labels alike.
    for kind in ["projects", "labels"] {
        let made = send(
            &ada,
            Method::POST,
            &format!("/api/{kind}"),
            &[],
            Some(json!({"name": "a"})),
        )
        .await;
        let (_, made) = versioned(made, 201).await;
        let path = format!("/api/{kind}/{}", made["id"].as_str().unwrap());
        let response = send(
            &ada,
            Method::GET,
            &path,
            &[("if-none-match", "\"1\"")],
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{kind}");
    }
}

/// Each guarded write of a task, with a stale `If-Match`: 412, the current task in `current`,
/// nothing changed; with the current ETag (or `*`): done.
#[sqlx::test]
async fn if_match_guards_every_write_of_a_task(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let home = ada
        .send(Method::POST, "/api/projects", Some(json!({"name": "Home"})))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let task = ada.create(json!({"title": "t"})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, path.clone(), Some(json!({"title": "put"}))),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"title": "patched"})),
        ),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"labels": ["new"]})),
        ),
        (Method::PATCH, format!("{path}/toggle"), None),
        (
            Method::POST,
            format!("{path}/move"),
            Some(json!({"project_id": home["id"]})),
        ),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, at, body) in writes {
        let (_, before) = ada.get_json(&path).await;
        let version = before["version"].as_i64().unwrap();
        let stale = format!("\"{}\"", version - 1);
        for tags in [stale.as_str(), "W/\"1\"", "\"x\""] {
            let response = send(
                &ada,
                method.clone(),
                &at,
                &[("if-match", tags)],
                body.clone(),
            )
            .await;
            assert_eq!(
                etag(&response),
                format!("\"{version}\""),
                "{method} {at} {tags}"
            );
            let problem = assert_problem(response, 412).await;
            assert_eq!(problem["current"], before, "{method} {at}");
            assert_eq!(ada.get_json(&path).await.1, before, "nothing changed");
        }
        // The current tag (among others), then `*`.
        let tags = format!("\"{}\", \"{version}\"", version + 5);
        let response = send(
            &ada,
            method.clone(),
            &at,
            &[("if-match", &tags)],
            body.clone(),
        )
        .await;
        assert!(
            response.status().is_success(),
            "{method} {at}: {}",
            response.status()
        );
        if method != Method::DELETE {
            let (tag, after) = versioned(response, 200).await;
            assert_eq!(after["version"], version + 1);
            let response = send(
                &ada,
                method.clone(),
                &at,
                &[("if-match", "*")],
                body.clone(),
            )
            .await;
            assert!(response.status().is_success(), "{method} {at} *");
            assert_ne!(etag(&response), tag);
        }
    }
    // Gone: 404 with or without If-Match.
    for tags in ["\"1\"", "*"] {
        let response = send(
            &ada,
            Method::PATCH,
            &path,
            &[("if-match", tags)],
            Some(json!({"title": "x"})),
        )
        .await;
        assert_problem(response, 404).await;
    }
}

#[sqlx::test]
async fn if_match_guards_renames_and_deletes_of_projects_and_labels(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    for kind in ["projects", "labels"] {
        let made = send(
            &ada,
            Method::POST,
            &format!("/api/{kind}"),
            &[],
            Some(json!({"name": "a"})),
        )
        .await;
        let (_, made) = versioned(made, 201).await;
        let path = format!("/api/{kind}/{}", made["id"].as_str().unwrap());
        let renamed = send(
            &ada,
            Method::PATCH,
            &path,
            &[("if-match", "\"1\"")],
            Some(json!({"name": "b"})),
        )
        .await;
        let (_, renamed) = versioned(renamed, 200).await;
        for (method, body) in [
            (Method::PATCH, Some(json!({"name": "c"}))),
            (Method::DELETE, None),
        ] {
            let response = send(
                &ada,
                method.clone(),
                &path,
                &[("if-match", "\"1\"")],
                body.clone(),
            )
            .await;
            assert_eq!(etag(&response), "\"2\"");
            let problem = assert_problem(response, 412).await;
            assert_eq!(problem["current"], renamed, "{kind} {method}");
        }
        let response = send(&ada, Method::DELETE, &path, &[("if-match", "\"2\"")], None).await;
        assert_eq!(response.status(), 204, "{kind}");
        let response = send(&ada, Method::DELETE, &path, &[("if-match", "\"2\"")], None).await;
        assert_problem(response, 404).await;
    }
}

/// Another user's task with If-Match: the same 404 as a missing one (never a 412 that would show it).
#[sqlx::test]
async fn if_match_never_reveals_another_users_resource(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let task = ada.create(json!({"title": "ada's"})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    for tags in ["\"1\"", "\"2\"", "*"] {
        let response = send(
            &bob,
            Method::PATCH,
            &path,
            &[("if-match", tags)],
            Some(json!({"title": "x"})),
        )
        .await;
        let problem = assert_problem(response, 404).await;
        assert!(problem.get("current").is_none());
        let response = send(&bob, Method::DELETE, &path, &[("if-match", tags)], None).await;
        assert_problem(response, 404).await;
        let response = send(&bob, Method::GET, &path, &[("if-none-match", tags)], None).await;
        assert_problem(response, 404).await;
    }
    assert_eq!(ada.get_json(&path).await.1, task);
}

/// Twenty writers with the same If-Match: exactly one wins, the others get 412 with the winner's
/// task; no update is lost.
#[sqlx::test]
async fn of_concurrent_writes_with_one_if_match_exactly_one_lands(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let task = ada.create(json!({"title": "t"})).await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let answers = join_all((0..20).map(|n| {
        send(
            &ada,
            Method::PATCH,
            &path,
            &[("if-match", "\"1\"")],
            Some(json!({"title": format!("writer {n}")})),
        )
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 412).count(),
        19,
        "{statuses:?}"
    );
    let (_, now) = ada.get_json(&path).await;
    assert_eq!(now["version"], 2);
}
