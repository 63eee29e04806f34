//! Shared by the web tests: one simulator per test binary (its clock at the real current time,
//! since the app reads the real clock), and a fresh app per test on SQLite in a temporary folder,
//! driven in-process through `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

pub mod brands;
pub mod browser;
pub mod dataset;
pub mod outliers;
pub mod seasonal;
pub mod unusual;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use connector::{BaseUrl, Connector, ConnectorConfig, RetryPolicy};
use serde_json::Value;
use store::{AnyStore, MasterKey, SqliteStore};
use tower::ServiceExt as _;
use twilio_sim::{SimConfig, Sizes};
use web::accounts::hash_password;
use web::{App, AppState, Role, StoreAccounts, WebConfig};

pub struct Shared {
    pub base_url: String,
    pub dump: Value,
    pub account_sid: String,
    pub key_sid: String,
    pub key_secret: String,
}

pub fn sizes() -> Sizes {
    Sizes {
        messages_per_day: 30,
        calls_per_day: 10,
        days: 9,
        subaccounts: 0,
        conferences_per_day: 2,
        verify_attempts_per_day: 5,
        ..Sizes::default()
    }
}

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let sim = twilio_sim::spawn(SimConfig {
                    seed: 7,
                    now: jiff::Timestamp::now(),
                    sizes: sizes(),
                    faults: Default::default(),
                    incidents: Vec::new(),
                })
                .await
                .unwrap();
                let account = sim.dataset().main_account();
                let key = account.main_key().unwrap();
                tx.send(Shared {
                    base_url: sim.base_url(),
                    dump: serde_json::to_value(sim.dataset()).unwrap(),
                    account_sid: account.sid.clone(),
                    key_sid: key.sid.clone(),
                    key_secret: key.secret.clone(),
                })
                .unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

pub fn connector() -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&shared().base_url).unwrap()),
        max_in_flight: 4,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(5),
        },
        ..ConnectorConfig::default()
    })
    .unwrap()
}

pub fn key() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test").unwrap()
}

pub struct TestApp {
    pub dir: PathBuf,
    pub state: AppState,
    pub router: Router,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The password of every user the tests create.
pub const PASSWORD: &str = "correct horse battery";

pub async fn spawn_app() -> TestApp {
    build_app(WebConfig::default(), connector()).await
}

/// [`spawn_app`] with another configuration.
pub async fn spawn_app_with(config: WebConfig) -> TestApp {
    build_app(config, connector()).await
}

/// [`spawn_app`] with another connector, for a test that needs a simulator of its own.
pub async fn spawn_app_with_connector(connector: Connector) -> TestApp {
    build_app(WebConfig::default(), connector).await
}

/// [`spawn_app`] on a PostgreSQL schema of its own (dropped with the schema value, which must
/// outlive the app), or `None` after a skip when PostgreSQL is unreachable.
pub async fn spawn_app_pg() -> Option<(TestApp, test_support::PgSchema)> {
    spawn_app_pg_with(WebConfig::default()).await
}

/// [`spawn_app_pg`] with another configuration.
pub async fn spawn_app_pg_with(config: WebConfig) -> Option<(TestApp, test_support::PgSchema)> {
    let schema = test_support::PgSchema::create("web").await?;
    let store = Arc::new(AnyStore::Postgres(
        store::PostgresStore::connect_with(schema.options(), 5, key())
            .await
            .unwrap(),
    ));
    let dir = std::env::temp_dir().join(format!(
        "sb-web-pg-{}-{}",
        std::process::id(),
        web::accounts::random_token()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let state = AppState::new(
        Arc::clone(&store),
        connector(),
        Arc::new(StoreAccounts::new(store)),
        config,
    );
    Some((
        TestApp {
            dir,
            router: App::build(state.clone()),
            state,
        },
        schema,
    ))
}

impl TestApp {
    /// A second app on this app's SQLite data folder, its store opened under `key` (another
    /// key than [`key`] opens it without its secrets). Its folder is this app's.
    pub async fn reopened_with(&self, key: MasterKey) -> TestApp {
        let store = Arc::new(AnyStore::Sqlite(
            SqliteStore::open_dir(&self.dir, key).await.unwrap(),
        ));
        let state = AppState::new(
            Arc::clone(&store),
            connector(),
            Arc::new(StoreAccounts::new(store)),
            WebConfig::default(),
        );
        TestApp {
            dir: self.dir.clone(),
            router: App::build(state.clone()),
            state,
        }
    }
}

async fn build_app(config: WebConfig, connector: Connector) -> TestApp {
    let dir = std::env::temp_dir().join(format!(
        "sb-web-{}-{}",
        std::process::id(),
        web::accounts::random_token()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::open_dir(&dir, key()).await.unwrap(),
    ));
    let state = AppState::new(
        Arc::clone(&store),
        connector,
        Arc::new(StoreAccounts::new(store)),
        config,
    );
    TestApp {
        dir,
        router: App::build(state.clone()),
        state,
    }
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent, for what is not text (a PNG).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

async fn reply_of(response: axum::response::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// The value of `<input ... name="NAME" value="...">` in a page.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &body[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The one-time message a response sets (see `web::flash`): whether it reports a success, and
/// its text. Read without checking the signature; the app checks it.
pub fn flash(reply: &Reply) -> Option<(bool, String)> {
    use base64::Engine as _;
    let value = set_cookie(&reply.headers, "sb_flash")?;
    let (payload, _) = value.split_once('.')?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let payload = String::from_utf8(payload).ok()?;
    let mut parts = payload.splitn(3, '\n');
    let ok = parts.next()? == "ok";
    parts.next()?;
    Some((ok, parts.next()?.to_owned()))
}

pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?;
            let (k, val) = pair.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

impl TestApp {
    pub async fn send(&self, req: Request<Body>) -> Reply {
        reply_of(self.router.clone().oneshot(req).await.unwrap()).await
    }

    /// Sends every request at once, each on its own task (run the test on a multi-thread
    /// runtime for them to run in parallel); the replies in the requests' order.
    pub async fn send_all(&self, reqs: Vec<Request<Body>>) -> Vec<Reply> {
        let tasks: Vec<_> = reqs
            .into_iter()
            .map(|req| {
                let router = self.router.clone();
                tokio::spawn(async move { reply_of(router.oneshot(req).await.unwrap()).await })
            })
            .collect();
        let mut replies = Vec::new();
        for t in tasks {
            replies.push(t.await.expect("a request task panicked"));
        }
        replies
    }

    /// Follows a redirect as a browser does: to its location, with the session and the
    /// one-time message cookie the redirect set.
    pub async fn follow(&self, redirect: &Reply, session: Option<&Session>) -> Reply {
        let path = redirect.location().expect("a redirect");
        let mut cookies = Vec::new();
        if let Some(s) = session {
            cookies.push(format!("sb_session={}", s.cookie));
        }
        if let Some(f) = set_cookie(&redirect.headers, "sb_flash") {
            cookies.push(format!("sb_flash={f}"));
        }
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies.join("; "));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    pub async fn get(&self, path: &str, session: Option<&Session>) -> Reply {
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(s) = session {
            req = req.header(header::COOKIE, format!("sb_session={}", s.cookie));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Posts a form as a browser does; `fields` are not URL-encoded beyond spaces, so keep
    /// them simple.
    pub async fn post_form(
        &self,
        path: &str,
        session: Option<&Session>,
        fields: &[(&str, &str)],
    ) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = session {
            req = req.header(header::COOKIE, format!("sb_session={}", s.cookie));
        }
        self.send(req.body(Body::from(body.join("&"))).unwrap())
            .await
    }

    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// An API call as the browser's JavaScript makes it: the session cookie and its CSRF token
    /// in `X-CSRF-Token`.
    pub async fn api_session(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, format!("sb_session={}", session.cookie))
            .header("x-csrf-token", &session.csrf);
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Saves the shared simulator account as connection `label` through the Data Manager, then
    /// adds the library metric `slug` for it, as an admin would.
    pub async fn add_connection_and_library_metric(
        &self,
        admin: &Session,
        label: &str,
        slug: &str,
    ) -> store::StoredMetric {
        use store::Store as _;
        let sh = shared();
        let saved = self
            .post_form(
                "/connections",
                Some(admin),
                &[
                    ("csrf", &admin.csrf),
                    ("label", label),
                    ("account_sid", &sh.account_sid),
                    ("api_key_sid", &sh.key_sid),
                    ("secret", &sh.key_secret),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let added = self
            .post_form(
                "/library/add",
                Some(admin),
                &[("csrf", &admin.csrf), ("slug", slug), ("connection", label)],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let metrics = self.state.store().list_metrics().await.unwrap();
        let library_name = library::find(slug)
            .expect("a library slug")
            .definition
            .description
            .name
            .clone();
        metrics
            .into_iter()
            .find(|m| m.name == library_name)
            .expect("the added metric")
    }

    /// Creates the admin `ada` and signs her in.
    pub async fn admin(&self) -> Session {
        self.user("ada", Role::Admin).await;
        self.login("ada").await
    }

    /// Creates a user directly in the accounts.
    pub async fn user(&self, name: &str, role: Role) {
        let hash = hash_password(PASSWORD).unwrap();
        self.state
            .accounts()
            .create_user(name, role, &hash, 0)
            .await
            .unwrap();
    }

    /// Signs in through the login form; panics if it fails.
    pub async fn login(&self, name: &str) -> Session {
        self.try_login(name, PASSWORD)
            .await
            .expect("sign-in failed")
    }

    pub async fn try_login(&self, name: &str, password: &str) -> Result<Session, Reply> {
        self.try_login_from(name, password, None).await
    }

    /// The login form's CSRF field and the cookie it must be echoed with.
    pub async fn login_csrf(&self) -> LoginCsrf {
        let form = self.get("/login", None).await;
        LoginCsrf {
            field: hidden(&form.body, "csrf").expect("the login form has a CSRF field"),
            cookie: set_cookie(&form.headers, "sb_login_csrf").expect("login CSRF cookie"),
        }
    }

    /// Signs in as a browser at client address `from` would (`None`: no peer address, as a
    /// plain in-process request has none).
    pub async fn try_login_from(
        &self,
        name: &str,
        password: &str,
        from: Option<std::net::SocketAddr>,
    ) -> Result<Session, Reply> {
        let csrf = self.login_csrf().await;
        let reply = self.send(login_request(&csrf, name, password, from)).await;
        let Some(id) = set_cookie(&reply.headers, "sb_session") else {
            return Err(reply);
        };
        let mut session = Session {
            cookie: id,
            csrf: String::new(),
        };
        let page = self.get("/account", Some(&session)).await;
        session.csrf = hidden(&page.body, "csrf").expect("signed-in pages carry the CSRF token");
        Ok(session)
    }

    /// An API token for the user, created through the API with a session.
    pub async fn token(&self, session: &Session) -> String {
        let req = Request::post("/api/v1/tokens")
            .header(header::COOKIE, format!("sb_session={}", session.cookie))
            .header("x-csrf-token", &session.csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"name":"tests"}"#))
            .unwrap();
        let reply = self.send(req).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.json()["token"].as_str().unwrap().to_owned()
    }
}

pub struct LoginCsrf {
    pub field: String,
    pub cookie: String,
}

/// A sign-in POST; `from` is the peer address the server sees (what `serve` records for every
/// connection), so throttling by client address can be tested in-process.
pub fn login_request(
    csrf: &LoginCsrf,
    name: &str,
    password: &str,
    from: Option<std::net::SocketAddr>,
) -> Request<Body> {
    let body = format!(
        "csrf={}&name={}&password={}",
        csrf.field,
        encode(name),
        encode(password)
    );
    let mut req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("sb_login_csrf={}", csrf.cookie))
        .body(Body::from(body))
        .unwrap();
    if let Some(addr) = from {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    req
}

pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Syncs one metric now against the shared simulator, as the worker would, and fails the test
/// when the sync does.
pub async fn sync_now(app: &TestApp, id: store::MetricId) {
    let syncer = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        connector(),
        metric_sync::SyncConfig::default(),
    );
    let report = syncer
        .sync_metric(id, jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(report.error().is_none(), "{:?}", report.error());
}

/// Records a successful sync run of `metric` over `[from_ms, to_ms)`, finished at `to_ms`: what
/// makes those hours known (a synced hour without rows is a real zero).
pub async fn good_run(store: &store::AnyStore, metric: store::MetricId, from_ms: i64, to_ms: i64) {
    use store::Store as _;
    let run = store
        .start_sync_run(&store::NewSyncRun {
            metric_id: metric,
            from_ms,
            to_ms,
            started_ms: to_ms,
        })
        .await
        .unwrap();
    store
        .finish_sync_run(
            run,
            &store::SyncRunEnd {
                status: store::RunStatus::Succeeded,
                ledger: serde_json::json!({}),
                error: None,
                finished_ms: to_ms,
            },
        )
        .await
        .unwrap();
}
