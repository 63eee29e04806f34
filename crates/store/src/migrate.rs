use sqlx::migrate::{Migrate, MigrateError, Migrator};

use crate::error::{Result, StoreError};

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
            known: migrator.iter().map(|m| m.version).max().unwrap_or(0),
        }),
        Err(source) => Err(StoreError::Migrate { backend, source }),
    }
}
