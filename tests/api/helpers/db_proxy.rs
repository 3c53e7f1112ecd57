//! [`DbProxy`]: a TCP proxy in front of PostgreSQL that a test can take down, slow down, or read
//! statement counts from.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::config::database_url;
use super::statements::StatementCounter;

/// A TCP proxy in front of PostgreSQL: how tests see the server through a database outage, or
/// count its statements, without touching the shared cluster.
///
/// What it can and cannot do:
/// - It relays bytes; it does not speak TLS. A client that negotiates TLS gets it end to end
///   with PostgreSQL, and then the proxy cannot read the statements: count with TLS off.
/// - It reads only what clients send ([`StatementCounter`]): the server's answers pass through
///   untouched and unread, so it knows nothing of rows, errors or transactions.
/// - "Down" ([`DbProxy::set_down`]) aborts every open connection (no PostgreSQL error message,
///   the socket just closes) and answers every new one by accepting it and closing it at once:
///   the TCP handshake succeeds, the database part does not. [`DbProxy::set_up`] accepts again;
///   connections aborted while down stay gone.
/// - "Delay" ([`DbProxy::set_delay`]) holds each chunk a client sends (one read from the
///   socket, which may hold several messages, or part of one) before passing it on; answers are
///   not delayed.
/// - Counts are the sum over every connection, and only grow.
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
        let mut url = database_url(pool);
        url.set_host(Some(&self.addr.ip().to_string()))
            .expect("host");
        url.set_port(Some(self.addr.port())).expect("port");
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

    /// Holds every chunk sent to the database for `delay` before passing it on.
    pub fn set_delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).expect("delay fits");
        self.state.delay_ms.store(millis, Ordering::SeqCst);
    }

    /// How many statements clients have sent through the proxy so far (see
    /// [`StatementCounter`]). Pings and connection set-up are not statements; connect with TLS
    /// off to count.
    pub fn statements(&self) -> u64 {
        self.state.statements.load(Ordering::SeqCst)
    }

    /// Completes when a chunk sent to the database is being held back by the delay (or has
    /// been since the last call).
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

/// Relays one client connection to `target`: what the client sends is counted and possibly
/// delayed, what the server answers is copied back as it is. Ends when either side closes.
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
