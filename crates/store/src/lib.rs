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
mod ids;
mod migrate;
mod postgres;
mod raw_pages;
mod rows;
mod secrets;
mod sql_impl;
mod sqlite;
mod store;
mod watching;

pub use accounts::{
    ADMIN_ROLE, AccountStore, ApiTokenRow, AttemptLimit, AttemptReservation, Revoked, SessionRow,
    UserChange, UserRow,
};
pub use any::AnyStore;
pub use boards::{BlockRow, BoardRow, BoardSettings, BoardStore, NewBlock, Place, ShareRow};
pub use error::{Result, StoreError};
pub use ids::{BlockId, BoardId, ConnectionId, JobId, MetricId, ShareId, SyncRunId};
pub use postgres::PostgresStore;
pub use rows::*;
pub use secrets::{KEY_FILE_NAME, KeyError, KeySource, MASTER_KEY_ENV, MasterKey};
pub use sqlite::{DATABASE_FILE, SqliteStore, create_data_dir};
pub use store::{Backend, Store};
pub use watching::{
    AlertEventId, AlertEventKind, AlertEventRow, AlertId, AlertRow, AttemptOutcome, ChannelId,
    ChannelRow, DeliveryId, DeliveryRow, DeliverySource, DeliveryState, GoalId, GoalPeriodRow,
    GoalRow, NewAlert, NewAlertEvent, NewChannel, NewDelivery, NewGoal, NewScorecard, ScorecardId,
    ScorecardRow, SecretChange, WatchStore,
};

/// The schema this binary writes: its newest migration's number (the same on both backends).
pub fn schema_version() -> i64 {
    sqlite::newest_migration()
}

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

/// Opens the store at `url_or_dir` (see [`Location::parse`]), migrating its schema, and checks that
/// `key` is the master key the database was created with.
pub async fn open(url_or_dir: &str, key: MasterKey) -> Result<AnyStore> {
    open_at(Location::parse(url_or_dir)?, key).await
}

/// Opens the store at a parsed [`Location`]; see [`open`].
pub async fn open_at(location: Location, key: MasterKey) -> Result<AnyStore> {
    match location {
        Location::DataDir(dir) => SqliteStore::open_dir(&dir, key).await.map(AnyStore::Sqlite),
        Location::SqliteUrl(url) => SqliteStore::connect(&url, key).await.map(AnyStore::Sqlite),
        Location::Postgres(url) => PostgresStore::connect(&url, key)
            .await
            .map(AnyStore::Postgres),
    }
}
