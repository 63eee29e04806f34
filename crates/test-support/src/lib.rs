//! Helpers for integration tests only (a dev-dependency, never linked into the binary).
//!
//! - [`require_all`] and [`skip`]: a test that needs a part this machine lacks (PostgreSQL,
//!   Chromium, the shared fixtures) says so loudly and returns, unless
//!   `SWITCHBOARD_REQUIRE_ALL=1` (CI sets it), where the skip is a failure.
//! - [`shared_dir`] and [`shared_fixture`]: the fixtures kept outside the repository (the
//!   official Twilio specs and examples, the JSONata suite), found through one rule so a clone
//!   without them skips loudly instead of panicking.
//! - [`sqlite_text_dump`]: every value of every column of an SQLite file as text, for tests
//!   that check a secret is stored nowhere.
//! - [`PgSchema`]: a fresh PostgreSQL schema per test, dropped afterwards, also when the test
//!   panics, so tests run in parallel on one database without seeing each other.
//! - [`smtp::SmtpServer`] and [`webhook::WebhookReceiver`]: a tiny SMTP server and an HTTP
//!   receiver on loopback, for the notification tests; [`silent::SilentServer`], a listener
//!   that accepts connections and never answers, for the tests of what must not hang.

pub mod pgdb;
pub mod silent;
pub mod smtp;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor};

/// The variable that turns every skip into a failure.
pub const REQUIRE_ALL_ENV: &str = "SWITCHBOARD_REQUIRE_ALL";
/// The variable that points the PostgreSQL tests at another server.
pub const DATABASE_URL_ENV: &str = "SWITCHBOARD_TEST_DATABASE_URL";
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL_ENV).is_ok_and(|v| v == "1")
}

/// Skips the calling test with a loud line naming what is missing and why, or fails it under
/// `SWITCHBOARD_REQUIRE_ALL=1`. Returns `None` so callers can write
/// `let Some(x) = ... else { return skip(...) }`.
pub fn skip<T>(what: &str, reason: &str) -> Option<T> {
    if require_all() {
        panic!("{what} ({reason}) and {REQUIRE_ALL_ENV}=1");
    }
    // The harness names each test's thread after the test: say which one skipped.
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!("{n}: "))
        .unwrap_or_default();
    // Straight to the process's stderr, past the harness's capture, so a passing run shows it.
    let line = format!(
        "SKIPPED: {test}{what} ({reason}); set {REQUIRE_ALL_ENV}=1 to make this a failure\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    None
}

/// The variable that names the shared fixtures folder instead of `<workspace>/../shared`.
/// CI points it at an empty folder once, so a test that would panic on a fresh clone fails there.
pub const SHARED_DIR_ENV: &str = "SWITCHBOARD_SHARED_DIR";

/// The shared fixtures folder: `SWITCHBOARD_SHARED_DIR` when set, else `shared` beside the
/// workspace (the repository's parent folder). It may not exist: a plain clone has none.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            // This crate is `<workspace>/crates/test-support`; resolved, so messages name a
            // plain path.
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let workspace = std::fs::canonicalize(&workspace).unwrap_or(workspace);
            match workspace.parent() {
                Some(parent) => parent.join("shared"),
                None => workspace.join("../shared"),
            }
        }
    }
}

/// `relative` under [`shared_dir`] when it exists, else [`skip`] naming what is missing. Every
/// test that reads a shared fixture starts with this, so the skip happens per test and never
/// as a panic inside a shared initializer.
pub fn shared_fixture(relative: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    skip(
        &format!("shared fixture {relative} is missing"),
        &format!(
            "looked at {}; put the shared folder beside the repository or set {SHARED_DIR_ENV}",
            path.display()
        ),
    )
}

/// Every value of every column of every table in the SQLite database at `file`, each as
/// `table.column: text` (blobs read as lossy UTF-8 text), so a test can check that a secret is
/// stored nowhere in clear. Compressed columns show their compressed bytes: check what they
/// hold through the store.
pub async fn sqlite_text_dump(file: &Path) -> Vec<String> {
    use sqlx::Row;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("open {} to dump it: {e}", file.display()));
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap_or_else(|e| panic!("list the tables of {}: {e}", file.display()));
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("list the columns of {table}: {e}"))
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
        for column in columns {
            let values = sqlx::query(AssertSqlSafe(format!(
                "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\""
            )))
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("read {table}.{column}: {e}"));
            for row in values {
                if let Some(bytes) = row.get::<Option<Vec<u8>>, _>(0) {
                    out.push(format!(
                        "{table}.{column}: {}",
                        String::from_utf8_lossy(&bytes)
                    ));
                }
            }
        }
    }
    pool.close().await;
    out
}

pub fn pg_url() -> String {
    std::env::var(DATABASE_URL_ENV).unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// The PostgreSQL URL when the server answers a TCP probe, else [`skip`].
pub fn pg_url_or_skip() -> Option<String> {
    let url = pg_url();
    match probe(&url) {
        Ok(()) => Some(url),
        Err(reason) => skip(&format!("PostgreSQL unreachable at {url}"), &reason),
    }
}

/// One quick TCP probe per test binary, so an absent server costs milliseconds, not a pool
/// timeout per test.
fn probe(url: &str) -> Result<(), String> {
    static PROBE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            let parsed = url::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
            let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
            let port = parsed.port().unwrap_or(5432);
            let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                .map_err(|e| e.to_string())?;
            let mut last = String::from("no address");
            for addr in addrs {
                match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(last)
        })
        .clone()
}

/// A schema of its own on the test PostgreSQL server, dropped with this value.
#[derive(Debug)]
pub struct PgSchema {
    pub url: String,
    pub schema: String,
}

impl PgSchema {
    /// A fresh schema named `{prefix}_{random}`, or `None` after [`skip`] when PostgreSQL is
    /// unreachable.
    pub async fn create(prefix: &str) -> Option<Self> {
        let url = pg_url_or_skip()?;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await;
        let admin = match admin {
            Ok(pool) => pool,
            Err(e) => return skip(&format!("PostgreSQL unreachable at {url}"), &e.to_string()),
        };
        let schema = format!("{prefix}_{:016x}", rand::random::<u64>());
        admin
            .execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .unwrap_or_else(|e| panic!("create the test schema {schema}: {e}"));
        admin.close().await;
        Some(Self { url, schema })
    }

    /// Connection options that put every table in this schema.
    pub fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .unwrap_or_else(|e| panic!("the test database URL {}: {e}", self.url))
            .options([("search_path", self.schema.as_str())])
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        drop_on_own_thread(
            &self.url,
            format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
        );
    }
}

/// Runs `sql` (a clean-up) on `url` from a runtime of its own on a thread of its own: a `Drop`
/// also runs while a failed test unwinds, and inside a test's runtime, where blocking on
/// another is not allowed. Failures are ignored, as nothing is left to report them to.
pub(crate) fn drop_on_own_thread(url: &str, sql: String) {
    let url = url.to_owned();
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&url).await {
                let _ = pool.execute(AssertSqlSafe(sql)).await;
                pool.close().await;
            }
        });
    })
    .join();
}
