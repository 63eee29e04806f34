//! The SQLite backend: one file in the data folder, WAL journal, one process doing the work.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::migrate::{OpenMode, SchemaStatus};
use crate::secrets::MasterKey;
use crate::sql_impl::SqlStore;
use crate::store::Backend;

/// The database file's name inside the data folder.
pub const DATABASE_FILE: &str = "switchboard.db";

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The SQLite migrations this binary carries.
pub(crate) fn migrator() -> &'static sqlx::migrate::Migrator {
    &MIGRATOR
}

/// Creates the data folder, and any missing parent, readable only by its owner (0700). A folder
/// that exists already keeps its permissions: an operator may have chosen them.
pub fn create_data_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::DataDir {
        path: dir.display().to_string(),
        source,
    })
}

/// Creates the database file 0600 before SQLite does (SQLite would follow the umask, often 0644),
/// and tightens a file an earlier version left readable by others, with its `-wal` and `-shm`
/// companions. SQLite gives new companions the database file's mode.
fn make_private(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let err = |path: &Path, source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(err(file, e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(&path, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// The store on a SQLite file.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;

impl Dialect for sqlx::Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const STORE_NAME: &'static str = "SqliteStore";
    // SQLite allows one writer at a time; taking the write lock at BEGIN makes a transaction wait
    // for it (busy timeout) instead of failing when it first writes after reading.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const BUCKET_INSERT_ROWS: usize = 50;
    // Writers are serialised anyway, so no claim can meet a row another is taking.
    const CLAIM_ROW_LOCK: &'static str = "";
    // julianday('now') is fixed for the statement and precise to the millisecond.
    const NOW_MS: &'static str = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    // A write under a job runs in BEGIN IMMEDIATE: no claim can commit between its fence check
    // and its commit.
    const FENCE_ROW_LOCK: &'static str = "";

    // SQLite joins in the order written after CROSS JOIN: the spans outside.
    const HOURS_IN_SPANS: &'static str = "FROM s CROSS JOIN buckets b WHERE b.metric_id = $1 \
         AND b.hour_ms >= s.lo AND b.hour_ms < s.hi";
    // Its bare column beside max() is arbitrary once a query has more than one min() or max().
    const LATEST_OF_GROUP: Option<&'static str> = None;
    // BEGIN IMMEDIATE already lets one writing transaction in at a time, across processes too.
    const NAME_LOCK: Option<&'static str> = None;
    const MIGRATIONS_TABLE_EXISTS: &'static str = "SELECT COUNT(*) FROM sqlite_master \
         WHERE type = 'table' AND name = '_sqlx_migrations'";

    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/switchboard.db`, migrating it, creating the folder too.
    /// The folder is created 0700 and the database files are kept 0600: they hold password
    /// hashes.
    pub async fn open_dir(dir: &Path, key: MasterKey) -> Result<Self> {
        let pool = Self::pool_in_dir(dir).await?;
        Self::finish(pool, Some(key), OpenMode::Migrate).await
    }

    /// Opens a `sqlite://PATH` URL, migrating it.
    pub async fn connect(url: &str, key: MasterKey) -> Result<Self> {
        let pool = Self::pool_at(url).await?;
        Self::finish(pool, Some(key), OpenMode::Migrate).await
    }

    pub async fn connect_with(options: SqliteConnectOptions, key: MasterKey) -> Result<Self> {
        let pool = Self::pool_with(options).await?;
        Self::finish(pool, Some(key), OpenMode::Migrate).await
    }

    /// The pool on `DIR/switchboard.db`, the folder and the file created private if missing.
    pub(crate) async fn pool_in_dir(dir: &Path) -> Result<sqlx::SqlitePool> {
        create_data_dir(dir)?;
        let file = dir.join(DATABASE_FILE);
        make_private(&file)?;
        Self::pool_with(SqliteConnectOptions::new().filename(file)).await
    }

    pub(crate) async fn pool_at(url: &str) -> Result<sqlx::SqlitePool> {
        let options =
            SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
                backend: "SQLite",
                target: url.to_owned(),
                source,
            })?;
        Self::pool_with(options).await
    }

    pub(crate) async fn pool_with(options: SqliteConnectOptions) -> Result<sqlx::SqlitePool> {
        let target = options.get_filename().display().to_string();
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across process crashes in WAL mode; only power loss can lose the
            // last commits, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                backend: "SQLite",
                target,
                source,
            })
    }

    pub(crate) async fn schema(pool: &sqlx::SqlitePool) -> Result<SchemaStatus> {
        crate::migrate::schema_status(&MIGRATOR, pool, "SQLite").await
    }

    /// Brings the schema to what `mode` allows, then opens the store under `key`.
    pub(crate) async fn finish(
        pool: sqlx::SqlitePool,
        key: Option<MasterKey>,
        mode: OpenMode,
    ) -> Result<Self> {
        crate::migrate::prepare_schema(&MIGRATOR, &pool, "SQLite", mode).await?;
        Self::open_pool(pool, key).await
    }
}
