//! Who is calling, and how they prove it.
//!
//! - [`jwt`]: the keys, verifying any token, issuing ours;
//! - [`identity`]: verified claims → the [`Caller`], the one identity step of both front doors;
//! - [`extract`]: the API's Bearer extractor and the client's address;
//! - [`password`]: argon2id hashing on threads of its own, owned by `AppState`;
//! - [`secrets`]: refresh and personal access tokens, and the keyed hash they are stored under;
//! - [`sign_ins`]: which API sign-ins have ended, known to every server process at once.
//!
//! The browser's side (a session holding the JWT) is `server::browser`.

pub mod extract;
pub mod identity;
pub mod jwt;
pub mod password;
pub mod secrets;
pub mod sign_ins;

pub use extract::ClientIp;
pub use identity::{Absent, AuthError, Caller, NotFound, Unchanged};
pub use jwt::{Claims, Keys};
pub use password::{HashError, Passwords};
