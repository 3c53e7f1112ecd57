//! Types shared by the server and the browser: wire formats and validated values.
//! Nothing here may depend on sqlx, axum or tokio, because it also compiles to WASM.

mod account;
mod email;
mod password;
mod problem;

pub use account::{AuthResponse, Credentials, CredentialsInput, User};
pub use email::{Email, EmailError};
pub use password::{Password, PasswordError};
pub use problem::{FieldError, Problem};
