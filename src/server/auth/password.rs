//! Passwords: argon2id hashing and verification on a few threads of their own.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use argon2::{Algorithm as Argon2Algorithm, Argon2, Params, Version};

use crate::domain::Password;
use crate::server::error::Internal;

/// argon2id with OWASP's minimum parameters: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params =
        Params::new(19 * 1024, 2, 1, None).expect("BUG: constant argon2 parameters are valid");
    Argon2::new(Argon2Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password (made with [`argon2`]'s parameters, its password discarded),
/// verified against when the email is unknown, so that an unknown email costs the same time as
/// a wrong password; the result of that verification is ignored. A constant rather than one made
/// at start-up: making it cost every server process an argon2 run and a 19 MiB peak of memory,
/// even one that never sees a sign-in.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$4ao4u5Je0FOPqezeVWg/cg$tI7QkdhH2hLhB9JMvu78QG+PHN00qod9FCCyG9DpjqE";

/// How many argon2 computations run at once: half the cores, at least one.
fn argon2_slots() -> usize {
    (std::thread::available_parallelism().map_or(1, usize::from) / 2).max(1)
}

/// A queued computation; `false` from its check means its caller has gone, so it is skipped.
struct Job {
    work: Box<dyn FnOnce() + Send>,
    wanted: Box<dyn Fn() -> bool + Send>,
}

/// Which computations go first: checking a password at sign-in ([`Class::SignIn`]) before making
/// a hash for a new account ([`Class::NewHash`]), so that a flood of registrations cannot keep
/// people from signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    SignIn,
    NewHash,
}

/// The longest a computation may expect to wait for a thread before it is refused at once (503
/// with Retry-After): a client that would wait longer is better told to come back.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The queue's refusal: the wait would pass [`MAX_WAIT`].
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing is busy")]
    Busy { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(Internal),
}

#[derive(Default)]
struct Queues {
    sign_in: VecDeque<Job>,
    new_hash: VecDeque<Job>,
    /// Set when the last [`Passwords`] is dropped: the threads end.
    closed: bool,
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    slots: usize,
    /// How long one computation takes, in microseconds: a moving average of the last ones, and
    /// until the first ends, a guess (50 ms) on the safe side.
    job_micros: AtomicU64,
}

/// argon2 on threads of its own, not on tokio's blocking pool. Each computation takes tens of
/// milliseconds of CPU and 19 MiB of memory by design, so a burst of sign-ins must not take every
/// core (or a block of memory per blocking thread) from the requests that need milliseconds: at
/// most [`argon2_slots`] run at once and the rest queue. (Measured: with 50 sign-ins running,
/// listing p99 stays ~31 ms. A lower CPU priority for these threads was tried and dropped: it
/// barely helped the listing and starved sign-ins to 4/s with timeouts.) Owned by `AppState`;
/// the threads end when the last clone is dropped.
///
/// The queue is bounded by time: a computation whose expected wait (the work queued before it,
/// spread over the threads, at the measured pace) would pass [`MAX_WAIT`] is refused at once.
/// Sign-ins are served before new hashes and wait only behind other sign-ins. A computation whose
/// caller has gone (the client closed the connection, dropping the request) is skipped when its
/// turn comes. Hand-written: tokio's blocking pool has neither priorities nor a bound by time.
#[derive(Clone)]
pub struct Passwords {
    shared: Arc<Shared>,
    /// Dropped with the last clone: wakes the threads so that they end.
    _owner: Arc<Owner>,
}

struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        if let Ok(mut queues) = self.0.queues.lock() {
            queues.sign_in.clear();
            queues.new_hash.clear();
            queues.closed = true;
        }
        self.0.ready.notify_all();
    }
}

impl Shared {
    /// The next wanted job, sign-ins first; `None` once the owner is gone.
    fn next(&self) -> Option<Job> {
        let mut queues = self.queues.lock().ok()?;
        loop {
            if queues.closed {
                return None;
            }
            while let Some(job) = queues
                .sign_in
                .pop_front()
                .or_else(|| queues.new_hash.pop_front())
            {
                if (job.wanted)() {
                    return Some(job);
                }
            }
            queues = self.ready.wait(queues).ok()?;
        }
    }

    fn record(&self, took: std::time::Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let before = self.job_micros.load(Ordering::Relaxed);
        // An average over about the last eight computations.
        self.job_micros
            .store(before - before / 8 + took / 8, Ordering::Relaxed);
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::with_slots(argon2_slots())
    }
}

impl Passwords {
    /// With `slots` threads (at least one).
    pub fn with_slots(slots: usize) -> Self {
        let slots = slots.max(1);
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues::default()),
            ready: Condvar::new(),
            slots,
            job_micros: AtomicU64::new(50_000),
        });
        for n in 0..slots {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    while let Some(job) = shared.next() {
                        let started = std::time::Instant::now();
                        (job.work)();
                        shared.record(started.elapsed());
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "could not start an argon2 thread");
            }
        }
        Self {
            _owner: Arc::new(Owner(Arc::clone(&shared))),
            shared,
        }
    }

    /// Runs one computation on the argon2 threads and waits for its result, or refuses it at
    /// once when its wait would pass [`MAX_WAIT`].
    async fn run<T: Send + 'static>(
        &self,
        class: Class,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let done = Arc::new(Mutex::new(Some(done)));
        let wanted = {
            let done = Arc::clone(&done);
            move || {
                done.lock()
                    .is_ok_and(|done| done.as_ref().is_some_and(|done| !done.is_closed()))
            }
        };
        let job = Job {
            work: Box::new(move || {
                let sender = done.lock().ok().and_then(|mut done| done.take());
                if let Some(sender) = sender {
                    // The caller may have gone meanwhile: nothing to tell then.
                    let _ = sender.send(work());
                }
            }),
            wanted: Box::new(wanted),
        };
        {
            let mut queues = self
                .shared
                .queues
                .lock()
                .map_err(|_| HashError::Internal("the argon2 queue is poisoned".into()))?;
            // Ahead of this one: the sign-ins queued, and for a new hash every new hash too,
            // plus one computation running on each thread.
            let ahead = queues.sign_in.len()
                + if class == Class::NewHash {
                    queues.new_hash.len()
                } else {
                    0
                }
                + self.shared.slots;
            let job_micros = self.shared.job_micros.load(Ordering::Relaxed);
            let wait = std::time::Duration::from_micros(
                job_micros.saturating_mul(ahead as u64) / self.shared.slots as u64,
            );
            if wait > MAX_WAIT {
                return Err(HashError::Busy {
                    retry_after_secs: wait.as_secs().max(1),
                });
            }
            match class {
                Class::SignIn => queues.sign_in.push_back(job),
                Class::NewHash => queues.new_hash.push_back(job),
            }
        }
        self.shared.ready.notify_one();
        result
            .await
            .map_err(|_| HashError::Internal("an argon2 computation was lost".into()))
    }

    /// A PHC string for a new password.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        self.run(Class::NewHash, move || {
            hash_phc(password.expose().as_bytes())
        })
        .await?
        .map_err(|err| HashError::Internal(format!("argon2: {err}").into()))
    }

    /// Whether `password` matches `hash`. `None` (unknown user, or one without a password)
    /// verifies against the dummy hash and fails, taking the same time as a wrong password.
    pub async fn verify(
        &self,
        password: Password,
        hash: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(Class::SignIn, move || {
            let known = hash.is_some();
            let hash = hash.as_deref().unwrap_or(DUMMY_HASH);
            let matches = verify_phc(password.expose().as_bytes(), hash);
            known && matches
        })
        .await
    }
}

thread_local! {
    /// Each argon2 thread's 19 MiB of working memory, allocated once and reused. The crate's own
    /// API allocates (zeroed) per computation, and the allocator kept each freed block: the
    /// server's resident memory grew by ~19 MiB per sign-in, to over 200 MB under a burst.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with these settings into `out`, in this thread's reused memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with_borrow_mut(|blocks| {
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        // Reuse is sound: every block is overwritten in the first pass before it is read.
        argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) for a new password.
fn hash_phc(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::phc::{Output, ParamsString, Salt};
    let argon2 = argon2();
    let params = argon2.params().clone();
    let salt = Salt::new(
        &argon2::password_hash::try_generate_salt()
            .map_err(|_| argon2::password_hash::Error::Crypto)?,
    )?;
    let mut out = [0u8; 32];
    argon2_into(&argon2, &params, password, &salt, &mut out)?;
    Ok(argon2::PasswordHash {
        algorithm: Argon2Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(Output::new(&out)?),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters it names).
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let check = || -> Result<bool, argon2::password_hash::Error> {
        let hash = argon2::PasswordHash::new(phc)?;
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Ok(false);
        };
        let params = Params::try_from(&hash)?;
        let algorithm = Argon2Algorithm::try_from(hash.algorithm.as_str())?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        argon2_into(&argon2, &params, password, salt, &mut out)?;
        // `Output`'s equality is constant-time.
        Ok(argon2::password_hash::phc::Output::new(&out)? == *expected)
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_work_never_runs_beyond_its_slots() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Duration;
        const SLOTS: usize = 2;
        let passwords = Passwords::with_slots(SLOTS);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        // Three times as many jobs as slots, whatever the machine's core count.
        let jobs: Vec<_> = (0..SLOTS * 3)
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                let passwords = passwords.clone();
                tokio::spawn(async move {
                    passwords
                        .run(Class::SignIn, move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for job in jobs {
            job.await.expect("joined").expect("ran");
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=SLOTS).contains(&most), "{most} at once");
    }

    /// A slow stand-in computation: `millis` of sleep on an argon2 thread.
    fn sleeping(millis: u64) -> impl FnOnce() + Send + 'static {
        move || std::thread::sleep(std::time::Duration::from_millis(millis))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sign_ins_go_before_new_hashes() {
        use std::time::Duration;
        let passwords = Passwords::with_slots(1);
        // Occupy the thread, then queue new hashes, then one sign-in.
        let busy = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(Class::NewHash, sleeping(200)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for (class, name) in [
            (Class::NewHash, "hash 1"),
            (Class::NewHash, "hash 2"),
            (Class::SignIn, "sign-in"),
        ] {
            let (passwords, order) = (passwords.clone(), Arc::clone(&order));
            waiting.push(tokio::spawn(async move {
                passwords
                    .run(class, move || order.lock().expect("lock").push(name))
                    .await
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        busy.await.expect("joined").expect("ran");
        for job in waiting {
            job.await.expect("joined").expect("ran");
        }
        assert_eq!(
            *order.lock().expect("lock"),
            ["sign-in", "hash 1", "hash 2"]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn work_that_would_wait_too_long_is_refused_at_once() {
        let passwords = Passwords::with_slots(1);
        // Teach the queue that a computation takes two seconds.
        passwords
            .shared
            .job_micros
            .store(2_000_000, Ordering::Relaxed);
        let mut accepted = Vec::new();
        for _ in 0..2 {
            let passwords = passwords.clone();
            accepted.push(tokio::spawn(async move {
                passwords.run(Class::NewHash, sleeping(300)).await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // One running and one queued, two seconds each by the queue's measure: a third new hash
        // would wait four seconds, past MAX_WAIT, and is refused at once.
        match passwords.run(Class::NewHash, sleeping(1)).await {
            Err(HashError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 4),
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
        // A sign-in waits only behind sign-ins (and the running one), so it is still taken.
        assert!(passwords.run(Class::SignIn, sleeping(1)).await.is_ok());
        for job in accepted {
            job.await.expect("joined").expect("ran");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_work_of_a_caller_that_left_is_skipped() {
        use std::sync::atomic::AtomicBool;
        use std::time::Duration;
        let passwords = Passwords::with_slots(1);
        let busy = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(Class::SignIn, sleeping(150)).await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = tokio::spawn({
            let (passwords, ran) = (passwords.clone(), Arc::clone(&ran));
            async move {
                passwords
                    .run(Class::SignIn, move || ran.store(true, Ordering::SeqCst))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        // The client goes away: its request (and this wait) is dropped.
        abandoned.abort();
        busy.await.expect("joined").expect("ran");
        // A later computation runs, so the abandoned one had its turn before it.
        passwords
            .run(Class::SignIn, sleeping(1))
            .await
            .expect("ran");
        assert!(!ran.load(Ordering::SeqCst), "abandoned work ran");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let hash = argon2::PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(hash.algorithm, Argon2Algorithm::Argon2id.ident());
        assert_eq!(hash.version, Some(Version::V0x13.into()));
        let (dummy, ours) = (Params::try_from(&hash).expect("parameters"), argon2());
        let ours = ours.params();
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (ours.m_cost(), ours.t_cost(), ours.p_cost())
        );
        assert!(!verify_phc(b"", DUMMY_HASH));
    }

    #[test]
    fn reused_memory_hashes_and_verifies_like_the_crate() {
        let ours = hash_phc(b"correct horse").expect("hash");
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(verify_phc(b"correct horse", &ours));
        assert!(!verify_phc(b"correct horsf", &ours));
        // Hashes made by the crate's own API (every hash stored before this change) verify,
        // also after the memory was used for something else.
        let theirs = argon2()
            .hash_password(b"battery staple")
            .expect("hash")
            .to_string();
        assert!(verify_phc(b"battery staple", &theirs));
        assert!(!verify_phc(b"battery stapler", &theirs));
        assert!(verify_phc(b"correct horse", &ours));
        // And the crate verifies ours.
        let parsed = argon2::PasswordHash::new(&ours).expect("PHC string");
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        for broken in [
            "",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "not a hash",
            "$argon2id$v=99$x",
        ] {
            assert!(!verify_phc(b"correct horse", broken), "{broken}");
        }
    }
}
