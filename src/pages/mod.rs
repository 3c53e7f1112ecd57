//! One route component per file.

mod auth;
mod home;
mod not_found;
mod tasks;

pub use auth::{LoginPage, RegisterPage};
pub use home::Home;
pub use not_found::NotFound;
pub use tasks::TasksPage;
