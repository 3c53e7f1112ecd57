//! The OpenAPI document against the contract (API.md and its extension pages): every path and
//! method of the contract is in the document, and real responses of every kind validate against
//! the schemas the document gives for their status.

use std::collections::BTreeSet;

use reqwest::{Method, Response};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestApp, NOT_UTF8_JSON};

/// The contract's pages this build implements, as committed with the tests. An extension page
/// joins this list (and tests/api/) with the issue that implements it, so that a page whose
/// issue is not done yet never breaks the build.
const CONTRACT: [(&str, &str); 4] = [
    ("API.md", include_str!("API.md")),
    ("API-organise.md", include_str!("API-organise.md")),
    ("API-accounts.md", include_str!("API-accounts.md")),
    ("API-sync.md", include_str!("API-sync.md")),
];

/// Operations the contract names that are not built yet, each with the issue that builds it:
/// they must not be in the document (so that this list is emptied when they land).
const NOT_YET_BUILT: [(&str, &str); 0] = [];

/// Every page of the contract, as one text; when the team's shared copy of a page sits beside
/// the checkout, the two must be the same text.
fn contract() -> String {
    let mut all = String::new();
    for (name, committed) in CONTRACT {
        let shared = format!("{}/../shared/{name}", env!("CARGO_MANIFEST_DIR"));
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(
                text, committed,
                "tests/api/{name} differs from ../shared/{name}: copy the contract again"
            );
        }
        all.push_str(committed);
    }
    all
}

/// Every "`METHOD /path`" the contract names.
fn contract_operations(text: &str) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for quoted in text.split('`').skip(1).step_by(2) {
        let mut words = quoted.split(' ');
        if let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) {
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) && path.starts_with('/')
            {
                operations.insert((method.to_lowercase(), path.to_owned()));
            }
        }
    }
    operations
}

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

#[sqlx::test]
async fn every_operation_of_the_contract_is_documented(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut operations = contract_operations(&contract());
    assert!(operations.len() >= 25, "{operations:?}");
    for (method, path) in NOT_YET_BUILT {
        assert!(
            operations.remove(&(method.to_owned(), path.to_owned())),
            "{method} {path} is no longer in the contract"
        );
        assert!(
            doc["paths"][path][method].is_null(),
            "{method} {path} is built now: take it off NOT_YET_BUILT"
        );
    }
    for (method, path) in &operations {
        let operation = &doc["paths"][path][method];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} documents no responses"
        );
    }
    // And nothing is documented that the contract does not name.
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    assert_eq!(documented, operations);
}

/// Whether the contract has this path take a bearer token: a user's own data, settings and
/// credentials (a refresh presents its refresh token in the body instead).
fn needs_token(path: &str) -> bool {
    [
        "/api/tasks",
        "/api/projects",
        "/api/labels",
        "/api/tokens",
        "/api/changes",
        "/api/events",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
        || [
            "/api/auth/me",
            "/api/auth/logout",
            "/api/auth/logout-all",
            "/api/auth/password",
        ]
        .contains(&path)
}

#[sqlx::test]
async fn the_bearer_scheme_guards_exactly_the_token_endpoints(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"] == json!([{"bearer": []}]);
            let should = needs_token(path);
            assert_eq!(secured, should, "{method} {path}");
            if should {
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} must document its 401"
                );
            }
        }
    }
    // The listing's parameters, with the contract's bounds.
    let params = doc["paths"]["/api/tasks"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let named = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
    };
    assert_eq!(named("completed")["schema"]["type"], "boolean");
    assert_eq!(named("completed")["required"], false);
    assert_eq!(named("limit")["schema"]["minimum"], 1);
    assert_eq!(named("limit")["schema"]["maximum"], 500);
    assert_eq!(named("q")["in"], "query");
    assert_eq!(named("cursor")["in"], "query");
}

/// Checks one real response against the document: its status must be documented for the
/// operation, with this content type, and its body must validate against that schema.
async fn conforms(doc: &Value, method: &str, template: &str, response: Response) -> Value {
    let status = response.status().as_u16().to_string();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let mut documented = doc["paths"][template][method]["responses"][&status].clone();
    assert!(
        documented.is_object(),
        "{method} {template}: status {status} is not documented"
    );
    if let Some(reference) = documented["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        documented = doc["components"]["responses"][name].clone();
    }
    for header in documented["headers"].as_object().into_iter().flatten() {
        let name = header.0.to_lowercase();
        // `Link` is only present while more pages follow, `Idempotent-Replayed` only on a
        // replayed answer (tests/api/idempotency.rs).
        if name != "link" && name != "idempotent-replayed" {
            assert!(
                response.headers().contains_key(&name),
                "{method} {template} {status}: no {name} header"
            );
        }
    }
    let text = response.text().await.unwrap();
    let Some(content) = documented["content"].as_object() else {
        assert!(
            text.is_empty(),
            "{method} {template} {status}: undocumented body"
        );
        return Value::Null;
    };
    let content_type = content_type.expect("a body has a content type");
    let schema = content
        .get(&content_type)
        .unwrap_or_else(|| panic!("{method} {template} {status}: {content_type} not documented"))
        ["schema"]
        .clone();
    let body: Value = serde_json::from_str(&text).unwrap();
    let mut root = schema;
    root.as_object_mut()
        .unwrap()
        .insert("components".into(), doc["components"].clone());
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: {body} breaks its schema: {errors:?}"
    );
    let at = format!("{method} {template} {status}");
    assert_sent_members_are_required(doc, &root, &body, &at);
    body
}

/// Every member a real answer carries must be `required` in its schema: a client generated from
/// the document would otherwise type it as optional (`description?:`) although it is always
/// there. (A member sent only sometimes, like `errors`, has a schema of its own where it is
/// always sent.)
fn assert_sent_members_are_required(doc: &Value, schema: &Value, body: &Value, at: &str) {
    let schema = resolve(doc, schema);
    match body {
        Value::Object(members) => {
            let Some(properties) = schema["properties"].as_object() else {
                return;
            };
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (name, value) in members {
                if let Some(property) = properties.get(name) {
                    assert!(
                        required.contains(&name.as_str()),
                        "{at}: `{name}` is sent but not required in its schema {schema}"
                    );
                    assert_sent_members_are_required(doc, property, value, &format!("{at}.{name}"));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                assert_sent_members_are_required(doc, &schema["items"], item, &format!("{at}[]"));
            }
        }
        _ => {}
    }
}

/// A schema with its `$ref` (or, for a nullable reference, its one non-null variant) followed.
fn resolve(doc: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(variant) = schema[combinator]
            .as_array()
            .and_then(|variants| variants.iter().find(|v| v["type"] != "null"))
        {
            return resolve(doc, variant);
        }
    }
    schema.clone()
}

/// Real requests to one app, each answer checked against the document with [`conforms`].
struct Conformance<'a> {
    app: &'a TestApp,
    doc: &'a Value,
}

impl Conformance<'_> {
    /// `method path`, with a bearer `token` and a JSON `body` when given.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Checks `response` as an answer of the operation `method template`; returns its body.
    async fn conforms(&self, method: &Method, template: &str, response: Response) -> Value {
        let method = method.as_str().to_lowercase();
        conforms(self.doc, &method, template, response).await
    }

    /// Sends `method path` (see [`Conformance::send`]) and checks the answer as one of the
    /// operation `method template`'s.
    async fn check(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let response = self.send(method.clone(), path, token, body).await;
        self.conforms(&method, template, response).await
    }

    /// [`Conformance::check`], and the answer must have this `status` (so that a test names
    /// every kind of answer it means to check, and really gets it).
    async fn expect(
        &self,
        status: u16,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let response = self.send(method.clone(), path, token, body).await;
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        self.conforms(&method, template, response).await
    }

    /// `POST path` with `body`, which must answer 201 with a `Location` naming the new resource
    /// (`path/{id}`); the answer is checked as one of `POST path`'s and its body returned.
    async fn create(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let response = self.send(Method::POST, path, token, Some(body)).await;
        assert_eq!(response.status().as_u16(), 201, "POST {path}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created = self.conforms(&Method::POST, path, response).await;
        assert_eq!(
            location,
            format!("{path}/{}", created["id"].as_str().unwrap())
        );
        created
    }

    /// `method path` with a bearer `token` and `body` as it is, labelled `content_type`.
    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

/// The target of a `Link: <…>; rel="next"` header, if the answer has one.
fn next_link(response: &Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().unwrap();
    let target = link.strip_prefix('<')?.split('>').next()?;
    Some(target.to_owned())
}

/// The `id` of a task, a project or a label.
fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[sqlx::test]
async fn responses_of_every_kind_match_their_documented_schemas(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let api = Conformance {
        app: &app,
        doc: &doc,
    };
    let credentials = json!({"email": "ada@example.com", "password": "correct horse"});
    let register = "/api/auth/register";
    let login = "/api/auth/login";
    let me = "/api/auth/me";

    let post = |template, body| api.check(Method::POST, template, template, None, Some(body));
    let body = post(register, credentials.clone()).await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let token = Some(token.as_str());
    post(register, credentials.clone()).await;
    post(register, json!({"email": "no", "password": "x"})).await;
    for (content_type, body) in [
        ("application/json", "{".to_owned()),
        ("text/plain", "{}".to_owned()),
        ("application/json", " ".repeat(70_000)),
    ] {
        let response = app
            .client
            .post(app.url(register))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        api.conforms(&Method::POST, register, response).await;
    }

    post(login, credentials.clone()).await;
    let wrong = json!({"email": "ada@example.com", "password": "wrong horse"});
    let mut last = None;
    for _ in 0..11 {
        last = Some(
            api.send(Method::POST, login, None, Some(wrong.clone()))
                .await,
        );
        if last.as_ref().unwrap().status() == 429 {
            break;
        }
        api.conforms(&Method::POST, login, last.take().unwrap())
            .await;
    }
    let throttled = last.expect("the 11th failure is throttled");
    assert_eq!(throttled.status(), 429);
    api.conforms(&Method::POST, login, throttled).await;

    for authorization in [token, None, Some("not.a.jwt")] {
        api.check(Method::GET, me, me, authorization, None).await;
    }

    let tasks = "/api/tasks";
    let one = "/api/tasks/{id}";
    let toggle = "/api/tasks/{id}/toggle";
    let created = api
        .check(
            Method::POST,
            tasks,
            tasks,
            token,
            Some(json!({"title": "Buy milk", "description": "2 l"})),
        )
        .await;
    for (token, title) in [(token, "Buy bread"), (token, " "), (None, "x")] {
        let body = Some(json!({ "title": title }));
        api.check(Method::POST, tasks, tasks, token, body).await;
    }
    for query in ["?limit=1", "?limit=0"] {
        let path = format!("{tasks}{query}");
        api.check(Method::GET, tasks, &path, token, None).await;
    }
    let task = format!("/api/tasks/{}", created["id"].as_str().unwrap());
    let toggle_task = format!("{task}/toggle");
    let (path, toggle_path) = (task.as_str(), toggle_task.as_str());
    let requests = [
        (Method::GET, one, path, None),
        (Method::GET, one, "/api/tasks/nope", None),
        (
            Method::PUT,
            one,
            path,
            Some(json!({"title": "Buy oat milk"})),
        ),
        (Method::PUT, one, path, Some(json!({"completed": "yes"}))),
        (Method::PATCH, one, path, Some(json!({"description": null}))),
        (Method::PATCH, toggle, toggle_path, None),
        (Method::DELETE, one, path, None),
        (Method::DELETE, one, path, None),
        (Method::PATCH, toggle, toggle_path, None),
    ];
    for (method, template, path, body) in requests {
        api.check(method, template, path, token, body).await;
    }

    for probe in ["/healthz", "/readyz", "/api/openapi.json"] {
        api.check(Method::GET, probe, probe, None, None).await;
    }
}

/// The organising operations of API-organise.md, with every kind of answer each can give, checked
/// against the document like [`responses_of_every_kind_match_their_documented_schemas`]'s; each
/// answer's status is asserted too, so that every kind is really produced.
#[sqlx::test]
async fn organising_responses_match_their_documented_schemas(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let doc = document(&app).await;
    let api = Conformance {
        app: &app,
        doc: &doc,
    };
    let (register, me) = ("/api/auth/register", "/api/auth/me");
    let (projects, project) = ("/api/projects", "/api/projects/{id}");
    let (labels, label) = ("/api/labels", "/api/labels/{id}");
    let (tasks, task, move_task) = ("/api/tasks", "/api/tasks/{id}", "/api/tasks/{id}/move");
    let missing = Uuid::now_v7().to_string();

    // Time zones: at registration, and as the user's setting.
    let ada = json!({
        "email": "ada@example.com", "password": "correct horse", "timezone": "Europe/Berlin"
    });
    let registered = api
        .expect(201, Method::POST, register, register, None, Some(ada))
        .await;
    assert_eq!(registered["user"]["timezone"], "Europe/Berlin");
    let token = registered["access_token"].as_str().unwrap().to_owned();
    let token = Some(token.as_str());
    let bob = json!({
        "email": "bob@example.com", "password": "correct horse", "timezone": "Mars/Olympus_Mons"
    });
    api.expect(422, Method::POST, register, register, None, Some(bob))
        .await;
    let zone = Some(json!({"timezone": "Asia/Tokyo"}));
    let user = api.expect(200, Method::PATCH, me, me, token, zone).await;
    assert_eq!(user["timezone"], "Asia/Tokyo");
    for body in [
        json!({"timezone": "UTC+2"}),
        json!({"timezone": null}),
        json!({}),
    ] {
        api.expect(422, Method::PATCH, me, me, token, Some(body))
            .await;
    }
    let user = api.expect(200, Method::GET, me, me, token, None).await;
    assert_eq!(user["timezone"], "Asia/Tokyo");

    // Projects and labels: created (201 with Location), listed, read, renamed.
    let empty = api
        .expect(200, Method::GET, projects, projects, token, None)
        .await;
    assert_eq!(empty, json!([]));
    api.expect(200, Method::GET, labels, labels, token, None)
        .await;
    let home = api.create(projects, token, json!({"name": "Home"})).await;
    let work = api.create(projects, token, json!({"name": "Work"})).await;
    let errands = api.create(labels, token, json!({"name": "errands"})).await;
    let chores = api.create(labels, token, json!({"name": "chores"})).await;
    let work_id = id_of(&work);
    let home_path = format!("{projects}/{}", id_of(&home));
    let work_path = format!("{projects}/{work_id}");
    let errands_path = format!("{labels}/{}", id_of(&errands));
    let chores_path = format!("{labels}/{}", id_of(&chores));
    let missing_project = format!("{projects}/{missing}");
    let missing_label = format!("{labels}/{missing}");
    let (home_path, missing_project) = (home_path.as_str(), missing_project.as_str());
    let (chores_path, missing_label) = (chores_path.as_str(), missing_label.as_str());
    let (nope_project, nope_label) = ("/api/projects/nope", "/api/labels/nope");
    let name = |name: &str| Some(json!({ "name": name }));
    // Each operation, with the (status, path, body) of each request to it.
    let requests = [
        (
            Method::POST,
            projects,
            vec![
                (409, projects, name("home")),
                (422, projects, name(" ")),
                (422, projects, name("x".repeat(101).as_str())),
                (422, projects, name("a\u{0}b")),
                (422, projects, Some(json!({}))),
                (422, projects, Some(json!({"name": 5}))),
                (422, projects, Some(json!([]))),
            ],
        ),
        (Method::GET, projects, vec![(200, projects, None)]),
        (
            Method::GET,
            project,
            vec![
                (200, home_path, None),
                (404, missing_project, None),
                (404, nope_project, None),
            ],
        ),
        (
            Method::PATCH,
            project,
            vec![
                (200, home_path, name("House")),
                (409, home_path, name("WORK")),
                (422, home_path, name("")),
                (404, missing_project, name("Garden")),
                (404, nope_project, name("Garden")),
            ],
        ),
        (
            Method::DELETE,
            project,
            vec![(404, missing_project, None), (404, nope_project, None)],
        ),
        (
            Method::POST,
            labels,
            vec![
                (409, labels, name("ERRANDS")),
                (422, labels, name("a,b")),
                (422, labels, name("x".repeat(65).as_str())),
                (422, labels, name(" ")),
                (422, labels, Some(json!({}))),
            ],
        ),
        (Method::GET, labels, vec![(200, labels, None)]),
        (
            Method::GET,
            label,
            vec![
                (200, errands_path.as_str(), None),
                (404, missing_label, None),
                (404, nope_label, None),
            ],
        ),
        (
            Method::PATCH,
            label,
            vec![
                (200, chores_path, name("housework")),
                (409, chores_path, name("Errands")),
                (422, chores_path, name("a,b")),
                (404, missing_label, name("garden")),
                (404, nope_label, name("garden")),
            ],
        ),
        (
            Method::DELETE,
            label,
            vec![(404, missing_label, None), (404, nope_label, None)],
        ),
    ];
    for (method, template, cases) in requests {
        for (status, path, body) in cases {
            api.expect(status, method.clone(), template, path, token, body)
                .await;
        }
    }

    // A task with every new field, and a few more to list and move.
    let every_field = json!({
        "title": "Buy milk", "description": "2 l", "project_id": work_id,
        "labels": ["home", "Errands"], "priority": 2,
        "due_date": "2026-12-24", "due_time": "17:30"
    });
    let first = api.create(tasks, token, every_field).await;
    let expected = [
        ("project_id", json!(work_id)),
        ("labels", json!(["errands", "home"])),
        ("priority", json!(2)),
        ("due_date", json!("2026-12-24")),
        ("due_time", json!("17:30")),
        ("completed_at", Value::Null),
    ];
    for (field, value) in expected {
        assert_eq!(first[field], value, "{field}: {first}");
    }
    let first_path = format!("{tasks}/{}", id_of(&first));
    let fetched = api
        .expect(200, Method::GET, task, &first_path, token, None)
        .await;
    assert_eq!(fetched, first);
    let second = json!({
        "title": "Pay rent", "project_id": work_id, "priority": 3, "due_date": "2026-12-01"
    });
    let second = api.create(tasks, token, second).await;
    let third = json!({"title": "Call mum", "project_id": work_id, "labels": ["errands"]});
    let third = api.create(tasks, token, third).await;
    let inbox = json!({
        "title": "Read", "priority": 1, "due_date": "2020-01-01", "due_time": "08:00",
        "completed": true
    });
    let inbox = api.create(tasks, token, inbox).await;
    assert!(inbox["completed_at"].is_string(), "{inbox}");
    let bad_tasks = [
        json!({"title": "x", "priority": 4}),
        json!({"title": "x", "priority": "2"}),
        json!({"title": "x", "priority": 2.0}),
        json!({"title": "x", "due_date": "2026-02-30"}),
        json!({"title": "x", "due_date": "2026-12-24", "due_time": "24:00"}),
        json!({"title": "x", "due_time": "17:30"}),
        json!({"title": "x", "project_id": missing}),
        json!({"title": "x", "project_id": "nope"}),
        json!({"title": "x", "labels": ["a,b"]}),
        json!({"title": "x", "labels": "errands"}),
    ];
    for body in bad_tasks {
        api.expect(422, Method::POST, tasks, tasks, token, Some(body))
            .await;
    }

    // Every sort, one task a page, following each `next` link to the last page; and filters.
    let walks = [
        (format!("{tasks}?sort=created&limit=1"), 4),
        (format!("{tasks}?sort=due&limit=1"), 4),
        (format!("{tasks}?sort=priority&limit=1"), 4),
        (format!("{tasks}?project={work_id}&sort=manual&limit=1"), 3),
        (format!("{tasks}?project=inbox&sort=manual&limit=1"), 1),
    ];
    let mut due_next: Option<String> = None;
    for (first_page, count) in walks {
        let mut path = first_page.clone();
        let mut pages = 0;
        loop {
            let response = api.send(Method::GET, &path, token, None).await;
            assert_eq!(response.status().as_u16(), 200, "GET {path}");
            let next = next_link(&response);
            let page = api.conforms(&Method::GET, tasks, response).await;
            assert_eq!(page.as_array().unwrap().len(), 1, "GET {path}: {page}");
            if pages == 0 && first_page.contains("sort=due") {
                due_next.clone_from(&next);
            }
            pages += 1;
            assert!(pages <= count, "{first_page}: more than {count} pages");
            match next {
                Some(next) => path = next,
                None => break,
            }
        }
        assert_eq!(pages, count, "{first_page}");
    }
    let filters = [
        "project=inbox".to_owned(),
        format!("project={work_id}"),
        "label=errands&label=HOME".to_owned(),
        "label=nothing".to_owned(),
        "priority=2".to_owned(),
        "due=none".to_owned(),
        "due=any".to_owned(),
        "due=overdue".to_owned(),
        "due=today".to_owned(),
        "due=upcoming".to_owned(),
        "due_from=2026-01-01&due_to=2026-12-31".to_owned(),
        format!(
            "project={work_id}&label=errands&priority=2&due=any&due_from=1900-01-01\
             &due_to=9999-12-31&completed=false&q=milk&sort=due&limit=1"
        ),
    ];
    for query in filters {
        let path = format!("{tasks}?{query}");
        api.expect(200, Method::GET, tasks, &path, token, None)
            .await;
    }
    // A cursor is bound to its sort.
    let due_next = due_next.expect("sort=due with limit=1 has a next page");
    let cursor = due_next.split("cursor=").nth(1).unwrap();
    let cursor = cursor.split('&').next().unwrap();
    let bad_queries = [
        "sort=manual".to_owned(),
        "sort=title".to_owned(),
        "due=bogus".to_owned(),
        "priority=4".to_owned(),
        "priority=2.0".to_owned(),
        "project=nope".to_owned(),
        format!("project={missing}"),
        "label=a,b".to_owned(),
        "due_from=2026-02-30".to_owned(),
        "due_from=2026-03-01&due_to=2026-02-28".to_owned(),
        format!("sort=priority&limit=1&cursor={cursor}"),
    ];
    for query in bad_queries {
        let path = format!("{tasks}?{query}");
        api.expect(422, Method::GET, tasks, &path, token, None)
            .await;
    }

    // Moves: to the top, before or after a task, into the Inbox and back; and the bad ones.
    let first_move = format!("{first_path}/move");
    let moves = [
        (200, first_move.clone(), json!({})),
        (200, first_move.clone(), json!({"before": id_of(&third)})),
        (200, first_move.clone(), json!({"after": id_of(&second)})),
        (200, first_move.clone(), json!({"project_id": null})),
        (
            200,
            first_move.clone(),
            json!({"project_id": work_id, "after": id_of(&third)}),
        ),
        (
            422,
            first_move.clone(),
            json!({"before": id_of(&second), "after": id_of(&third)}),
        ),
        (422, first_move.clone(), json!({"before": id_of(&first)})),
        (422, first_move.clone(), json!({"after": missing})),
        (422, first_move.clone(), json!({"before": id_of(&inbox)})),
        (422, first_move.clone(), json!({"project_id": missing})),
        (422, first_move.clone(), json!({"before": "nope"})),
        (422, first_move.clone(), json!([])),
        (404, format!("{tasks}/{missing}/move"), json!({})),
        (404, format!("{tasks}/nope/move"), json!({})),
    ];
    for (status, path, body) in moves {
        let moved = api
            .expect(status, Method::POST, move_task, &path, token, Some(body))
            .await;
        if status == 200 {
            assert_eq!(moved["id"], first["id"], "{moved}");
        }
    }

    // The task writes API.md had, with the new fields.
    let long_label = "x".repeat(65);
    let writes = [
        (
            200,
            Method::PUT,
            json!({
                "title": "Buy oat milk", "project_id": work_id, "labels": ["HOME"],
                "priority": 1, "due_date": "2026-12-24", "due_time": "18:00"
            }),
        ),
        (
            422,
            Method::PUT,
            json!({"title": "x", "project_id": missing}),
        ),
        (422, Method::PUT, json!({"title": "x", "due_time": "18:00"})),
        (200, Method::PATCH, json!({"labels": [], "due_date": null})),
        (
            200,
            Method::PATCH,
            json!({"project_id": null, "priority": 3, "due_date": "2030-01-01", "due_time": "09:15"}),
        ),
        (422, Method::PATCH, json!({"priority": 2.0})),
        (422, Method::PATCH, json!({"due_time": "7:05"})),
        (422, Method::PATCH, json!({"labels": [long_label]})),
        (422, Method::PATCH, json!({"project_id": "nope"})),
    ];
    for (status, method, body) in writes {
        api.expect(status, method, task, &first_path, token, Some(body))
            .await;
    }

    // No token: 401 on every new operation.
    let unauthenticated = [
        (Method::GET, projects, projects.to_owned(), None),
        (Method::POST, projects, projects.to_owned(), name("Garden")),
        (Method::GET, project, home_path.to_owned(), None),
        (Method::PATCH, project, home_path.to_owned(), name("Garden")),
        (Method::DELETE, project, home_path.to_owned(), None),
        (Method::GET, labels, labels.to_owned(), None),
        (Method::POST, labels, labels.to_owned(), name("garden")),
        (Method::GET, label, errands_path.clone(), None),
        (Method::PATCH, label, errands_path.clone(), name("garden")),
        (Method::DELETE, label, errands_path.clone(), None),
        (Method::POST, move_task, first_move.clone(), Some(json!({}))),
        (
            Method::PATCH,
            me,
            me.to_owned(),
            Some(json!({"timezone": "UTC"})),
        ),
        (
            Method::GET,
            tasks,
            format!("{tasks}?project=inbox&sort=manual"),
            None,
        ),
    ];
    for (method, template, path, body) in unauthenticated {
        api.expect(401, method, template, &path, None, body).await;
    }

    // Bodies that are not JSON, too large, or not labelled JSON, on every new operation that
    // takes one (they all document `BodyErrors`).
    let body_operations = [
        (Method::POST, projects, projects.to_owned()),
        (Method::PATCH, project, home_path.to_owned()),
        (Method::POST, labels, labels.to_owned()),
        (Method::PATCH, label, chores_path.to_owned()),
        (Method::POST, move_task, first_move.clone()),
        (Method::PATCH, me, me.to_owned()),
    ];
    let bad_bodies: [(u16, &str, Vec<u8>); 4] = [
        (400, "application/json", b"{".to_vec()),
        (400, "application/json", NOT_UTF8_JSON.to_vec()),
        (413, "application/json", vec![b' '; 70_000]),
        (415, "text/plain", b"{}".to_vec()),
    ];
    for (method, template, path) in &body_operations {
        for (status, content_type, body) in &bad_bodies {
            let response = api
                .send_raw(method.clone(), path, token, content_type, body.clone())
                .await;
            let at = format!("{method} {path} ({content_type})");
            assert_eq!(response.status().as_u16(), *status, "{at}");
            api.conforms(method, template, response).await;
        }
    }

    // The limits: the same user on an app that allows one of each, which they already have.
    let limited = TestApp::builder(pool)
        .config(&[
            ("MAX_PROJECTS_PER_USER", "1"),
            ("MAX_LABELS_PER_USER", "1"),
            ("MAX_TASKS_PER_USER", "1"),
        ])
        .spawn()
        .await;
    let at_limit = Conformance {
        app: &limited,
        doc: &doc,
    };
    let past_limits = [
        (
            Method::POST,
            projects,
            projects.to_owned(),
            json!({"name": "Garden"}),
        ),
        (
            Method::POST,
            labels,
            labels.to_owned(),
            json!({"name": "garden"}),
        ),
        // A create past the task limit, and a task write that would create a label past the
        // label limit, are 409s too (API-organise.md, Limits).
        (
            Method::POST,
            tasks,
            tasks.to_owned(),
            json!({"title": "One too many"}),
        ),
        (
            Method::PUT,
            task,
            first_path.clone(),
            json!({"title": "x", "labels": ["garden"]}),
        ),
        (
            Method::PATCH,
            task,
            first_path.clone(),
            json!({"labels": ["garden"]}),
        ),
    ];
    for (method, template, path, body) in past_limits {
        let at = format!("{method} {path}");
        let problem = at_limit
            .expect(409, method, template, &path, token, Some(body))
            .await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("limit"), "{at}: {detail}");
    }

    // Deleting: 204 without a body, then 404; a project's tasks go with it.
    let deletes = [
        (204, label, errands_path.clone()),
        (404, label, errands_path),
        (204, project, work_path.clone()),
        (404, project, work_path),
        (404, project, format!("{home_path}x")),
    ];
    for (status, template, path) in deletes {
        api.expect(status, Method::DELETE, template, &path, token, None)
            .await;
    }
    let second_path = format!("{tasks}/{}", id_of(&second));
    api.expect(404, Method::GET, task, &second_path, token, None)
        .await;
    api.expect(
        404,
        Method::POST,
        move_task,
        &format!("{second_path}/move"),
        token,
        Some(json!({})),
    )
    .await;
    let remaining = api
        .expect(200, Method::GET, projects, projects, token, None)
        .await;
    assert_eq!(remaining.as_array().unwrap().len(), 1, "{remaining}");
    api.expect(200, Method::GET, labels, labels, token, None)
        .await;
    api.expect(200, Method::GET, task, &first_path, token, None)
        .await;
}

/// What generated clients and linters read beyond the operations: a base URL, which operations
/// are public, a 422 whose `errors` is always there, and request defaults in the schema.
#[sqlx::test]
async fn the_document_leaves_generated_clients_nothing_to_guess(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    assert_eq!(
        doc["servers"],
        json!([{"url": "/", "description": "The server this document came from"}])
    );
    assert!(doc["info"]["license"].is_null(), "{}", doc["info"]);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let security = operation["security"].as_array();
            assert!(
                security.is_some(),
                "{method} {path} says nothing of its security"
            );
            let public = !needs_token(path);
            assert_eq!(security.unwrap().is_empty(), public, "{method} {path}");
        }
    }
    let unprocessable = &doc["components"]["responses"]["UnprocessableContent"]["content"]
        ["application/problem+json"]["schema"];
    let reference = unprocessable["$ref"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let schema = &doc["components"]["schemas"][reference];
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("errors")),
        "{schema}"
    );
    assert_eq!(schema["properties"]["errors"]["minItems"], 1, "{schema}");
    let task = &doc["components"]["schemas"]["Task"];
    assert!(task["required"]
        .as_array()
        .unwrap()
        .contains(&json!("description")));
    assert_eq!(
        doc["components"]["schemas"]["TaskInput"]["properties"]["completed"]["default"],
        false
    );
    let document_schema = &doc["paths"]["/api/openapi.json"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    assert_ne!(document_schema, &json!({"type": "object"}), "a bare object");
    let login_401 = doc["paths"]["/api/auth/login"]["post"]["responses"]["401"]["$ref"]
        .as_str()
        .unwrap();
    assert!(login_401.ends_with("/InvalidCredentials"), "{login_401}");
}

/// API-sync.md's versions, in the document: the ETag of every answer that carries one task,
/// project or label; If-None-Match and 304 on reading one; If-Match and 412 on writing one.
#[sqlx::test]
async fn versions_are_documented_on_every_operation_they_concern(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let has_param = |operation: &Value, name: &str| {
        operation["parameters"].as_array().is_some_and(|params| {
            params
                .iter()
                .any(|p| p["name"] == name && p["in"] == "header")
        })
    };
    let reads = ["/api/tasks/{id}", "/api/projects/{id}", "/api/labels/{id}"];
    for path in reads {
        let operation = &doc["paths"][path]["get"];
        assert!(has_param(operation, "If-None-Match"), "{path}");
        assert!(operation["responses"]["304"].is_object(), "{path}");
        assert!(
            operation["responses"]["200"]["headers"]["ETag"].is_object(),
            "{path}"
        );
    }
    let writes = [
        ("put", "/api/tasks/{id}"),
        ("patch", "/api/tasks/{id}"),
        ("delete", "/api/tasks/{id}"),
        ("patch", "/api/tasks/{id}/toggle"),
        ("post", "/api/tasks/{id}/move"),
        ("patch", "/api/projects/{id}"),
        ("delete", "/api/projects/{id}"),
        ("patch", "/api/labels/{id}"),
        ("delete", "/api/labels/{id}"),
    ];
    for (method, path) in writes {
        let operation = &doc["paths"][path][method];
        assert!(has_param(operation, "If-Match"), "{method} {path}");
        assert!(operation["responses"]["412"].is_object(), "{method} {path}");
        if method != "delete" {
            assert!(
                operation["responses"]["200"]["headers"]["ETag"].is_object(),
                "{method} {path}"
            );
        }
    }
    for path in ["/api/tasks", "/api/projects", "/api/labels"] {
        let created = &doc["paths"][path]["post"]["responses"]["201"];
        assert!(created["headers"]["ETag"].is_object(), "{path}");
        assert!(
            !has_param(&doc["paths"][path]["get"], "If-None-Match"),
            "{path}"
        );
    }
    let current = &doc["components"]["schemas"]["Problem"]["properties"]["current"];
    assert!(
        current.is_object(),
        "{}",
        doc["components"]["schemas"]["Problem"]
    );
}

#[sqlx::test]
async fn idempotency_keys_are_documented_on_exactly_the_operations_that_honour_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let mut honouring = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let has_key = operation["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
            });
            if !has_key {
                continue;
            }
            honouring.push(format!("{method} {path}"));
            for status in ["400", "409", "422"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{method} {path}: {status}"
                );
            }
            let success = operation["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .expect("a 2xx answer")
                .1;
            assert!(
                success["headers"]["Idempotent-Replayed"].is_object(),
                "{method} {path}"
            );
        }
    }
    honouring.sort();
    // API-sync.md's rule: every POST under /api except /api/auth/*, and the toggle.
    let mut rule: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{method} {path}"))
        })
        .filter(|op| {
            (op.starts_with("post /api/") && !op.starts_with("post /api/auth"))
                || op == "patch /api/tasks/{id}/toggle"
        })
        .collect();
    rule.sort();
    assert_eq!(honouring, rule);
    assert_eq!(
        honouring,
        [
            "patch /api/tasks/{id}/toggle",
            "post /api/labels",
            "post /api/projects",
            "post /api/tasks",
            "post /api/tasks/{id}/move",
            "post /api/tokens",
        ]
    );
}

/// The sync operations' answers match the document: the feed with a task, a project and a label
/// in it (a project and a label have the same shape, which a `oneOf` would refuse), its 422, and
/// an idempotent replay and a reused key.
#[sqlx::test]
async fn sync_responses_match_their_documented_schemas(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let doc = document(&app).await;
    let api = Conformance {
        app: &app,
        doc: &doc,
    };
    let register = "/api/auth/register";
    let ada = json!({"email": "ada@example.com", "password": "correct horse"});
    let registered = api
        .expect(201, Method::POST, register, register, None, Some(ada))
        .await;
    let bearer = registered["access_token"].as_str().unwrap().to_owned();
    let token = Some(bearer.as_str());
    for (path, body) in [
        ("/api/projects", json!({"name": "Home"})),
        ("/api/labels", json!({"name": "bills"})),
        (
            "/api/tasks",
            json!({"title": "Pay rent", "labels": ["bills"]}),
        ),
    ] {
        api.expect(201, Method::POST, path, path, token, Some(body))
            .await;
    }
    let changes = "/api/changes";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = api
            .expect(200, Method::GET, changes, changes, token, None)
            .await;
        if page["changes"].as_array().unwrap().len() == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    api.expect(
        422,
        Method::GET,
        changes,
        "/api/changes?since=nope",
        token,
        None,
    )
    .await;

    let keyed = |key: &str, body: Value| {
        let request = app
            .client
            .post(app.url("/api/tasks"))
            .bearer_auth(&bearer)
            .header("idempotency-key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let first = keyed("k", json!({"title": "once"})).await;
    api.conforms(&Method::POST, "/api/tasks", first).await;
    let replay = keyed("k", json!({"title": "once"})).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    api.conforms(&Method::POST, "/api/tasks", replay).await;
    let reused = keyed("k", json!({"title": "twice"})).await;
    assert_eq!(reused.status(), 422);
    let problem = api.conforms(&Method::POST, "/api/tasks", reused).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
}
