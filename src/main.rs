//! The Taskdeck server: configuration → telemetry → application → serve until signalled.

use std::process::ExitCode;

use leptos::config::get_configuration;
use taskdeck::server::config::Config;
use taskdeck::server::startup::{shutdown_signal, Application};
use taskdeck::server::telemetry;

/// mimalloc instead of the system allocator: a page render makes thousands of small allocations,
/// and glibc's malloc took over a third of the page's CPU time (perf; the README's benchmark
/// section has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // mimalloc maps its memory in large aligned regions, which a kernel with transparent huge
    // pages set to `always` backs with 2 MiB pages as soon as one byte of them is touched: the
    // server's peak memory at 1000 connections was 66 MB with them and 50 MB without (measured).
    // Failing to opt out (an old kernel) only costs that memory.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
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
