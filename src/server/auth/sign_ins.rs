//! Which API sign-ins have ended, in each server process's memory, so that checking an access
//! token's `sid` costs no round trip on the hot path (API-accounts.md: revocation holds at once on
//! every server process).
//!
//! How it stays right:
//!
//! - The database names every sign-in that ends on the channel `sign_in_ended` (a trigger, at the
//!   commit of whatever ended it). Each process `LISTEN`s on a connection of its own, opened on
//!   the direct URL (`DATABASE_MIGRATION_URL` when set): PgBouncer in transaction mode cannot
//!   hold a `LISTEN`.
//! - On (re)connecting, the listener first listens, then reads every sign-in that ended within an
//!   access token's life from the table: nothing that ended while it was away is missed.
//! - While it is not listening (starting, its connection lost, or its own heartbeat unheard for
//!   [`STALE`]), [`SignIns::check`] answers "ask the database", and the caller does (one indexed
//!   lookup): never "live" on a guess. A connection that dies without a word can leave a window
//!   of at most [`STALE`] in which an ending is not yet known to a process.
//! - The process that ends a sign-in waits (at most [`ECHO_WAIT`]) until its own listener has
//!   heard of it before answering, then records it itself in any case. Every process's listener
//!   is told by the same commit, so by the time the client holds the answer, the others have
//!   heard too (delivery takes well under a millisecond on a healthy connection).
//!
//! An ended sign-in is forgotten once no access token of it can still be valid (see
//! [`remember_for`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db;

/// How long the process that ended a sign-in waits to hear it back from the database.
pub const ECHO_WAIT: Duration = Duration::from_secs(1);

/// The pause before listening again after the connection was lost.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The ended sign-ins of every user, each until no access token of it can be valid any more.
pub struct SignIns {
    ended: RwLock<HashMap<Uuid, Instant>>,
    /// Whether `ended` is complete: the listener is connected and loaded.
    listening: AtomicBool,
    /// Woken whenever the listener hears of an ended sign-in.
    heard: Notify,
    /// How long an ended sign-in is remembered (see [`remember_for`]).
    remember: Duration,
    /// When the listener last heard anything on the channel (its own heartbeat included).
    last_heard: std::sync::Mutex<Option<Instant>>,
}

/// Whether a sign-in has ended, as far as this process knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Ended,
    Live,
    /// The list is not complete right now: ask the database.
    Unknown,
}

impl SignIns {
    pub fn new(access_ttl: Duration) -> Self {
        Self {
            ended: RwLock::default(),
            listening: AtomicBool::new(false),
            heard: Notify::new(),
            remember: remember_for(access_ttl),
            last_heard: std::sync::Mutex::new(None),
        }
    }

    /// When the listener of the current round last heard its channel; `None` until it heard
    /// its first heartbeat (the round is not ready yet).
    fn last_heard(&self) -> Option<Instant> {
        self.last_heard.lock().ok().and_then(|heard| *heard)
    }

    fn set_last_heard(&self, at: Option<Instant>) {
        if let Ok(mut heard) = self.last_heard.lock() {
            *heard = at;
        }
    }

    /// One notice on the channel: a heartbeat (`true`), or a sign-in that ended, recorded and
    /// announced to [`SignIns::ended_here`].
    fn hear(&self, payload: &str) -> bool {
        if payload == PING {
            return true;
        }
        match payload.parse::<Uuid>() {
            Ok(id) => self.record([id]),
            Err(_) => tracing::warn!(payload, "unreadable sign-in notice"),
        }
        self.heard.notify_waiters();
        false
    }

    /// Whether the list is complete now (the listener hears its channel).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    pub fn check(&self, sign_in_id: Uuid) -> Known {
        if !self.listening.load(Ordering::Acquire) {
            return Known::Unknown;
        }
        if self.is_ended(sign_in_id) {
            Known::Ended
        } else {
            Known::Live
        }
    }

    fn is_ended(&self, sign_in_id: Uuid) -> bool {
        self.ended
            .read()
            .map(|ended| ended.contains_key(&sign_in_id))
            .unwrap_or(true)
    }

    fn record(&self, sign_in_ids: impl IntoIterator<Item = Uuid>) {
        let forget_at = Instant::now() + self.remember;
        if let Ok(mut ended) = self.ended.write() {
            ended.extend(sign_in_ids.into_iter().map(|id| (id, forget_at)));
        }
    }

    /// After this process ended these sign-ins: waits until its listener heard of them (see the
    /// module's documentation), then records them in any case.
    pub async fn ended_here(&self, sign_in_ids: &[Uuid]) {
        if sign_in_ids.is_empty() {
            return;
        }
        let deadline = tokio::time::Instant::now() + ECHO_WAIT;
        while self.listening.load(Ordering::Acquire) {
            // Registered before the check, so that a notice arriving in between is not lost.
            let heard = self.heard.notified();
            if sign_in_ids.iter().all(|&id| self.is_ended(id)) {
                break;
            }
            if tokio::time::timeout_at(deadline, heard).await.is_err() {
                break;
            }
        }
        self.record(sign_in_ids.iter().copied());
    }

    /// Drops the sign-ins whose tokens have all expired.
    fn forget_old(&self) {
        let now = Instant::now();
        if let Ok(mut ended) = self.ended.write() {
            ended.retain(|_, forget_at| *forget_at > now);
        }
    }
}

/// How often each process sends itself a notice on the channel, to know its listener still hears.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Silence after which the listener is taken for deaf: the list is "unknown" from then on (so
/// the database is asked), and the listener starts over.
const STALE: Duration = Duration::from_secs(3);

/// The payload of a heartbeat notice (a sign-in's notice is its id).
const PING: &str = "ping";

/// How long an ended sign-in must be remembered: an access token's life, the clock leeway, and a
/// margin for a token issued just after its sign-in ended (a refresh's token is made after its
/// transaction commits).
pub fn remember_for(access_ttl: Duration) -> Duration {
    access_ttl + Duration::from_secs(super::jwt::LEEWAY_SECS) + Duration::from_secs(300)
}

/// Keeps `sign_ins` complete for as long as the process runs, listening on a connection of its
/// own to `direct` (never the server's pool). Each round: `LISTEN`, load what ended meanwhile,
/// then receive. The list counts as complete only while this process hears its own heartbeat
/// (sent every [`HEARTBEAT`]): a connection that died without a word, or a `LISTEN` that cannot
/// hear (through PgBouncer in transaction mode, when no direct URL was given), leaves it
/// "unknown" and the database is asked instead. After [`STALE`] of silence the round is dropped,
/// connection and all, and a new one starts.
pub async fn listen(sign_ins: Arc<SignIns>, direct: PgConnectOptions) {
    let direct = PgPoolOptions::new()
        .max_connections(2)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(60))
        .connect_lazy_with(direct);
    loop {
        sign_ins.set_last_heard(None);
        let mut round = tokio::spawn(receive(Arc::clone(&sign_ins), direct.clone()));
        // Dropped with this task (when the server's state goes), the round goes too.
        let _round_guard = AbortOnDrop::new(&round);
        let mut ticker = tokio::time::interval(HEARTBEAT);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ended = &mut round => {
                    match ended {
                        Ok(Ok(())) => tracing::warn!("sign-in listener lost its connection"),
                        Ok(Err(err)) => tracing::warn!(error = %err, "sign-in listener failed"),
                        Err(err) => tracing::warn!(error = %err, "sign-in listener stopped"),
                    }
                    break;
                }
                _ = ticker.tick() => {
                    // Not ready until the round heard its first heartbeat (which it waits for,
                    // at most STALE, itself).
                    let Some(heard) = sign_ins.last_heard() else {
                        continue;
                    };
                    let hearing = heard.elapsed() < STALE;
                    sign_ins.listening.store(hearing, Ordering::Release);
                    if !hearing {
                        tracing::warn!(
                            "sign-in listener hears nothing (is DATABASE_MIGRATION_URL a direct \
                             connection?); starting over"
                        );
                        round.abort();
                        break;
                    }
                    if let Ok(Err(err)) = tokio::time::timeout(HEARTBEAT, ping(&direct)).await {
                        tracing::debug!(error = %err, "heartbeat not sent");
                    }
                }
            }
        }
        sign_ins.listening.store(false, Ordering::Release);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

/// Aborts a background task when dropped (the listener with the server's state, a round with
/// the listener).
pub struct AbortOnDrop(tokio::task::AbortHandle);

impl AbortOnDrop {
    pub fn new<T>(task: &tokio::task::JoinHandle<T>) -> Self {
        Self(task.abort_handle())
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends the heartbeat notice.
async fn ping(direct: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(db::sign_ins::ENDED_CHANNEL)
        .bind(PING)
        .execute(direct)
        .await
        .map(drop)
}

/// One round: listens, loads, hears its own first heartbeat (within [`STALE`], or the round
/// fails: a `LISTEN` that cannot hear), then records every notice until the connection is lost
/// (`Ok`).
async fn receive(sign_ins: Arc<SignIns>, direct: PgPool) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(&direct).await?;
    // A lost connection ends the round at once instead of reconnecting quietly (which would
    // lose the notices sent meanwhile); the next round reloads.
    listener.eager_reconnect(false);
    listener.listen(db::sign_ins::ENDED_CHANNEL).await?;
    let ended = db::sign_ins::ended_within(&direct, sign_ins.remember).await?;
    sign_ins.record(ended);
    sign_ins.forget_old();
    ping(&direct).await?;
    let first = async {
        while let Some(notice) = listener.try_recv().await? {
            if sign_ins.hear(notice.payload()) {
                return Ok(true);
            }
        }
        Ok::<_, sqlx::Error>(false)
    };
    // On a timeout the listener is dropped with this round, so a cancelled read does no harm.
    match tokio::time::timeout(STALE, first).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return Ok(()),
        Ok(Err(err)) => return Err(err),
        Err(_) => return Err(sqlx::Error::Protocol("the listener hears nothing".into())),
    }
    sign_ins.set_last_heard(Some(Instant::now()));
    sign_ins.listening.store(true, Ordering::Release);
    let mut last_forget = Instant::now();
    while let Some(notice) = listener.try_recv().await? {
        sign_ins.set_last_heard(Some(Instant::now()));
        sign_ins.hear(notice.payload());
        if last_forget.elapsed() > Duration::from_secs(60) {
            sign_ins.forget_old();
            last_forget = Instant::now();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_until_listening() {
        let sign_ins = SignIns::new(Duration::from_secs(3600));
        let id = Uuid::now_v7();
        assert_eq!(sign_ins.check(id), Known::Unknown);
        sign_ins.listening.store(true, Ordering::Release);
        assert_eq!(sign_ins.check(id), Known::Live);
        sign_ins.record([id]);
        assert_eq!(sign_ins.check(id), Known::Ended);
        assert_eq!(sign_ins.check(Uuid::now_v7()), Known::Live);
    }

    #[tokio::test]
    async fn ending_here_records_at_once_when_not_listening() {
        let sign_ins = SignIns::new(Duration::from_secs(3600));
        let id = Uuid::now_v7();
        sign_ins.ended_here(&[id]).await;
        sign_ins.listening.store(true, Ordering::Release);
        assert_eq!(sign_ins.check(id), Known::Ended);
    }

    #[test]
    fn old_entries_are_forgotten() {
        let sign_ins = SignIns {
            remember: Duration::ZERO,
            ..SignIns::new(Duration::ZERO)
        };
        let id = Uuid::now_v7();
        sign_ins.record([id]);
        sign_ins.forget_old();
        assert!(!sign_ins.is_ended(id));
    }
}
