//! What the two SQL dialects answer differently. Everything else is one SQL text, written once in
//! the generic bodies over [`crate::sql_impl::SqlStore`].
//!
//! The trait has no default bodies on purpose: a new dialect must answer every question here, so
//! a lock cannot silently vanish on one backend.

use crate::store::Backend;

/// A database the store runs on, answering what its SQL or its driver does differently.
pub trait Dialect: sqlx::Database {
    /// Which backend this is, as reported by [`crate::Store::backend`].
    const BACKEND: Backend;

    /// The name a store on this dialect shows in `Debug` output.
    const STORE_NAME: &'static str;

    /// The statement that opens a transaction that will write.
    const BEGIN_WRITE: &'static str;

    /// Appended to the subquery that picks one queued row (a job or a delivery) to claim. Without
    /// it, concurrent claims on a multi-process database wait for the row another is taking and
    /// then match nothing; with it they pass over that row and take the next.
    const CLAIM_ROW_LOCK: &'static str;

    /// An SQL expression for the database's current time in epoch milliseconds (`BIGINT`), read
    /// at the statement, not at the transaction's start. Leases are timed by it, so a worker
    /// whose clock is wrong can neither take a job early nor keep one past its lease.
    const NOW_MS: &'static str;

    /// Appended to the read of a job's fence inside a write under that job: it keeps a claim
    /// from moving the fence until the write commits. Empty where the write transaction already
    /// admits one writer at a time.
    const FENCE_ROW_LOCK: &'static str;

    /// A statement, with a name as `$1`, that makes concurrent transactions on that name take
    /// turns until they end; `None` where the write transaction already admits one at a time.
    const NAME_LOCK: Option<&'static str>;

    /// A query answering one `BIGINT` row: 1 when the migrations table exists, else 0. Read
    /// before anything is written, so a store is inspected without being changed.
    const MIGRATIONS_TABLE_EXISTS: &'static str;

    /// Rows per multi-row bucket INSERT (9 parameters each, far below both limits). SQLite
    /// compiles a long `VALUES` list in more than linear time, so there smaller statements write
    /// a window several times faster (500 rows a statement: 4,000 buckets in about 230 ms, 50:
    /// about 35 ms, measured by the sync bench); PostgreSQL keeps fewer round trips.
    const BUCKET_INSERT_ROWS: usize;

    /// `FROM` and `WHERE` of a read of metric `$1`'s hours, as rows `b`, in each span
    /// `s(lo, hi, ...)` of a `VALUES` list: one index range scan per span, whatever statistics
    /// the database has (without any, PostgreSQL compared every hour of the metric with every
    /// span: 230 ms for a hundred spans).
    const HOURS_IN_SPANS: &'static str;

    /// The latest of a group of rows `b`, by the greatest `(latest_at_ms, latest)` as the
    /// engine folds, as an aggregate; `None` where the dialect has none (a subquery per group then
    /// picks it, with the two-argument scalar `MAX`/`MIN` SQLite has).
    const LATEST_OF_GROUP: Option<&'static str>;

    /// How many rows a statement changed (an inherent method on each driver's result type, so no
    /// generic code can call it directly).
    fn rows_affected(done: &Self::QueryResult) -> u64;
}
