//! [`TestApp`]: the real router, served on a free port of 127.0.0.1, in the test's own process.

use std::net::SocketAddr;
use std::path::Path;

use leptos::config::{get_configuration, LeptosOptions};
use sqlx::postgres::PgSslMode;
use sqlx::PgPool;
use taskdeck::server::startup::router;
use taskdeck::server::state::AppState;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::config::TestEnv;
use super::db_proxy::DbProxy;

/// The real router on a real socket, with a client that never follows redirects.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The server's memory of ended sign-ins (to wait until its listener hears).
    pub sign_ins: std::sync::Arc<taskdeck::server::auth::sign_ins::SignIns>,
    server: JoinHandle<()>,
}

/// How a [`TestApp`] is configured before it starts: [`TestApp::builder`].
pub struct TestAppBuilder {
    pool: PgPool,
    env: TestEnv,
    leptos_options: LeptosOptions,
}

impl TestApp {
    /// The app on `pool` with the test defaults ([`TestEnv::new`]).
    pub async fn spawn(pool: PgPool) -> Self {
        Self::builder(pool).spawn().await
    }

    /// The app on `pool`, configured further before [`TestAppBuilder::spawn`].
    pub fn builder(pool: PgPool) -> TestAppBuilder {
        TestAppBuilder {
            pool,
            env: TestEnv::new(),
            leptos_options: leptos_options(),
        }
    }

    /// The app on `pool`'s database through a fresh [`DbProxy`], so that
    /// [`DbProxy::statements`] counts exactly what each request sends: TLS off (the proxy reads
    /// the wire) and one connection (a second one would be opened, and set up, while the first
    /// is still being returned to the pool, and its set-up statement would count against a
    /// request). The listener for ended sign-ins connects around the proxy (as it would
    /// around a pooler, through `DATABASE_MIGRATION_URL`): its statements are not a request's.
    pub async fn spawn_counting_statements(pool: &PgPool) -> (Self, DbProxy) {
        let proxy = DbProxy::for_pool(pool).await;
        let options = proxy.connect_options(pool).ssl_mode(PgSslMode::Disable);
        let direct = super::config::database_url(pool);
        let app = Self::builder(taskdeck::db::pool(options, 1))
            .config(&[("DATABASE_MIGRATION_URL", direct.as_str())])
            .spawn()
            .await;
        // Until the listener hears, each request would also ask the database about its sign-in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !app.sign_ins.is_listening() {
            assert!(
                std::time::Instant::now() < deadline,
                "the sign-in listener never started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        (app, proxy)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// This site's origin, as a browser on one of its pages would send it.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Posts `body` as it is, labelled `application/json`, with a bearer `token` if given.
    pub async fn post_json_bytes(
        &self,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }
}

impl TestAppBuilder {
    /// These configuration variables on top of the test defaults.
    pub fn config(mut self, vars: &[(&str, &str)]) -> Self {
        self.env = self.env.set_all(vars);
        self
    }

    /// Serves static files (and `/pkg`) from `dir` instead of the configured site root.
    pub fn site_root(mut self, dir: &Path) -> Self {
        self.leptos_options.site_root = dir.to_str().expect("a UTF-8 path").into();
        self
    }

    pub async fn spawn(self) -> TestApp {
        let state = AppState::new(self.pool, self.env.config(), self.leptos_options);
        let sign_ins = std::sync::Arc::clone(&state.sign_ins);
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
        TestApp {
            addr,
            client,
            sign_ins,
            server,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Leptos.toml's options, on a free port and without hashed file names (the test binary has no
/// release bundle, hence no hash.txt beside it).
fn leptos_options() -> LeptosOptions {
    let mut options = get_configuration(Some("Leptos.toml"))
        .expect("Leptos.toml")
        .leptos_options;
    options.site_addr = "127.0.0.1:0".parse().expect("address");
    options.hash_files = false;
    options
}
