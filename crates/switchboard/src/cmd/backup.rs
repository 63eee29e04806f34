//! `switchboard backup FILE` and `switchboard restore FILE`: a consistent copy of a SQLite store,
//! taken while `serve` and `worker` run, and putting one back while they do not. PostgreSQL has
//! its own tools for both; these commands say which.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use store::sqlite_backup::{self, BackupError, DatabaseSummary};

use super::common::StoreArgs;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (0600). It must not exist yet.
    file: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A backup written by `switchboard backup`.
    file: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

/// The SQLite database file the store flags name, or the refusal for PostgreSQL.
fn database_file(
    store: &StoreArgs,
    postgres_refusal: impl FnOnce(&str) -> String,
) -> anyhow::Result<PathBuf> {
    let location = store.location()?;
    match sqlite_backup::database_file(&location)? {
        Some(file) => Ok(file),
        None => bail!("{}", postgres_refusal(&store.describe())),
    }
}

pub async fn run_backup(args: BackupArgs) -> anyhow::Result<()> {
    let source = database_file(&args.store, |url| {
        format!(
            "`switchboard backup` copies a SQLite store; for PostgreSQL use its own tool, which also reads a consistent snapshot while Switchboard runs:\n  pg_dump --format=custom --no-owner --file {} '{url}'\nand restore it into a new, empty database with pg_restore --no-owner --dbname 'postgres://.../NEW_DB' {0}",
            args.file.display()
        )
    })?;
    let summary = sqlite_backup::backup(&source, &args.file)
        .await
        .map_err(explain)?;
    println!(
        "backed up {} to {} (schema {}, integrity ok)",
        source.display(),
        args.file.display(),
        summary.schema
    );
    print_rows(&summary);
    println!(
        "The master key is NOT in this backup. It is {}: keep a copy of it somewhere else than the backup, as the backup's secrets open only with it.",
        key_location(&args.store)
    );
    Ok(())
}

pub async fn run_restore(args: RestoreArgs) -> anyhow::Result<()> {
    let current = database_file(&args.store, |url| {
        format!(
            "`switchboard restore` restores a SQLite store; for PostgreSQL stop Switchboard, create a new, empty database and load the dump into it:\n  pg_restore --no-owner --dbname 'postgres://.../NEW_DB' {}   (a plain SQL dump: psql 'postgres://.../NEW_DB' -f {0})\nthen point --database at the new database (the current one is {url})",
            args.file.display()
        )
    })?;
    if let Some(dir) = current.parent()
        && !dir.as_os_str().is_empty()
    {
        store::create_data_dir(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let now = jiff::Timestamp::now();
    let grace =
        i64::try_from(metric_sync::presence::PRESENCE_GRACE.as_millis()).unwrap_or(i64::MAX);
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let restored =
        sqlite_backup::restore(&current, &args.file, now.as_millisecond() - grace, &stamp)
            .await
            .map_err(explain)?;
    println!(
        "restored {} into {} (schema {})",
        args.file.display(),
        current.display(),
        restored.summary.schema
    );
    print_rows(&restored.summary);
    if let Some(kept) = &restored.kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    let known = sqlite_backup::sqlite_schema_known();
    if restored.summary.schema < known {
        println!(
            "the backup has schema {}, this Switchboard {known}: `switchboard serve` migrates it when it starts",
            restored.summary.schema
        );
    }
    println!(
        "its secrets open only with the master key it was backed up with ({} now)",
        key_location(&args.store)
    );
    Ok(())
}

fn print_rows(summary: &DatabaseSummary) {
    let rows: Vec<String> = summary
        .rows
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect();
    println!("rows: {}", rows.join(", "));
}

/// Where the master key is read from, without reading or creating it.
fn key_location(store: &StoreArgs) -> String {
    if std::env::var(store::MASTER_KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        format!("in the {} environment variable", store::MASTER_KEY_ENV)
    } else {
        format!("in the file {}", key_file(&store.data_dir).display())
    }
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(store::KEY_FILE_NAME)
}

/// The refusal of processes still running, with what to do, as `key rotate` words it.
fn explain(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::InUse { running } => super::common::still_running(&running, "restore"),
        other => anyhow::Error::new(other),
    }
}
