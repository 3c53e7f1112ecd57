//! Server functions: the browser's calls to the server, under their own prefix `/rpc` (`/api`
//! belongs to the public JSON API). Bodies are thin and compile for the server only, calling
//! into `crate::server`.

pub mod auth;
pub mod tasks;
