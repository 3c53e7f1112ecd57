//! One route component per file.

mod auth;
mod home;
mod not_found;
mod settings;
mod tasks;

pub use auth::{LoginPage, RegisterPage};
pub use home::Home;
pub use not_found::NotFound;
pub use settings::SettingsPage;
pub use tasks::TasksPage;
