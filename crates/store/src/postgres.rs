//! The PostgreSQL backend: several server and worker processes on several machines share it.

use std::str::FromStr;
use std::sync::RwLock;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::error::{Result, StoreError};
use crate::migrate::run_migrations;
use crate::secrets::MasterKey;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The store on a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    key: RwLock<MasterKey>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
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

impl PostgresStore {
    /// Connects to a `postgres://` URL and migrates the schema.
    pub async fn connect(url: &str, key: MasterKey) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
            backend: "PostgreSQL",
            target: redact(url),
            source,
        })?;
        Self::connect_with(options, 10, key).await
    }

    /// Connects with explicit options (e.g. a `search_path`) and pool size.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
        key: MasterKey,
    ) -> Result<Self> {
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("(default database)")
        );
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                backend: "PostgreSQL",
                target,
                source,
            })?;
        run_migrations(&MIGRATOR, &pool, "PostgreSQL").await?;
        let store = Self {
            pool,
            key: RwLock::new(key),
        };
        store.check_master_key().await?;
        Ok(store)
    }
}

sql_store!(
    PostgresStore,
    sqlx::Postgres,
    backend: crate::Backend::Postgres,
    begin_write: "BEGIN",
    // SKIP LOCKED lets concurrent workers pass over a row another claim is taking instead of
    // waiting for it, so each job goes to exactly one worker without serialising the queue.
    claim_sql: "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_ms = $3 \
                WHERE id = (SELECT id FROM jobs \
                            WHERE (state = 'pending' AND run_at_ms <= $3) OR (state = 'running' AND locked_until < $3) \
                            ORDER BY run_at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                RETURNING id, kind, key, payload, state, attempts, run_at_ms, locked_by, locked_until, last_error, created_ms, updated_ms",
);

// A transaction-scoped advisory lock per name: held until commit or rollback, so a count and the
// write that depends on it are one step for every process on the database.
crate::accounts::account_store!(
    PostgresStore,
    sqlx::Postgres,
    lock: Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
);
crate::boards::board_store!(PostgresStore);

crate::watching::watch_store!(PostgresStore, sqlx::Postgres, row_lock: "FOR UPDATE SKIP LOCKED");
