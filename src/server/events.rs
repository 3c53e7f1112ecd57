//! Live updates (API-sync.md, "Live updates"): `GET /api/events`, a server-sent event stream that
//! says "something changed, read the feed" within a second of any committed change to the
//! user's data, whichever server process made it.
//!
//! Each process watches the change feed's table for the users with streams open here: every
//! [`POLL_EVERY`], one query (an index probe per such user, `changes_user_xid_idx`) names those
//! whose changes became readable since the last look (below the snapshot's xmin, exactly what
//! the feed returns), and their streams are woken with the feed's position there. A client then
//! reads the feed from its own cursor and finds the change. Several changes close together make
//! one event (each user's streams share a `watch` channel: the latest position wins).
//!
//! Not `LISTEN`/`NOTIFY`, as first built: a transaction that notifies takes a database-wide lock
//! at commit and holds it through its WAL flush, so notifying writers commit one at a time.
//! Measured with pgbench on the benchmark's data (16 clients), the feed's trigger with a
//! `pg_notify` took toggles from 7,850/s to 3,300/s and creates from 4,580/s to 2,350/s; end to
//! end, toggles went from 6,100/s to 2,800/s. Watching the table costs a fixed query per process
//! and poll, whatever the write rate, and sees every write, whatever made it.
//!
//! At most [`MAX_STREAMS_PER_USER`] streams per user, and half of `MAX_CONNECTIONS` in all (a
//! 503 past that: streams must not take every connection). A stream checks its token again at
//! every keep-alive and ends once it no longer holds (expired, revoked, its sign-in ended, its
//! user deleted): the client reconnects with a fresh one. Streams end when the server begins to
//! shut down, so they never hold up its grace period.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use sqlx::PgPool;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use super::auth::extract::{authenticate, bearer_token};
use super::auth::Caller;
use super::browser::BrowserSession;
use super::error::{app_error_status, ApiError};
use super::state::AppState;
use crate::domain::changes::FeedCursor;
use crate::error::AppError;

/// Open streams a user may have at once (API-sync.md).
pub const MAX_STREAMS_PER_USER: usize = 10;

/// How often the feed is watched while streams are open (an event comes within this, plus the
/// moment a change takes to become readable).
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// The streams of this process, by user.
#[derive(Default)]
pub struct ChangeEvents {
    /// Each user's streams share one channel carrying the feed position to announce (0: none
    /// yet). A user without open streams has no entry.
    streams: Mutex<HashMap<Uuid, watch::Sender<u64>>>,
    /// Rings when a stream opens (the watcher sleeps while there are none).
    opened: Notify,
    /// Open streams, all users together.
    open: AtomicUsize,
}

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The user has [`MAX_STREAMS_PER_USER`] open.
    User,
    /// This process has as many open as it takes.
    Process,
}

/// One open stream: its user's channel, and its place among that user's streams (given back
/// when dropped).
pub struct Subscription {
    events: Arc<ChangeEvents>,
    user_id: Uuid,
    receiver: Option<watch::Receiver<u64>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        self.events.open.fetch_sub(1, Ordering::AcqRel);
        if let Ok(mut streams) = self.events.streams.lock() {
            if streams
                .get(&self.user_id)
                .is_some_and(|sender| sender.receiver_count() == 0)
            {
                streams.remove(&self.user_id);
            }
        }
    }
}

impl ChangeEvents {
    /// A stream for `user_id`, unless they already have [`MAX_STREAMS_PER_USER`] or the process
    /// has `most` open.
    pub fn subscribe(self: &Arc<Self>, user_id: Uuid, most: usize) -> Result<Subscription, Full> {
        let mut streams = self.streams.lock().map_err(|_| Full::Process)?;
        if self.open.load(Ordering::Acquire) >= most {
            return Err(Full::Process);
        }
        let sender = streams
            .entry(user_id)
            .or_insert_with(|| watch::channel(0).0);
        if sender.receiver_count() >= MAX_STREAMS_PER_USER {
            return Err(Full::User);
        }
        let receiver = sender.subscribe();
        self.open.fetch_add(1, Ordering::AcqRel);
        drop(streams);
        self.opened.notify_one();
        Ok(Subscription {
            events: Arc::clone(self),
            user_id,
            receiver: Some(receiver),
        })
    }

    fn watched(&self) -> Vec<Uuid> {
        self.streams
            .lock()
            .map(|streams| streams.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Wakes the streams of `users` with the feed position `upper`.
    fn announce(&self, users: &[Uuid], upper: u64) {
        if let Ok(streams) = self.streams.lock() {
            for user in users {
                if let Some(sender) = streams.get(user) {
                    sender.send_replace(upper);
                }
            }
        }
    }
}

/// Watches the feed for the users with streams open here, for as long as the state lives (see
/// the module's documentation).
pub async fn watch_feed(events: Arc<ChangeEvents>, pool: PgPool) {
    // Changes below this have been announced (or came before any stream here opened).
    let mut seen: Option<u64> = None;
    let mut every = tokio::time::interval(POLL_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let users = events.watched();
        if users.is_empty() {
            seen = None;
            events.opened.notified().await;
            continue;
        }
        let looked = tokio::time::timeout(
            POLL_EVERY * 4,
            crate::db::changes::readable_since(&pool, &users, seen),
        )
        .await;
        match looked {
            Ok(Ok((changed, upper))) => {
                // A first look cannot tell what changed just before it: every stream is woken
                // once, and its client reads the feed.
                let changed = if seen.is_some() { changed } else { users };
                events.announce(&changed, upper);
                seen = Some(upper);
            }
            Ok(Err(err)) => tracing::debug!(error = %err, "cannot watch the change feed now"),
            Err(_) => tracing::debug!("watching the change feed timed out"),
        }
    }
}

/// Live updates for the caller: an event `change` with `{"cursor": …}` whenever their data
/// changed, a comment line every `EVENTS_KEEPALIVE_SECS`.
#[utoipa::path(
    operation_id = "events",
    get, path = "/api/events", tag = "sync", security(("bearer" = [])),
    responses(
        (status = 200, description = "A stream of server-sent events: `event: change` with data `{\"cursor\": \"…\"}` within a second of any committed change to the caller's tasks, projects or labels (several close together may be one event), once the change can be read from `GET /api/changes`; read the feed from your own cursor (the event's cursor is where the feed stood, not a `since`). A comment line at least every 30 seconds. The stream ends when its token no longer holds (checked at each comment) or the server shuts down: reconnect, then read the feed", content_type = "text/event-stream", body = String),
        (status = 401, response = crate::server::rest::openapi::Unauthorized),
        (status = 403, response = crate::server::rest::openapi::Forbidden),
        (status = 429, response = crate::server::rest::openapi::TooManyStreams),
        (status = 503, response = crate::server::rest::openapi::ServiceUnavailable),
    )
)]
pub async fn events(
    caller: Caller,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // A deleted user's token must not hold a stream open.
    caller.confirm(&state).await?;
    let token = bearer_token(&headers)?.to_owned();
    open(&state, caller.id, Credential::Token(token)).map_err(|full| match full {
        Full::User => ApiError::TooManyStreams,
        Full::Process => ApiError::unavailable(),
    })
}

/// The web app's live updates: the same stream as [`events`], opened with the browser's session
/// cookie (`GET /events`, on the pages' router) rather than a token, which a page's
/// `EventSource` could only send in its URL. It ends when the session does (signing out, a
/// password change, its expiry: asked at every keep-alive). Refusals carry no body: the page
/// tries again later by itself.
pub async fn session_events(State(state): State<AppState>, session: BrowserSession) -> Response {
    let caller = match session.caller(&state).await {
        Ok(Some(caller)) => caller,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(err) => return app_error_status(&err).into_response(),
    };
    if let Err(err) = caller.confirm(&state).await {
        return app_error_status(&AppError::from(err)).into_response();
    }
    let Some(id) = session.id().await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match open(&state, caller.id, Credential::Session(id)) {
        Ok(response) => response,
        Err(Full::User) => StatusCode::TOO_MANY_REQUESTS.into_response(),
        Err(Full::Process) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// What opened a stream, asked again at every keep-alive: the stream ends once it no longer
/// holds for the stream's user.
enum Credential {
    /// An API token (access or personal): verified as every request's is.
    Token(String),
    /// A browser session's id: its row must still be there, live and the user's.
    Session(String),
}

impl Credential {
    async fn holds(&self, state: &AppState, user_id: Uuid) -> bool {
        match self {
            Self::Token(token) => {
                matches!(authenticate(state, token).await, Ok(caller) if caller.id == user_id)
            }
            Self::Session(id) => {
                // An error ends the stream too: its client reconnects, and is asked afresh.
                crate::db::sessions::is_live(&state.pool, id, user_id)
                    .await
                    .unwrap_or(false)
            }
        }
    }
}

/// A stream for `user_id`, if a place is free (see [`ChangeEvents::subscribe`]).
fn open(state: &AppState, user_id: Uuid, credential: Credential) -> Result<Response, Full> {
    let most = state.config.http.max_connections / 2;
    let subscription = state.events.subscribe(user_id, most)?;
    let every = state.config.events_keep_alive;
    let stream = changes(subscription, state.clone(), credential);
    let keep_alive = KeepAlive::new().interval(every);
    let mut response = Sse::new(stream).keep_alive(keep_alive).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// What a stream holds between events.
struct Open {
    subscription: Subscription,
    stopping: watch::Receiver<bool>,
    state: AppState,
    credential: Credential,
    check: tokio::time::Interval,
}

/// The events of one subscription, until its credential no longer holds or the server begins to
/// stop.
fn changes(
    subscription: Subscription,
    state: AppState,
    credential: Credential,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let every = state.config.events_keep_alive;
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let open = Open {
        stopping: state.stopping.subscribe(),
        subscription,
        state,
        credential,
        check,
    };
    stream::unfold(open, |mut open| async move {
        let Open {
            subscription,
            stopping,
            state,
            credential,
            check,
        } = &mut open;
        let user_id = subscription.user_id;
        let receiver = subscription.receiver.as_mut()?;
        loop {
            if *stopping.borrow() {
                return None;
            }
            tokio::select! {
                _ = check.tick() => {
                    if !credential.holds(state, user_id).await {
                        return None;
                    }
                }
                changed = receiver.changed() => {
                    changed.ok()?;
                    let xid = *receiver.borrow_and_update();
                    let cursor = FeedCursor { floor: 0, xid, after: None }.encode(user_id);
                    let event = Event::default()
                        .event("change")
                        .data(serde_json::json!({ "cursor": cursor }).to_string());
                    return Some((Ok(event), open));
                }
                stopped = stopping.changed() => {
                    if stopped.is_err() {
                        return None;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_ten_streams_per_user_and_their_places_come_back() {
        let events = Arc::new(ChangeEvents::default());
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut adas: Vec<_> = (0..MAX_STREAMS_PER_USER)
            .map(|_| events.subscribe(ada, 100).expect("a place"))
            .collect();
        assert_eq!(
            events.subscribe(ada, 100).err(),
            Some(Full::User),
            "the 11th"
        );
        let bobs = events
            .subscribe(bob, 100)
            .expect("bob has places of his own");
        assert_eq!(
            events.subscribe(bob, 11).err(),
            Some(Full::Process),
            "11 open in all"
        );
        drop(bobs);
        adas.pop();
        assert!(events.subscribe(ada, 100).is_ok(), "a place came back");
        drop(adas);
        assert!(
            events
                .streams
                .lock()
                .expect("not poisoned")
                .get(&ada)
                .is_none(),
            "no entry once a user's streams are gone"
        );
    }

    #[test]
    fn announcing_wakes_only_the_named_users_streams() {
        let events = Arc::new(ChangeEvents::default());
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let adas = events.subscribe(ada, 100).expect("a place");
        let bobs = events.subscribe(bob, 100).expect("a place");
        let mut watched = events.watched();
        watched.sort();
        let mut both = vec![ada, bob];
        both.sort();
        assert_eq!(watched, both);
        events.announce(&[ada], 42);
        assert!(adas
            .receiver
            .as_ref()
            .expect("open")
            .has_changed()
            .expect("open"));
        assert!(!bobs
            .receiver
            .as_ref()
            .expect("open")
            .has_changed()
            .expect("open"));
        assert_eq!(*adas.receiver.as_ref().expect("open").borrow(), 42);
    }
}
