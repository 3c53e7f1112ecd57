//! Accounts and tokens: registering, signing in and calling the API as a user, and JWTs made by
//! hand (signed with the test servers' secret unless said otherwise).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::app::TestApp;
use super::config::TEST_SECRET;

/// The password of every account the tests register.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Registers `email` with [`PASSWORD`] through the API and returns the 201's body.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/api/auth/register",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("JSON body")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// `GET /api/auth/me` with this `Authorization` header, if any.
    pub async fn me(&self, authorization: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url("/api/auth/me"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send().await.expect("request")
    }
}

/// Now, in the seconds of a JWT's `iat`, `nbf` and `exp`.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token signed with `secret` and `alg`, carrying exactly `claims`.
pub fn token_with(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("encode a token")
}

/// A token as the test servers sign theirs (HS256, [`TEST_SECRET`]), carrying exactly `claims`.
pub fn token(claims: &Value) -> String {
    token_with(Algorithm::HS256, TEST_SECRET.as_bytes(), claims)
}

/// Valid claims of our own issuer for `user_id`, good for ten minutes.
pub fn claims_for(user_id: &str) -> Value {
    json!({"sub": user_id, "email": "x@example.com", "iat": now(), "exp": now() + 600, "iss": "taskdeck"})
}

/// A valid token of the issuer `iss` for `sub` and `email`.
pub fn token_for_issuer(iss: &str, sub: Uuid, email: &str) -> String {
    token(&json!({"sub": sub, "email": email, "iat": now(), "exp": now() + 600, "iss": iss}))
}

/// A registered user calling the API with their bearer token.
pub struct ApiClient<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> ApiClient<'a> {
    /// Registers `email` (see [`TestApp::register`]) and keeps the token it was given.
    pub async fn new(app: &'a TestApp, email: &str) -> Self {
        let body = app.register(email).await;
        Self {
            app,
            token: body["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned(),
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// Creates a task from `body` and returns it (asserting the 201).
    pub async fn create(&self, body: Value) -> Value {
        let response = self.send(Method::POST, "/api/tasks", Some(body)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("JSON body")
    }

    /// GET `path`: its status, and its JSON body (`null` when it has none).
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.send(Method::GET, path, None).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The `cursor` of the `next` link of the listing `path` (which must have a next page).
    pub async fn next_cursor(&self, path: &str) -> String {
        let response = self.send(Method::GET, path, None).await;
        let link = response.headers()["link"]
            .to_str()
            .expect("an ASCII link")
            .to_owned();
        link.split("cursor=")
            .nth(1)
            .expect("a cursor in the link")
            .split('>')
            .next()
            .expect("the link's end")
            .to_owned()
    }
}
