use crate::ids::{ConnectionId, JobId, MetricId};

/// Everything that can go wrong in the store. Each variant names what failed and with what input,
/// and none of them carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "cannot use the data folder {path}: {source}; check that it exists or can be created and is writable"
    )]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// Only the scheme is named: the rest of a URL may hold a password.
    #[error(
        "{}is not a store Switchboard can open: give a PostgreSQL URL (postgres://user@host/db or postgresql://...), a SQLite URL (sqlite:path/to/file.db) or, with --data-dir, a data folder",
        if scheme.is_empty() { "a database address without a scheme ".to_owned() } else { format!("'{scheme}://' ") }
    )]
    UnknownLocation { scheme: String },

    #[error("cannot connect to the {backend} database at {target}: {source}")]
    Connect {
        backend: &'static str,
        /// The location with any password removed.
        target: String,
        #[source]
        source: sqlx::Error,
    },

    #[error(
        "the database was migrated by a newer Switchboard: migration {applied} is applied but this binary knows migrations up to {known}. Nothing was changed; run a Switchboard at least as new as the one that upgraded the database"
    )]
    SchemaTooNew { applied: i64, known: i64 },

    #[error(
        "the database schema is at {applied}, this Switchboard needs {needed}: run `switchboard migrate` (back it up first: `switchboard backup`, or `pg_dump` on PostgreSQL). Nothing was changed"
    )]
    SchemaBehind { applied: i64, needed: i64 },

    #[error("migrating the {backend} database failed: {source}")]
    Migrate {
        backend: &'static str,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error(transparent)]
    MasterKey(#[from] crate::secrets::KeyError),

    #[error(
        "the master key does not open this database: its secrets were sealed with another key. Give the key this database was created with (--master-key-file, SWITCHBOARD_MASTER_KEY_FILE or SWITCHBOARD_MASTER_KEY); if it is lost, see `switchboard key reset --forget-secrets`"
    )]
    WrongMasterKey,

    #[error(transparent)]
    SecretUnavailable(#[from] crate::secrets::SecretUnavailable),

    #[error(
        "the secret of connection {id} ('{label}') cannot be opened: the master key is wrong or the stored row is corrupt. Check SWITCHBOARD_MASTER_KEY, or re-enter the connection's secret"
    )]
    SecretUnreadable { id: ConnectionId, label: String },

    #[error("corrupt row in {table} (id {id}): {what}")]
    CorruptRow {
        table: &'static str,
        id: String,
        what: String,
    },

    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },

    #[error("a {what} named '{value}' already exists; choose another name")]
    Duplicate { what: &'static str, value: String },

    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    #[error(
        "job {job} is no longer held under fence {fence} (its lease lapsed and another worker took it, or it ended); nothing was written"
    )]
    LeaseLost { job: JobId, fence: i64 },

    #[error(
        "delivery {delivery} is no longer claimed by '{holder}' (its lease lapsed and another process took it back)"
    )]
    DeliveryLeaseLost {
        delivery: crate::watching::DeliveryId,
        holder: String,
    },

    #[error("metric {metric}: the window [{from_ms}, {to_ms}) is invalid: {reason}")]
    BadWindow {
        metric: MetricId,
        from_ms: i64,
        to_ms: i64,
        reason: String,
    },

    #[error("database operation '{op}' failed: {source}")]
    Database {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { op, source }
    }

    /// For a write of a row with a unique `name`: a taken name is `Duplicate` naming `what`,
    /// any other failure is [`StoreError::db`] naming `op`.
    pub(crate) fn named_write(
        what: &'static str,
        name: &str,
        op: &'static str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate {
                    what,
                    value: name.to_owned(),
                }
            } else {
                StoreError::db(op)(e)
            }
        }
    }

    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> StoreError {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub(crate) fn corrupt(
        table: &'static str,
        id: impl ToString,
        what: impl Into<String>,
    ) -> StoreError {
        StoreError::CorruptRow {
            table,
            id: id.to_string(),
            what: what.into(),
        }
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub(crate) fn not_found_connection(id: ConnectionId) -> StoreError {
    StoreError::not_found("connection", id)
}

pub(crate) fn not_found_metric(id: MetricId) -> StoreError {
    StoreError::not_found("metric", id)
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
