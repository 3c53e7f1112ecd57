//! The opaque secrets Taskdeck hands out (API-accounts.md): refresh tokens (`tdr_…`) and personal
//! access tokens (`tdp_…`).
//!
//! A secret is its prefix and the URL-safe base64 of its user's id, for a personal access token
//! the token's id, and 32 random bytes (256 bits). The ids in front let a lookup stay within one
//! user's rows (the schema is keyed by user) and are no secret: the user's id is in every access
//! token too. Only a keyed hash of the whole secret is stored: HMAC-SHA256 under a key derived
//! from `JWT_SECRET`. A fast hash is right here (argon2 is for passwords, which are guessable;
//! 256 random bits are not), and the key means that a copy of the database alone cannot even
//! check a guess. Changing `JWT_SECRET` therefore ends every refresh and personal access token,
//! as it ends every access token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::jwt::Keys;

pub const REFRESH_PREFIX: &str = "tdr_";
pub const ACCESS_PREFIX: &str = "tdp_";

/// Random bytes in each secret.
const RANDOM_BYTES: usize = 32;

/// Separates this use of `JWT_SECRET` from its others (JWT signatures, signed form errors).
const CONTEXT: &[u8] = b"taskdeck stored token hash v1\n";

/// The stored form of a secret.
pub type Hash = [u8; 32];

/// The keyed hash's key, derived once from `JWT_SECRET` (see the module's documentation).
pub(super) fn hash_key(secret: &[u8]) -> Hmac<Sha256> {
    let mut derive =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
    derive.update(CONTEXT);
    let key = derive.finalize().into_bytes();
    <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes a key of any length")
}

fn hash(keys: &Keys, secret: &str) -> Hash {
    let mut mac = keys.secret_key.clone();
    mac.update(secret.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A new secret as the client receives it, and its hash as stored.
pub struct Issued {
    pub secret: String,
    pub hash: Hash,
}

fn issue(keys: &Keys, prefix: &str, ids: &[Uuid]) -> Result<Issued, getrandom::Error> {
    let mut bytes = Vec::with_capacity(ids.len() * 16 + RANDOM_BYTES);
    for id in ids {
        bytes.extend_from_slice(id.as_bytes());
    }
    let mut random = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut random)?;
    bytes.extend_from_slice(&random);
    let secret = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&bytes));
    let hash = hash(keys, &secret);
    Ok(Issued { secret, hash })
}

/// A new refresh token of this user.
pub fn new_refresh_token(keys: &Keys, user_id: Uuid) -> Result<Issued, getrandom::Error> {
    issue(keys, REFRESH_PREFIX, &[user_id])
}

/// A new personal access token with this id.
pub fn new_access_token(keys: &Keys, user_id: Uuid, id: Uuid) -> Result<Issued, getrandom::Error> {
    issue(keys, ACCESS_PREFIX, &[user_id, id])
}

/// The ids a presented secret names, and its hash; `None` for anything not shaped like one of
/// ours (which is then refused like an unknown one).
fn parse<const IDS: usize>(keys: &Keys, prefix: &str, secret: &str) -> Option<([Uuid; IDS], Hash)> {
    let encoded = secret.strip_prefix(prefix)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    if bytes.len() != IDS * 16 + RANDOM_BYTES {
        return None;
    }
    let mut ids = [Uuid::nil(); IDS];
    for (n, id) in ids.iter_mut().enumerate() {
        *id = Uuid::from_slice(&bytes[n * 16..(n + 1) * 16]).ok()?;
    }
    Some((ids, hash(keys, secret)))
}

/// A presented refresh token: its user, and its hash.
pub fn parse_refresh_token(keys: &Keys, secret: &str) -> Option<(Uuid, Hash)> {
    parse::<1>(keys, REFRESH_PREFIX, secret).map(|([user_id], hash)| (user_id, hash))
}

/// A presented personal access token: its user, its id, and its hash.
pub fn parse_access_token(keys: &Keys, secret: &str) -> Option<(Uuid, Uuid, Hash)> {
    parse::<2>(keys, ACCESS_PREFIX, secret).map(|([user_id, id], hash)| (user_id, id, hash))
}

/// Separates the sealing key from the other uses of `JWT_SECRET`.
const SEAL_CONTEXT: &[u8] = b"taskdeck sealed replay v1\n";

/// Bytes of the random nonce in front of each sealed blob.
const NONCE_BYTES: usize = 12;

/// The key that seals answers kept for idempotent replays (`rest::idempotency`), derived once from
/// `JWT_SECRET`: such an answer may hold a personal access token's secret, which must never lie in
/// a table in the clear. Changing `JWT_SECRET` makes kept answers unreadable, as it ends tokens.
pub(super) fn seal_key(secret: &[u8]) -> ChaCha20Poly1305 {
    let mut derive =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
    derive.update(SEAL_CONTEXT);
    ChaCha20Poly1305::new(&derive.finalize().into_bytes())
}

/// `plain` sealed for the row it is stored in (`bound`: the user's id and the key, so a blob
/// copied to another row does not open): a random nonce, then the ciphertext and its tag.
pub fn seal(keys: &Keys, bound: &[u8], plain: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|_| SealError)?;
    let sealed = keys
        .seal_key
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain,
                aad: bound,
            },
        )
        .map_err(|_| SealError)?;
    let mut blob = nonce.to_vec();
    blob.extend(sealed);
    Ok(blob)
}

/// What [`seal`] made for `bound`, or an error when it was not (another key, another row).
pub fn open(keys: &Keys, bound: &[u8], blob: &[u8]) -> Result<Vec<u8>, SealError> {
    if blob.len() < NONCE_BYTES {
        return Err(SealError);
    }
    let (nonce, sealed) = blob.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| SealError)?;
    keys.seal_key
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: bound,
            },
        )
        .map_err(|_| SealError)
}

/// Sealing or opening failed (no randomness, or a blob this key did not seal for that row).
#[derive(Debug, thiserror::Error)]
#[error("cannot seal or open a kept answer")]
pub struct SealError;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::jwt::tests::keys;

    #[test]
    fn secrets_name_their_ids_and_hash_under_the_key() {
        let keys = keys(&[]);
        let user = Uuid::now_v7();
        let id = Uuid::now_v7();
        let refresh = new_refresh_token(&keys, user).expect("random");
        assert!(refresh.secret.starts_with("tdr_"));
        assert_eq!(
            parse_refresh_token(&keys, &refresh.secret),
            Some((user, refresh.hash))
        );
        let access = new_access_token(&keys, user, id).expect("random");
        assert!(access.secret.starts_with("tdp_"));
        assert_eq!(
            parse_access_token(&keys, &access.secret),
            Some((user, id, access.hash))
        );
        // Two secrets of one user differ; neither kind passes for the other.
        let again = new_refresh_token(&keys, user).expect("random");
        assert_ne!(again.secret, refresh.secret);
        assert_ne!(again.hash, refresh.hash);
        assert_eq!(parse_access_token(&keys, &refresh.secret), None);
        assert_eq!(parse_refresh_token(&keys, &access.secret), None);
        // Another key hashes the same secret differently.
        let other = crate::server::auth::jwt::tests::keys(&[(
            "JWT_SECRET",
            "another secret of at least thirty-two bytes",
        )]);
        assert_ne!(
            parse_refresh_token(&other, &refresh.secret).map(|(_, hash)| hash),
            Some(refresh.hash)
        );
    }

    #[test]
    fn malformed_secrets_are_refused() {
        let keys = keys(&[]);
        for secret in [
            "",
            "tdr_",
            "tdr_!!!!",
            "tdr_AAAA",
            "Bearer x",
            "tdp_AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(parse_refresh_token(&keys, secret), None, "{secret}");
            assert_eq!(parse_access_token(&keys, secret), None, "{secret}");
        }
    }

    #[test]
    fn sealed_answers_open_only_for_their_row_and_key() {
        let keys = keys(&[]);
        let sealed = seal(&keys, b"row one", b"{\"token\":\"tdp_x\"}").expect("sealed");
        assert!(!sealed
            .windows(b"tdp_x".len())
            .any(|window| window == b"tdp_x"));
        assert_eq!(
            open(&keys, b"row one", &sealed).expect("opens"),
            b"{\"token\":\"tdp_x\"}"
        );
        assert!(open(&keys, b"row two", &sealed).is_err());
        let other = crate::server::auth::jwt::tests::keys(&[(
            "JWT_SECRET",
            "another secret of at least thirty-two bytes",
        )]);
        assert!(open(&other, b"row one", &sealed).is_err());
        assert!(open(&keys, b"row one", &sealed[..5]).is_err());
        // Two seals of one answer differ (a fresh nonce each time).
        assert_ne!(
            seal(&keys, b"row one", b"same").ok(),
            seal(&keys, b"row one", b"same").ok()
        );
    }
}
