//! Issue 14, the server's side: the web app's sidebar, views, edit form and moves, through the
//! server functions as the page's script and a browser without JavaScript call them.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use taskdeck::domain::{Lists, TaskForm, TaskPage};
use taskdeck::error::AppError;

use crate::browser::{app_error, get_with_cookie, location, post_from, script_call, sign_in};
use crate::helpers::{urlencode, ApiClient, TestApp};

/// A script call with these form fields.
async fn call(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: &str,
) -> reqwest::Response {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    script_call(app, path, &body, Some(cookie)).await
}

async fn lists(app: &TestApp, cookie: &str) -> Lists {
    let response = call(app, "/rpc/lists", &[], cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The titles a view lists, in its order.
async fn view_titles(app: &TestApp, view: &str, cookie: &str) -> Vec<String> {
    let response = call(app, "/rpc/tasks/list", &[("view", view)], cookie).await;
    assert_eq!(response.status(), StatusCode::OK, "{view}");
    let page: TaskPage = response.json().await.unwrap();
    page.tasks.into_iter().map(|t| t.title).collect()
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn project(client: &ApiClient<'_>, name: &str) -> String {
    let response = client
        .send(Method::POST, "/api/projects", Some(json!({"name": name})))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let project: Value = response.json().await.unwrap();
    project["id"].as_str().unwrap().to_owned()
}

#[sqlx::test]
async fn the_sidebar_lists_the_callers_own_projects_and_labels_with_their_counts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let home = project(&ada, "home").await;
    project(&ada, "Errands").await;
    project(&bob, "Bob's secret").await;
    for (title, done) in [("a", false), ("b", false), ("c", true)] {
        ada.create(
            json!({"title": title, "project_id": home, "completed": done, "labels": ["bills"]}),
        )
        .await;
    }
    let cookie = sign_in(&app, "ada@example.com").await;
    let response = call(&app, "/rpc/labels/create", &[("name", "later")], &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let lists = lists(&app, &cookie).await;
    let projects: Vec<(&str, i64, i64)> = lists
        .projects
        .iter()
        .map(|p| (p.name.as_str(), p.open, p.tasks))
        .collect();
    assert_eq!(
        projects,
        [("Errands", 0, 0), ("home", 2, 3)],
        "by name, case-insensitively"
    );
    let labels: Vec<(&str, i64)> = lists
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.tasks))
        .collect();
    assert_eq!(labels, [("bills", 3), ("later", 0)]);

    let response = script_call(&app, "/rpc/lists", "", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn projects_and_labels_are_managed_by_their_owner_only(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    ApiClient::new(&app, "bob@example.com").await;
    let home = project(&ada, "Home").await;
    ada.create(json!({"title": "Pay rent", "project_id": home}))
        .await;
    let ada_cookie = sign_in(&app, "ada@example.com").await;
    let bob_cookie = sign_in(&app, "bob@example.com").await;
    let label = {
        call(
            &app,
            "/rpc/labels/create",
            &[("name", "bills")],
            &ada_cookie,
        )
        .await;
        lists(&app, &ada_cookie).await.labels[0].id.to_string()
    };

    // Bob cannot reach Ada's project or label by its id.
    for (path, id) in [
        ("/rpc/projects/rename", &home),
        ("/rpc/projects/delete", &home),
        ("/rpc/labels/rename", &label),
        ("/rpc/labels/delete", &label),
    ] {
        let response = call(&app, path, &[("id", id), ("name", "Mine now")], &bob_cookie).await;
        let error = app_error(response, StatusCode::NOT_FOUND).await;
        assert!(matches!(error, AppError::Missing(_)), "{path}: {error:?}");
    }
    let response = call(
        &app,
        "/rpc/projects/rename",
        &[("id", "not-an-id"), ("name", "x")],
        &ada_cookie,
    )
    .await;
    app_error(response, StatusCode::NOT_FOUND).await;
    let lists_now = lists(&app, &ada_cookie).await;
    assert_eq!(lists_now.projects[0].name, "Home");
    assert_eq!(lists_now.labels[0].name, "bills");

    // Names follow the API's rules, and say which field.
    let response = call(
        &app,
        "/rpc/projects/create",
        &[("name", "home")],
        &ada_cookie,
    )
    .await;
    let error = app_error(response, StatusCode::CONFLICT).await;
    assert!(error.to_string().contains("already"), "{error}");
    let response = call(&app, "/rpc/labels/create", &[("name", "a,b")], &ada_cookie).await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(error.field("name").is_some(), "{error:?}");
    let long = "x".repeat(101);
    let response = call(
        &app,
        "/rpc/projects/create",
        &[("name", &long)],
        &ada_cookie,
    )
    .await;
    app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    // Without JavaScript: delete the project from its own page, land on /tasks, its task gone.
    let origin = app.origin();
    let referer = format!("{origin}/tasks?project={home}");
    let response = post_from(
        &app,
        "/rpc/projects/delete",
        &[("id", &home), ("back", "/tasks")],
        &origin,
        &referer,
        Some(&ada_cookie),
    )
    .await;
    assert!(response.status().is_redirection());
    assert_eq!(location(&response), "/tasks");
    let tasks: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tasks, 0, "the project's task went with it");
    assert!(lists(&app, &ada_cookie).await.projects.is_empty());
}

#[sqlx::test]
async fn each_view_lists_what_it_names(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let home = project(&ada, "Home").await;
    ada.create(json!({"title": "overdue", "due_date": day(-2)}))
        .await;
    ada.create(json!({"title": "today", "due_date": day(0), "priority": 3, "project_id": home, "labels": ["bills"]}))
        .await;
    ada.create(json!({"title": "done today", "due_date": day(0), "completed": true}))
        .await;
    ada.create(json!({"title": "in three days", "due_date": day(3), "labels": ["bills"]}))
        .await;
    ada.create(json!({"title": "tomorrow", "due_date": day(1), "project_id": home}))
        .await;
    ada.create(json!({"title": "someday"})).await;
    bob.create(json!({"title": "bob's", "due_date": day(0)}))
        .await;
    let cookie = sign_in(&app, "ada@example.com").await;

    assert_eq!(
        view_titles(&app, "/today", &cookie).await,
        ["overdue", "today"]
    );
    assert_eq!(
        view_titles(&app, "/upcoming", &cookie).await,
        ["tomorrow", "in three days"]
    );
    let project_view = format!("/tasks?project={home}");
    assert_eq!(
        view_titles(&app, &project_view, &cookie).await,
        ["tomorrow", "today"]
    );
    let combined = format!("/tasks?project={home}&label=BILLS&priority=3");
    assert_eq!(view_titles(&app, &combined, &cookie).await, ["today"]);
    assert_eq!(
        view_titles(&app, "/tasks?project=inbox&due=none", &cookie).await,
        ["someday"]
    );
    assert_eq!(
        view_titles(&app, "/tasks?sort=due&filter=active", &cookie).await,
        ["overdue", "today", "tomorrow", "in three days", "someday"]
    );
    // Manual order without a project is newest first; a mistyped value is left out.
    assert_eq!(
        view_titles(&app, "/tasks?sort=manual&priority=9&filter=active", &cookie).await,
        ["someday", "tomorrow", "in three days", "today", "overdue"]
    );
    // Another user's project is the API's error, on its field.
    let bobs = project(&bob, "Bob's").await;
    let response = call(
        &app,
        "/rpc/tasks/list",
        &[("view", &format!("/tasks?project={bobs}"))],
        &cookie,
    )
    .await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(error.field("project").is_some(), "{error:?}");

    // Rendered on the server, with the view's heading and groups.
    let page = get_with_cookie(&app, "/today", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Today</h1>"), "{page}");
    assert!(
        page.contains(">Overdue</h2>") && !page.contains("bob&#x27;s"),
        "{page}"
    );
    let page = get_with_cookie(&app, &project_view, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Home</h1>"), "{page}");
}

#[sqlx::test]
async fn the_edit_form_sets_every_field_with_and_without_javascript(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let home = project(&ada, "Home").await;
    let bobs = project(&bob, "Bob's").await;
    let task = ada.create(json!({"title": "Pay rent"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&app, "ada@example.com").await;
    let due = day(5);
    let fields = |project: &'static str| {
        vec![
            ("id", id.clone()),
            ("title", "Pay the rent".to_owned()),
            ("description", String::new()),
            ("project", project.to_owned()),
            ("labels", "bills, Home ,bills".to_owned()),
            ("priority", "2".to_owned()),
            ("due_date", due.clone()),
            ("due_time", "09:30".to_owned()),
            ("fields", TaskForm::FIELDS.to_owned()),
        ]
    };
    let home_static: &'static str = Box::leak(home.clone().into_boxed_str());
    let response = call(
        &app,
        "/rpc/tasks/update",
        &pairs(&fields(home_static)),
        &cookie,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, saved) = ada.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(saved["title"], "Pay the rent");
    assert_eq!(saved["project_id"], home.as_str());
    assert_eq!(saved["labels"], json!(["bills", "Home"]));
    assert_eq!(saved["priority"], 2);
    assert_eq!(saved["due_date"], due.as_str());
    assert_eq!(saved["due_time"], "09:30");

    // Another user's project: the project field says so, and nothing changes.
    let bobs_static: &'static str = Box::leak(bobs.into_boxed_str());
    let response = call(
        &app,
        "/rpc/tasks/update",
        &pairs(&fields(bobs_static)),
        &cookie,
    )
    .await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(error.field("project").is_some(), "{error:?}");
    // Every mistake at once, by field.
    let wrong = [
        ("id", id.as_str()),
        ("title", " "),
        ("priority", "7"),
        ("due_date", ""),
        ("due_time", "09:00"),
        ("fields", TaskForm::FIELDS),
    ];
    let error = app_error(
        call(&app, "/rpc/tasks/update", &wrong, &cookie).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    for field in ["title", "priority", "due_time"] {
        assert!(error.field(field).is_some(), "{field}: {error:?}");
    }
    let (_, unchanged) = ada.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(unchanged["version"], saved["version"]);

    // Without JavaScript: back to the Inbox, clear the date, and return to the page.
    let origin = app.origin();
    let response = post_from(
        &app,
        "/rpc/tasks/update",
        &[
            ("id", &id),
            ("title", "Pay the rent"),
            ("project", ""),
            ("labels", ""),
            ("priority", "0"),
            ("due_date", ""),
            ("due_time", ""),
            ("fields", TaskForm::FIELDS),
            ("back", "/tasks?project=inbox"),
        ],
        &origin,
        &format!("{origin}/tasks?project=inbox&edit={id}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(location(&response), "/tasks?project=inbox");
    let (_, cleared) = ada.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(
        (
            &cleared["project_id"],
            &cleared["labels"],
            &cleared["priority"],
            &cleared["due_date"]
        ),
        (&Value::Null, &json!([]), &json!(0), &Value::Null)
    );
}

#[sqlx::test]
async fn moves_keep_to_the_callers_tasks_and_work_without_javascript(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let home = project(&ada, "Home").await;
    let work = project(&ada, "Work").await;
    let mut ids = Vec::new();
    for title in ["c", "b", "a"] {
        // Each new task lands at the top: the manual order reads a, b, c.
        let task = ada
            .create(json!({"title": title, "project_id": home}))
            .await;
        ids.push(task["id"].as_str().unwrap().to_owned());
    }
    let (c, b, a) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let manual = format!("/tasks?project={home}&sort=manual");
    let cookie = sign_in(&app, "ada@example.com").await;
    assert_eq!(view_titles(&app, &manual, &cookie).await, ["a", "b", "c"]);

    // Alt+↓ on "a" from the script: after "b".
    let response = call(
        &app,
        "/rpc/tasks/move",
        &[("id", &a), ("after", &b)],
        &cookie,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(view_titles(&app, &manual, &cookie).await, ["b", "a", "c"]);
    // The no-JavaScript "Move up" on "c": before "a", back to the page.
    let origin = app.origin();
    let response = post_from(
        &app,
        "/rpc/tasks/move",
        &[("id", &c), ("before", &a), ("back", &manual)],
        &origin,
        &format!("{origin}{manual}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(location(&response), manual);
    assert_eq!(view_titles(&app, &manual, &cookie).await, ["b", "c", "a"]);
    // Dropped on another project: to its top.
    call(
        &app,
        "/rpc/tasks/move",
        &[("id", &b), ("project", &work)],
        &cookie,
    )
    .await;
    assert_eq!(view_titles(&app, &manual, &cookie).await, ["c", "a"]);
    let work_view = format!("/tasks?project={work}");
    assert_eq!(view_titles(&app, &work_view, &cookie).await, ["b"]);

    // Mistakes: both anchors, itself, an anchor elsewhere, another user's task or project.
    for (fields, status) in [
        (
            vec![
                ("id", a.as_str()),
                ("before", c.as_str()),
                ("after", c.as_str()),
            ],
            422,
        ),
        (vec![("id", a.as_str()), ("before", a.as_str())], 422),
        (vec![("id", a.as_str()), ("before", b.as_str())], 422),
        (vec![("id", a.as_str()), ("before", "nonsense")], 422),
    ] {
        let response = call(&app, "/rpc/tasks/move", &fields, &cookie).await;
        assert_eq!(response.status().as_u16(), status, "{fields:?}");
    }
    let bobs_project = project(&bob, "Bob's").await;
    let response = call(
        &app,
        "/rpc/tasks/move",
        &[("id", &a), ("project", &bobs_project)],
        &cookie,
    )
    .await;
    let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(error.field("project").is_some(), "{error:?}");
    let bob_cookie = sign_in(&app, "bob@example.com").await;
    let response = call(&app, "/rpc/tasks/move", &[("id", &a)], &bob_cookie).await;
    app_error(response, StatusCode::NOT_FOUND).await;
    assert_eq!(view_titles(&app, &manual, &cookie).await, ["c", "a"]);
}

/// Borrowed form fields.
fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Today's list is read for the user's date; "Load more" after the user's midnight continues the
/// list the page shows (its cursor names that date) instead of failing on a cursor made for
/// another day, with and without JavaScript.
#[sqlx::test]
async fn loading_more_of_today_after_midnight_continues_the_same_list(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    // Twelve hours behind UTC, then fourteen ahead: the user's date moves on by a day or two
    // between the two pages, as when midnight passes.
    let zone = |name: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query("UPDATE users SET timezone = $1 WHERE email = 'ada@example.com'")
                .bind(name)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    zone("Etc/GMT+12").await;
    let due = (Utc::now() - Duration::hours(12)).date_naive().to_string();
    let page_size = usize::try_from(taskdeck::server_fns::tasks::PAGE_SIZE).unwrap();
    for n in 0..page_size + 5 {
        ada.create(json!({"title": format!("task {n:02}"), "due_date": due}))
            .await;
    }
    let cookie = sign_in(&app, "ada@example.com").await;
    let response = call(&app, "/rpc/tasks/list", &[("view", "/today")], &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let first: TaskPage = response.json().await.unwrap();
    assert_eq!(first.tasks.len(), page_size);
    let next = first.next.expect("a second page");

    zone("Pacific/Kiritimati").await;
    let fields = [("view", "/today"), ("cursor", next.as_str())];
    let response = call(&app, "/rpc/tasks/list", &fields, &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: TaskPage = response.json().await.unwrap();
    let titles: Vec<String> = second.tasks.iter().map(|t| t.title.clone()).collect();
    assert_eq!(
        titles,
        ["task 04", "task 03", "task 02", "task 01", "task 00"]
    );
    assert!(second.next.is_none());

    // The page's own "Load more" link, without JavaScript.
    let page = get_with_cookie(
        &app,
        &format!("/today?cursor={}", urlencode(&next)),
        &cookie,
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(
        page.contains(">task 00</span>") && !page.contains(">task 05</span>"),
        "{page}"
    );

    // A cursor with a day that is not a date (or not one a task can be due on) is refused on
    // `cursor` alone, as any other mistyped one.
    let api_cursor = next.split_once('~').map_or("", |(_, c)| c);
    for day in ["someday", "0100-01-01"] {
        let broken = format!("{day}~{api_cursor}");
        let fields = [("view", "/today"), ("cursor", broken.as_str())];
        let response = call(&app, "/rpc/tasks/list", &fields, &cookie).await;
        let error = app_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            error.field("cursor").is_some() && error.field("due_to").is_none(),
            "{day}: {error:?}"
        );
    }
}

/// Without JavaScript, an edit the server refuses comes back as it was typed, beside its
/// messages, once; and the stored task is untouched. (The redirect carries the error only: what
/// was typed waits in the session for that one render.)
#[sqlx::test]
async fn a_refused_edit_without_javascript_comes_back_as_typed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let home = project(&ada, "Home").await;
    let task = ada
        .create(json!({"title": "Pay rent", "description": "Monthly"}))
        .await;
    let id = task["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&app, "ada@example.com").await;
    let origin = app.origin();
    let form_page = format!("/tasks?edit={id}");
    let labels = (0..21)
        .map(|i| format!("tag{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let response = post_from(
        &app,
        "/rpc/tasks/update",
        &[
            ("id", &id),
            ("title", "Pay the rent <now>"),
            ("description", "Before the 5th"),
            ("project", &home),
            ("labels", &labels),
            ("priority", "2"),
            ("due_date", "2027-01-05"),
            ("due_time", "09:30"),
            ("fields", TaskForm::FIELDS),
            ("back", "/tasks"),
        ],
        &origin,
        &format!("{origin}{form_page}"),
        Some(&cookie),
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let back = location(&response);
    let back = back.strip_prefix(&origin).unwrap_or(&back).to_owned();
    assert!(
        back.starts_with(&form_page) && back.contains("__err"),
        "{back}"
    );

    let page = get_with_cookie(&app, &back, &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    for typed in [
        "value=\"Pay the rent &lt;now&gt;\"",
        ">Before the 5th</textarea>",
        &format!("value=\"{labels}\""),
        "value=\"2027-01-05\"",
        "value=\"09:30\"",
        &format!("value=\"{home}\" selected"),
        "value=\"2\" selected",
        "must have at most 20 labels",
    ] {
        assert!(page.contains(typed), "{typed} in {page}");
    }
    let (_, stored) = ada.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(
        (&stored["title"], &stored["version"]),
        (&json!("Pay rent"), &task["version"])
    );

    // Once: the form opened again shows the task as stored.
    let page = get_with_cookie(&app, &form_page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("value=\"Pay rent\"") && !page.contains("Pay the rent"),
        "{page}"
    );
}
