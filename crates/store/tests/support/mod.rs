//! One harness per backend, so every contract test body runs unchanged on SQLite and PostgreSQL.
//!
//! PostgreSQL tests each get a fresh schema (dropped afterwards, also when the test panics). When
//! PostgreSQL is unreachable they print a loud SKIPPED line, unless `SWITCHBOARD_REQUIRE_ALL=1`.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor};
use store::{
    Backend, MasterKey, MetricId, NewMetric, PostgresStore, SqliteStore, Store, StoreError,
};

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
    /// The database connected to but not opened: for the two-step open (schema and key check
    /// read first, then an [`store::OpenMode`] and an optional key).
    fn connected(&self) -> impl std::future::Future<Output = store::Connected> + Send;
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

    async fn connected(&self) -> store::Connected {
        store::connect(store::Location::DataDir(self.dir.clone()))
            .await
            .expect("connect")
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
    db: test_support::PgSchema,
}

impl PgHarness {
    /// A fresh schema, or `None` (after a loud notice) when PostgreSQL is unreachable.
    pub async fn new() -> Option<Self> {
        Some(Self {
            db: test_support::PgSchema::create("store_test").await?,
        })
    }

    fn options(&self) -> PgConnectOptions {
        self.db.options()
    }

    async fn raw_pool(&self) -> sqlx::PgPool {
        PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.options())
            .await
            .expect("connect beside the store")
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

    async fn connected(&self) -> store::Connected {
        store::Connected::Postgres(
            PgPoolOptions::new()
                .max_connections(4)
                .connect_with(self.options())
                .await
                .expect("connect"),
        )
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

/// A metric with an empty definition, marked in use (so the scheduler's queries see it) or not.
pub async fn metric<S: Store>(store: &S, name: &str, in_use: bool) -> MetricId {
    let id = store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id;
    if in_use {
        store
            .set_metric_usage(id, &["board:1".to_owned()], 1)
            .await
            .expect("usage");
    }
    id
}
