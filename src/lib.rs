//! Taskdeck: one crate, two targets.
//!
//! `app`, `pages` and `domain` compile for both the server and the browser (WASM). Everything
//! that only the server may run sits behind the two `ssr`-gated modules below, so the rest of the
//! crate never needs a `cfg` of its own.

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
