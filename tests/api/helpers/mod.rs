//! Shared test scaffolding: the real router on a real socket, a database proxy that can fail on
//! demand, and a harness around the real server binary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::time::Duration;

use leptos::config::{get_configuration, LeptosOptions};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use taskdeck::server::config::Config;
use taskdeck::server::startup::router;
use taskdeck::server::state::AppState;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub const TEST_SECRET: &str = "integration-test-secret-0123456789abcdef";

/// The base URL of the test cluster (the `#[sqlx::test]` master database).
pub fn master_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL must point at the test PostgreSQL")
}

/// Configuration as the server would read it, with these variables set.
pub fn test_config(vars: &[(&str, &str)]) -> Config {
    let mut map: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", master_url()),
        ("JWT_SECRET", TEST_SECRET.to_owned()),
        ("COOKIE_SECURE", "false".to_owned()),
    ]);
    for (name, value) in vars {
        map.insert(name, (*value).to_owned());
    }
    Config::from_lookup(|name| map.get(name).cloned()).expect("valid test configuration")
}

pub fn leptos_options() -> LeptosOptions {
    let mut options = get_configuration(Some("Leptos.toml"))
        .expect("Leptos.toml")
        .leptos_options;
    options.site_addr = "127.0.0.1:0".parse().expect("address");
    // The test binary has no release bundle, hence no hash.txt beside it.
    options.hash_files = false;
    options
}

/// The real router, served on a free port of 127.0.0.1.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    server: JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> Self {
        Self::start(AppState::new(pool, test_config(&[]), leptos_options())).await
    }

    pub async fn spawn_with(pool: PgPool, leptos_options: LeptosOptions) -> Self {
        Self::start(AppState::new(pool, test_config(&[]), leptos_options)).await
    }

    /// With these configuration variables on top of the test defaults.
    pub async fn spawn_with_config(pool: PgPool, vars: &[(&str, &str)]) -> Self {
        Self::start(AppState::new(pool, test_config(vars), leptos_options())).await
    }

    async fn start(state: AppState) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("server");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Asserts a problem document with this status and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string(), "{body}");
    body
}

/// A TCP proxy in front of PostgreSQL that a test can take down, or slow down, at will: how
/// tests see the server through a database outage without stopping the shared cluster.
pub struct DbProxy {
    pub addr: SocketAddr,
    state: Arc<ProxyState>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    down: AtomicBool,
    statements: AtomicU64,
    delay_ms: AtomicU64,
    delaying: Notify,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

impl DbProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let state = Arc::new(ProxyState::default());
        let accept = tokio::spawn({
            let state = Arc::clone(&state);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if state.down.load(Ordering::SeqCst) {
                        drop(client); // the database "refuses": the connection closes at once
                        continue;
                    }
                    let task = tokio::spawn(relay(client, target, Arc::clone(&state)));
                    state.connections.lock().expect("lock").push(task);
                }
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// Proxies to the database of `pool`'s connect options (the cluster `#[sqlx::test]` uses).
    pub async fn for_pool(pool: &PgPool) -> Self {
        let options = pool.connect_options();
        let target = tokio::net::lookup_host((options.get_host(), options.get_port()))
            .await
            .expect("resolve database host")
            .next()
            .expect("database address");
        Self::start(target).await
    }

    /// Connect options for `pool`'s database, through this proxy.
    pub fn connect_options(&self, pool: &PgPool) -> PgConnectOptions {
        (*pool.connect_options())
            .clone()
            .host(&self.addr.ip().to_string())
            .port(self.addr.port())
    }

    /// A `DATABASE_URL` for `pool`'s database, through this proxy.
    pub fn database_url(&self, pool: &PgPool) -> String {
        let mut url = reqwest::Url::parse(&master_url()).expect("DATABASE_URL is a URL");
        url.set_host(Some(&self.addr.ip().to_string()))
            .expect("host");
        url.set_port(Some(self.addr.port())).expect("port");
        url.set_path(
            pool.connect_options()
                .get_database()
                .expect("test database name"),
        );
        url.to_string()
    }

    /// Drops every open connection and refuses new ones until [`DbProxy::set_up`].
    pub fn set_down(&self) {
        self.state.down.store(true, Ordering::SeqCst);
        for task in self.state.connections.lock().expect("lock").drain(..) {
            task.abort();
        }
    }

    pub fn set_up(&self) {
        self.state.down.store(false, Ordering::SeqCst);
    }

    /// Holds every message to the database for `delay` before passing it on.
    pub fn set_delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).expect("delay fits");
        self.state.delay_ms.store(millis, Ordering::SeqCst);
    }

    /// How many statements clients have sent through the proxy so far (see [`StatementCounter`]).
    /// Pings and connection set-up are not statements; connect with TLS off to count.
    pub fn statements(&self) -> u64 {
        self.state.statements.load(Ordering::SeqCst)
    }

    /// Completes when a message to the database is being held back by the delay.
    pub async fn delaying(&self) {
        self.state.delaying.notified().await;
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.set_down();
    }
}

async fn relay(client: TcpStream, target: SocketAddr, state: Arc<ProxyState>) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut counter = StatementCounter::default();
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let statements = counter.feed(&buf[..n]);
            state.statements.fetch_add(statements, Ordering::SeqCst);
            let delay = state.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                state.delaying.notify_one();
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
    tokio::select! {
        () = upstream => {},
        _ = downstream => {},
    }
}

/// Reads the client's half of PostgreSQL's wire protocol as it passes and counts the statements
/// in it: `Execute` messages of the extended protocol and `Query` messages of the simple one. A
/// ping (a bare `Sync`) is not a statement. Only meaningful on a connection without TLS.
#[derive(Default)]
struct StatementCounter {
    started: bool,
    pending: Vec<u8>,
}

impl StatementCounter {
    const PROTOCOL_3_0: u32 = 3 << 16;

    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let word = |at: usize| {
            u32::from_be_bytes([
                self.pending[at],
                self.pending[at + 1],
                self.pending[at + 2],
                self.pending[at + 3],
            ]) as usize
        };
        let (mut at, mut count) = (0, 0);
        loop {
            let available = self.pending.len() - at;
            if !self.started {
                // Untyped start-up packets (SSLRequest, StartupMessage): length, then a code.
                if available < 8 || available < word(at) {
                    break;
                }
                self.started = word(at + 4) == Self::PROTOCOL_3_0 as usize;
                at += word(at);
            } else {
                // Typed messages: one byte of type, then a length that counts itself.
                if available < 5 || available < 1 + word(at + 1) {
                    break;
                }
                if matches!(self.pending[at], b'E' | b'Q') {
                    count += 1;
                }
                at += 1 + word(at + 1);
            }
        }
        self.pending.drain(..at);
        count
    }
}

/// The real `taskdeck` binary, started in a directory of its own.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the binary with exactly these variables (no .env: it runs in an empty directory
    /// holding only a copy of Leptos.toml) and waits until it reports its address.
    pub async fn start(vars: &[(&str, &str)]) -> Self {
        let dir = work_dir();
        let mut child = server_command(dir.path(), vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    return rest
                        .trim()
                        .parse::<SocketAddr>()
                        .expect("address in log line");
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server did not start listening within 30 s");
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            addr,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
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

/// An empty working directory with a copy of Leptos.toml, and nothing else: in particular no
/// `.env`, so a developer's local settings never leak into a test.
pub fn work_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy("Leptos.toml", dir.path().join("Leptos.toml")).expect("copy Leptos.toml");
    dir
}

/// The server binary with a clean environment: only PATH and the given variables.
pub fn server_command(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskdeck"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}
