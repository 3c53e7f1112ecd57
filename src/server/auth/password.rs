//! Passwords: argon2id hashing and verification on a few threads of their own.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

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

type Job = Box<dyn FnOnce() + Send>;

/// argon2 on threads of its own, not on tokio's blocking pool. Each computation takes tens of
/// milliseconds of CPU and 19 MiB of memory by design, so a burst of sign-ins must not take every
/// core (or a block of memory per blocking thread) from the requests that need milliseconds: at
/// most [`argon2_slots`] run at once and the rest queue. (Measured: with 50 sign-ins running,
/// listing p99 stays ~31 ms. A lower CPU priority for these threads was tried and dropped: it
/// barely helped the listing and starved sign-ins to 4/s with timeouts.) Owned by `AppState`;
/// the threads end when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    queue: mpsc::Sender<Job>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::with_slots(argon2_slots())
    }
}

impl Passwords {
    /// With `slots` threads (at least one).
    pub fn with_slots(slots: usize) -> Self {
        let (queue, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..slots.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    // A poisoned lock or a closed channel both mean the owner is gone.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "could not start an argon2 thread");
            }
        }
        Self { queue }
    }

    /// Runs one computation on the argon2 threads and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Internal> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone away (a closed connection): nothing to tell then.
            let _ = done.send(work());
        });
        self.queue
            .send(job)
            .map_err(|_| Internal::from("the argon2 threads are gone"))?;
        result
            .await
            .map_err(|_| Internal::from("an argon2 computation was lost"))
    }

    /// A PHC string for a new password.
    pub async fn hash(&self, password: Password) -> Result<String, Internal> {
        self.run(move || hash_phc(password.expose().as_bytes()))
            .await?
            .map_err(|err| Internal::from(format!("argon2: {err}")))
    }

    /// Whether `password` matches `hash`. `None` (unknown user, or one without a password)
    /// verifies against the dummy hash and fails, taking the same time as a wrong password.
    pub async fn verify(&self, password: Password, hash: Option<String>) -> Result<bool, Internal> {
        self.run(move || {
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
                        .run(move || {
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
