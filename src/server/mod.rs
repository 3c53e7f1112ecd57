//! Everything only the server runs: configuration, the HTTP application and its handlers.

pub mod accounts;
pub mod assets;
pub mod auth;
pub mod browser;
pub mod config;
pub mod error;
pub mod events;
pub mod health;
pub mod problem;
pub mod rate_limit;
pub mod rest;
pub mod security;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod time_zone;
