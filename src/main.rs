//! The Taskdeck server: configuration → telemetry → application → serve until signalled.

use std::process::ExitCode;

use leptos::config::get_configuration;
use taskdeck::server::config::Config;
use taskdeck::server::startup::{shutdown_signal, Application};
use taskdeck::server::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line on stderr: a configuration mistake is not a crash, so no backtrace.
            eprintln!("taskdeck: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    // A .env file is for local use; variables already set in the environment take precedence.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(err) if err.not_found() => {}
        Err(err) => return Err(format!(".env: {err}")),
    }
    let config = Config::from_env().map_err(|err| err.to_string())?;
    let leptos_options = get_configuration(Some("Leptos.toml"))
        .map_err(|err| format!("Leptos.toml: {err}"))?
        .leptos_options;

    telemetry::init();
    let app = Application::build(config, leptos_options)
        .await
        .map_err(|err| err.to_string())?;
    let addr = app.local_addr().map_err(|err| err.to_string())?;
    tracing::info!("listening on http://{addr}");
    app.run(shutdown_signal())
        .await
        .map_err(|err| format!("server error: {err}"))
}
