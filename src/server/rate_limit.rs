//! The per-user request rate limit of the JSON API (issue 12, point 4), with the `RateLimit-Policy`
//! and `RateLimit` headers of draft-ietf-httpapi-ratelimit-headers.
//!
//! Each user has a bucket of `API_RATE_LIMIT_BURST` requests that refills at
//! `API_RATE_LIMIT_PER_MINUTE` (GCRA, the `governor` crate): a client may send a burst, then keeps
//! the steady rate. A request past it is a 429 with `Retry-After`, before any work is done. The
//! buckets live in each server process's memory: checking one is a few nanoseconds, where a row in
//! PostgreSQL would be a write on every request; with several processes behind a balancer the
//! effective limit is that many times the setting (say so when sizing it). The per-user quotas on
//! stored data, which must be exact, are in the database (`db::WriteError::Limit`).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, QuantaClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use super::state::AppState;

/// The policy's name in the headers.
const POLICY: &str = "api";

pub struct ApiRateLimit {
    limiter: RateLimiter<Uuid, DashMapStateStore<Uuid>, QuantaClock, StateInformationMiddleware>,
    clock: QuantaClock,
    per_minute: u32,
    burst: u32,
    /// The `RateLimit-Policy` value, the same on every answer.
    policy: HeaderValue,
}

/// What one request's check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let through; `remaining` more may follow at once, and the bucket is full again after
    /// `full_in_secs`.
    Allowed { remaining: u32, full_in_secs: u64 },
    /// Refused; one more is allowed after `retry_after_secs`.
    Refused { retry_after_secs: u64 },
}

impl ApiRateLimit {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = per_minute.max(1);
        let burst = burst.max(1);
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        let clock = QuantaClock::default();
        let window = (u64::from(burst) * 60).div_ceil(u64::from(per_minute));
        let policy = HeaderValue::from_str(&format!("\"{POLICY}\";q={burst};w={window}"))
            .unwrap_or_else(|_| HeaderValue::from_static("\"api\""));
        Self {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
            clock,
            per_minute,
            burst,
            policy,
        }
    }

    /// Takes one request from `user`'s bucket.
    pub fn check(&self, user: Uuid) -> Decision {
        match self.limiter.check_key(&user) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = u64::from(self.burst.saturating_sub(remaining));
                Decision::Allowed {
                    remaining,
                    full_in_secs: (missing * 60).div_ceil(u64::from(self.per_minute)),
                }
            }
            Err(not_until) => Decision::Refused {
                retry_after_secs: not_until
                    .wait_time_from(self.clock.now())
                    .as_secs_f64()
                    .ceil()
                    .max(1.0) as u64,
            },
        }
    }

    /// `RateLimit-Policy`: the bucket's size, and the window it refills in.
    fn policy(&self) -> &HeaderValue {
        &self.policy
    }

    /// Forgets users whose buckets are full again (periodic clean-up: memory stays bounded by the
    /// users active in the last window).
    pub fn retain_recent(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Where the caller's extractor leaves its decision for [`headers`] to report.
#[derive(Clone, Default)]
pub struct DecisionSlot(Arc<Mutex<Option<Decision>>>);

impl DecisionSlot {
    pub fn set(&self, decision: Decision) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(decision);
        }
    }

    fn get(&self) -> Option<Decision> {
        self.0.lock().ok().and_then(|slot| *slot)
    }
}

/// Around the API: gives each request a slot for its caller's rate-limit decision, and puts the
/// decision in the response's `RateLimit-Policy` and `RateLimit` headers (requests without a
/// caller, like sign-in, have none).
pub async fn headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let slot = DecisionSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let Some(decision) = slot.get() else {
        return response;
    };
    let limit = &state.rate_limit;
    let current = match decision {
        Decision::Allowed {
            remaining,
            full_in_secs,
        } => format!("\"{POLICY}\";r={remaining};t={full_in_secs}"),
        Decision::Refused { retry_after_secs } => {
            format!("\"{POLICY}\";r=0;t={retry_after_secs}")
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("ratelimit-policy"),
        limit.policy().clone(),
    );
    if let Ok(current) = HeaderValue::from_str(&current) {
        headers.insert(HeaderName::from_static("ratelimit"), current);
    }
    response
}

/// How often idle buckets are dropped.
pub const CLEAN_UP_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_steady_rate() {
        let limit = ApiRateLimit::new(60, 3);
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            limit.check(ada),
            Decision::Allowed {
                remaining: 2,
                full_in_secs: 1
            }
        );
        assert!(matches!(
            limit.check(ada),
            Decision::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            limit.check(ada),
            Decision::Allowed { remaining: 0, .. }
        ));
        assert_eq!(
            limit.check(ada),
            Decision::Refused {
                retry_after_secs: 1
            }
        );
        // Another user has a bucket of their own.
        assert!(matches!(
            limit.check(bob),
            Decision::Allowed { remaining: 2, .. }
        ));
        assert_eq!(limit.policy(), "\"api\";q=3;w=3");
    }
}
