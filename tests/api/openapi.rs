//! The OpenAPI document against the contract (API.md and its extension pages): every path and
//! method of the contract is in the document, and real responses of every kind validate against
//! the schemas the document gives for their status.

use std::collections::BTreeSet;

use reqwest::{Method, Response};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// The contract's pages this build implements, as committed with the tests. An extension page
/// joins this list (and tests/api/) with the issue that implements it, so that a page whose
/// issue is not done yet never breaks the build.
const CONTRACT: [(&str, &str); 2] = [
    ("API.md", include_str!("API.md")),
    ("API-organise.md", include_str!("API-organise.md")),
];

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
    let operations = contract_operations(&contract());
    assert!(operations.len() >= 25, "{operations:?}");
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

/// Whether the contract has this path take a bearer token: a user's own data and settings.
fn needs_token(path: &str) -> bool {
    ["/api/tasks", "/api/projects", "/api/labels"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || path == "/api/auth/me"
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
        // `Link` is only present while more pages follow.
        if name != "link" {
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
