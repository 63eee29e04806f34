//! Switchboard's storage: one [`Store`] trait with a SQLite backend (the default, a file in the
//! data folder) and a PostgreSQL backend (several processes on several machines), each with its
//! own embedded migrations; secrets sealed under a master key. The only crate that holds SQL.
//!
//! ```no_run
//! # async fn demo() -> Result<(), store::StoreError> {
//! use store::{MasterKey, Store};
//! let dir = std::path::Path::new("./switchboard-data");
//! let (key, _source) = MasterKey::from_environment(dir)?;
//! let store = store::open("./switchboard-data", key).await?;
//! let metrics = store.list_metrics().await?;
//! # let _ = metrics; Ok(()) }
//! ```

mod accounts;
mod boards;

mod any;
mod dialect;
mod error;
mod exec;
mod ids;
mod live;
mod migrate;
mod postgres;
mod raw_pages;
mod rows;
mod secrets;
mod sql_impl;
mod sqlite;
pub mod sqlite_backup;
mod store;
mod twilio_accounts;
mod watching;

pub use accounts::{
    ADMIN_ROLE, AccountStore, ApiTokenRow, AttemptLimit, AttemptReservation, Revoked, SessionRow,
    UserChange, UserRow,
};
pub use any::AnyStore;
pub use boards::{BlockRow, BoardRow, BoardSettings, BoardStore, NewBlock, Place, ShareRow};
pub use error::{Result, StoreError};
pub use ids::{BlockId, BoardId, ConnectionId, JobId, MetricId, ShareId, SyncRunId};
pub use live::{
    CallbackAuth, ConnectionHook, LedgerRow, LiveApplied, LiveChange, LiveEventRow,
    LiveEventSummary, LiveHour, LiveOutcome, LiveResource, LiveStore,
};
pub use migrate::{MigrationInfo, OpenMode, SchemaStatus};
pub use postgres::PostgresStore;
pub use rows::*;
pub use secrets::{
    KEY_FILE_NAME, KeyConfig, KeyError, KeySource, KeyState, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV,
    MasterKey, SealedItem, SecretUnavailable, Unavailability,
};
pub use sqlite::{DATABASE_FILE, SqliteStore, create_data_dir};
pub use store::{Backend, Store};
pub use twilio_accounts::{
    AccountSpan, AccountStatus, ListedAccount, ListingChanges, TwilioAccount, TwilioAccountStore,
};
pub use watching::{
    AlertEventId, AlertEventKind, AlertEventRow, AlertId, AlertRow, AttemptOutcome, ChannelId,
    ChannelRow, DeliveryId, DeliveryRow, DeliverySource, DeliveryState, GoalId, GoalPeriodRow,
    GoalRow, NewAlert, NewAlertEvent, NewChannel, NewDelivery, NewGoal, NewScorecard, ScorecardId,
    ScorecardRow, SecretChange, WatchStore,
};

/// The default data folder.
pub const DEFAULT_DATA_DIR: &str = "./switchboard-data";

/// Where the store lives, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A data folder holding `switchboard.db` (SQLite).
    DataDir(std::path::PathBuf),
    /// A `sqlite:` URL.
    SqliteUrl(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Location {
    /// Reads `--database` / `--data-dir` style input: a PostgreSQL or SQLite URL, else a folder.
    /// Anything written as a URL of another kind (`postgress://`, `mysql://`) is refused rather
    /// than taken for a folder, so a typo never starts a new, empty store beside the real one.
    pub fn parse(url_or_dir: &str) -> Result<Self> {
        let text = url_or_dir.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Ok(Location::Postgres(text.to_owned()))
        } else if text.starts_with("sqlite:") {
            Ok(Location::SqliteUrl(text.to_owned()))
        } else if let Some((scheme, _)) = text.split_once("://") {
            Err(StoreError::UnknownLocation {
                scheme: scheme.to_owned(),
            })
        } else {
            Ok(Location::DataDir(text.into()))
        }
    }

    /// Reads what `--database` names: a database URL, never a folder (that is `--data-dir`).
    pub fn parse_url(url: &str) -> Result<Self> {
        match Location::parse(url)? {
            Location::DataDir(_) => Err(StoreError::UnknownLocation {
                scheme: String::new(),
            }),
            url => Ok(url),
        }
    }
}

/// The highest schema migration this binary knows (the same number on both backends), as
/// `--version` and `switchboard_build_info` show it.
pub fn schema_version() -> i64 {
    migrate::known_version(&sqlite::MIGRATOR)
}

/// Every migration this binary knows, in order (what a new database gets).
pub fn migrations() -> Vec<MigrationInfo> {
    sqlite::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| MigrationInfo {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect()
}

/// A database connected to but not yet opened: its schema and whether a master key check is
/// recorded can be read first (nothing is written), so the caller can decide which key to use
/// and whether to migrate. SQLite's data folder and file are created here when missing.
pub enum Connected {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Connected::Sqlite(_) => "Connected(SQLite)",
            Connected::Postgres(_) => "Connected(PostgreSQL)",
        })
    }
}

/// Connects to the store at `location` without migrating or opening it.
pub async fn connect(location: Location) -> Result<Connected> {
    Ok(match location {
        Location::DataDir(dir) => Connected::Sqlite(SqliteStore::pool_in_dir(&dir).await?),
        Location::SqliteUrl(url) => Connected::Sqlite(SqliteStore::pool_at(&url).await?),
        Location::Postgres(url) => Connected::Postgres(PostgresStore::pool_at(&url).await?),
    })
}

impl Connected {
    /// Where the schema stands; reads only.
    pub async fn schema(&self) -> Result<SchemaStatus> {
        match self {
            Connected::Sqlite(p) => SqliteStore::schema(p).await,
            Connected::Postgres(p) => PostgresStore::schema(p).await,
        }
    }

    /// Whether a master key check is recorded: false for a new store, which any key may
    /// start; reads only.
    pub async fn has_key_check(&self) -> Result<bool> {
        if self.schema().await?.is_new() {
            return Ok(false);
        }
        const SQL: &str = "SELECT COUNT(*) FROM meta WHERE key = 'master_key_check'";
        let count: i64 = match self {
            Connected::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
            Connected::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
        }
        .map_err(StoreError::db("read the master key check"))?;
        Ok(count > 0)
    }

    /// Brings the schema to what `mode` allows and opens the store under `key` (`None`: open
    /// without secrets). A key that does not open the recorded check opens it without secrets
    /// too ([`KeyState::Mismatched`]), writing nothing.
    pub async fn open(self, key: Option<MasterKey>, mode: OpenMode) -> Result<AnyStore> {
        match self {
            Connected::Sqlite(p) => SqliteStore::finish(p, key, mode)
                .await
                .map(AnyStore::Sqlite),
            Connected::Postgres(p) => PostgresStore::finish(p, key, mode)
                .await
                .map(AnyStore::Postgres),
        }
    }

    /// Closes the connections without opening the store.
    pub async fn close(self) {
        match self {
            Connected::Sqlite(p) => p.close().await,
            Connected::Postgres(p) => p.close().await,
        }
    }
}

/// Opens the store at `url_or_dir` (see [`Location::parse`]), migrating its schema, under `key`
/// (see [`Connected::open`] for a key that does not open it).
pub async fn open(url_or_dir: &str, key: MasterKey) -> Result<AnyStore> {
    open_at(Location::parse(url_or_dir)?, key).await
}

/// Opens the store at a parsed [`Location`]; see [`open`].
pub async fn open_at(location: Location, key: MasterKey) -> Result<AnyStore> {
    connect(location)
        .await?
        .open(Some(key), OpenMode::Migrate)
        .await
}
