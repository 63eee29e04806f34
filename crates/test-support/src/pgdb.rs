//! A whole PostgreSQL database of one test's own, for what a schema cannot isolate: the
//! server's per-database statistics (`pg_stat_database`), which count every transaction on the
//! database whatever its schema.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Executor};

use crate::{pg_url_or_skip, skip};

/// A database named `{prefix}_{process id}`, created on the test server (trust auth) and
/// dropped with this value, also when the test panics.
#[derive(Debug)]
pub struct PgDatabase {
    /// The server's URL (its own database, for administration).
    admin_url: String,
    /// The new database's URL.
    pub url: String,
    pub name: String,
}

impl PgDatabase {
    /// Creates the database, or returns `None` after [`skip`] when PostgreSQL is unreachable.
    pub async fn create(prefix: &str) -> Option<Self> {
        let admin_url = pg_url_or_skip()?;
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&admin_url)
            .await
        {
            Ok(pool) => pool,
            Err(e) => {
                return skip(
                    &format!("PostgreSQL unreachable at {admin_url}"),
                    &e.to_string(),
                );
            }
        };
        let name = format!("{prefix}_{}", std::process::id());
        let _ = admin
            .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .await;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
        admin.close().await;
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("the test database URL {admin_url}: {e}"));
        url.set_path(&name);
        Some(Self {
            admin_url,
            url: url.to_string(),
            name,
        })
    }

    /// Runs one statement on this database (outside any transaction, so `VACUUM` works).
    pub async fn execute(&self, sql: &str) {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .expect("connect to the test database");
        pool.execute(AssertSqlSafe(sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql} on {}: {e}", self.name));
        pool.close().await;
    }

    /// Transactions committed on this database so far, as the server's statistics say (read
    /// from another database, so reading adds none). The server publishes a backend's counts
    /// within about a second of its transactions, ten when it is idle.
    pub async fn xact_commit(&self) -> i64 {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.admin_url)
            .await
            .expect("connect to the test server");
        let n: i64 =
            sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = $1")
                .bind(&self.name)
                .fetch_one(&admin)
                .await
                .expect("read pg_stat_database");
        admin.close().await;
        n
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // `WITH (FORCE)` ends connections a killed process left behind.
        crate::drop_on_own_thread(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
