//! Leptos.toml (read by the server at run time) and Cargo.toml's [package.metadata.leptos]
//! (read by cargo-leptos at build time) must agree wherever both set a value: otherwise a server
//! started outside cargo-leptos would look for its bundle under another name or address.

use leptos::config::{get_configuration, Env};

fn leptos_table(file: &str) -> toml::Table {
    let text = std::fs::read_to_string(file).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc["package"]["metadata"]["leptos"]
        .as_table()
        .unwrap_or_else(|| panic!("{file} has no [package.metadata.leptos] table"))
        .clone()
}

#[test]
fn settings_in_both_files_agree() {
    let runtime = leptos_table("Leptos.toml");
    let build = leptos_table("Cargo.toml");
    let shared: Vec<&String> = runtime
        .keys()
        .filter(|key| build.contains_key(*key))
        .collect();
    for required in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
    ] {
        assert!(
            shared.iter().any(|key| *key == required),
            "{required} must be set in both files"
        );
    }
    for key in shared {
        assert_eq!(
            runtime[key], build[key],
            "{key} differs between Leptos.toml and Cargo.toml"
        );
    }
}

#[test]
fn the_server_reads_leptos_toml() {
    let options = get_configuration(Some("Leptos.toml"))
        .unwrap()
        .leptos_options;
    let runtime = leptos_table("Leptos.toml");
    assert_eq!(
        &*options.output_name,
        runtime["output-name"].as_str().unwrap()
    );
    assert_eq!(
        &*options.site_pkg_dir,
        runtime["site-pkg-dir"].as_str().unwrap()
    );
    // A directly started server is a production server: no live-reload script in its pages.
    if std::env::var_os("LEPTOS_ENV").is_none() {
        assert_eq!(options.env, Env::PROD);
    }
}
