//! Taskdeck: one crate, two targets.
//!
//! `app`, `pages`, `components`, `domain`, `error` and `server_fns` compile for both the server
//! and the browser (WASM). What only the server may run sits in the two `ssr`-gated modules below
//! (`db`, `server`); elsewhere `ssr` appears only where one item has a server half: the OpenAPI
//! derives on `domain` types (`cfg_attr`) and the server-side bodies of `server_fns`.

// Leptos views are nested types; the tasks page with its sidebar, filters and grouped list
// passes the default limit (128) when the release build lays out its hydration futures.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the reactive system to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
