//! [`ServerProcess`]: the real `taskdeck` binary, started in an empty directory of its own with
//! exactly the environment a test gives it, and what it prints.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

use super::config::TestEnv;

/// How long the binary may take to connect, migrate and listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The real `taskdeck` binary, started in a directory of its own. Everything it prints (standard
/// output and standard error, interleaved as read) is kept, line by line, for
/// [`ServerProcess::wait_for_line`]; reading it all also keeps the binary from ever blocking on
/// a full pipe.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    output: Arc<Output>,
    _dir: tempfile::TempDir,
}

/// The lines the binary printed so far (shared by the tasks that read its two streams and the
/// test), and a signal for each new one.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    changed: Notify,
    /// How many of the two streams have ended.
    ended: AtomicUsize,
}

/// Why no line matched.
enum NoLine {
    TimedOut,
    Ended,
}

impl ServerProcess {
    /// Starts the binary with exactly the variables of `env` (see [`server_command`]) and waits
    /// until it reports its address.
    pub async fn start(env: &TestEnv) -> Self {
        let dir = work_dir();
        let mut child = server_command(dir.path(), env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server binary");
        let output = Arc::new(Output::default());
        output.drain(child.stdout.take().expect("stdout"));
        output.drain(child.stderr.take().expect("stderr"));
        let listening = |line: &str| line.contains("listening on http://");
        let line = match output.find(listening, START_TIMEOUT).await {
            Ok(line) => line,
            Err(NoLine::Ended) => {
                panic!("the server exited before listening:\n{}", output.printed())
            }
            Err(NoLine::TimedOut) => panic!(
                "the server did not start listening within {START_TIMEOUT:?}:\n{}",
                output.printed()
            ),
        };
        let addr = line
            .split("listening on http://")
            .nth(1)
            .expect("an address after the marker")
            .trim()
            .parse::<SocketAddr>()
            .expect("address in log line");
        Self {
            child,
            addr,
            output,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The first line the server printed (since it started, so possibly before this call)
    /// that satisfies `predicate`. Panics, showing everything printed, when no such line comes
    /// within `timeout` or the server's output ends without one.
    pub async fn wait_for_line(
        &self,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> String {
        match self.output.find(predicate, timeout).await {
            Ok(line) => line,
            Err(NoLine::Ended) => panic!(
                "the server's output ended without the line awaited:\n{}",
                self.output.printed()
            ),
            Err(NoLine::TimedOut) => panic!(
                "no line awaited within {timeout:?}; the server printed:\n{}",
                self.output.printed()
            ),
        }
    }

    pub fn send_signal(&self, signal: &str) {
        let pid = self.child.id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid} failed");
    }
}

impl Output {
    /// Keeps every line of `stream` until it ends.
    fn drain(self: &Arc<Self>, stream: impl AsyncRead + Unpin + Send + 'static) {
        let output = Arc::clone(self);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                output.lines.lock().expect("lock").push(line);
                output.changed.notify_waiters();
            }
            output.ended.fetch_add(1, Ordering::SeqCst);
            output.changed.notify_waiters();
        });
    }

    async fn find(
        &self,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, NoLine> {
        let search = async {
            loop {
                // Registered before looking, so that a line arriving in between still wakes us.
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let found = {
                    let lines = self.lines.lock().expect("lock");
                    lines.iter().find(|line| predicate(line)).cloned()
                };
                if let Some(line) = found {
                    return Ok(line);
                }
                if self.ended.load(Ordering::SeqCst) == 2 {
                    return Err(NoLine::Ended);
                }
                changed.await;
            }
        };
        tokio::time::timeout(timeout, search)
            .await
            .unwrap_or(Err(NoLine::TimedOut))
    }

    /// Everything printed so far, for a failure message.
    fn printed(&self) -> String {
        self.lines.lock().expect("lock").join("\n")
    }
}

/// An empty working directory with a copy of Leptos.toml, and nothing else: in particular no
/// `.env`, so a developer's local settings never leak into a test.
pub fn work_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy("Leptos.toml", dir.path().join("Leptos.toml")).expect("copy Leptos.toml");
    dir
}

/// The server binary in `dir` with a clean environment: `PATH`, a free port
/// (`LEPTOS_SITE_ADDR=127.0.0.1:0`), `RUST_LOG=info`, then every variable of `env` (which may
/// override those two).
pub fn server_command(dir: &Path, env: &TestEnv) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskdeck"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    for (name, value) in env.vars() {
        command.env(name, value);
    }
    command
}
