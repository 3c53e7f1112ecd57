//! Integration tests: the real router and the real binary against a real PostgreSQL. Each
//! `#[sqlx::test]` gets a fresh, migrated database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod accounts;
mod assets;
mod auth;
mod browser;
mod changes;
mod cors;
mod docs;
mod events;
mod health;
mod idempotency;
mod leptos_toml;
mod live;
mod migration;
mod openapi;
mod organise;
mod overload;
mod pages;
mod routing;
mod schema;
mod scripts;
mod sessions;
mod startup;
mod tasks;
mod telemetry;
mod versions;
mod web_organise;
