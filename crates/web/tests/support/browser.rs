//! Browser tests: the whole app served on a real loopback port (SQLite in a temporary folder,
//! a sync worker beside it, the shared simulator as Twilio), driven by headless Chromium through
//! one chromedriver per test binary and a fresh browser session per test.
//!
//! Without Chromium or chromedriver, [`Browser::open`] prints a loud SKIP and gives `None`,
//! unless `SWITCHBOARD_REQUIRE_ALL=1`, where it panics.
//!
//! ```ignore
//! let app = WebApp::spawn().await;
//! let Some(b) = Browser::open(&app, Size::Desktop).await else { return };
//! b.goto("/login").await;
//! b.fill("name", "ada").await;
//! b.submit("button.primary").await;
//! b.wait_for_text("Metrics").await;
//! b.screenshot("metrics").await;
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use metric_sync::{WorkerConfig, run_worker};
use serde_json::{Value, json};
use store::{AnyStore, SqliteStore};
use web::accounts::hash_password;
use web::{AppState, Role, StoreAccounts, WebConfig};

use super::{PASSWORD, connector, key};

/// How long any wait in a browser test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- the app on a real port

/// The whole app on `127.0.0.1:<port>` with a sync worker, until dropped.
pub struct WebApp {
    pub base_url: String,
    pub state: AppState,
    pub dir: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
}

impl WebApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(WebConfig::default()).await
    }

    /// As [`WebApp::spawn`] with another configuration (a manual clock).
    pub async fn spawn_with(config: WebConfig) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sb-browser-{}-{}",
            std::process::id(),
            web::accounts::random_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(AnyStore::Sqlite(
            SqliteStore::open_dir(&dir, key()).await.unwrap(),
        ));
        let state = AppState::new(
            Arc::clone(&store),
            connector(),
            Arc::new(StoreAccounts::new(Arc::clone(&store))),
            config,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        tokio::spawn(web::serve(listener, state.clone(), stopped()));
        // As `serve` runs it, but polling often and without the scheduler, so a test sees
        // exactly the syncs the page asked for.
        let config = WorkerConfig {
            poll: Duration::from_millis(100),
            schedule: None,
            ..WorkerConfig::default()
        };
        tokio::spawn(run_worker(
            store,
            connector(),
            "browser-test".to_owned(),
            config,
            stopped(),
        ));
        Self {
            base_url: format!("http://{addr}"),
            state,
            dir,
            stop,
        }
    }

    /// Creates a user directly in the accounts, with [`PASSWORD`].
    pub async fn user(&self, name: &str, role: Role) {
        let hash = hash_password(PASSWORD).unwrap();
        self.state
            .accounts()
            .create_user(name, role, &hash, jiff::Timestamp::now().as_millisecond())
            .await
            .unwrap();
    }

    /// Adds a connection to the shared simulator's main account, as the Data Manager does.
    pub async fn connection(&self, label: &str) {
        let s = super::shared();
        let creds = app::connections::parse_credentials(
            &s.account_sid,
            &s.key_sid,
            domain::Secret::new(s.key_secret.clone()),
        )
        .expect("the simulator's key has the right form");
        self.state
            .app()
            .add_connection(&app::Label::parse(label).unwrap(), creds)
            .await
            .expect("the simulator accepts its own key");
    }
}

impl WebApp {
    /// Adds a library metric on the connection `label` (the worker backfills it) and waits up
    /// to 90 s until it has synced.
    pub async fn synced_library_metric(&self, slug: &str, label: &str) -> store::MetricId {
        use store::Store as _;
        let m = self
            .state
            .app()
            .add_library_metric(slug, label)
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        while self
            .state
            .store()
            .last_good_sync(m.id)
            .await
            .unwrap()
            .is_none()
        {
            assert!(std::time::Instant::now() < deadline, "{slug} never synced");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        m.id
    }
}

impl Drop for WebApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------- chromedriver

struct Driver {
    port: u16,
    chromium: PathBuf,
    /// The watchdog shell that owns chromedriver; kept so the child is not reaped early.
    _child: Child,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A blocking HTTP/1.1 request to chromedriver; `None` when it does not answer.
fn driver_http(port: u16, method: &str, path: &str) -> Option<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // chromedriver keeps the connection open, so read exactly one response.
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply);
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let head = text[..end].to_ascii_lowercase();
        let body = &text[end + 4..];
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let complete = match length {
            Some(len) => body.len() >= len,
            None => body.ends_with("0\r\n\r\n"),
        };
        if complete {
            break;
        }
    }
    Some(String::from_utf8_lossy(&reply).into_owned())
}

fn start_driver() -> Result<Driver, String> {
    // SWITCHBOARD_CHROMEDRIVER / SWITCHBOARD_CHROMIUM name other binaries than those on PATH.
    let chromedriver = std::env::var_os("SWITCHBOARD_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromedriver"]))
        .filter(|p| p.is_file())
        .ok_or("chromedriver is not installed (apt-get install chromium-driver)")?;
    let chromium = std::env::var_os("SWITCHBOARD_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"]))
        .filter(|p| p.is_file())
        .ok_or("Chromium is not installed (apt-get install chromium)")?;
    let port = free_port();
    // The test binary exits without running destructors of statics, so a small shell watches
    // it and stops chromedriver when it is gone.
    let child = Command::new("sh")
        .arg("-c")
        .arg(
            r#""$1" --port="$2" --silent >/dev/null 2>&1 & d=$!
               while kill -0 "$3" 2>/dev/null && kill -0 "$d" 2>/dev/null; do sleep 0.5; done
               kill "$d" 2>/dev/null"#,
        )
        .arg("sh")
        .arg(&chromedriver)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", chromedriver.display()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if driver_http(port, "GET", "/status").is_some_and(|r| r.contains("\"ready\":true")) {
            return Ok(Driver {
                port,
                chromium,
                _child: child,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "{} did not answer on port {port} within 10 s",
        chromedriver.display()
    ))
}

fn driver() -> Result<&'static Driver, &'static str> {
    static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();
    DRIVER
        .get_or_init(start_driver)
        .as_ref()
        .map_err(|e| e.as_str())
}

// ---------------------------------------------------------------- the browser

/// The two widths every page must work at, and the two screens TV mode must fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Desktop,
    Phone,
    /// A 1080p television, for TV mode.
    Tv,
    /// A 4K television, for TV mode.
    Tv4k,
}

impl Size {
    pub fn pixels(self) -> (u32, u32) {
        match self {
            Size::Desktop => (1280, 900),
            Size::Phone => (390, 844),
            Size::Tv => (1920, 1080),
            Size::Tv4k => (3840, 2160),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Size::Desktop => "desktop",
            Size::Phone => "phone",
            Size::Tv => "tv-1080p",
            Size::Tv4k => "tv-2160p",
        }
    }
}

/// Where screenshots go: `<target dir>/screenshots/`, whichever target dir the build uses.
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("screenshots")
}

/// One headless Chromium session on one app; the session ends (and Chromium quits) when this
/// is dropped, also when the test panics.
pub struct Browser {
    pub client: Client,
    pub base_url: String,
    pub size: Size,
    session: String,
    port: u16,
    profile: PathBuf,
}

impl Browser {
    /// A fresh session at `size`, or `None` (after a loud SKIP) when Chromium is missing.
    pub async fn open(app: &WebApp, size: Size) -> Option<Self> {
        Self::open_with(app, size, false).await
    }

    /// As [`Browser::open`], with `prefers-color-scheme: dark` when `dark`.
    pub async fn open_with(app: &WebApp, size: Size, dark: bool) -> Option<Self> {
        let driver = match driver() {
            Ok(d) => d,
            Err(why) => return test_support::skip("browser test: no headless Chromium", why),
        };
        let profile = std::env::temp_dir().join(format!(
            "sb-chromium-{}-{}",
            std::process::id(),
            web::accounts::random_token()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let (w, h) = size.pixels();
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={w},{h}"),
        ];
        if dark {
            // Blink's preferred colour scheme: 0 is dark.
            args.push("--blink-settings=preferredColorScheme=0".to_owned());
        }
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": driver.chromium,
                "args": args,
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("chromedriver refused a new session: {e}"));
        let session = client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a WebDriver session id");
        let browser = Self {
            client,
            base_url: app.base_url.clone(),
            size,
            session,
            port: driver.port,
            profile,
        };
        browser.resize(w, h).await;
        Some(browser)
    }

    /// Sets the viewport (not the window) to `w`×`h` CSS pixels.
    async fn resize(&self, w: u32, h: u32) {
        self.client.set_window_size(w, h).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .unwrap();
        let iw = inner[0].as_u64().unwrap_or(w.into()) as u32;
        let ih = inner[1].as_u64().unwrap_or(h.into()) as u32;
        if (iw, ih) != (w, h) {
            self.client
                .set_window_size(w + (w.saturating_sub(iw)), h + (h.saturating_sub(ih)))
                .await
                .unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap();
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Types `text` into the field with id `id`, replacing what it held.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self.find(&format!("#{id}")).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Picks the option labelled `label` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, label: &str) {
        self.find(css)
            .await
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("no option {label:?} in {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("could not click {css}: {e}"));
    }

    /// Clicks something that loads a new page (a submit button, a link) and waits for it.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute("document.documentElement.dataset.sbOld = '1'", vec![])
            .await
            .unwrap();
        self.click(css).await;
        self.wait_until(
            "the next page to load",
            "return !document.documentElement.dataset.sbOld && document.readyState === 'complete'",
        )
        .await;
    }

    /// Waits until the script (a function body) returns something truthy.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            // A navigation in progress can fail a script; that only means "not yet".
            if let Ok(v) = self.client.execute(script, vec![]).await
                && !matches!(v, Value::Null | Value::Bool(false))
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited {WAIT:?} for {what} on {}: {}",
                    self.path().await,
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waited {WAIT:?} for {css}: {e}"))
    }

    /// Waits until the visible text of the page contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let script = format!(
            "return document.body && document.body.innerText.includes({})",
            Value::String(text.to_owned())
        );
        self.wait_until(&format!("the text {text:?}"), &script)
            .await;
    }

    /// The visible text of the page.
    pub async fn body_text(&self) -> String {
        match self
            .client
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
        {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Runs a script (a function body) in the page.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async script in the page: its last argument is the callback to call with the
    /// result.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Signs in through the login form as `name` with [`PASSWORD`]; it lands on the Metrics
    /// screen.
    pub async fn login(&self, name: &str) {
        self.goto("/login").await;
        self.fill("name", name).await;
        self.fill("password", PASSWORD).await;
        self.submit("form button.primary").await;
        // Signing in lands on the home board when one is chosen, else on the Metrics screen.
        let path = self.path().await;
        assert!(
            path == web::pages::METRICS_SCREEN || path.starts_with("/boards/"),
            "{path}: {}",
            self.body_text().await
        );
    }

    /// Writes the whole page (not just the viewport) as
    /// `<target>/screenshots/<name>-<desktop|phone>.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let (w, h) = self.size.pixels();
        let full = self
            .execute(
                "return Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(h.into()) as u32;
        let tall = full.clamp(h, 6000);
        if tall != h {
            self.resize(w, tall).await;
        }
        let png = self.client.screenshot().await.unwrap();
        if tall != h {
            self.resize(w, h).await;
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{}.png", self.size.label()));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Plain HTTP, so the session ends even when the test's runtime is going away.
        let _ = driver_http(self.port, "DELETE", &format!("/session/{}", self.session));
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Screenshots the page as `name` and, on a phone, fails when anything reaches past the
/// viewport's right edge, naming the innermost elements that do.
pub async fn no_overflow(b: &Browser, name: &str, size: Size) {
    let wide = b
        .execute(
            r#"const past = (e) => e.getBoundingClientRect().right > window.innerWidth + 0.5;
               const culprits = [...document.body.querySelectorAll('*')]
                 .filter(e => past(e) && ![...e.children].some(past))
                 .slice(0, 5)
                 .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
               return [document.documentElement.scrollWidth, window.innerWidth, culprits];"#,
            vec![],
        )
        .await;
    let path = b.screenshot(name).await;
    let (scroll, inner) = (wide[0].as_u64().unwrap(), wide[1].as_u64().unwrap());
    assert!(
        size != Size::Phone || scroll <= inner,
        "{name} at {}: {scroll} px of content in a {inner} px viewport, past the edge: {} ({})",
        size.label(),
        wide[2],
        path.display()
    );
}
