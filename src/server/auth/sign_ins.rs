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
//! - While it is not listening (starting, or its connection lost), [`SignIns::check`] answers
//!   "ask the database", and the caller does (one indexed lookup): never "live" on a guess.
//! - The process that ends a sign-in waits (at most [`ECHO_WAIT`]) until its own listener has
//!   heard of it before answering, then records it itself in any case. Every process's listener
//!   is told by the same commit, so by the time the client holds the answer, the others have
//!   heard too (delivery takes well under a millisecond on a healthy connection).
//!
//! An ended sign-in is forgotten once no access token of it can still be valid (the token's life
//! and the clock leeway after it ended).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
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
    /// How long an ended sign-in is remembered: an access token's life plus the leeway.
    remember: Duration,
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
            remember: access_ttl + Duration::from_secs(super::jwt::LEEWAY_SECS),
        }
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

/// Keeps `sign_ins` complete for as long as the process runs: listens on a connection of its
/// own to `direct`, loads what ended meanwhile through another, and starts over when the
/// connection is lost. Never touches the server's pool.
pub async fn listen(sign_ins: std::sync::Arc<SignIns>, direct: PgConnectOptions) {
    // PgListener opens its connection from a pool; this one is ours alone (the listener's
    // connection, and one for loading).
    let direct = PgPoolOptions::new()
        .max_connections(2)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(60))
        .connect_lazy_with(direct);
    let mut last_forget = Instant::now();
    loop {
        match listen_once(&sign_ins, &direct, &mut last_forget).await {
            Ok(()) => tracing::warn!("sign-in listener lost its connection; listening again"),
            Err(err) => tracing::warn!(error = %err, "sign-in listener failed; trying again"),
        }
        sign_ins.listening.store(false, Ordering::Release);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn listen_once(
    sign_ins: &SignIns,
    direct: &PgPool,
    last_forget: &mut Instant,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(direct).await?;
    // A lost connection ends this round (`try_recv` answers None rather than reconnecting
    // silently, which would lose the notices sent meanwhile); the next round reloads.
    listener.listen(db::sign_ins::ENDED_CHANNEL).await?;
    let ended = db::sign_ins::ended_within(direct, sign_ins.remember).await?;
    sign_ins.record(ended);
    sign_ins.listening.store(true, Ordering::Release);
    tracing::debug!("listening for ended sign-ins");
    while let Some(notice) = listener.try_recv().await? {
        match notice.payload().parse::<Uuid>() {
            Ok(id) => sign_ins.record([id]),
            Err(_) => tracing::warn!(payload = notice.payload(), "unreadable sign-in notice"),
        }
        sign_ins.heard.notify_waiters();
        if last_forget.elapsed() > Duration::from_secs(60) {
            sign_ins.forget_old();
            *last_forget = Instant::now();
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
