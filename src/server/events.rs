//! Live updates (API-sync.md, "Live updates"): `GET /api/events`, a server-sent event stream that
//! says "something changed, read the feed" within a second of any committed change to the
//! user's data, whichever server process made it.
//!
//! - The change feed's trigger (migration 20261202000014) sends `<user id> <transaction id>` on
//!   the channel [`CHANNEL`] at each commit that changes a user's tasks, projects or labels.
//!   Each process hears it on the one listener connection it already keeps for ended sign-ins
//!   (`auth::sign_ins::listen`: a direct connection, never the pool; PgBouncer cannot hold a
//!   `LISTEN`).
//! - A change is readable in the feed only once every older transaction has ended (see the
//!   feed's migration), so an event is not sent the moment it is heard: [`ChangeEvents::release`]
//!   asks the database for its snapshot's xmin (one query for all pending users, at most every
//!   [`RELEASE_EVERY`]) and wakes the streams of each user whose changes are below it, with the
//!   feed's position at that xmin. A client that then reads the feed from its own cursor finds
//!   the change. Several changes close together make one event (each user's streams share a
//!   `watch` channel: the latest position wins).
//! - When the listener starts a new round (after a lost connection), notices may have been
//!   missed: every open stream is woken once, and its client reads the feed.
//! - At most [`MAX_STREAMS_PER_USER`] streams per user; streams end when the server begins to
//!   shut down, so they never hold up its grace period.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use sqlx::PgPool;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use super::auth::Caller;
use super::error::ApiError;
use super::state::AppState;
use crate::domain::changes::FeedCursor;

/// The channel the feed's trigger notifies.
pub const CHANNEL: &str = "changes";

/// Open streams a user may have at once (API-sync.md).
pub const MAX_STREAMS_PER_USER: usize = 10;

/// How often pending changes are checked for being readable.
pub const RELEASE_EVERY: Duration = Duration::from_millis(50);

/// The streams of this process, by user, and the changes heard but not yet announced.
#[derive(Default)]
pub struct ChangeEvents {
    /// Each user's streams share one channel carrying the feed position to announce (0: none
    /// yet). A user without open streams has no entry.
    streams: Mutex<HashMap<Uuid, watch::Sender<u64>>>,
    /// Users with a change heard, and the newest transaction id heard for each.
    pending: Mutex<HashMap<Uuid, u64>>,
    wake: Notify,
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
    /// A stream for `user_id`, unless they already have [`MAX_STREAMS_PER_USER`].
    pub fn subscribe(self: &Arc<Self>, user_id: Uuid) -> Option<Subscription> {
        let mut streams = self.streams.lock().ok()?;
        let sender = streams
            .entry(user_id)
            .or_insert_with(|| watch::channel(0).0);
        if sender.receiver_count() >= MAX_STREAMS_PER_USER {
            return None;
        }
        let receiver = sender.subscribe();
        Some(Subscription {
            events: Arc::clone(self),
            user_id,
            receiver: Some(receiver),
        })
    }

    /// A notice on [`CHANNEL`]: `<user id> <transaction id>`. Remembered only for users with open
    /// streams here.
    pub fn hear(&self, payload: &str) {
        let Some((user, xid)) = payload.split_once(' ') else {
            return;
        };
        let (Ok(user_id), Ok(xid)) = (Uuid::try_parse(user), xid.parse::<u64>()) else {
            return;
        };
        let listening = self
            .streams
            .lock()
            .is_ok_and(|streams| streams.contains_key(&user_id));
        if !listening {
            return;
        }
        if let Ok(mut pending) = self.pending.lock() {
            let newest = pending.entry(user_id).or_insert(0);
            *newest = (*newest).max(xid);
        }
        self.wake.notify_one();
    }

    /// Notices may have been missed (the listener starts over): wake every open stream at the
    /// next release, so that its client reads the feed.
    pub fn missed_some(&self) {
        let users: Vec<Uuid> = self
            .streams
            .lock()
            .map(|streams| streams.keys().copied().collect())
            .unwrap_or_default();
        if let Ok(mut pending) = self.pending.lock() {
            for user_id in users {
                pending.entry(user_id).or_insert(0);
            }
        }
        self.wake.notify_one();
    }

    /// Announces the pending changes that are readable now: those below the database's xmin.
    async fn release(&self, pool: &PgPool) {
        if self
            .pending
            .lock()
            .map_or(true, |pending| pending.is_empty())
        {
            return;
        }
        let xmin = match crate::db::changes::readable_below(pool).await {
            Ok(xmin) => xmin,
            Err(err) => {
                tracing::debug!(error = %err, "cannot tell which changes are readable yet");
                return;
            }
        };
        let ready: Vec<Uuid> = match self.pending.lock() {
            Ok(mut pending) => {
                let ready = pending
                    .iter()
                    .filter(|(_, &xid)| xid < xmin)
                    .map(|(&user, _)| user)
                    .collect::<Vec<_>>();
                for user in &ready {
                    pending.remove(user);
                }
                ready
            }
            Err(_) => return,
        };
        if let Ok(streams) = self.streams.lock() {
            for user in ready {
                if let Some(sender) = streams.get(&user) {
                    sender.send_replace(xmin);
                }
            }
        }
    }
}

/// Announces readable changes for as long as the state lives (see the module's documentation).
pub async fn announce(events: Arc<ChangeEvents>, pool: PgPool) {
    loop {
        events.wake.notified().await;
        loop {
            events.release(&pool).await;
            if events
                .pending
                .lock()
                .map_or(true, |pending| pending.is_empty())
            {
                break;
            }
            tokio::time::sleep(RELEASE_EVERY).await;
        }
    }
}

/// Live updates for the caller: an event `change` with `{"cursor": …}` whenever their data
/// changed, a comment line every `EVENTS_KEEPALIVE_SECS`.
#[utoipa::path(
    operation_id = "events",
    get, path = "/api/events", tag = "sync", security(("bearer" = [])),
    responses(
        (status = 200, description = "A stream of server-sent events: `event: change` with data `{\"cursor\": \"…\"}` within a second of any committed change to the caller's tasks, projects or labels (several close together may be one event), once the change can be read from `GET /api/changes`; read the feed from your own cursor. A comment line at least every 30 seconds. The stream ends when the server shuts down: reconnect, then read the feed", content_type = "text/event-stream", body = String),
        (status = 401, response = crate::server::rest::openapi::Unauthorized),
        (status = 403, response = crate::server::rest::openapi::Forbidden),
        (status = 429, response = crate::server::rest::openapi::TooManyStreams),
    )
)]
pub async fn events(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    // A deleted user's token must not hold a stream open.
    caller.confirm(&state).await?;
    let subscription = state
        .events
        .subscribe(caller.id)
        .ok_or(ApiError::TooManyStreams)?;
    let stream = changes(subscription, state.stopping.subscribe());
    let keep_alive = KeepAlive::new().interval(state.config.events_keep_alive);
    let mut response = Sse::new(stream).keep_alive(keep_alive).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The events of one subscription, until the server begins to stop.
fn changes(
    subscription: Subscription,
    stopping: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (subscription, stopping),
        |(mut subscription, mut stopping)| async move {
            let receiver = subscription.receiver.as_mut()?;
            loop {
                if *stopping.borrow() {
                    return None;
                }
                tokio::select! {
                    changed = receiver.changed() => {
                        changed.ok()?;
                        let xid = *receiver.borrow_and_update();
                        let cursor = FeedCursor { floor: 0, xid, after: None }
                            .encode(subscription.user_id);
                        let event = Event::default()
                            .event("change")
                            .data(serde_json::json!({ "cursor": cursor }).to_string());
                        return Some((Ok(event), (subscription, stopping)));
                    }
                    stopped = stopping.changed() => {
                        if stopped.is_err() {
                            return None;
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_ten_streams_per_user_and_their_places_come_back() {
        let events = Arc::new(ChangeEvents::default());
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut adas: Vec<_> = (0..MAX_STREAMS_PER_USER)
            .map(|_| events.subscribe(ada).expect("a place"))
            .collect();
        assert!(events.subscribe(ada).is_none(), "the 11th");
        assert!(events.subscribe(bob).is_some(), "bob has places of his own");
        adas.pop();
        assert!(events.subscribe(ada).is_some(), "a place came back");
        drop(adas);
        assert!(
            events.streams.lock().unwrap().get(&ada).is_none(),
            "no entry once a user's streams are gone"
        );
    }

    #[test]
    fn only_users_with_streams_here_are_remembered() {
        let events = Arc::new(ChangeEvents::default());
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let _stream = events.subscribe(ada).expect("a place");
        events.hear(&format!("{ada} 41"));
        events.hear(&format!("{ada} 40"));
        events.hear(&format!("{bob} 50"));
        events.hear("garbage");
        let pending = events.pending.lock().unwrap().clone();
        assert_eq!(pending, HashMap::from([(ada, 41)]));
    }
}
