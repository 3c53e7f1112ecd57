//! The front end's bundle under `/pkg` (WASM, JS, CSS). A release build is made with
//! `cargo leptos build --release --precompress`, which writes brotli and gzip copies beside each
//! file, and with `hash-files`, which puts a content hash into each name. So: the compressed copy
//! the browser accepts is sent as it is (no compression work per request), and a hashed name is
//! cached for a year, since new content always comes under a new name.

use std::path::Path;
use std::sync::OnceLock;

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

/// The bundle's file names as pages link them: `taskdeck.<hash>.css` and so on with hashed names
/// (from `hash.txt` beside the binary, as cargo-leptos writes it), the plain names otherwise.
/// Read once per process: Leptos's own `HydrationScripts` and `HashedStylesheet` read `hash.txt`
/// from disk on every page render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub css: String,
    /// Without the `.js` extension, as the hydration script takes it.
    pub js: String,
    /// Without the `.wasm` extension.
    pub wasm: String,
}

impl Bundle {
    pub fn get(options: &LeptosOptions) -> &'static Bundle {
        static BUNDLE: OnceLock<Bundle> = OnceLock::new();
        BUNDLE.get_or_init(|| {
            let hashes = options
                .hash_files
                .then(|| {
                    let path = std::env::current_exe()
                        .ok()?
                        .parent()?
                        .join(options.hash_file.as_ref());
                    std::fs::read_to_string(path).ok()
                })
                .flatten();
            if options.hash_files && hashes.is_none() {
                // A development binary started by hand (cargo-leptos writes hash.txt only for
                // the builds it makes): pages link the plain names, as Leptos's own components do.
                tracing::warn!("hash-files is on but hash.txt could not be read: plain names");
            }
            Self::named(
                options.output_name.as_ref(),
                hashes.as_deref(),
                option_env!("LEPTOS_OUTPUT_NAME").is_some(),
            )
        })
    }

    /// The names for `output` with the hashes of a `hash.txt` (`js: <hash>` lines), if any. A
    /// WASM file built outside cargo-leptos is named `<output>_bg` (what Leptos does too).
    fn named(output: &str, hashes: Option<&str>, built_by_cargo_leptos: bool) -> Self {
        let hash_of = |kind: &str| {
            hashes?.lines().find_map(|line| {
                let (file, hash) = line.trim().split_once(':')?;
                (file == kind).then(|| format!(".{}", hash.trim()))
            })
        };
        let with = |kind: &str| format!("{output}{}", hash_of(kind).unwrap_or_default());
        let mut wasm = with("wasm");
        if hashes.is_none() && !built_by_cargo_leptos {
            wasm.push_str("_bg");
        }
        Self {
            css: format!("{}.css", with("css")),
            js: with("js"),
            wasm,
        }
    }
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

    #[test]
    fn bundle_names_carry_the_hashes_of_hash_txt() {
        let hashes = "js: AbC\nwasm: dEf_1\ncss: GhI-2\n";
        assert_eq!(
            Bundle::named("taskdeck", Some(hashes), true),
            Bundle {
                css: "taskdeck.GhI-2.css".into(),
                js: "taskdeck.AbC".into(),
                wasm: "taskdeck.dEf_1".into(),
            }
        );
        let plain = Bundle::named("taskdeck", None, false);
        assert_eq!(
            (plain.css.as_str(), plain.wasm.as_str()),
            ("taskdeck.css", "taskdeck_bg")
        );
        assert_eq!(Bundle::named("taskdeck", None, true).wasm, "taskdeck");
    }
}
