//! API-sync.md, Live updates: `GET /api/events` sends an event within a second of a change made
//! through any server process, keep-alive comments, at most 10 streams per user, never another
//! user's events, and ends when the server shuts down.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_problem, ApiClient, ServerProcess, TestApp, TestEnv};

/// An open event stream, read frame by frame.
pub(crate) struct Stream {
    response: reqwest::Response,
    buffer: String,
}

/// One frame of the stream: a comment (keep-alive) or an event with its data.
#[derive(Debug, PartialEq)]
pub(crate) enum Frame {
    Comment,
    Change(Value),
}

impl Stream {
    async fn open(client: &reqwest::Client, url: &str, token: &str) -> Self {
        Self::from(client.get(url).bearer_auth(token)).await
    }

    /// The stream `request` opens (it must open one).
    pub(crate) async fn from(request: reqwest::RequestBuilder) -> Self {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-store");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next frame within `timeout`; `None` when the stream ended, panics on a timeout.
    pub(crate) async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                if frame.starts_with(':') {
                    return Some(Frame::Comment);
                }
                let mut event = None;
                let mut data = None;
                for line in frame.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event = Some(name.to_owned());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str::<Value>(value).unwrap());
                    }
                }
                assert_eq!(event.as_deref(), Some("change"), "{frame:?}");
                return Some(Frame::Change(data.expect("data")));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
                Ok(Ok(None)) | Ok(Err(_)) => return None,
                Err(_) => panic!("no frame within {timeout:?}"),
            }
        }
    }

    /// The next event, skipping keep-alive comments, within `timeout`.
    pub(crate) async fn next_change(&mut self, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(Frame::Change(data)) => return data,
                Some(Frame::Comment) => continue,
                None => panic!("the stream ended"),
            }
        }
    }
}

impl Stream {
    /// Reads until the first keep-alive comment: by then the wake-up that a process's first look
    /// at the feed gives every stream has come (or never will), so later events are changes.
    pub(crate) async fn settle(&mut self) {
        loop {
            match self.next(Duration::from_secs(5)).await {
                Some(Frame::Comment) => return,
                Some(Frame::Change(_)) => continue,
                None => panic!("the stream ended"),
            }
        }
    }
}

/// A server with keep-alive comments every second.
pub(crate) async fn spawn(pool: &PgPool) -> TestApp {
    TestApp::builder(pool.clone())
        .config(&[("EVENTS_KEEPALIVE_SECS", "1")])
        .spawn()
        .await
}

#[sqlx::test]
async fn a_change_through_another_process_arrives_within_a_second(pool: PgPool) {
    let one = spawn(&pool).await;
    let two = spawn(&pool).await;
    let ada = ApiClient::new(&two, "ada@example.com").await;
    let mut stream = Stream::open(&one.client, &one.url("/api/events"), &ada.token).await;
    stream.settle().await;
    let before = ada
        .send(Method::GET, "/api/changes", None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let mut cursor = before["cursor"].as_str().unwrap().to_owned();

    for title in ["first", "second"] {
        let started = Instant::now();
        let task = ada.create(json!({"title": title})).await;
        // Within a second an event comes after which the feed holds the change.
        loop {
            let left = Duration::from_secs(1).saturating_sub(started.elapsed());
            let event = stream.next_change(left).await;
            assert!(event["cursor"].is_string(), "{event}");
            let page = ada
                .send(Method::GET, &format!("/api/changes?since={cursor}"), None)
                .await
                .json::<Value>()
                .await
                .unwrap();
            cursor = page["cursor"].as_str().unwrap().to_owned();
            let changes = page["changes"].as_array().unwrap();
            if changes.iter().any(|c| c["id"] == task["id"]) {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[sqlx::test]
async fn keep_alive_comments_and_no_other_users_events(pool: PgPool) {
    let app = spawn(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let mut adas = Stream::open(&app.client, &app.url("/api/events"), &ada.token).await;
    let mut bobs = Stream::open(&app.client, &app.url("/api/events"), &bob.token).await;
    adas.settle().await;
    bobs.settle().await;

    // A quiet stream gets comments.
    assert_eq!(
        adas.next(Duration::from_secs(3)).await,
        Some(Frame::Comment)
    );

    // Bob's change reaches bob's stream, and ada's stream sees only comments meanwhile (two of
    // them: by then bob's event, released at the same moment, would have come).
    bob.create(json!({"title": "bob's"})).await;
    bobs.next_change(Duration::from_secs(3)).await;
    for _ in 0..2 {
        assert_eq!(
            adas.next(Duration::from_secs(3)).await,
            Some(Frame::Comment)
        );
    }
    ada.create(json!({"title": "ada's"})).await;
    adas.next_change(Duration::from_secs(3)).await;
}

#[sqlx::test]
async fn the_eleventh_stream_is_a_429(pool: PgPool) {
    let app = spawn(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let url = app.url("/api/events");
    let mut streams = vec![];
    for _ in 0..10 {
        streams.push(Stream::open(&app.client, &url, &ada.token).await);
    }
    let eleventh = app
        .client
        .get(&url)
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(eleventh, 429).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("10"),
        "{problem}"
    );
    // Another user has streams of their own.
    let bob = ApiClient::new(&app, "bob@example.com").await;
    Stream::open(&app.client, &url, &bob.token).await;

    // A closed stream gives its place back (noticed at its next keep-alive at the latest).
    drop(streams.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let again = app
            .client
            .get(&url)
            .bearer_auth(&ada.token)
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::OK {
            break;
        }
        assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            Instant::now() < deadline,
            "the closed stream's place never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let anonymous = app.client.get(&url).send().await.unwrap();
    assert_problem(anonymous, 401).await;
}

#[sqlx::test]
async fn streams_end_when_the_server_shuts_down(pool: PgPool) {
    let env = TestEnv::new().database_of(&pool);
    let mut server = ServerProcess::start(&env).await;
    let client = reqwest::Client::new();
    let registered: Value = client
        .post(server.url("/api/auth/register"))
        .json(&json!({"email": "ada@example.com", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = registered["access_token"].as_str().unwrap();
    let mut stream = Stream::open(&client, &server.url("/api/events"), token).await;

    let signalled = Instant::now();
    server.send_signal("TERM");
    // The stream ends at once (not after the 30 s grace period) and the process exits.
    assert_eq!(stream.next(Duration::from_secs(10)).await, None);
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("the server exits without waiting for the stream")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(signalled.elapsed() < Duration::from_secs(10));
}

#[sqlx::test]
async fn a_stream_ends_once_its_token_no_longer_holds(pool: PgPool) {
    let app = spawn(&pool).await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let mut stream = Stream::open(&app.client, &app.url("/api/events"), &ada.token).await;
    stream.settle().await;
    // Signing out ends the token's sign-in: at its next check the stream ends.
    let logout = ada.send(Method::POST, "/api/auth/logout", None).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match stream
            .next(deadline.saturating_duration_since(Instant::now()))
            .await
        {
            None => break,
            Some(_) => assert!(Instant::now() < deadline, "the stream outlived its token"),
        }
    }
    let again = app
        .client
        .get(app.url("/api/events"))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_problem(again, 401).await;
}

#[sqlx::test]
async fn streams_take_at_most_half_the_connections_and_event_cursors_are_not_readers(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .config(&[("EVENTS_KEEPALIVE_SECS", "1"), ("MAX_CONNECTIONS", "8")])
        .spawn()
        .await;
    let ada = ApiClient::new(&app, "ada@example.com").await;
    let bob = ApiClient::new(&app, "bob@example.com").await;
    let url = app.url("/api/events");
    let mut adas = Stream::open(&app.client, &url, &ada.token).await;
    let _more = [
        Stream::open(&app.client, &url, &ada.token).await,
        Stream::open(&app.client, &url, &bob.token).await,
        Stream::open(&app.client, &url, &bob.token).await,
    ];
    let fifth = app
        .client
        .get(&url)
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(fifth.headers()["retry-after"], "2");
    assert_problem(fifth, 503).await;

    // An event's cursor is where the feed stood, not a place to read from (that would skip the
    // change it announces): as `since` it is a 422.
    adas.settle().await;
    ada.create(json!({"title": "t"})).await;
    let event = adas.next_change(Duration::from_secs(5)).await;
    let cursor = event["cursor"].as_str().unwrap();
    let read = ada
        .send(Method::GET, &format!("/api/changes?since={cursor}"), None)
        .await;
    assert_problem(read, 422).await;
}
