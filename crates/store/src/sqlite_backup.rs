//! Backing up and restoring a SQLite store file, while `serve` and `worker` may be writing to it.
//!
//! The copy is made with `VACUUM INTO`, not SQLite's online backup API (`sqlite3_backup_*`):
//! both read one consistent snapshot (the statement runs inside a single read transaction, and
//! in WAL mode writers go on meanwhile), but `VACUUM INTO` needs no unsafe calls on a raw
//! handle, writes a compact file, and leaves out the free pages, which can still hold rows
//! deleted since (old sessions, raw pages). A plain file copy of a live database is not a
//! snapshot: pages change under it, and the WAL holds commits the main file does not have yet.
//!
//! These functions open the file on its own, with no migrations and no master key: a backup
//! neither needs nor holds the key, and a restore must not change the schema of what it
//! restores (`serve` migrates it when it next starts).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row as _};

use crate::error::StoreError;
use crate::rows::ProcessRow;

/// The tables a backup's summary counts, in the order printed: what an operator would miss.
/// A table missing from an older schema is left out of the summary.
const COUNTED_TABLES: &[&str] = &[
    "users",
    "connections",
    "metrics",
    "buckets",
    "sync_runs",
    "boards",
    "board_blocks",
    "goals",
    "alerts",
    "channels",
    "scorecards",
];

/// What went wrong in a backup or a restore; each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    #[error("{path} already exists: a backup never overwrites a file; name a new one")]
    TargetExists { path: String },

    #[error(
        "{path} does not exist or is not a file: check the path (for the store itself: --data-dir, or a sqlite: URL in --database)"
    )]
    NoSuchFile { path: String },

    #[error("{path} is not a Switchboard database ({reason})")]
    NotSwitchboard { path: String, reason: String },

    #[error(
        "{path} is damaged: SQLite's integrity check reports {}; use another backup",
        problems.join("; ")
    )]
    Damaged { path: String, problems: Vec<String> },

    #[error(
        "{path} was written by a newer Switchboard (schema {found}, this binary knows up to {known}): restore it with a Switchboard at least that new"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },

    /// `serve` or `worker` processes recorded in the current database as running.
    #[error("{} still using the database", if running.len() == 1 { "a process is" } else { "processes are" })]
    InUse { running: Vec<ProcessRow> },

    #[error(
        "the database {path} is open in another process (its write-ahead log could not be emptied): stop every `switchboard` using this data folder and try again"
    )]
    Busy { path: String },

    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{what} {path}: {source}")]
    Sqlite {
        what: &'static str,
        path: String,
        #[source]
        source: sqlx::Error,
    },

    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a database file holds, as checked after a backup or before a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSummary {
    /// The highest migration applied.
    pub schema: i64,
    /// Rows per table, for the tables of [`COUNTED_TABLES`] the file has.
    pub rows: Vec<(String, i64)>,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the database that was replaced now is, if there was one.
    pub kept: Option<PathBuf>,
    pub summary: DatabaseSummary,
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.display().to_string();
    move |source| BackupError::Io { what, path, source }
}

fn sql(what: &'static str, path: &Path) -> impl FnOnce(sqlx::Error) -> BackupError {
    let path = path.display().to_string();
    move |source| BackupError::Sqlite { what, path, source }
}

/// One connection to an existing file, nothing created, no pragma changed but the busy wait.
async fn connect(file: &Path, read_only: bool) -> Result<SqlitePool, BackupError> {
    if !file.is_file() {
        return Err(BackupError::NoSuchFile {
            path: file.display().to_string(),
        });
    }
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(sql("cannot open", file))
}

/// The SQLite database file of a store location: the data folder's file, or the file of a
/// `sqlite:` URL; `None` for PostgreSQL.
pub fn database_file(location: &crate::Location) -> Result<Option<PathBuf>, BackupError> {
    match location {
        crate::Location::DataDir(dir) => Ok(Some(dir.join(crate::DATABASE_FILE))),
        crate::Location::SqliteUrl(url) => {
            let options =
                <SqliteConnectOptions as std::str::FromStr>::from_str(url).map_err(|source| {
                    StoreError::Connect {
                        backend: "SQLite",
                        target: url.clone(),
                        source,
                    }
                })?;
            Ok(Some(options.get_filename().to_owned()))
        }
        crate::Location::Postgres(_) => Ok(None),
    }
}

/// The highest migration the SQLite migrations of this binary know.
pub fn sqlite_schema_known() -> i64 {
    crate::sqlite::migrator()
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Creates `path` empty with mode 0600, failing if it exists.
fn create_private(path: &Path) -> Result<std::fs::File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::TargetExists {
                path: path.display().to_string(),
            }
        } else {
            io("cannot create", path)(e)
        }
    })
}

/// A name for a work file beside `target`, hidden, unique to this process.
fn work_file(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "switchboard.db".to_owned());
    target.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

fn sync_dir(file: &Path) {
    // Makes the new directory entry durable; not every platform lets a folder be opened for
    // this, and the data is already synced, so a failure here is not worth refusing over.
    if let Some(dir) = file.parent()
        && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
}

/// Gives `from` the name `to` without ever replacing a file already at `to`: a hard link
/// fails if `to` exists. Where links are not supported the check and the rename are two
/// steps.
fn publish_new(from: &Path, to: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from).map_err(io("cannot remove", from)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BackupError::TargetExists {
            path: to.display().to_string(),
        }),
        Err(_) if !to.exists() => std::fs::rename(from, to).map_err(io("cannot rename", from)),
        Err(_) => Err(BackupError::TargetExists {
            path: to.display().to_string(),
        }),
    }
}

/// Checks that `file` is a sound Switchboard database and counts its rows. Opens it read-only.
pub async fn inspect(file: &Path) -> Result<DatabaseSummary, BackupError> {
    inspect_with(file, true).await
}

/// [`inspect`], opening the file for writing when `read_only` is false: a copy in WAL mode
/// (a plain copy of a live file) then has its log folded in and removed when closed.
async fn inspect_with(file: &Path, read_only: bool) -> Result<DatabaseSummary, BackupError> {
    let pool = connect(file, read_only).await?;
    let result = inspect_pool(&pool, file).await;
    pool.close().await;
    result
}

async fn inspect_pool(pool: &SqlitePool, file: &Path) -> Result<DatabaseSummary, BackupError> {
    let not_ours = |reason: &str| BackupError::NotSwitchboard {
        path: file.display().to_string(),
        reason: reason.to_owned(),
    };
    // A file that is not SQLite at all fails here, on its first read.
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(|e| not_ours(&format!("SQLite cannot read it: {e}")))?;
    for needed in ["_sqlx_migrations", "meta", "metrics"] {
        if !tables.iter().any(|t| t == needed) {
            return Err(not_ours(&format!("it has no `{needed}` table")));
        }
    }
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .map_err(sql("cannot check", file))?
        .iter()
        .filter_map(|row| row.try_get::<String, _>(0).ok())
        .filter(|line| line != "ok")
        .collect();
    if !problems.is_empty() {
        return Err(BackupError::Damaged {
            path: file.display().to_string(),
            problems,
        });
    }
    let schema: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .map_err(sql("cannot read the schema version of", file))?;
    let schema = schema.ok_or_else(|| not_ours("no migration has been applied to it"))?;
    let mut rows = Vec::new();
    for table in COUNTED_TABLES {
        if !tables.iter().any(|t| t == table) {
            continue;
        }
        // The names are this module's constants, never input.
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .map_err(sql("cannot count the rows of", file))?;
        rows.push(((*table).to_owned(), count));
    }
    Ok(DatabaseSummary { schema, rows })
}

/// Writes a consistent copy of the database `source` to `target` (0600, never over an existing
/// file) and checks the copy. The copy is written under a hidden name beside `target` and takes
/// its name only once checked, so a failed or interrupted backup never looks like a good one.
pub async fn backup(source: &Path, target: &Path) -> Result<DatabaseSummary, BackupError> {
    if target.exists() {
        return Err(BackupError::TargetExists {
            path: target.display().to_string(),
        });
    }
    let work = work_file(target, "partial");
    // VACUUM INTO writes into an empty file, so the mode chosen here is the copy's mode.
    drop(create_private(&work)?);
    let result = async {
        let pool = connect(source, false).await?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(work.display().to_string())
            .execute(&pool)
            .await
            .map_err(sql("cannot copy", source));
        pool.close().await;
        copied?;
        std::fs::File::open(&work)
            .and_then(|f| f.sync_all())
            .map_err(io("cannot write", &work))?;
        let summary = inspect(&work).await?;
        publish_new(&work, target)?;
        sync_dir(target);
        Ok(summary)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&work);
    }
    result
}

/// Replaces the database `current` with the backup `backup`, keeping the replaced file as
/// `<current>.before-restore-<stamp>`. Refused when `backup` is not a sound Switchboard
/// database of a schema this binary knows, or when the current database records a `serve` or
/// `worker` seen at or after `live_since_ms`.
///
/// The backup is copied beside `current` and checked there, then renamed over it: at every
/// instant `current` is either the old database or the whole new one.
pub async fn restore(
    current: &Path,
    backup: &Path,
    live_since_ms: i64,
    stamp: &str,
) -> Result<Restored, BackupError> {
    if !backup.is_file() {
        return Err(BackupError::NoSuchFile {
            path: backup.display().to_string(),
        });
    }
    let work = work_file(current, "restoring");
    let result = async {
        {
            let mut to = create_private(&work)?;
            let mut from = std::fs::File::open(backup).map_err(io("cannot read", backup))?;
            std::io::copy(&mut from, &mut to).map_err(io("cannot copy to", &work))?;
            to.sync_all().map_err(io("cannot write", &work))?;
        }
        // The copy is what gets restored, so the copy is what is checked.
        let summary = inspect_with(&work, false).await.map_err(|e| match e {
            // Name the file the operator gave, not the work copy.
            BackupError::NotSwitchboard { reason, .. } => BackupError::NotSwitchboard {
                path: backup.display().to_string(),
                reason,
            },
            BackupError::Damaged { problems, .. } => BackupError::Damaged {
                path: backup.display().to_string(),
                problems,
            },
            other => other,
        })?;
        let known = sqlite_schema_known();
        if summary.schema > known {
            return Err(BackupError::TooNew {
                path: backup.display().to_string(),
                found: summary.schema,
                known,
            });
        }
        let kept = if current.exists() {
            quiesce(current, live_since_ms).await?;
            let name = current
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let kept = current.with_file_name(format!("{name}.before-restore-{stamp}"));
            keep_copy(current, &kept)?;
            Some(kept)
        } else {
            None
        };
        std::fs::rename(&work, current)
            .map_err(io("cannot move the restored database to", current))?;
        // The replaced database's shared-memory index must not be read against the new file;
        // its log was emptied by `quiesce`.
        for suffix in ["-wal", "-shm"] {
            let companion = PathBuf::from(format!("{}{suffix}", current.display()));
            if companion.exists() {
                std::fs::remove_file(&companion).map_err(io("cannot remove", &companion))?;
            }
        }
        sync_dir(current);
        Ok(Restored { kept, summary })
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&work);
    }
    result
}

/// Checks that nothing uses `current` and moves every commit of its write-ahead log into the
/// file, so the file alone is the whole database.
async fn quiesce(current: &Path, live_since_ms: i64) -> Result<(), BackupError> {
    let pool = connect(current, false).await?;
    let result = async {
        let has_processes: bool = sqlx::query_scalar(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'processes'",
        )
        .fetch_one(&pool)
        .await
        .map_err(sql("cannot read", current))?;
        if has_processes {
            let running: Vec<(String, String, i64, i64)> = sqlx::query_as(
                "SELECT id, kind, started_ms, seen_ms FROM processes WHERE seen_ms >= $1 \
                 ORDER BY seen_ms DESC, id",
            )
            .bind(live_since_ms)
            .fetch_all(&pool)
            .await
            .map_err(sql("cannot read the running processes of", current))?;
            if !running.is_empty() {
                return Err(BackupError::InUse {
                    running: running
                        .into_iter()
                        .map(|(id, kind, started_ms, seen_ms)| ProcessRow {
                            id,
                            kind,
                            started_ms,
                            seen_ms,
                        })
                        .collect(),
                });
            }
        }
        // (busy, log frames, checkpointed frames); busy means a reader in another process
        // kept the log from being emptied. In rollback-journal mode the answer is (0, -1, -1).
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&pool)
            .await
            .map_err(sql("cannot checkpoint", current))?;
        if busy != 0 {
            return Err(BackupError::Busy {
                path: current.display().to_string(),
            });
        }
        Ok(())
    }
    .await;
    pool.close().await;
    result?;
    let wal = PathBuf::from(format!("{}-wal", current.display()));
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(BackupError::Busy {
            path: current.display().to_string(),
        });
    }
    Ok(())
}

/// Keeps the current database under `kept`, never over an existing file: a hard link (the
/// same file under a second name, so the rename that follows leaves it intact), or a copy.
fn keep_copy(current: &Path, kept: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(current, kept) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BackupError::TargetExists {
            path: kept.display().to_string(),
        }),
        Err(_) => {
            let mut to = create_private(kept)?;
            let mut from = std::fs::File::open(current).map_err(io("cannot read", current))?;
            std::io::copy(&mut from, &mut to).map_err(io("cannot copy to", kept))?;
            to.sync_all().map_err(io("cannot write", kept))
        }
    }
}
