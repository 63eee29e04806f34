//! One harness per backend, so every contract test body runs unchanged on SQLite and PostgreSQL.
//!
//! PostgreSQL tests each get a fresh schema (dropped afterwards, also when the test panics). When
//! PostgreSQL is unreachable they print a loud SKIPPED line, unless `SWITCHBOARD_REQUIRE_ALL=1`.

#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor};
use store::{Backend, MasterKey, PostgresStore, SqliteStore, Store, StoreError};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn pg_url() -> String {
    std::env::var("SWITCHBOARD_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

fn require_all() -> bool {
    std::env::var("SWITCHBOARD_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// A database a test can open stores on, and poke at underneath the store.
pub trait Harness: Send + Sync {
    type S: Store + std::fmt::Debug;
    fn backend(&self) -> Backend;
    fn open(
        &self,
        key: MasterKey,
    ) -> impl std::future::Future<Output = Result<Self::S, StoreError>> + Send;
    /// Runs raw SQL beside the store: how tests damage rows or fake a newer schema.
    fn execute_raw(&self, sql: String) -> impl std::future::Future<Output = ()> + Send;
    /// Reads one BLOB/BYTEA cell beside the store.
    fn read_bytes(&self, sql: String) -> impl std::future::Future<Output = Vec<u8>> + Send;
}

/// A fixed key for tests that do not care which key it is.
pub fn key_a() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test")
        .expect("valid key")
}

pub fn key_b() -> MasterKey {
    MasterKey::from_base64("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=", "test")
        .expect("valid key")
}

pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

pub struct SqliteHarness {
    pub dir: PathBuf,
}

impl SqliteHarness {
    pub fn new() -> Self {
        Self {
            dir: temp_dir("store-test"),
        }
    }

    async fn raw_pool(&self) -> sqlx::SqlitePool {
        let options = SqliteConnectOptions::new().filename(self.dir.join(store::DATABASE_FILE));
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.busy_timeout(Duration::from_secs(30)))
            .await
            .expect("open the test database beside the store")
    }
}

impl Drop for SqliteHarness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Harness for SqliteHarness {
    type S = SqliteStore;

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn open(&self, key: MasterKey) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_dir(&self.dir, key).await
    }

    async fn execute_raw(&self, sql: String) {
        let pool = self.raw_pool().await;
        pool.execute(AssertSqlSafe(sql)).await.expect("raw SQL");
        pool.close().await;
    }

    async fn read_bytes(&self, sql: String) -> Vec<u8> {
        let pool = self.raw_pool().await;
        let bytes = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .expect("raw read");
        pool.close().await;
        bytes
    }
}

pub struct PgHarness {
    url: String,
    schema: String,
}

impl PgHarness {
    /// A fresh schema, or `None` (after a loud notice) when PostgreSQL is unreachable.
    pub async fn new() -> Option<Self> {
        let url = pg_url();
        if let Err(e) = probe(&url) {
            return skip_or_fail(&url, e);
        }
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await;
        let admin = match admin {
            Ok(pool) => pool,
            Err(e) => {
                if require_all() {
                    panic!("PostgreSQL unreachable at {url} and SWITCHBOARD_REQUIRE_ALL=1: {e}");
                }
                eprintln!(
                    "SKIPPED: PostgreSQL unreachable at {url} ({e}); set SWITCHBOARD_REQUIRE_ALL=1 to make this a failure"
                );
                return None;
            }
        };
        let schema = format!("store_test_{:016x}", rand::random::<u64>());
        admin
            .execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .expect("create a test schema");
        admin.close().await;
        Some(Self { url, schema })
    }

    fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .expect("test database URL")
            .options([("search_path", self.schema.as_str())])
    }

    async fn raw_pool(&self) -> sqlx::PgPool {
        PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.options())
            .await
            .expect("connect beside the store")
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

fn skip_or_fail<T>(url: &str, reason: String) -> Option<T> {
    if require_all() {
        panic!("PostgreSQL unreachable at {url} and SWITCHBOARD_REQUIRE_ALL=1: {reason}");
    }
    // Written to the real stderr, not through the test harness's capture, so it shows on a
    // passing run.
    let line = format!(
        "SKIPPED: PostgreSQL unreachable at {url} ({reason}); set SWITCHBOARD_REQUIRE_ALL=1 to make this a failure\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    None
}

impl Drop for PgHarness {
    fn drop(&mut self) {
        let url = self.url.clone();
        let schema = self.schema.clone();
        // Runs during unwinding too, on its own runtime, so a failed test leaves no schema behind.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&url).await {
                    let _ = pool
                        .execute(AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS {schema} CASCADE"
                        )))
                        .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

impl Harness for PgHarness {
    type S = PostgresStore;

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn open(&self, key: MasterKey) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(self.options(), 8, key).await
    }

    async fn execute_raw(&self, sql: String) {
        let pool = self.raw_pool().await;
        pool.execute(AssertSqlSafe(sql)).await.expect("raw SQL");
        pool.close().await;
    }

    async fn read_bytes(&self, sql: String) -> Vec<u8> {
        let pool = self.raw_pool().await;
        let bytes = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .expect("raw read");
        pool.close().await;
        bytes
    }
}

/// Instantiates each generic test body `fn NAME<H: Harness>(h: &H)` once per backend, as
/// `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let h = $crate::support::SqliteHarness::new();
                    super::$name(&h).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(h) = $crate::support::PgHarness::new().await else { return };
                    super::$name(&h).await;
                }
            }
        )*
    };
}
