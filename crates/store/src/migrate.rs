//! The schema: which migrations a database carries, which it lacks, and applying them only when
//! the caller asked to ([`OpenMode`]).

use sqlx::migrate::{Migrate, MigrateError, Migrator};

use crate::dialect::Dialect;
use crate::error::{Result, StoreError};

/// What opening a store may do to its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Apply the migrations the database lacks (`serve`, `worker`, `migrate`).
    Migrate,
    /// Refuse a database that lacks any ([`StoreError::SchemaBehind`]) and write nothing; a new,
    /// empty database is still created whole.
    RequireCurrent,
}

/// One migration this binary knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
}

/// Where a database's schema stands against this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The highest migration applied; `None` for a new, empty database.
    pub applied: Option<i64>,
    /// The highest migration this binary knows.
    pub known: i64,
    /// What this binary would apply, in order.
    pub pending: Vec<MigrationInfo>,
}

impl SchemaStatus {
    /// A database no Switchboard has written yet.
    pub fn is_new(&self) -> bool {
        self.applied.is_none()
    }
}

pub(crate) fn known_version(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Reads the applied migrations without writing anything (sqlx's own check would create its
/// table first). A version this binary does not know means a newer Switchboard upgraded it.
pub(crate) async fn schema_status<DB: Dialect>(
    migrator: &Migrator,
    pool: &sqlx::Pool<DB>,
    backend: &'static str,
) -> Result<SchemaStatus>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    (i64, bool): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let known = known_version(migrator);
    let read = |source| StoreError::Connect {
        backend,
        target: "the schema version".into(),
        source,
    };
    let (tables,): (i64,) = sqlx::query_as(DB::MIGRATIONS_TABLE_EXISTS)
        .fetch_one(pool)
        .await
        .map_err(read)?;
    let applied: Vec<(i64, bool)> = if tables == 0 {
        Vec::new()
    } else {
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(read)?
    };
    if let Some(&(unknown, _)) = applied.iter().find(|(v, _)| !migrator.version_exists(*v)) {
        return Err(StoreError::SchemaTooNew {
            applied: unknown,
            known,
        });
    }
    let done: Vec<i64> = applied
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(v, _)| *v)
        .collect();
    let pending = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !done.contains(&m.version))
        .map(|m| MigrationInfo {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect();
    Ok(SchemaStatus {
        applied: done.iter().copied().max(),
        known,
        pending,
    })
}

/// Brings the schema to what `mode` allows: applies what is pending, or refuses when anything
/// is and the database is not new.
pub(crate) async fn prepare_schema<DB: Dialect>(
    migrator: &Migrator,
    pool: &sqlx::Pool<DB>,
    backend: &'static str,
    mode: OpenMode,
) -> Result<()>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    (i64, bool): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    DB::Connection: Migrate,
{
    let status = schema_status(migrator, pool, backend).await?;
    if status.pending.is_empty() {
        return Ok(());
    }
    match (mode, status.applied) {
        (OpenMode::RequireCurrent, Some(applied)) => Err(StoreError::SchemaBehind {
            applied,
            needed: status.known,
        }),
        _ => run_migrations(migrator, pool, backend).await,
    }
}

/// Applies the migrations this binary knows. A database that already carries a migration this
/// binary does not know was upgraded by a newer Switchboard: stop before touching anything.
pub(crate) async fn run_migrations<'a, A>(
    migrator: &Migrator,
    pool: A,
    backend: &'static str,
) -> Result<()>
where
    A: sqlx::Acquire<'a>,
    <A::Connection as std::ops::Deref>::Target: Migrate,
{
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(applied)) => Err(StoreError::SchemaTooNew {
            applied,
            known: known_version(migrator),
        }),
        Err(source) => Err(StoreError::Migrate { backend, source }),
    }
}
