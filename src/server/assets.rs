//! The front end's bundle under `/pkg` (WASM, JS, CSS). A release build is made with
//! `cargo leptos build --release --precompress`, which writes brotli and gzip copies beside each
//! file, and with `hash-files`, which puts a content hash into each name. So: the compressed copy
//! the browser accepts is sent as it is (no compression work per request), and a hashed name is
//! cached for a year, since new content always comes under a new name.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use tower_http::services::ServeDir;

use super::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn router(options: &LeptosOptions) -> Router<AppState> {
    let pkg = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(pkg).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), files)
        .layer(middleware::from_fn(cache_headers))
}

/// `taskdeck.<hash>.js`, `taskdeck.<hash>_bg.wasm`, `taskdeck.<hash>.css`: a name with a hash
/// has a segment between the output name and the extension.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.split('.').count() >= 3
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let headers = response.headers_mut();
    // An unhashed name (a development build) may change under the same URL: revalidate.
    let cache = if hashed { IMMUTABLE } else { "no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Caches must keep the brotli, gzip and plain answers apart.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_told_from_plain_ones() {
        assert!(is_hashed("/pkg/taskdeck.Zc2xSdP1a3vk_bg.wasm"));
        assert!(is_hashed("/pkg/taskdeck.Zc2xSdP1a3vk.js"));
        assert!(!is_hashed("/pkg/taskdeck.js"));
        assert!(!is_hashed("/pkg/taskdeck_bg.wasm"));
    }
}
