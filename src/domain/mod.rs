//! Types shared by the server and the browser: wire formats and validated values.
//! Nothing here may depend on sqlx, axum or tokio, because it also compiles to WASM.

mod problem;

pub use problem::{FieldError, Problem};
