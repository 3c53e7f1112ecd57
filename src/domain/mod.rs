//! Types shared by the server and the browser: wire formats and validated values.
//! Nothing here may depend on sqlx, axum or tokio, because it also compiles to WASM.

mod account;
mod email;
mod listing;
mod password;
mod problem;
mod task;
pub mod timestamp;

pub use account::{AuthResponse, Credentials, CredentialsInput, User};
pub use email::{Email, EmailError};
pub use listing::{matches_search, TaskFilter, TaskPage, MAX_SEARCH_CHARS};
pub use password::{Password, PasswordError};
pub use problem::{FieldError, Problem};
pub use task::{Description, NewTask, Task, TaskInput, TaskPatch, TaskPatchInput, Title};

/// Percent-encodes everything but RFC 3986's unreserved characters and `/`, for a value in a
/// URL's query string.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
