//! The PostgreSQL backend: several server and worker processes on several machines share it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::migrate::{OpenMode, SchemaStatus};
use crate::secrets::MasterKey;
use crate::sql_impl::SqlStore;
use crate::store::Backend;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The store on a PostgreSQL database.
pub type PostgresStore = SqlStore<sqlx::Postgres>;

impl Dialect for sqlx::Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const STORE_NAME: &'static str = "PostgresStore";
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BUCKET_INSERT_ROWS: usize = 500;
    // SKIP LOCKED lets concurrent workers pass over a row another claim is taking instead of
    // waiting for it, so each job or delivery goes to exactly one worker without serialising
    // the queue.
    const CLAIM_ROW_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";
    // clock_timestamp(), unlike now(), moves within a transaction.
    const NOW_MS: &'static str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
    // A share lock: the job's own parallel windows write side by side, while a claim's UPDATE
    // (which moves the fence) waits for them to commit, and SKIP LOCKED passes over the job.
    const FENCE_ROW_LOCK: &'static str = " FOR SHARE";

    // OFFSET 0 keeps the subquery as written, so it stays the inner side of a nested loop.
    const HOURS_IN_SPANS: &'static str = "FROM s CROSS JOIN LATERAL (SELECT * FROM buckets b \
         WHERE b.metric_id = $1 AND b.hour_ms >= s.lo AND b.hour_ms < s.hi OFFSET 0) b";
    // Arrays compare element by element; a millisecond instant is exact as a double far
    // beyond any date the store holds. No sort, unlike array_agg(... ORDER BY ...).
    const LATEST_OF_GROUP: Option<&'static str> =
        Some("(MAX(ARRAY[CAST(b.latest_at_ms AS DOUBLE PRECISION), b.latest]))[2]");
    // A transaction-scoped advisory lock per name: held until commit or rollback, so a count and
    // the write that depends on it are one step for every process on the database.
    const NAME_LOCK: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
    // `to_regclass` follows the search path, as the unqualified name sqlx creates does.
    const MIGRATIONS_TABLE_EXISTS: &'static str =
        "SELECT COUNT(*) FROM (SELECT 1 WHERE to_regclass('_sqlx_migrations') IS NOT NULL) t";

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }
}

/// The URL without its password, fit for an error message.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(an unparseable URL)".to_owned(),
    }
}

/// Connections a pool opens when it is created and keeps open. A board's first render reads
/// four metrics at a time, each on its own connection; opening them then, on PostgreSQL a new
/// backend process each, made the first render after a start wait for them (one render in
/// eight took 330 ms where the others took 160 ms).
const WARM_CONNECTIONS: u32 = 4;

impl PostgresStore {
    /// Connects to a `postgres://` URL and migrates the schema.
    pub async fn connect(url: &str, key: MasterKey) -> Result<Self> {
        let pool = Self::pool_at(url).await?;
        Self::finish(pool, Some(key), OpenMode::Migrate).await
    }

    /// Connects with explicit options (e.g. a `search_path`) and pool size, and migrates.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
        key: MasterKey,
    ) -> Result<Self> {
        let pool = Self::pool_with(options, max_connections).await?;
        Self::finish(pool, Some(key), OpenMode::Migrate).await
    }

    pub(crate) async fn pool_at(url: &str) -> Result<sqlx::PgPool> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
            backend: "PostgreSQL",
            target: redact(url),
            source,
        })?;
        Self::pool_with(options, 10).await
    }

    pub(crate) async fn pool_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<sqlx::PgPool> {
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("(default database)")
        );
        PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(WARM_CONNECTIONS.min(max_connections))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                backend: "PostgreSQL",
                target,
                source,
            })
    }

    pub(crate) async fn schema(pool: &sqlx::PgPool) -> Result<SchemaStatus> {
        crate::migrate::schema_status(&MIGRATOR, pool, "PostgreSQL").await
    }

    /// Brings the schema to what `mode` allows, then opens the store under `key`.
    pub(crate) async fn finish(
        pool: sqlx::PgPool,
        key: Option<MasterKey>,
        mode: OpenMode,
    ) -> Result<Self> {
        crate::migrate::prepare_schema(&MIGRATOR, &pool, "PostgreSQL", mode).await?;
        warm_up(&pool).await;
        let listen_options = (*pool.connect_options()).clone();
        let mut store = Self::open_pool(pool, key).await?;
        store.job_waker = Some(Box::new(PgJobWaker::new(listen_options)));
        Ok(store)
    }
}

/// Plans one statement over the tables a board's first render reads on each of the pool's
/// [`WARM_CONNECTIONS`], so each new server process loads their catalog entries and indexes
/// when it opens rather than during the first request (a render after a start took 190 ms at
/// the median on fresh connections, 125 ms on used ones). Only a speed-up: a failure is logged
/// and the store opens all the same.
async fn warm_up(pool: &sqlx::PgPool) {
    const SQL: &str = "SELECT \
        (SELECT count(*) FROM (SELECT 1 FROM buckets LIMIT 1) a) \
        + (SELECT count(*) FROM (SELECT 1 FROM bucket_days LIMIT 1) b) \
        + (SELECT count(*) FROM (SELECT 1 FROM metrics LIMIT 1) c) \
        + (SELECT count(*) FROM (SELECT 1 FROM sync_runs LIMIT 1) d) \
        + (SELECT count(*) FROM (SELECT 1 FROM boards LIMIT 1) e) \
        + (SELECT count(*) FROM (SELECT 1 FROM board_blocks LIMIT 1) f) \
        + (SELECT count(*) FROM (SELECT 1 FROM api_tokens LIMIT 1) g) \
        + (SELECT count(*) FROM (SELECT 1 FROM sessions LIMIT 1) h) \
        + (SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1) i)";
    // Held together, so each statement runs on a connection of its own.
    let mut held = Vec::new();
    for _ in 0..WARM_CONNECTIONS.min(pool.options().get_max_connections()) {
        match pool.acquire().await {
            Ok(c) => held.push(c),
            Err(e) => {
                tracing::debug!(error = %e, "no connection to warm");
                break;
            }
        }
    }
    for conn in &mut held {
        if let Err(e) = sqlx::query_scalar::<_, i64>(SQL)
            .fetch_one(&mut **conn)
            .await
        {
            tracing::debug!(error = %e, "warming a connection failed");
        }
    }
}

/// The channel the `jobs` table's trigger notifies on each insert (migration 0011).
const JOBS_CHANNEL: &str = "switchboard_jobs";

/// Waits for `switchboard_jobs` notifications on a connection of its own, opened at the first
/// wait (so only a worker holds one) and outside the store's pool (so it never takes a
/// connection queries need).
struct PgJobWaker {
    pool: sqlx::PgPool,
    listener: tokio::sync::Mutex<Option<sqlx::postgres::PgListener>>,
}

impl PgJobWaker {
    fn new(options: PgConnectOptions) -> Self {
        Self {
            pool: PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with(options),
            listener: tokio::sync::Mutex::new(None),
        }
    }
}

impl crate::sql_impl::JobWaker for PgJobWaker {
    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let mut listener = self.listener.lock().await;
            if listener.is_none() {
                let listening = async {
                    let mut l = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
                    l.listen(JOBS_CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                };
                match listening.await {
                    Ok(l) => *listener = Some(l),
                    // The caller's poll still finds the jobs; the next wait tries again.
                    Err(e) => tracing::debug!(error = %e, "could not listen for new jobs"),
                }
            }
            match listener.as_mut() {
                Some(l) => {
                    if let Err(e) = l.recv().await {
                        tracing::debug!(error = %e, "stopped listening for new jobs");
                        *listener = None;
                    }
                }
                None => {
                    drop(listener);
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}
