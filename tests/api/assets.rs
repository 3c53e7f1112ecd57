//! The front end's bundle under /pkg: precompressed copies chosen by Accept-Encoding, and a
//! year of caching for hashed names only.

use sqlx::PgPool;

use crate::helpers::TestApp;

/// A site root with a hashed WASM file and its brotli and gzip copies (markers, not real
/// compressed data: what matters is which file is sent).
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("taskdeck.AbC123_x-Y.wasm"), b"plain").unwrap();
    std::fs::write(pkg.join("taskdeck.AbC123_x-Y.wasm.br"), b"brotli").unwrap();
    std::fs::write(pkg.join("taskdeck.AbC123_x-Y.wasm.gz"), b"gzip").unwrap();
    std::fs::write(pkg.join("taskdeck.js"), b"unhashed").unwrap();
    dir
}

#[sqlx::test]
async fn the_bundle_is_sent_precompressed_and_hashed_names_are_cached_for_a_year(pool: PgPool) {
    let site = site();
    let app = TestApp::builder(pool).site_root(site.path()).spawn().await;
    let get = |path: &'static str, encoding: &'static str| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
    };

    for (encoding, expected, body) in [
        ("br, gzip", Some("br"), "brotli"),
        ("gzip", Some("gzip"), "gzip"),
        ("identity", None, "plain"),
    ] {
        let response = get("/pkg/taskdeck.AbC123_x-Y.wasm", encoding)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{encoding}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            expected,
            "{encoding}"
        );
        assert_eq!(headers["content-type"], "application/wasm");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["vary"], "accept-encoding");
        assert_eq!(response.bytes().await.unwrap(), body.as_bytes());
    }

    // An unhashed name may change under the same URL: it must be revalidated.
    let response = get("/pkg/taskdeck.js", "br").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    // A missing file is a plain 404, never cached for a year.
    let response = get("/pkg/taskdeck.nope.js", "br").await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response
        .headers()
        .get("cache-control")
        .is_none_or(|v| v != "public, max-age=31536000, immutable"));
}
