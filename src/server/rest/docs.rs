//! `GET /api/docs`: the API reference, drawn in the browser by Swagger UI from this server's own
//! `/api/openapi.json`.
//!
//! Swagger UI's files are copies of the npm package `swagger-ui-dist` at the version
//! end2end/package.json pins, committed under `public/api/docs/swagger-ui-<version>/` (refresh
//! them with scripts/vendor-swagger-ui). cargo-leptos copies `public/` into the site root like
//! every other asset, and a release build with `--precompress` writes brotli and gzip copies
//! beside them; this module serves `/api/docs/<path>` from `<site root>/api/docs/<path>`, the
//! compressed copy the browser accepts as it is, like `/pkg` (src/server/assets.rs). The
//! version is in the path, so those files are cached for a year. Nothing comes from a CDN.
//!
//! The page itself runs no inline script: `init.js` (ours, beside the vendored directory) starts
//! Swagger UI. So its policy ([`DOCS_CSP`]) allows scripts from this origin only, and styles from
//! this origin only; Swagger UI's own `style` attributes are set through the DOM (React), which a
//! policy does not govern. Every other response keeps the default policy of `security::headers`.
//!
//! Files under `/api/docs/` that do not exist answer like any unknown API path: a 404 problem
//! document.

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::domain::Problem;
use crate::server::state::AppState;

/// Where the vendored files are served, and lie under the site root: named for the version of
/// swagger-ui-dist that end2end/package.json pins (tests/api/docs.rs holds the two together).
pub const SWAGGER_UI_DIR: &str = "/api/docs/swagger-ui-5.35.0";

/// The Content-Security-Policy of the page: scripts, styles and the document only from this
/// origin (no inline script, no `eval`, no inline `<style>`); `data:` images for the icons
/// Swagger UI's stylesheet embeds; requests ("Try it out") to this origin only; no forms that
/// navigate (Swagger UI's forms are handled by its script), no `<base>`, no framing.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page: Swagger UI's stylesheets and script from [`SWAGGER_UI_DIR`], then `init.js`, both
/// deferred (they run in order, after the document is parsed).
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · Taskdeck</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/docs/swagger-ui-5.35.0/swagger-ui.css">
<link rel="stylesheet" href="/api/docs/swagger-ui-5.35.0/index.css">
<script src="/api/docs/swagger-ui-5.35.0/swagger-ui-bundle.js" defer></script>
<script src="/api/docs/init.js" defer></script>
</head>
<body>
<noscript><p>This reference is drawn by a script. The document it shows is <a href="/api/openapi.json">/api/openapi.json</a>.</p></noscript>
<div id="swagger-ui"></div>
</body>
</html>
"#;

/// `/docs` and `/docs/*` under the API's `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/{*path}", get(file))
}

async fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ),
            // Nothing here is anyone's data (security::headers would say no-store for HTML).
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        PAGE,
    )
        .into_response()
}

/// A file of `<site root>/api/docs/`, found by the request's full path (the router may be nested:
/// the original URI is the one that names the file). Directories are not listed, nor redirected.
async fn file(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    request: Request,
) -> Response {
    let versioned = uri.path().starts_with(&format!("{SWAGGER_UI_DIR}/"));
    // Only the headers matter to ServeDir (Accept-Encoding, If-Modified-Since, Range).
    let (mut parts, _) = request.into_parts();
    parts.uri = uri;
    let request = Request::from_parts(parts, Body::empty());
    let files = ServeDir::new(&*state.leptos_options.site_root)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    let Ok(response) = files.oneshot(request).await;
    let mut response = response.into_response();
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Problem::from_status(StatusCode::NOT_FOUND, "no such API endpoint").into_response();
    }
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        // init.js is ours and changes under the same name: revalidate (ServeDir answers a
        // conditional request with 304).
        let cache = if versioned { IMMUTABLE } else { "no-cache" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        // Caches must keep the brotli, gzip and plain answers apart.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page links the files in the directory the handler caches for good.
    #[test]
    fn the_page_links_the_versioned_directory() {
        for file in ["swagger-ui.css", "index.css", "swagger-ui-bundle.js"] {
            assert!(
                PAGE.contains(&format!(r#""{SWAGGER_UI_DIR}/{file}""#)),
                "{file}"
            );
        }
        assert!(PAGE.contains(r#"<script src="/api/docs/init.js" defer></script>"#));
    }
}
