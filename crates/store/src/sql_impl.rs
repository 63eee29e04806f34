//! The one implementation of [`crate::Store`] over SQL, [`SqlStore`], generic over the
//! [`Dialect`] and shared by both backends (`accounts`, `boards` and `watching` add their traits
//! to it the same way).
//!
//! Both dialects accept the same statements here (`$n` parameters, `RETURNING`, `ON CONFLICT`,
//! partial indexes), so each is written once. What differs is a [`Dialect`] answer: how a writing
//! transaction begins (SQLite takes the write lock up front with `BEGIN IMMEDIATE`, so a
//! transaction that reads first cannot fail to upgrade), the row lock of the claim statements
//! (PostgreSQL adds `FOR UPDATE SKIP LOCKED`), the per-name lock and `rows_affected`.
//!
//! Every generic `impl` block repeats one where-clause: sqlx needs a bound for each type bound or
//! read, and bounds on a helper trait would not be implied where it is used.

use std::sync::RwLock;

use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::secrets::{KeyState, MasterKey, SealedItem, SecretUnavailable, Unavailability};

pub(crate) fn bucket_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO buckets (metric_id, dimension, hour_ms, sum, count, min, max, latest, \
         latest_at_ms) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        let b = r * 9;
        sql.push_str(&format!(
            "(${},${},${},${},${},${},${},${},${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9
        ));
    }
    sql
}

/// Spans per `VALUES` list of a folded read: two parameters each.
pub(crate) const SPAN_CHUNK: usize = 400;

/// The day (epoch ms of its UTC midnight) of an hour, also before 1970.
const DAY_OF_HOUR: &str = "hour_ms - ((hour_ms % 86400000) + 86400000) % 86400000";

/// Rewrites the daily rollups of `$1`'s whole UTC days in `[$2, $3)` from its hours (the
/// migration's backfill, for one metric and span), or only its dimensions under a prefix.
/// Preceded by a DELETE of the same days.
fn refresh_days_sql(scoped: bool) -> String {
    let scope = prefix_scope(scoped);
    format!(
        "INSERT INTO bucket_days (metric_id, dimension, day_ms, sum, count, min, max, latest, \
         latest_at_ms) \
         SELECT d.metric_id, d.dimension, d.day_ms, d.sum, d.count, d.min, d.max, \
         (SELECT MAX(b.latest) FROM buckets b WHERE b.metric_id = d.metric_id \
           AND b.dimension = d.dimension AND b.hour_ms >= d.day_ms \
           AND b.hour_ms < d.day_ms + 86400000 AND b.latest_at_ms = d.latest_at_ms), \
         d.latest_at_ms \
         FROM (SELECT metric_id, dimension, {DAY_OF_HOUR} AS day_ms, SUM(sum) AS sum, \
           CAST(SUM(count) AS BIGINT) AS count, MIN(min) AS min, MAX(max) AS max, \
           MAX(latest_at_ms) AS latest_at_ms \
           FROM buckets WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3{scope} \
           GROUP BY metric_id, dimension, {DAY_OF_HOUR}) d"
    )
}

/// The length of a prefix in characters, as `substr` counts them.
fn prefix_len(prefix: &str) -> i64 {
    i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX)
}

/// `AND` the dimension starts with `$4`, `$5` characters long, when a write is scoped to the
/// dimensions under one prefix (one account of a multi-account metric).
fn prefix_scope(scoped: bool) -> &'static str {
    if scoped {
        " AND substr(dimension, 1, CAST($5 AS INTEGER)) = $4"
    } else {
        ""
    }
}

/// The UTC day start at or before `ms`.
pub(crate) fn day_floor(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

pub(crate) const DAY_MS: i64 = 24 * crate::rows::HOUR_MS;

/// `WITH s(lo, hi) AS (VALUES ($first, $first+1), ...)`: `n` spans as a table to join.
fn values_cte(table: &str, first: usize, width: usize, n: usize) -> String {
    let values = (0..n)
        .map(|i| {
            let row = (0..width)
                .map(|c| format!("${}", first + width * i + c))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({row})")
        })
        .collect::<Vec<_>>()
        .join(",");
    format!("WITH {table} AS (VALUES {values}) ")
}

/// `hour_ms + s.off` rounded down to a whole day (also below zero): the start, shifted by the
/// offset, of the day at offset `s.off` that the hour starts in.
pub(crate) const DAY_SHIFTED: &str = "(b.hour_ms + s.off) - (((b.hour_ms + s.off) % 86400000) \
     + 86400000) % 86400000";

/// Folds metric `$1`'s hours in each stretch `s(lo, hi, off)` per dimension and day at offset
/// `off`: rows labelled `hour_ms` = the day's start (the stretch's `lo` is returned beside it).
/// The latest of a day is that of its row with the greatest (latest_at_ms, latest), as the
/// engine decides ties: the dialect's aggregate, or else a subquery per day.
pub(crate) fn local_days_sql(hours_in_spans: &str, latest: Option<&str>) -> String {
    match latest {
        Some(latest) => format!(
            "SELECT b.dimension, s.lo, {DAY_SHIFTED} - s.off AS hour_ms, SUM(b.sum) AS sum, \
             CAST(SUM(b.count) AS BIGINT) AS count, MIN(b.min) AS min, MAX(b.max) AS max, \
             {latest} AS latest, MAX(b.latest_at_ms) AS latest_at_ms {hours_in_spans} \
             GROUP BY b.dimension, s.lo, s.off, {DAY_SHIFTED}"
        ),
        // Per day, the greatest latest among its hours at its latest instant: one short
        // range scan of the primary key per day (half the time of a window over every hour,
        // which sorts them all).
        None => format!(
            "SELECT g.dimension, g.lo, g.day - g.off AS hour_ms, g.sum, g.count, g.min, g.max, \
             (SELECT MAX(h.latest) FROM buckets h WHERE h.metric_id = $1 \
               AND h.dimension = g.dimension AND h.hour_ms >= MAX(g.lo, g.day - g.off) \
               AND h.hour_ms < MIN(g.hi, g.day - g.off + 86400000) \
               AND h.latest_at_ms = g.latest_at_ms) AS latest, g.latest_at_ms \
             FROM (SELECT b.dimension, s.lo, s.hi, s.off, {DAY_SHIFTED} AS day, \
               SUM(b.sum) AS sum, CAST(SUM(b.count) AS BIGINT) AS count, MIN(b.min) AS min, \
               MAX(b.max) AS max, MAX(b.latest_at_ms) AS latest_at_ms {hours_in_spans} \
               GROUP BY b.dimension, s.lo, s.hi, s.off, {DAY_SHIFTED}) g"
        ),
    }
}

/// The index of the span of `spans` (sorted, disjoint, half-open) that holds `at`.
pub(crate) fn span_holding(spans: &[(i64, i64)], at: i64) -> Option<usize> {
    let i = spans.partition_point(|&(lo, _)| lo <= at).checked_sub(1)?;
    (at < spans[i].1).then_some(i)
}

/// Ids per `IN (...)` list, far below both databases' parameter limits.
pub(crate) const ID_CHUNK: usize = 500;

/// `$first, $first+1, ...`: `n` numbered parameters for an `IN (...)` list.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The `meta` key recording a one-time data step.
pub(crate) fn data_step_meta(step: &str) -> String {
    format!("data_step:{step}")
}

pub(crate) fn lease_ms(lease: std::time::Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

pub(crate) fn lease_until(now_ms: i64, lease: std::time::Duration) -> i64 {
    now_ms.saturating_add(lease_ms(lease))
}

pub(crate) fn check_window(
    metric: crate::MetricId,
    from_ms: i64,
    to_ms: i64,
    buckets: &[crate::BucketRow],
) -> Result<()> {
    use crate::rows::HOUR_MS;
    let bad = |reason: String| StoreError::BadWindow {
        metric,
        from_ms,
        to_ms,
        reason,
    };
    if from_ms % HOUR_MS != 0 || to_ms % HOUR_MS != 0 {
        return Err(bad(
            "both ends must be whole UTC hours (multiples of 3600000 ms)".into(),
        ));
    }
    if from_ms >= to_ms {
        return Err(bad("the start must be before the end".into()));
    }
    for b in buckets {
        if b.hour_ms < from_ms || b.hour_ms >= to_ms || b.hour_ms % HOUR_MS != 0 {
            return Err(bad(format!(
                "bucket at {} (dimension '{}') is not a whole hour inside the window",
                b.hour_ms, b.dimension
            )));
        }
        if let Some(reason) = b.not_finite() {
            return Err(bad(reason));
        }
    }
    Ok(())
}

/// The store over one SQL database: the pool, and the master key that seals secrets with what
/// opening decided about it (behind a lock because rotating or resetting the key replaces it
/// while the store is shared).
pub struct SqlStore<DB: Dialect> {
    pub(crate) pool: sqlx::Pool<DB>,
    pub(crate) key: RwLock<KeyHold>,
    /// Woken when this handle enqueues a job, so a worker in the same process that waits for
    /// work takes it at once instead of at its next poll.
    pub(crate) enqueued: tokio::sync::Notify,
    /// Resolves when another process may have enqueued a job (PostgreSQL's notifications).
    pub(crate) job_waker: Option<Box<dyn JobWaker>>,
}

/// A wait that ends when another process may have enqueued a job.
pub(crate) trait JobWaker: Send + Sync {
    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
}

/// The master key, if any, and whether it opens the store's key check.
#[derive(Clone)]
pub(crate) struct KeyHold {
    pub(crate) key: Option<MasterKey>,
    pub(crate) state: KeyState,
}

/// A sealed value that was forgotten by `key reset --forget-secrets`: an empty byte string, which
/// no sealing ever produces.
pub(crate) fn is_forgotten(sealed: &[u8]) -> bool {
    sealed.is_empty()
}

impl<DB: Dialect> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(DB::STORE_NAME).finish_non_exhaustive()
    }
}

/// Claims the oldest due job, or one whose lease lapsed, on the database's clock; the claim
/// moves the job's fence.
pub(crate) fn claim_job_sql<DB: Dialect>() -> String {
    format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = {now} + $2, \
         attempts = attempts + 1, fence = fence + 1, updated_ms = {now} \
         WHERE id = (SELECT id FROM jobs \
         WHERE (state = 'pending' AND run_at_ms <= {now}) \
         OR (state = 'running' AND locked_until < {now}) \
         ORDER BY run_at_ms, id LIMIT 1{lock}) \
         RETURNING {JOB_COLUMNS}",
        now = DB::NOW_MS,
        lock = DB::CLAIM_ROW_LOCK
    )
}

// The outer conditions of both delivery claims repeat the inner ones: should two claims still pick
// the same row, the second re-checks them after the first commits and matches nothing.

/// Claims the next due delivery that no one holds, counting an attempt.
pub(crate) fn claim_delivery_sql<DB: Dialect>() -> String {
    format!(
        "UPDATE deliveries \
         SET attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_ms = $3 \
         WHERE id = (SELECT id FROM deliveries \
         WHERE state = 'pending' AND locked_until IS NULL AND next_attempt_ms <= $3 \
         ORDER BY next_attempt_ms, id LIMIT 1{}) \
         AND state = 'pending' AND locked_until IS NULL AND next_attempt_ms <= $3 \
         RETURNING *",
        DB::CLAIM_ROW_LOCK
    )
}

/// Takes back the delivery whose claim lapsed longest ago. No attempt is counted: the lapsed claim
/// counted its own when it was made.
pub(crate) fn claim_lapsed_delivery_sql<DB: Dialect>() -> String {
    format!(
        "UPDATE deliveries SET locked_by = $1, locked_until = $2, updated_ms = $3 \
         WHERE id = (SELECT id FROM deliveries WHERE state = 'pending' AND locked_until < $3 \
         ORDER BY locked_until, id LIMIT 1{}) \
         AND state = 'pending' AND locked_until < $3 \
         RETURNING *",
        DB::CLAIM_ROW_LOCK
    )
}

// A metric's sync state, as correlated subqueries over `sync_runs` on `m.id`: each walks the
// `(metric_id, started_ms)` index from the newest run and stops at the first match, so the cost
// does not grow with a metric's history.
const LAST_STARTED: &str = "(SELECT r.started_ms FROM sync_runs r WHERE r.metric_id = m.id \
                            ORDER BY r.started_ms DESC, r.id DESC LIMIT 1)";
const LAST_GOOD_FINISHED: &str = "(SELECT r.finished_ms FROM sync_runs r WHERE r.metric_id = m.id \
                                  AND r.status IN ('succeeded', 'partial') \
                                  ORDER BY r.started_ms DESC, r.id DESC LIMIT 1)";
const LAST_FINISHED_STATUS: &str = "(SELECT r.status FROM sync_runs r WHERE r.metric_id = m.id \
                                    AND r.status <> 'running' \
                                    ORDER BY r.started_ms DESC, r.id DESC LIMIT 1)";
/// A metric is in use when something names it (`StoredMetric::in_use`).
const IN_USE: &str = "m.used_by <> '[]'";

/// A job's columns, in the order every job query reads them.
const JOB_COLUMNS: &str = "id, kind, key, payload, state, attempts, run_at_ms, locked_by, \
                           locked_until, last_error, created_ms, updated_ms, fence";

impl<DB: Dialect> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    str: sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB>,
{
    /// Wraps a migrated pool and decides the [`KeyState`]: a store without a key check records
    /// one sealed under `key`; otherwise `key` must open it, or the store opens without its
    /// secrets. Nothing is written unless the check is recorded for the first time.
    pub(crate) async fn open_pool(pool: sqlx::Pool<DB>, key: Option<MasterKey>) -> Result<Self> {
        let store = Self {
            pool,
            key: RwLock::new(KeyHold {
                key: None,
                state: KeyState::Missing,
            }),
            enqueued: tokio::sync::Notify::new(),
            job_waker: None,
        };
        let state = match &key {
            None => KeyState::Missing,
            Some(k) => store.check_master_key(k).await?,
        };
        store.set_key(key, state);
        Ok(store)
    }

    fn hold(&self) -> KeyHold {
        match self.key.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set_key(&self, key: Option<MasterKey>, state: KeyState) {
        let hold = KeyHold { key, state };
        match self.key.write() {
            Ok(mut k) => *k = hold,
            Err(poisoned) => *poisoned.into_inner() = hold,
        }
    }

    /// The key that opens sealed values, or why there is none.
    pub(crate) fn opener(&self) -> std::result::Result<MasterKey, Unavailability> {
        let hold = self.hold();
        match (hold.state.unavailability(), hold.key) {
            (None, Some(key)) => Ok(key),
            (Some(why), _) => Err(why),
            (None, None) => Err(Unavailability::NoKey),
        }
    }

    /// The key to seal a new value under: only a verified one, so a store never mixes secrets
    /// sealed under two keys.
    pub(crate) fn sealer(&self) -> Result<MasterKey> {
        self.opener().map_err(|why| {
            StoreError::SecretUnavailable(SecretUnavailable {
                what: SealedItem::NewSecret,
                why,
            })
        })
    }

    /// Replaces a window of buckets (every dimension, or only those under `prefix`), fenced by
    /// `lease`, with the daily rollups and the data version in the same transaction.
    pub(crate) async fn replace_window_scoped(
        &self,
        lease: Option<crate::Lease>,
        metric: crate::MetricId,
        prefix: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        buckets: &[crate::BucketRow],
    ) -> Result<crate::WindowReplaced> {
        let scope = crate::sql_impl::prefix_scope(prefix.is_some());
        crate::sql_impl::check_window(metric, from_ms, to_ms, buckets)?;
        let mut tx = self.begin_write("replace a window of buckets").await?;
        Self::check_fence(&mut tx, lease).await?;
        // The poll's values replace any provisional (real-time) ones it covers.
        Self::reconcile_window(&mut tx, metric, prefix, from_ms, to_ms, buckets).await?;
        let delete = format!(
            "DELETE FROM buckets WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3{scope}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(delete))
            .bind(metric.0)
            .bind(from_ms)
            .bind(to_ms);
        if let Some(prefix) = prefix {
            q = q.bind(prefix).bind(prefix_len(prefix));
        }
        let deleted = q.changed(&mut *tx, "delete a window of buckets").await?;
        let inserted =
            Self::insert_buckets(&mut tx, metric, buckets, "insert a window of buckets").await?;
        Self::refresh_days_scoped(&mut tx, metric, prefix, from_ms, to_ms).await?;
        sqlx::query("UPDATE metrics SET data_version = data_version + 1 WHERE id = $1")
            .bind(metric.0)
            .changed(&mut *tx, "mark a metric's buckets changed")
            .await?;
        crate::exec::commit(tx, "commit a window of buckets").await?;
        Ok(crate::WindowReplaced { deleted, inserted })
    }

    /// Inserts metric `metric`'s `buckets` inside `tx`, as many rows a statement as the dialect
    /// writes fastest; how many rows went in.
    pub(crate) async fn insert_buckets(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: crate::MetricId,
        buckets: &[crate::BucketRow],
        op: &'static str,
    ) -> Result<u64> {
        let mut inserted = 0;
        for chunk in buckets.chunks(DB::BUCKET_INSERT_ROWS) {
            let sql = crate::sql_impl::bucket_insert_sql(chunk.len());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in chunk {
                q = q
                    .bind(metric.0)
                    .bind(b.dimension.as_str())
                    .bind(b.hour_ms)
                    .bind(b.sum)
                    .bind(b.count)
                    .bind(b.min)
                    .bind(b.max)
                    .bind(b.latest)
                    .bind(b.latest_at_ms);
            }
            inserted += q.changed(&mut **tx, op).await?;
        }
        Ok(inserted)
    }

    /// Makes concurrent transactions on `name` take turns (PostgreSQL; SQLite writers take
    /// turns anyway).
    pub(crate) async fn lock_name(
        tx: &mut sqlx::Transaction<'static, DB>,
        name: &str,
        op: &'static str,
    ) -> Result<()> {
        if let Some(sql) = DB::NAME_LOCK {
            sqlx::query(sql).bind(name).changed(&mut **tx, op).await?;
        }
        Ok(())
    }

    /// Opens a sealed value bound to `aad`, or says why it cannot be.
    pub(crate) fn open_sealed(
        &self,
        sealed: &[u8],
        aad: &str,
        what: impl Fn() -> SealedItem,
    ) -> std::result::Result<Vec<u8>, SecretUnavailable> {
        let fail = |why| SecretUnavailable { what: what(), why };
        if is_forgotten(sealed) {
            return Err(fail(Unavailability::Forgotten));
        }
        let key = self.opener().map_err(fail)?;
        key.open(sealed, aad)
            .ok_or_else(|| fail(Unavailability::Damaged))
    }

    pub(crate) async fn begin_write(
        &self,
        op: &'static str,
    ) -> Result<sqlx::Transaction<'static, DB>> {
        self.pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(StoreError::db(op))
    }

    /// Seals a known value on first open and checks it on every later open, so a wrong
    /// master key is known at start. Reads first: a wrong key writes nothing.
    pub(crate) async fn check_master_key(&self, key: &MasterKey) -> Result<KeyState> {
        use crate::secrets::{KEY_CHECK_AAD, KEY_CHECK_META, KEY_CHECK_PLAINTEXT};
        let read = || async {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM meta WHERE key = $1")
                .bind(KEY_CHECK_META)
                .optional(&self.pool, "read the master key check")
                .await
        };
        let stored = match read().await? {
            Some(stored) => stored,
            None => {
                let sealed = key.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)?;
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(KEY_CHECK_META)
                .bind(sealed)
                .changed(&self.pool, "write the master key check")
                .await?;
                // Another process may have recorded its own first: read what won.
                read().await?.unwrap_or_default()
            }
        };
        Ok(match key.open(&stored, KEY_CHECK_AAD) {
            Some(text) if text == KEY_CHECK_PLAINTEXT => KeyState::Verified,
            _ => KeyState::Mismatched,
        })
    }

    pub(crate) fn decode_connection(&self, row: &DB::Row) -> Result<crate::Connection> {
        use sqlx::Row;
        let id: i64 = row
            .try_get("id")
            .map_err(StoreError::db("read a connection"))?;
        let label: String = row
            .try_get("label")
            .map_err(StoreError::db("read a connection"))?;
        let account: String = row
            .try_get("account_sid")
            .map_err(StoreError::db("read a connection"))?;
        let api_key: String = row
            .try_get("api_key_sid")
            .map_err(StoreError::db("read a connection"))?;
        let sealed: Vec<u8> = row
            .try_get("sealed_secret")
            .map_err(StoreError::db("read a connection"))?;
        let created_ms: i64 = row
            .try_get("created_ms")
            .map_err(StoreError::db("read a connection"))?;
        let updated_ms: i64 = row
            .try_get("updated_ms")
            .map_err(StoreError::db("read a connection"))?;
        let account_sid = domain::AccountSid::parse(&account)
            .map_err(|e| StoreError::corrupt("connections", id, e.to_string()))?;
        let api_key_sid = domain::ApiKeySid::parse(&api_key)
            .map_err(|e| StoreError::corrupt("connections", id, e.to_string()))?;
        let secret = self
            .open_sealed(&sealed, &crate::secrets::connection_aad(id), || {
                SealedItem::ConnectionSecret {
                    label: label.clone(),
                }
            })
            .and_then(|opened| {
                String::from_utf8(opened).map_err(|_| SecretUnavailable {
                    what: SealedItem::ConnectionSecret {
                        label: label.clone(),
                    },
                    why: Unavailability::Damaged,
                })
            })
            .map(domain::Secret::new);
        Ok(crate::Connection {
            id: crate::ConnectionId(id),
            label,
            account_sid,
            api_key_sid,
            secret,
            created_ms,
            updated_ms,
        })
    }

    pub(crate) fn decode_metric(row: &DB::Row) -> Result<crate::StoredMetric> {
        use sqlx::Row;
        let e = StoreError::db("read a metric");
        let id: i64 = row.try_get("id").map_err(e)?;
        let get_err = StoreError::db("read a metric");
        let (name, connection_id, definition, version, used_by, created_ms, updated_ms) = (|| {
            Ok::<_, sqlx::Error>((
                row.try_get::<String, _>("name")?,
                row.try_get::<Option<i64>, _>("connection_id")?,
                row.try_get::<String, _>("definition")?,
                row.try_get::<i64, _>("version")?,
                row.try_get::<String, _>("used_by")?,
                row.try_get::<i64, _>("created_ms")?,
                row.try_get::<i64, _>("updated_ms")?,
            ))
        })(
        )
        .map_err(get_err)?;
        let sync_interval_s = row
            .try_get::<Option<i64>, _>("sync_interval_s")
            .map_err(StoreError::db("read a metric"))?;
        let used_by: Vec<String> = serde_json::from_str(&used_by).map_err(|err| {
            StoreError::corrupt(
                "metrics",
                id,
                format!("used_by is not a JSON list of strings: {err}"),
            )
        })?;
        Ok(crate::StoredMetric {
            id: crate::MetricId(id),
            name,
            connection_id: connection_id.map(crate::ConnectionId),
            definition,
            version,
            used_by,
            created_ms,
            updated_ms,
            sync_interval_s,
        })
    }

    /// Rewrites the metric's daily rollups of every UTC day that meets `[from_ms, to_ms)` from
    /// its hours, inside the caller's transaction (the one that wrote those hours).
    pub(crate) async fn refresh_days(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: crate::MetricId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<()> {
        Self::refresh_days_scoped(tx, metric, None, from_ms, to_ms).await
    }

    /// [`Self::refresh_days`] for the dimensions starting with `prefix` only, when given.
    pub(crate) async fn refresh_days_scoped(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: crate::MetricId,
        prefix: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<()> {
        let from_day = crate::sql_impl::day_floor(from_ms);
        let to_day = crate::sql_impl::day_floor(to_ms - 1) + crate::sql_impl::DAY_MS;
        let scope = crate::sql_impl::prefix_scope(prefix.is_some());
        let delete = format!(
            "DELETE FROM bucket_days WHERE metric_id = $1 AND day_ms >= $2 AND day_ms < $3{scope}"
        );
        let sql = crate::sql_impl::refresh_days_sql(prefix.is_some());
        for (text, what) in [
            (delete, "clear daily rollups"),
            (sql, "write daily rollups"),
        ] {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(text))
                .bind(metric.0)
                .bind(from_day)
                .bind(to_day);
            if let Some(prefix) = prefix {
                q = q.bind(prefix).bind(prefix_len(prefix));
            }
            q.changed(&mut **tx, what).await?;
        }
        Ok(())
    }

    pub(crate) fn decode_bucket(row: &DB::Row) -> Result<crate::BucketRow, sqlx::Error> {
        use sqlx::Row;
        Ok(crate::BucketRow {
            dimension: row.try_get("dimension")?,
            hour_ms: row.try_get("hour_ms")?,
            sum: row.try_get("sum")?,
            count: row.try_get("count")?,
            min: row.try_get("min")?,
            max: row.try_get("max")?,
            latest: row.try_get("latest")?,
            latest_at_ms: row.try_get("latest_at_ms")?,
        })
    }

    pub(crate) fn decode_run(row: &DB::Row) -> Result<crate::SyncRun> {
        use sqlx::Row;
        let fields = (|| {
            Ok::<_, sqlx::Error>((
                row.try_get::<i64, _>("id")?,
                row.try_get::<i64, _>("metric_id")?,
                row.try_get::<i64, _>("from_ms")?,
                row.try_get::<i64, _>("to_ms")?,
                row.try_get::<String, _>("status")?,
                row.try_get::<String, _>("ledger")?,
                row.try_get::<Option<String>, _>("error")?,
                row.try_get::<i64, _>("started_ms")?,
                row.try_get::<Option<i64>, _>("finished_ms")?,
                row.try_get::<Option<i64>, _>("job_id")?,
                row.try_get::<Option<i64>, _>("fence")?,
            ))
        })()
        .map_err(StoreError::db("read a sync run"))?;
        let (
            id,
            metric_id,
            from_ms,
            to_ms,
            status,
            ledger,
            error,
            started_ms,
            finished_ms,
            job_id,
            fence,
        ) = fields;
        let status = crate::RunStatus::parse(&status).ok_or_else(|| {
            StoreError::corrupt("sync_runs", id, format!("unknown status '{status}'"))
        })?;
        let ledger = serde_json::from_str(&ledger).map_err(|err| {
            StoreError::corrupt("sync_runs", id, format!("the ledger is not JSON: {err}"))
        })?;
        Ok(crate::SyncRun {
            id: crate::SyncRunId(id),
            metric_id: crate::MetricId(metric_id),
            from_ms,
            to_ms,
            status,
            ledger,
            error,
            started_ms,
            finished_ms,
            lease: job_id.zip(fence).map(|(job, fence)| crate::Lease {
                job: crate::JobId(job),
                fence,
            }),
        })
    }

    pub(crate) fn decode_job(row: &DB::Row) -> Result<crate::Job> {
        use sqlx::Row;
        let fields = (|| {
            Ok::<_, sqlx::Error>((
                row.try_get::<i64, _>("id")?,
                row.try_get::<String, _>("kind")?,
                row.try_get::<String, _>("key")?,
                row.try_get::<String, _>("payload")?,
                row.try_get::<String, _>("state")?,
                row.try_get::<i64, _>("attempts")?,
                row.try_get::<i64, _>("run_at_ms")?,
                row.try_get::<Option<String>, _>("locked_by")?,
                row.try_get::<Option<i64>, _>("locked_until")?,
                row.try_get::<Option<String>, _>("last_error")?,
                row.try_get::<i64, _>("created_ms")?,
                row.try_get::<i64, _>("updated_ms")?,
                row.try_get::<i64, _>("fence")?,
            ))
        })()
        .map_err(StoreError::db("read a job"))?;
        let (
            id,
            kind,
            key,
            payload,
            state,
            attempts,
            run_at_ms,
            locked_by,
            locked_until_ms,
            last_error,
            created_ms,
            updated_ms,
            fence,
        ) = fields;
        let state = crate::JobState::parse(&state)
            .ok_or_else(|| StoreError::corrupt("jobs", id, format!("unknown state '{state}'")))?;
        let payload = serde_json::from_str(&payload).map_err(|err| {
            StoreError::corrupt("jobs", id, format!("the payload is not JSON: {err}"))
        })?;
        Ok(crate::Job {
            id: crate::JobId(id),
            kind,
            key,
            payload,
            state,
            attempts,
            run_at_ms,
            locked_by,
            locked_until_ms,
            last_error,
            created_ms,
            updated_ms,
            fence,
        })
    }

    /// Adds to counters inside `tx`, in one statement; zero additions are left out. Rows go
    /// in one order (by name, then label), so two transactions on PostgreSQL lock them in the
    /// same order and cannot deadlock.
    pub(crate) async fn add_to_counters(
        tx: &mut sqlx::Transaction<'static, DB>,
        add: &[(&str, &str, u64)],
    ) -> Result<()> {
        let mut add: Vec<_> = add.iter().filter(|(_, _, n)| *n > 0).collect();
        if add.is_empty() {
            return Ok(());
        }
        add.sort_by_key(|(name, label, _)| (*name, *label));
        let values = (0..add.len())
            .map(|i| format!("(${},${},${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO counters (name, label, value) VALUES {values} \
             ON CONFLICT (name, label) DO UPDATE SET value = counters.value + excluded.value"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (name, label, n) in add {
            q = q
                .bind(*name)
                .bind(*label)
                .bind(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        q.changed(&mut **tx, "add to the counters").await?;
        Ok(())
    }

    pub(crate) fn sync_state(
        id: i64,
        last_started_ms: Option<i64>,
        last_good_finished_ms: Option<i64>,
        status: Option<String>,
        sync_interval_s: Option<i64>,
    ) -> Result<crate::MetricSyncState> {
        let last_finished_status = status
            .map(|s| {
                crate::RunStatus::parse(&s).ok_or_else(|| {
                    StoreError::corrupt("sync_runs", id, format!("unknown status '{s}'"))
                })
            })
            .transpose()?;
        Ok(crate::MetricSyncState {
            id: crate::MetricId(id),
            last_started_ms,
            last_good_finished_ms,
            last_finished_status,
            sync_interval_s,
        })
    }

    pub(crate) fn lease_held(changed: u64, lease: crate::Lease) -> Result<()> {
        if changed == 0 {
            return Err(StoreError::LeaseLost {
                job: lease.job,
                fence: lease.fence,
            });
        }
        Ok(())
    }

    /// The fence check of a write under a job, inside the write's transaction: the job must
    /// still run under `lease`'s fence. The row stays locked (PostgreSQL) or the transaction
    /// holds the write lock (SQLite) until commit, so no claim moves the fence in between.
    pub(crate) async fn check_fence(
        tx: &mut sqlx::Transaction<'static, DB>,
        lease: Option<crate::Lease>,
    ) -> Result<()> {
        let Some(lease) = lease else {
            return Ok(());
        };
        let sql = format!(
            "SELECT id FROM jobs WHERE id = $1 AND fence = $2 AND state = 'running'{}",
            DB::FENCE_ROW_LOCK
        );
        let held = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .bind(lease.job.0)
            .bind(lease.fence)
            .optional(&mut **tx, "check a job's fence")
            .await?;
        match held {
            Some(_) => Ok(()),
            None => Err(StoreError::LeaseLost {
                job: lease.job,
                fence: lease.fence,
            }),
        }
    }

    /// Marks the metric's runs still `running` as failed and counts them, inside `tx`.
    pub(crate) async fn abandon_running_in(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: crate::MetricId,
        now_ms: i64,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE sync_runs SET status = 'failed', finished_ms = $1, \
             error = 'abandoned: the process running this sync stopped before it finished' \
             WHERE metric_id = $2 AND status = 'running'",
        )
        .bind(now_ms)
        .bind(metric.0)
        .changed(&mut **tx, "mark abandoned sync runs")
        .await?;
        let abandoned = done;
        Self::add_to_counters(
            tx,
            &[(
                crate::counter::SYNC_RUNS,
                crate::RunStatus::Failed.as_str(),
                abandoned,
            )],
        )
        .await?;
        Ok(abandoned)
    }

    /// Records a run's end and adds it to the counters, inside `tx`.
    pub(crate) async fn finish_run_in(
        tx: &mut sqlx::Transaction<'static, DB>,
        id: crate::SyncRunId,
        end: &crate::SyncRunEnd,
        counts: &crate::RunCounts,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE sync_runs SET status = $1, ledger = $2, error = $3, \
             finished_ms = $4 WHERE id = $5",
        )
        .bind(end.status.as_str())
        .bind(end.ledger.to_string())
        .bind(end.error.as_deref())
        .bind(end.finished_ms)
        .bind(id.0)
        .changed(&mut **tx, "finish a sync run")
        .await?;
        if done == 0 {
            return Err(StoreError::not_found("sync run", id));
        }
        use crate::counter;
        let mut add = vec![
            (counter::PAGES, "", counts.pages),
            (counter::ROWS, "", counts.rows),
            (counter::TWILIO_REQUESTS, "", counts.twilio_requests),
            (counter::TWILIO_RETRIES, "", counts.twilio_retries),
            (counter::TWILIO_THROTTLED, "", counts.twilio_throttled),
        ];
        if end.status != crate::RunStatus::Running {
            add.push((counter::SYNC_RUNS, end.status.as_str(), 1));
        }
        Self::add_to_counters(tx, &add).await
    }

    /// Finishes the runs of a job in `tx`. Their counters grow in one statement per run; runs
    /// go in id order so two transactions meet the rows in the same order.
    async fn finish_runs_in(
        tx: &mut sqlx::Transaction<'static, DB>,
        runs: &[crate::FinishedRun],
    ) -> Result<()> {
        let mut runs: Vec<&crate::FinishedRun> = runs.iter().collect();
        runs.sort_by_key(|r| r.run);
        for r in runs {
            Self::finish_run_in(tx, r.run, &r.end, &r.counts).await?;
        }
        Ok(())
    }

    async fn delete_raw_page_set(tx: &mut sqlx::Transaction<'static, DB>, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM raw_page_readers WHERE set_id = $1")
            .bind(id)
            .changed(&mut **tx, "drop raw pages")
            .await?;
        sqlx::query("DELETE FROM raw_page_sets WHERE id = $1")
            .bind(id)
            .changed(&mut **tx, "drop raw pages")
            .await?;
        Ok(())
    }

    /// Deletes the sets no metric reads any more; returns how many.
    async fn delete_unread_raw_page_sets(tx: &mut sqlx::Transaction<'static, DB>) -> Result<u64> {
        sqlx::query(
            "DELETE FROM raw_page_sets WHERE NOT EXISTS \
             (SELECT 1 FROM raw_page_readers r WHERE r.set_id = raw_page_sets.id)",
        )
        .changed(&mut **tx, "delete unread raw pages")
        .await
    }

    /// Drops the connection's oldest sets until `adding` more bytes fit under `cap_bytes`;
    /// returns the readers of the dropped sets.
    async fn evict_raw_page_sets(
        tx: &mut sqlx::Transaction<'static, DB>,
        connection: crate::ConnectionId,
        adding: u64,
        cap_bytes: u64,
    ) -> Result<Vec<crate::MetricId>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT id, CAST(length(sealed) AS BIGINT) AS size FROM raw_page_sets WHERE \
             connection_id = $1 ORDER BY synced_at_ms, id",
        )
        .bind(connection.0)
        .all(&mut **tx, "measure a connection's raw pages")
        .await?;
        let mut sizes = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row
                .try_get("id")
                .map_err(StoreError::db("measure raw pages"))?;
            let size: i64 = row
                .try_get::<Option<i64>, _>("size")
                .map_err(StoreError::db("measure raw pages"))?
                .unwrap_or(0);
            sizes.push((id, u64::try_from(size).unwrap_or(0)));
        }
        let mut total: u64 = sizes.iter().map(|(_, s)| s).sum::<u64>() + adding;
        let mut evicted = Vec::new();
        for (id, size) in sizes {
            if total <= cap_bytes {
                break;
            }
            let readers: Vec<i64> =
                sqlx::query_scalar("SELECT metric_id FROM raw_page_readers WHERE set_id = $1")
                    .bind(id)
                    .all(&mut **tx, "evict raw pages")
                    .await?;
            Self::delete_raw_page_set(tx, id).await?;
            total -= size;
            evicted.extend(readers.into_iter().map(crate::MetricId));
        }
        Ok(evicted)
    }
}

impl<DB: Dialect> crate::Store for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    str: sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB>,
{
    fn backend(&self) -> crate::Backend {
        DB::BACKEND
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .changed(&self.pool, "ping the database")
            .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn process_seen(&self, id: &str, kind: &str, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO processes (id, kind, started_ms, seen_ms) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
        )
        .bind(id)
        .bind(kind)
        .bind(now_ms)
        .changed(&self.pool, "record a running process")
        .await?;
        Ok(())
    }

    async fn process_gone(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM processes WHERE id = $1")
            .bind(id)
            .changed(&self.pool, "forget a stopped process")
            .await?;
        Ok(())
    }

    async fn live_processes(&self, since_ms: i64) -> Result<Vec<crate::ProcessRow>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, kind, started_ms, seen_ms FROM processes WHERE seen_ms >= $1 ORDER BY \
             seen_ms DESC, id",
        )
        .bind(since_ms)
        .all(&self.pool, "read the running processes")
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, started_ms, seen_ms)| crate::ProcessRow {
                id,
                kind,
                started_ms,
                seen_ms,
            })
            .collect())
    }

    async fn create_connection(
        &self,
        new: &crate::NewConnection,
        now_ms: i64,
    ) -> Result<crate::Connection> {
        let key = self.sealer()?;
        let mut tx = self.begin_write("create a connection").await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO connections (label, account_sid, api_key_sid, sealed_secret, created_ms, \
             updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(new.label.as_str())
        .bind(new.account_sid.as_str())
        .bind(new.api_key_sid.as_str())
        .bind(Vec::<u8>::new())
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await;
        let id = inserted.map_err(StoreError::named_write(
            "connection",
            &new.label,
            "create a connection",
        ))?;
        // The associated data names the row, so the id must exist before sealing.
        let sealed = key.seal(
            new.secret.expose().as_bytes(),
            &crate::secrets::connection_aad(id),
        )?;
        sqlx::query("UPDATE connections SET sealed_secret = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id)
            .changed(&mut *tx, "seal a connection's secret")
            .await?;
        crate::exec::commit(tx, "create a connection").await?;
        Ok(crate::Connection {
            id: crate::ConnectionId(id),
            label: new.label.clone(),
            account_sid: new.account_sid.clone(),
            api_key_sid: new.api_key_sid.clone(),
            secret: Ok(new.secret.clone()),
            created_ms: now_ms,
            updated_ms: now_ms,
        })
    }

    async fn connection(&self, id: crate::ConnectionId) -> Result<crate::Connection> {
        const SQL: &str = "SELECT id, label, account_sid, api_key_sid, sealed_secret, created_ms, \
                           updated_ms FROM connections WHERE id = $1";
        let row = sqlx::query(SQL)
            .bind(id.0)
            .found(&self.pool, "read a connection", || {
                crate::error::not_found_connection(id)
            })
            .await?;
        self.decode_connection(&row)
    }

    async fn connection_by_label(&self, label: &str) -> Result<Option<crate::Connection>> {
        const SQL: &str = "SELECT id, label, account_sid, api_key_sid, sealed_secret, created_ms, \
                           updated_ms FROM connections WHERE label = $1";
        let row = sqlx::query(SQL)
            .bind(label)
            .optional(&self.pool, "read a connection")
            .await?;
        row.map(|r| self.decode_connection(&r)).transpose()
    }

    async fn list_connections(&self) -> Result<Vec<crate::Connection>> {
        const SQL: &str = "SELECT id, label, account_sid, api_key_sid, sealed_secret, created_ms, \
                           updated_ms FROM connections ORDER BY label";
        let rows = sqlx::query(SQL).all(&self.pool, "list connections").await?;
        rows.iter().map(|r| self.decode_connection(r)).collect()
    }

    async fn update_connection_secret(
        &self,
        id: crate::ConnectionId,
        secret: &domain::Secret,
        now_ms: i64,
    ) -> Result<()> {
        let sealed = self.sealer()?.seal(
            secret.expose().as_bytes(),
            &crate::secrets::connection_aad(id.0),
        )?;
        sqlx::query("UPDATE connections SET sealed_secret = $1, updated_ms = $2 WHERE id = $3")
            .bind(sealed)
            .bind(now_ms)
            .bind(id.0)
            .changed_one(&self.pool, "update a connection's secret", || {
                crate::error::not_found_connection(id)
            })
            .await
    }

    async fn rename_connection(
        &self,
        id: crate::ConnectionId,
        label: &str,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE connections SET label = $1, updated_ms = $2 WHERE id = $3")
            .bind(label)
            .bind(now_ms)
            .bind(id.0)
            .changed_one_or(
                &self.pool,
                StoreError::named_write("connection", label, "rename a connection"),
                || crate::error::not_found_connection(id),
            )
            .await
    }

    async fn delete_connection(&self, id: crate::ConnectionId) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM connections WHERE id = $1")
            .bind(id.0)
            .changed(&self.pool, "delete a connection")
            .await?
            > 0)
    }

    fn key_state(&self) -> KeyState {
        self.hold().state
    }

    async fn rotate_master_key(
        &self,
        old: &crate::secrets::MasterKey,
        new: &crate::secrets::MasterKey,
    ) -> Result<u64> {
        use crate::secrets::{KEY_CHECK_AAD, KEY_CHECK_META, KEY_CHECK_PLAINTEXT};
        use sqlx::Row;
        let mut tx = self.begin_write("rotate the master key").await?;
        let check: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(KEY_CHECK_META)
            .one(&mut *tx, "read the master key check")
            .await?;
        if old.open(&check, KEY_CHECK_AAD).as_deref() != Some(KEY_CHECK_PLAINTEXT) {
            return Err(StoreError::WrongMasterKey);
        }
        let rows = sqlx::query("SELECT id, label, sealed_secret FROM connections ORDER BY id")
            .all(&mut *tx, "read connections to re-seal")
            .await?;
        let mut count = 0u64;
        for row in &rows {
            let id: i64 = row
                .try_get("id")
                .map_err(StoreError::db("read a connection"))?;
            let label: String = row
                .try_get("label")
                .map_err(StoreError::db("read a connection"))?;
            let sealed: Vec<u8> = row
                .try_get("sealed_secret")
                .map_err(StoreError::db("read a connection"))?;
            if is_forgotten(&sealed) {
                continue;
            }
            let aad = crate::secrets::connection_aad(id);
            let plain = old
                .open(&sealed, &aad)
                .ok_or(StoreError::SecretUnreadable {
                    id: crate::ConnectionId(id),
                    label,
                })?;
            let resealed = new.seal(&plain, &aad)?;
            sqlx::query("UPDATE connections SET sealed_secret = $1 WHERE id = $2")
                .bind(resealed)
                .bind(id)
                .changed(&mut *tx, "re-seal a secret")
                .await?;
            count += 1;
        }
        // Channel secrets (SMTP passwords, webhook URLs and signing keys) move with the key too.
        let rows = sqlx::query(
            "SELECT id, name, sealed_secret FROM channels WHERE sealed_secret \
             IS NOT NULL ORDER BY id",
        )
        .all(&mut *tx, "read channels to re-seal")
        .await?;
        for row in &rows {
            let id: i64 = row
                .try_get("id")
                .map_err(StoreError::db("read a channel"))?;
            let sealed: Vec<u8> = row
                .try_get("sealed_secret")
                .map_err(StoreError::db("read a channel"))?;
            if is_forgotten(&sealed) {
                continue;
            }
            let aad = crate::watching::channel_aad(id);
            let plain = old.open(&sealed, &aad).ok_or_else(|| {
                StoreError::corrupt(
                    "channels",
                    id,
                    "the secret does not open under the old master key",
                )
            })?;
            let resealed = new.seal(&plain, &aad)?;
            sqlx::query("UPDATE channels SET sealed_secret = $1 WHERE id = $2")
                .bind(resealed)
                .bind(id)
                .changed(&mut *tx, "re-seal a secret")
                .await?;
            count += 1;
        }
        // Signing keys (share links); one still in the clear is sealed on the way.
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT key, value FROM meta WHERE key LIKE 'signing_key:%' ORDER BY key",
        )
        .all(&mut *tx, "read signing keys to re-seal")
        .await?;
        for (name, value) in rows {
            let plain = match old.open(&value, &name) {
                Some(plain) => plain,
                None if value.len() == crate::boards::PLAIN_SIGNING_KEY_LEN => value,
                None => {
                    return Err(StoreError::Invalid {
                        what: "signing key",
                        reason: format!("the stored {name} does not open under the old master key"),
                    });
                }
            };
            sqlx::query("UPDATE meta SET value = $1 WHERE key = $2")
                .bind(new.seal(&plain, &name)?)
                .bind(&name)
                .changed(&mut *tx, "re-seal a signing key")
                .await?;
            count += 1;
        }
        count += Self::reseal_auth_tokens(&mut tx, old, new).await?;
        // Raw pages are a cache of Twilio, possibly tens of megabytes: rather than re-sealing
        // them, they go, and the next sync stores them under the new key.
        sqlx::query("DELETE FROM raw_page_readers")
            .changed(&mut *tx, "drop raw pages")
            .await?;
        sqlx::query("DELETE FROM raw_page_sets")
            .changed(&mut *tx, "drop raw pages")
            .await?;
        let check = new.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)?;
        sqlx::query("UPDATE meta SET value = $1 WHERE key = $2")
            .bind(check)
            .bind(KEY_CHECK_META)
            .changed(&mut *tx, "write the master key check")
            .await?;
        crate::exec::commit(tx, "rotate the master key").await?;
        self.set_key(Some(new.clone()), KeyState::Verified);
        Ok(count)
    }

    async fn forget_secrets(&self, new: &MasterKey) -> Result<crate::ForgottenSecrets> {
        use crate::secrets::{KEY_CHECK_AAD, KEY_CHECK_META, KEY_CHECK_PLAINTEXT};
        let mut tx = self.begin_write("reset the master key").await?;
        let check: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(KEY_CHECK_META)
            .optional(&mut *tx, "read the master key check")
            .await?;
        if let Some(check) = &check
            && new.open(check, KEY_CHECK_AAD).as_deref() == Some(KEY_CHECK_PLAINTEXT)
        {
            return Err(StoreError::Invalid {
                what: "key reset",
                reason: "this key opens the store's secrets, so nothing is lost: keep it (or use `switchboard key rotate` to change it)".into(),
            });
        }
        let connections: Vec<String> = sqlx::query_scalar(
            "SELECT label FROM connections WHERE LENGTH(sealed_secret) > 0 ORDER BY label",
        )
        .all(&mut *tx, "read connections to forget")
        .await?;
        sqlx::query("UPDATE connections SET sealed_secret = $1 WHERE LENGTH(sealed_secret) > 0")
            .bind(Vec::<u8>::new())
            .changed(&mut *tx, "forget connection secrets")
            .await?;
        let channels: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM channels WHERE LENGTH(sealed_secret) > 0 ORDER BY name",
        )
        .all(&mut *tx, "read channels to forget")
        .await?;
        sqlx::query("UPDATE channels SET sealed_secret = $1 WHERE LENGTH(sealed_secret) > 0")
            .bind(Vec::<u8>::new())
            .changed(&mut *tx, "forget channel secrets")
            .await?;
        let signing_keys: Vec<String> =
            sqlx::query_scalar("SELECT key FROM meta WHERE key LIKE 'signing_key:%' ORDER BY key")
                .all(&mut *tx, "read signing keys to forget")
                .await?;
        sqlx::query("DELETE FROM meta WHERE key LIKE 'signing_key:%'")
            .changed(&mut *tx, "forget signing keys")
            .await?;
        let auth_tokens = Self::forget_auth_tokens(&mut tx).await?;
        // Raw pages sealed under the lost key are a cache of Twilio: the next sync refetches.
        sqlx::query("DELETE FROM raw_page_readers")
            .changed(&mut *tx, "drop raw pages")
            .await?;
        sqlx::query("DELETE FROM raw_page_sets")
            .changed(&mut *tx, "drop raw pages")
            .await?;
        let sealed = new.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(KEY_CHECK_META)
        .bind(sealed)
        .changed(&mut *tx, "write the master key check")
        .await?;
        crate::exec::commit(tx, "reset the master key").await?;
        self.set_key(Some(new.clone()), KeyState::Verified);
        Ok(crate::ForgottenSecrets {
            connections,
            channels,
            signing_keys: signing_keys
                .into_iter()
                .map(|k| k.trim_start_matches("signing_key:").to_owned())
                .collect(),
            auth_tokens,
        })
    }

    async fn create_metric(
        &self,
        new: &crate::NewMetric,
        now_ms: i64,
    ) -> Result<crate::StoredMetric> {
        let mut tx = self.begin_write("create a metric").await?;
        let inserted = sqlx::query(
            "INSERT INTO metrics (name, connection_id, definition, version, used_by, created_ms, \
             updated_ms) \
             VALUES ($1, $2, $3, 1, '[]', $4, $4) \
             RETURNING id, name, connection_id, definition, version, used_by, created_ms, \
             updated_ms, sync_interval_s",
        )
        .bind(new.name.as_str())
        .bind(new.connection_id.map(|c| c.0))
        .bind(new.definition.as_str())
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await;
        let row = inserted.map_err(StoreError::named_write(
            "metric",
            &new.name,
            "create a metric",
        ))?;
        let metric = Self::decode_metric(&row)?;
        sqlx::query(
            "INSERT INTO metric_versions (metric_id, version, definition, saved_ms) \
             VALUES ($1, 1, $2, $3)",
        )
        .bind(metric.id.0)
        .bind(new.definition.as_str())
        .bind(now_ms)
        .changed(&mut *tx, "save a metric version")
        .await?;
        crate::exec::commit(tx, "create a metric").await?;
        Ok(metric)
    }

    async fn update_metric_definition(
        &self,
        id: crate::MetricId,
        definition: &str,
        now_ms: i64,
    ) -> Result<crate::StoredMetric> {
        let mut tx = self.begin_write("update a metric").await?;
        let row = sqlx::query(
            "UPDATE metrics SET definition = $1, version = version + 1, updated_ms = $2 WHERE id \
             = $3 \
             RETURNING id, name, connection_id, definition, version, used_by, created_ms, \
             updated_ms, sync_interval_s",
        )
        .bind(definition)
        .bind(now_ms)
        .bind(id.0)
        .found(&mut *tx, "update a metric", || {
            crate::error::not_found_metric(id)
        })
        .await?;
        let metric = Self::decode_metric(&row)?;
        sqlx::query(
            "INSERT INTO metric_versions (metric_id, version, definition, saved_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(metric.version)
        .bind(definition)
        .bind(now_ms)
        .changed(&mut *tx, "save a metric version")
        .await?;
        crate::exec::commit(tx, "update a metric").await?;
        Ok(metric)
    }

    async fn metric(&self, id: crate::MetricId) -> Result<crate::StoredMetric> {
        const SQL: &str = "SELECT id, name, connection_id, definition, version, used_by, \
                           created_ms, updated_ms, sync_interval_s FROM metrics WHERE id = $1";
        let row = sqlx::query(SQL)
            .bind(id.0)
            .found(&self.pool, "read a metric", || {
                crate::error::not_found_metric(id)
            })
            .await?;
        Self::decode_metric(&row)
    }

    async fn metric_by_name(&self, name: &str) -> Result<Option<crate::StoredMetric>> {
        const SQL: &str = "SELECT id, name, connection_id, definition, version, used_by, \
                           created_ms, updated_ms, sync_interval_s FROM metrics WHERE name = $1";
        let row = sqlx::query(SQL)
            .bind(name)
            .optional(&self.pool, "read a metric")
            .await?;
        row.as_ref().map(Self::decode_metric).transpose()
    }

    async fn list_metrics(&self) -> Result<Vec<crate::StoredMetric>> {
        const SQL: &str = "SELECT id, name, connection_id, definition, version, used_by, \
                           created_ms, updated_ms, sync_interval_s FROM metrics ORDER BY name";
        let rows = sqlx::query(SQL).all(&self.pool, "list metrics").await?;
        rows.iter().map(Self::decode_metric).collect()
    }

    async fn metric_versions(&self, id: crate::MetricId) -> Result<Vec<crate::MetricVersion>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT version, definition, saved_ms FROM metric_versions WHERE \
             metric_id = $1 ORDER BY version",
        )
        .bind(id.0)
        .all(&self.pool, "list metric versions")
        .await?;
        crate::exec::decode_all(&rows, "read a metric version", |r| {
            Ok(crate::MetricVersion {
                metric_id: id,
                version: r.try_get("version")?,
                definition: r.try_get("definition")?,
                saved_ms: r.try_get("saved_ms")?,
            })
        })
    }

    async fn set_metric_usage(
        &self,
        id: crate::MetricId,
        used_by: &[String],
        now_ms: i64,
    ) -> Result<()> {
        let text = serde_json::to_string(used_by).map_err(|e| StoreError::Invalid {
            what: "metric usage",
            reason: e.to_string(),
        })?;
        sqlx::query("UPDATE metrics SET used_by = $1, updated_ms = $2 WHERE id = $3")
            .bind(text)
            .bind(now_ms)
            .bind(id.0)
            .changed_one(&self.pool, "record a metric's usage", || {
                crate::error::not_found_metric(id)
            })
            .await
    }

    async fn set_metric_sync_interval(
        &self,
        id: crate::MetricId,
        interval_s: Option<i64>,
        now_ms: i64,
    ) -> Result<crate::StoredMetric> {
        if let Some(s) = interval_s
            && s <= 0
        {
            return Err(StoreError::Invalid {
                what: "sync interval",
                reason: format!("{s} seconds is not a positive interval"),
            });
        }
        let row = sqlx::query(
            "UPDATE metrics SET sync_interval_s = $1, updated_ms = $2 WHERE id = $3 \
             RETURNING id, name, connection_id, definition, version, used_by, created_ms, \
             updated_ms, sync_interval_s",
        )
        .bind(interval_s)
        .bind(now_ms)
        .bind(id.0)
        .found(&self.pool, "set a metric's sync interval", || {
            crate::error::not_found_metric(id)
        })
        .await?;
        Self::decode_metric(&row)
    }

    async fn delete_metric(&self, id: crate::MetricId) -> Result<bool> {
        let mut tx = self.begin_write("delete a metric").await?;
        // Its reference to shared raw pages goes with it (the foreign key cascades), and pages no
        // other metric reads go too.
        let done = sqlx::query("DELETE FROM metrics WHERE id = $1")
            .bind(id.0)
            .changed(&mut *tx, "delete a metric")
            .await?;
        Self::delete_unread_raw_page_sets(&mut tx).await?;
        crate::exec::commit(tx, "delete a metric").await?;
        Ok(done > 0)
    }

    async fn replace_window(
        &self,
        metric: crate::MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[crate::BucketRow],
    ) -> Result<crate::WindowReplaced> {
        self.replace_window_under(None, metric, from_ms, to_ms, buckets)
            .await
    }

    async fn replace_window_under(
        &self,
        lease: Option<crate::Lease>,
        metric: crate::MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[crate::BucketRow],
    ) -> Result<crate::WindowReplaced> {
        self.replace_window_scoped(lease, metric, None, from_ms, to_ms, buckets)
            .await
    }

    async fn add_points(&self, metric: crate::MetricId, points: &[crate::Point]) -> Result<()> {
        if let Some(p) = points.iter().find(|p| !p.value.is_finite()) {
            return Err(StoreError::Invalid {
                what: "point",
                reason: format!(
                    "the value at {} (dimension '{}') is not a finite number",
                    p.at_ms, p.dimension
                ),
            });
        }
        let mut tx = self.begin_write("add points").await?;
        for p in points {
            sqlx::query(
                "INSERT INTO buckets (metric_id, dimension, hour_ms, sum, count, min, max, \
                 latest, latest_at_ms) \
                 VALUES ($1, $2, $3, $4, 1, $4, $4, $4, $5) \
                 ON CONFLICT (metric_id, dimension, hour_ms) DO UPDATE SET \
                 sum = buckets.sum + excluded.sum, \
                 count = buckets.count + 1, \
                 min = CASE WHEN excluded.min < buckets.min THEN excluded.min ELSE buckets.min \
                 END, \
                 max = CASE WHEN excluded.max > buckets.max THEN excluded.max ELSE buckets.max \
                 END, \
                 latest = CASE WHEN excluded.latest_at_ms >= buckets.latest_at_ms THEN \
                 excluded.latest ELSE buckets.latest END, \
                 latest_at_ms = CASE WHEN excluded.latest_at_ms >= buckets.latest_at_ms THEN \
                 excluded.latest_at_ms ELSE buckets.latest_at_ms END",
            )
            .bind(metric.0)
            .bind(p.dimension.as_str())
            .bind(p.at_ms.div_euclid(crate::rows::HOUR_MS) * crate::rows::HOUR_MS)
            .bind(p.value)
            .bind(p.at_ms)
            .changed(&mut *tx, "add a point")
            .await?;
        }
        let hours = points.iter().map(|p| p.at_ms);
        if let (Some(lo), Some(hi)) = (hours.clone().min(), hours.max()) {
            Self::refresh_days(&mut tx, metric, lo, hi + 1).await?;
        }
        sqlx::query("UPDATE metrics SET data_version = data_version + 1 WHERE id = $1")
            .bind(metric.0)
            .changed(&mut *tx, "mark a metric's buckets changed")
            .await?;
        crate::exec::commit(tx, "add points").await?;
        Ok(())
    }

    async fn buckets(&self, query: &crate::BucketQuery) -> Result<Vec<crate::BucketRow>> {
        const ALL: &str = "SELECT dimension, hour_ms, sum, count, min, max, latest, latest_at_ms \
                           FROM buckets \
                           WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3 ORDER BY \
                           dimension, hour_ms";
        const ONE: &str = "SELECT dimension, hour_ms, sum, count, min, max, latest, latest_at_ms \
                           FROM buckets \
                           WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3 AND dimension \
                           = $4 ORDER BY hour_ms";
        let q = match &query.dimension {
            None => sqlx::query(ALL)
                .bind(query.metric.0)
                .bind(query.from_ms)
                .bind(query.to_ms),
            Some(d) => sqlx::query(ONE)
                .bind(query.metric.0)
                .bind(query.from_ms)
                .bind(query.to_ms)
                .bind(d.as_str()),
        };
        let rows = q.all(&self.pool, "read buckets").await?;
        rows.iter()
            .map(Self::decode_bucket)
            .collect::<Result<_, _>>()
            .map_err(StoreError::db("read a bucket"))
    }

    async fn folded_buckets(&self, query: &crate::FoldedQuery) -> Result<Vec<crate::BucketRow>> {
        use crate::sql_impl::{span_holding, values_cte};
        // Hours and the few short folds left between days: read as stored, one range scan per
        // span, and folded here (each span holds at most a couple of days of hours).
        const DAYS: &str = "SELECT dimension, day_ms AS hour_ms, sum, count, min, max, latest, \
             latest_at_ms FROM bucket_days WHERE metric_id = $1 AND day_ms >= $2 AND day_ms < $3";
        let mut out = Vec::new();
        // One connection for all of a metric's reads: no pool round trip between them.
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(StoreError::db("read folded buckets"))?;

        // Whole UTC days: one range scan from the first day to the last; rows between two
        // spans that no span holds are dropped.
        let mut days = query.days.clone();
        days.sort_unstable();
        if let (Some(first), Some(last)) = (days.first(), days.iter().map(|d| d.1).max()) {
            let rows = sqlx::query(DAYS)
                .bind(query.metric.0)
                .bind(first.0)
                .bind(last)
                .all(&mut *conn, "read daily rollups")
                .await?;
            for row in &rows {
                let b = Self::decode_bucket(row).map_err(StoreError::db("read a daily rollup"))?;
                if span_holding(&days, b.hour_ms).is_some() {
                    out.push(b);
                }
            }
        }

        let mut spans: Vec<(i64, i64, bool)> = query
            .hours
            .iter()
            .map(|&(lo, hi)| (lo, hi, false))
            .chain(query.folds.iter().map(|&(lo, hi)| (lo, hi, true)))
            .filter(|&(lo, hi, _)| lo < hi)
            .collect();
        spans.sort_unstable();
        if !spans.is_empty() {
            let mut read = Vec::new();
            for chunk in spans.chunks(crate::sql_impl::SPAN_CHUNK) {
                let sql = values_cte("s(lo, hi)", 2, 2, chunk.len())
                    + "SELECT b.dimension, b.hour_ms, b.sum, b.count, b.min, b.max, b.latest, \
                       b.latest_at_ms "
                    + DB::HOURS_IN_SPANS;
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(query.metric.0);
                for &(lo, hi, _) in chunk {
                    q = q.bind(lo).bind(hi);
                }
                let rows = q.all(&mut *conn, "read buckets").await?;
                for row in &rows {
                    read.push(Self::decode_bucket(row).map_err(StoreError::db("read a bucket"))?);
                }
            }
            // Folded in hour order, as a reader folding the hours itself would.
            read.sort_by(|a, b| (&a.dimension, a.hour_ms).cmp(&(&b.dimension, b.hour_ms)));
            let bounds: Vec<(i64, i64)> = spans.iter().map(|&(lo, hi, _)| (lo, hi)).collect();
            let mut folded: std::collections::BTreeMap<(String, i64), crate::BucketRow> =
                std::collections::BTreeMap::new();
            for b in read {
                let Some(i) = span_holding(&bounds, b.hour_ms) else {
                    continue;
                };
                let (lo, _, fold) = spans[i];
                if !fold {
                    out.push(b);
                    continue;
                }
                match folded.entry((b.dimension.clone(), lo)) {
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(crate::BucketRow { hour_ms: lo, ..b });
                    }
                    std::collections::btree_map::Entry::Occupied(mut e) => {
                        e.get_mut().fold(&b);
                    }
                }
            }
            out.extend(folded.into_values());
        }

        // Days at a fixed offset, grouped by the database: one range scan per stretch.
        if !query.local_days.is_empty() {
            for chunk in query.local_days.chunks(crate::sql_impl::SPAN_CHUNK) {
                let sql = values_cte("s(lo, hi, off)", 2, 3, chunk.len())
                    + &crate::sql_impl::local_days_sql(DB::HOURS_IN_SPANS, DB::LATEST_OF_GROUP);
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(query.metric.0);
                for &(lo, hi, off) in chunk {
                    q = q.bind(lo).bind(hi).bind(off);
                }
                let rows = q.all(&mut *conn, "read local days").await?;
                for row in &rows {
                    use sqlx::Row;
                    let mut b =
                        Self::decode_bucket(row).map_err(StoreError::db("read a local day"))?;
                    let lo: i64 = row
                        .try_get("lo")
                        .map_err(StoreError::db("read a local day"))?;
                    // The day's first whole hour, or the stretch's start for a day cut by it.
                    let hour = crate::rows::HOUR_MS;
                    let first_hour = -(-b.hour_ms).div_euclid(hour) * hour;
                    b.hour_ms = first_hour.max(lo);
                    out.push(b);
                }
            }
        }
        Ok(out)
    }

    async fn data_versions(
        &self,
        ids: &[crate::MetricId],
    ) -> Result<std::collections::HashMap<crate::MetricId, i64>> {
        let mut versions = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(crate::sql_impl::ID_CHUNK) {
            let sql = format!(
                "SELECT id, data_version FROM metrics WHERE id IN ({})",
                crate::sql_impl::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.all(&self.pool, "read metrics' data versions").await?;
            versions.extend(rows.into_iter().map(|(id, v)| (crate::MetricId(id), v)));
        }
        Ok(versions)
    }

    async fn metric_activity(
        &self,
        job_kind: &str,
        key_prefix: &str,
    ) -> Result<Vec<crate::MetricActivity>> {
        const SQL: &str = "SELECT m.id, m.data_version, \
             EXISTS (SELECT 1 FROM jobs j WHERE j.kind = $1 \
               AND j.key = $2 || CAST(m.id AS TEXT) AND j.state IN ('pending', 'running')), \
             EXISTS (SELECT 1 FROM sync_runs r WHERE r.metric_id = m.id AND r.status = 'running'), \
             (SELECT MAX(r.finished_ms) FROM sync_runs r WHERE r.metric_id = m.id) \
             FROM metrics m ORDER BY m.id";
        let rows = sqlx::query_as::<_, (i64, i64, bool, bool, Option<i64>)>(SQL)
            .bind(job_kind)
            .bind(key_prefix)
            .all(&self.pool, "read the metrics' activity")
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, data_version, queued, running, last_finished_ms)| crate::MetricActivity {
                    id: crate::MetricId(id),
                    data_version,
                    queued,
                    running,
                    last_finished_ms,
                },
            )
            .collect())
    }

    async fn dimensions(&self, metric: crate::MetricId) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT dimension FROM buckets WHERE metric_id = $1 ORDER BY dimension",
        )
        .bind(metric.0)
        .all(&self.pool, "list a metric's dimensions")
        .await
    }

    async fn merge_dimension(&self, metric: crate::MetricId, from: &str, to: &str) -> Result<u64> {
        if from == to {
            return Ok(0);
        }
        let mut tx = self.begin_write("merge a dimension").await?;
        // The SELECT's WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
        sqlx::query(
            "INSERT INTO buckets (metric_id, dimension, hour_ms, sum, count, min, max, latest, \
             latest_at_ms) \
             SELECT metric_id, $3, hour_ms, sum, count, min, max, latest, latest_at_ms FROM \
             buckets \
             WHERE metric_id = $1 AND dimension = $2 \
             ON CONFLICT (metric_id, dimension, hour_ms) DO UPDATE SET \
             sum = buckets.sum + excluded.sum, \
             count = buckets.count + excluded.count, \
             min = CASE WHEN excluded.min < buckets.min THEN excluded.min ELSE buckets.min END, \
             max = CASE WHEN excluded.max > buckets.max THEN excluded.max ELSE buckets.max END, \
             latest = CASE WHEN excluded.latest_at_ms >= buckets.latest_at_ms THEN \
             excluded.latest ELSE buckets.latest END, \
             latest_at_ms = CASE WHEN excluded.latest_at_ms >= buckets.latest_at_ms THEN \
             excluded.latest_at_ms ELSE buckets.latest_at_ms END",
        )
        .bind(metric.0)
        .bind(from)
        .bind(to)
        .changed(&mut *tx, "merge a dimension's buckets")
        .await?;
        // The provisional overlay keeps its base and live parts under the merged name too, so a
        // later live write or poll of those hours stays exact.
        Self::merge_overlay_dimension(&mut tx, metric, from, to).await?;
        let moved = sqlx::query("DELETE FROM buckets WHERE metric_id = $1 AND dimension = $2")
            .bind(metric.0)
            .bind(from)
            .changed(&mut *tx, "drop a merged dimension's buckets")
            .await?;
        if moved > 0 {
            // Both dimensions' days over the metric's whole span: a merge is a rare upgrade step.
            sqlx::query("DELETE FROM bucket_days WHERE metric_id = $1 AND dimension IN ($2, $3)")
                .bind(metric.0)
                .bind(from)
                .bind(to)
                .changed(&mut *tx, "clear a merged dimension's rollups")
                .await?;
            let sql = crate::sql_impl::refresh_days_sql(false).replace(
                "WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3",
                "WHERE metric_id = $1 AND dimension = $2",
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(metric.0)
                .bind(to)
                .changed(&mut *tx, "write a merged dimension's rollups")
                .await?;
            sqlx::query("UPDATE metrics SET data_version = data_version + 1 WHERE id = $1")
                .bind(metric.0)
                .changed(&mut *tx, "mark a metric's buckets changed")
                .await?;
        }
        crate::exec::commit(tx, "merge a dimension").await?;
        Ok(moved)
    }

    async fn start_sync_run(&self, run: &crate::NewSyncRun) -> Result<crate::SyncRunId> {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO sync_runs (metric_id, from_ms, to_ms, status, ledger, started_ms) \
             VALUES ($1, $2, $3, 'running', '{}', $4) RETURNING id",
        )
        .bind(run.metric_id.0)
        .bind(run.from_ms)
        .bind(run.to_ms)
        .bind(run.started_ms)
        .one(&self.pool, "start a sync run")
        .await?;
        Ok(crate::SyncRunId(id))
    }

    async fn start_sync_run_under(
        &self,
        lease: Option<crate::Lease>,
        run: &crate::NewSyncRun,
    ) -> Result<crate::SyncRunId> {
        let Some(held) = lease else {
            return self.start_sync_run(run).await;
        };
        let mut tx = self.begin_write("start a sync run").await?;
        Self::check_fence(&mut tx, lease).await?;
        // Runs left `running` were started by an earlier holder of this job (or another job of
        // the metric) that died or lost its lease: under the fence none of them can finish.
        Self::abandon_running_in(&mut tx, run.metric_id, run.started_ms).await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO sync_runs (metric_id, from_ms, to_ms, status, ledger, started_ms, \
             job_id, fence) VALUES ($1, $2, $3, 'running', '{}', $4, $5, $6) RETURNING id",
        )
        .bind(run.metric_id.0)
        .bind(run.from_ms)
        .bind(run.to_ms)
        .bind(run.started_ms)
        .bind(held.job.0)
        .bind(held.fence)
        .one(&mut *tx, "start a sync run")
        .await?;
        crate::exec::commit(tx, "start a sync run").await?;
        Ok(crate::SyncRunId(id))
    }

    async fn finish_sync_run(&self, id: crate::SyncRunId, end: &crate::SyncRunEnd) -> Result<()> {
        self.finish_sync_run_counted(id, end, &crate::RunCounts::default())
            .await
    }

    async fn finish_sync_run_counted(
        &self,
        id: crate::SyncRunId,
        end: &crate::SyncRunEnd,
        counts: &crate::RunCounts,
    ) -> Result<()> {
        let mut tx = self.begin_write("finish a sync run").await?;
        Self::finish_run_in(&mut tx, id, end, counts).await?;
        crate::exec::commit(tx, "finish a sync run").await?;
        Ok(())
    }

    async fn sync_states(&self) -> Result<Vec<crate::MetricSyncState>> {
        let sql = format!(
            "SELECT m.id, {LAST_STARTED}, {LAST_GOOD_FINISHED}, {LAST_FINISHED_STATUS}, \
             m.sync_interval_s FROM metrics m WHERE {IN_USE} ORDER BY m.id"
        );
        type Row = (i64, Option<i64>, Option<i64>, Option<String>, Option<i64>);
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .all(&self.pool, "read the metrics' sync states")
            .await?;
        rows.into_iter()
            .map(|(id, started, good, status, interval)| {
                Self::sync_state(id, started, good, status, interval)
            })
            .collect()
    }

    async fn ops_figures(&self, now_ms: i64) -> Result<crate::OpsFigures> {
        // One statement, so a scrape is one round trip whatever the number of metrics. The first
        // branch fixes the column types for PostgreSQL.
        let sql = format!(
            "SELECT 'counter', name, label, value, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
             CAST(NULL AS BIGINT) FROM counters \
             UNION ALL \
             SELECT 'metric', {LAST_FINISHED_STATUS}, '', m.id, {LAST_GOOD_FINISHED}, \
             {LAST_STARTED}, m.sync_interval_s FROM metrics m WHERE {IN_USE} \
             UNION ALL \
             SELECT 'waiting', '', '', COUNT(*), \
             MIN(CASE WHEN state = 'pending' THEN run_at_ms ELSE locked_until END), NULL, NULL \
             FROM jobs WHERE (state = 'pending' AND run_at_ms <= $1) \
             OR (state = 'running' AND locked_until < $1) \
             UNION ALL \
             SELECT 'running', '', '', COUNT(*), NULL, NULL, NULL FROM jobs \
             WHERE state = 'running' AND locked_until >= $1"
        );
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .all(&self.pool, "read the figures for /metrics")
            .await?;
        let mut figures = crate::OpsFigures::default();
        for (kind, text_a, text_b, n1, n2, n3, n4) in rows {
            match kind.as_str() {
                "counter" => figures.counters.push(crate::CounterRow {
                    name: text_a.unwrap_or_default(),
                    label: text_b.unwrap_or_default(),
                    value: n1.unwrap_or(0),
                }),
                "metric" => {
                    figures
                        .metrics
                        .push(Self::sync_state(n1.unwrap_or(0), n3, n2, text_a, n4)?)
                }
                "waiting" => {
                    figures.queue.waiting = n1.unwrap_or(0);
                    figures.queue.oldest_waiting_since_ms = n2;
                }
                _ => figures.queue.running = n1.unwrap_or(0),
            }
        }
        figures.metrics.sort_by_key(|m| m.id);
        Ok(figures)
    }

    async fn sync_runs(
        &self,
        metric: Option<crate::MetricId>,
        limit: u32,
    ) -> Result<Vec<crate::SyncRun>> {
        const ALL: &str = "SELECT id, metric_id, from_ms, to_ms, status, ledger, error, \
                           started_ms, finished_ms, job_id, fence \
                           FROM sync_runs ORDER BY started_ms DESC, id DESC LIMIT $1";
        const ONE: &str = "SELECT id, metric_id, from_ms, to_ms, status, ledger, error, \
                           started_ms, finished_ms, job_id, fence \
                           FROM sync_runs WHERE metric_id = $2 ORDER BY started_ms DESC, id DESC \
                           LIMIT $1";
        let q = match metric {
            None => sqlx::query(ALL).bind(i64::from(limit)),
            Some(m) => sqlx::query(ONE).bind(i64::from(limit)).bind(m.0),
        };
        let rows = q.all(&self.pool, "list sync runs").await?;
        rows.iter().map(Self::decode_run).collect()
    }

    async fn recent_sync_runs(
        &self,
        ids: &[crate::MetricId],
        per_metric: u32,
    ) -> Result<Vec<crate::SyncRun>> {
        let mut runs = Vec::new();
        for chunk in ids.chunks(crate::sql_impl::ID_CHUNK) {
            let sql = format!(
                "SELECT id, metric_id, from_ms, to_ms, status, ledger, error, started_ms, \
                 finished_ms, job_id, fence FROM ( \
                 SELECT *, ROW_NUMBER() OVER (PARTITION BY metric_id ORDER BY started_ms DESC, id \
                 DESC) AS nth \
                 FROM sync_runs WHERE metric_id IN ({}) \
                 ) ranked WHERE nth <= $1 ORDER BY metric_id, started_ms DESC, id DESC",
                crate::sql_impl::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(per_metric));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.all(&self.pool, "list recent sync runs").await?;
            for row in &rows {
                runs.push(Self::decode_run(row)?);
            }
        }
        Ok(runs)
    }

    async fn abandon_running_sync_runs(&self, metric: crate::MetricId, now_ms: i64) -> Result<u64> {
        let mut tx = self.begin_write("mark abandoned sync runs").await?;
        let abandoned = Self::abandon_running_in(&mut tx, metric, now_ms).await?;
        crate::exec::commit(tx, "mark abandoned sync runs").await?;
        Ok(abandoned)
    }

    async fn last_good_sync(&self, metric: crate::MetricId) -> Result<Option<crate::SyncRun>> {
        const SQL: &str = "SELECT id, metric_id, from_ms, to_ms, status, ledger, error, \
                           started_ms, finished_ms, job_id, fence \
                           FROM sync_runs WHERE metric_id = $1 AND status IN ('succeeded', \
                           'partial') \
                           ORDER BY started_ms DESC, id DESC LIMIT 1";
        let row = sqlx::query(SQL)
            .bind(metric.0)
            .optional(&self.pool, "read the last good sync")
            .await?;
        row.as_ref().map(Self::decode_run).transpose()
    }

    async fn synced_spans(
        &self,
        ids: &[crate::MetricId],
    ) -> Result<std::collections::HashMap<crate::MetricId, (i64, i64)>> {
        let mut spans = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(crate::sql_impl::ID_CHUNK) {
            let sql = format!(
                "SELECT metric_id, MIN(from_ms), MAX(to_ms) FROM sync_runs \
                 WHERE metric_id IN ({}) AND status IN ('succeeded', 'partial') \
                 GROUP BY metric_id",
                crate::sql_impl::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.all(&self.pool, "read metrics' synced spans").await?;
            spans.extend(
                rows.into_iter()
                    .map(|(id, from, to)| (crate::MetricId(id), (from, to))),
            );
        }
        Ok(spans)
    }

    async fn replace_in_sync_runs(
        &self,
        metric: crate::MetricId,
        find: &str,
        replacement: &str,
    ) -> Result<u64> {
        if find.is_empty() {
            return Ok(0);
        }
        let changed = sqlx::query(
            "UPDATE sync_runs SET ledger = REPLACE(ledger, $2, $3), error = REPLACE(error, $2, $3) \
             WHERE metric_id = $1 \
             AND (REPLACE(ledger, $2, $3) <> ledger OR REPLACE(COALESCE(error, ''), $2, $3) <> \
             COALESCE(error, ''))",
        )
        .bind(metric.0)
        .bind(find)
        .bind(replacement)
        .changed(&self.pool, "rewrite sync run ledgers")
        .await?;
        Ok(changed)
    }

    async fn put_raw_pages(
        &self,
        new: &crate::NewRawPages<'_>,
        cap_bytes: u64,
    ) -> Result<crate::RawPagesStored> {
        let framed = crate::raw_pages::frame(new.pages).map_err(|e| StoreError::Invalid {
            what: "raw pages",
            reason: e.to_string(),
        })?;
        // Only under a verified key, like any secret: without one the pages are not kept.
        let key = self.sealer()?;
        let mut tx = self.begin_write("store raw pages").await?;
        // The set this request had, and the sets the readers read, are replaced.
        let old: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM raw_page_sets WHERE connection_id = $1 AND fingerprint = $2",
        )
        .bind(new.connection_id.0)
        .bind(new.fingerprint)
        .all(&mut *tx, "find the raw pages of a request")
        .await?;
        for id in old {
            Self::delete_raw_page_set(&mut tx, id).await?;
        }
        for metric in new.readers {
            sqlx::query("DELETE FROM raw_page_readers WHERE metric_id = $1")
                .bind(metric.0)
                .changed(&mut *tx, "drop a metric's raw pages")
                .await?;
        }
        Self::delete_unread_raw_page_sets(&mut tx).await?;
        // Sealing adds its nonce and tag: 41 bytes.
        let sealed_bytes = framed.len() as u64 + 41;
        if sealed_bytes > cap_bytes {
            crate::exec::commit(tx, "store raw pages").await?;
            return Ok(crate::RawPagesStored::TooLarge {
                compressed_bytes: sealed_bytes,
                cap_bytes,
            });
        }
        let evicted =
            Self::evict_raw_page_sets(&mut tx, new.connection_id, sealed_bytes, cap_bytes).await?;
        // The associated data names the row, so the row exists before its pages are sealed.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO raw_page_sets (connection_id, fingerprint, from_ms, to_ms, synced_at_ms, \
             page_count, fields, sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.connection_id.0)
        .bind(new.fingerprint)
        .bind(new.from_ms)
        .bind(new.to_ms)
        .bind(new.synced_at_ms)
        .bind(i64::try_from(new.pages.len()).unwrap_or(i64::MAX))
        .bind(new.fields)
        .bind(Vec::<u8>::new())
        .one(&mut *tx, "store raw pages")
        .await?;
        let sealed = key.seal(&framed, &crate::raw_pages::aad(id))?;
        sqlx::query("UPDATE raw_page_sets SET sealed = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id)
            .changed(&mut *tx, "seal raw pages")
            .await?;
        for metric in new.readers {
            sqlx::query("INSERT INTO raw_page_readers (metric_id, set_id) VALUES ($1, $2)")
                .bind(metric.0)
                .bind(id)
                .changed(&mut *tx, "record the readers of raw pages")
                .await?;
        }
        crate::exec::commit(tx, "store raw pages").await?;
        Ok(crate::RawPagesStored::Stored {
            compressed_bytes: sealed_bytes,
            evicted,
        })
    }

    async fn raw_pages(&self, metric: crate::MetricId) -> Result<Option<crate::RawPages>> {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT s.id, s.connection_id, s.fingerprint, s.from_ms, s.to_ms, s.synced_at_ms, \
             s.page_count, s.fields, s.sealed FROM raw_page_sets s \
             JOIN raw_page_readers r ON r.set_id = s.id WHERE r.metric_id = $1",
        )
        .bind(metric.0)
        .optional(&self.pool, "read raw pages")
        .await?;
        let Some(row) = row else { return Ok(None) };
        let fields = (|| {
            Ok::<_, sqlx::Error>((
                row.try_get::<i64, _>("id")?,
                row.try_get::<i64, _>("connection_id")?,
                row.try_get::<String, _>("fingerprint")?,
                row.try_get::<i64, _>("from_ms")?,
                row.try_get::<i64, _>("to_ms")?,
                row.try_get::<i64, _>("synced_at_ms")?,
                row.try_get::<i64, _>("page_count")?,
                row.try_get::<String, _>("fields")?,
                row.try_get::<Vec<u8>, _>("sealed")?,
            ))
        })()
        .map_err(StoreError::db("read raw pages"))?;
        let (id, connection_id, fingerprint, from_ms, to_ms, synced_at_ms, count, fields, sealed) =
            fields;
        let opened = self
            .opener()
            .ok()
            .and_then(|key| key.open(&sealed, &crate::raw_pages::aad(id)));
        let pages = match opened {
            None => crate::RawPageContent::Unavailable,
            Some(framed) => crate::RawPageContent::Open(
                usize::try_from(count)
                    .ok()
                    .and_then(|n| crate::raw_pages::unframe(&framed, n))
                    .ok_or_else(|| {
                        StoreError::corrupt("raw_page_sets", id, "the pages do not unframe")
                    })?,
            ),
        };
        let readers: Vec<i64> = sqlx::query_scalar(
            "SELECT metric_id FROM raw_page_readers WHERE set_id = $1 ORDER BY metric_id",
        )
        .bind(id)
        .all(&self.pool, "read the readers of raw pages")
        .await?;
        Ok(Some(crate::RawPages {
            connection_id: crate::ConnectionId(connection_id),
            fingerprint,
            readers: readers.into_iter().map(crate::MetricId).collect(),
            from_ms,
            to_ms,
            synced_at_ms,
            fields,
            pages,
        }))
    }

    async fn drop_raw_pages(&self, metrics: &[crate::MetricId]) -> Result<u64> {
        let mut tx = self.begin_write("drop raw pages").await?;
        for metric in metrics {
            sqlx::query("DELETE FROM raw_page_readers WHERE metric_id = $1")
                .bind(metric.0)
                .changed(&mut *tx, "drop a metric's raw pages")
                .await?;
        }
        let deleted = Self::delete_unread_raw_page_sets(&mut tx).await?;
        crate::exec::commit(tx, "drop raw pages").await?;
        Ok(deleted)
    }

    async fn raw_pages_usage(&self) -> Result<crate::RawPagesUsage> {
        let (sets, bytes): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(length(sealed)) AS BIGINT) FROM raw_page_sets",
        )
        .one(&self.pool, "measure raw pages")
        .await?;
        let readers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM raw_page_readers")
            .one(&self.pool, "measure raw pages")
            .await?;
        Ok(crate::RawPagesUsage {
            sets: u64::try_from(sets).unwrap_or(0),
            readers: u64::try_from(readers).unwrap_or(0),
            sealed_bytes: u64::try_from(bytes.unwrap_or(0)).unwrap_or(0),
        })
    }

    async fn delete_all_raw_pages(&self) -> Result<u64> {
        let mut tx = self.begin_write("delete raw pages").await?;
        sqlx::query("DELETE FROM raw_page_readers")
            .changed(&mut *tx, "delete raw pages")
            .await?;
        let done = sqlx::query("DELETE FROM raw_page_sets")
            .changed(&mut *tx, "delete raw pages")
            .await?;
        crate::exec::commit(tx, "delete raw pages").await?;
        Ok(done)
    }

    async fn enqueue(&self, job: &crate::NewJob, now_ms: i64) -> Result<crate::Enqueued> {
        let payload = job.payload.to_string();
        // The pending job found by the conflict may be claimed before we read it; then
        // inserting again succeeds, so a few rounds always settle.
        for _ in 0..5 {
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO jobs (kind, key, payload, state, attempts, run_at_ms, created_ms, \
                 updated_ms) \
                 VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5) \
                 ON CONFLICT (kind, key) WHERE state = 'pending' DO NOTHING RETURNING id",
            )
            .bind(job.kind.as_str())
            .bind(job.key.as_str())
            .bind(payload.as_str())
            .bind(job.run_at_ms)
            .bind(now_ms)
            .optional(&self.pool, "enqueue a job")
            .await?;
            if let Some(id) = inserted {
                self.enqueued.notify_one();
                return Ok(crate::Enqueued {
                    id: crate::JobId(id),
                    created: true,
                });
            }
            let existing = sqlx::query_scalar::<_, i64>(
                "SELECT id FROM jobs WHERE kind = $1 AND key = $2 AND state = 'pending'",
            )
            .bind(job.kind.as_str())
            .bind(job.key.as_str())
            .optional(&self.pool, "find a pending job")
            .await?;
            if let Some(id) = existing {
                return Ok(crate::Enqueued {
                    id: crate::JobId(id),
                    created: false,
                });
            }
        }
        Err(StoreError::Invalid {
            what: "job",
            reason: format!(
                "could not enqueue ({}, {}) under heavy contention; try again",
                job.kind, job.key
            ),
        })
    }

    async fn job_enqueued(&self) {
        match &self.job_waker {
            Some(waker) => tokio::select! {
                () = self.enqueued.notified() => {}
                () = waker.wait() => {}
            },
            None => self.enqueued.notified().await,
        }
    }

    async fn claim(&self, worker: &str, lease: std::time::Duration) -> Result<Option<crate::Job>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(crate::sql_impl::claim_job_sql::<DB>()))
            .bind(worker)
            .bind(crate::sql_impl::lease_ms(lease))
            .optional(&self.pool, "claim a job")
            .await?;
        row.as_ref().map(Self::decode_job).transpose()
    }

    async fn renew(&self, lease: crate::Lease, lease_for: std::time::Duration) -> Result<()> {
        let sql = format!(
            "UPDATE jobs SET locked_until = {now} + $1, updated_ms = {now} WHERE id = $2 \
             AND fence = $3 AND state = 'running'",
            now = DB::NOW_MS
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(crate::sql_impl::lease_ms(lease_for))
            .bind(lease.job.0)
            .bind(lease.fence)
            .changed(&self.pool, "renew a job's lease")
            .await?;
        Self::lease_held(done, lease)
    }

    async fn complete(
        &self,
        lease: crate::Lease,
        runs: &[crate::FinishedRun],
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write("complete a job").await?;
        // The job's row first: the fence is checked and the row locked by the same statement,
        // before any run is touched.
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', locked_until = NULL, updated_ms = $1 \
             WHERE id = $2 AND fence = $3 AND state = 'running'",
        )
        .bind(now_ms)
        .bind(lease.job.0)
        .bind(lease.fence)
        .changed(&mut *tx, "complete a job")
        .await?;
        Self::lease_held(done, lease)?;
        Self::finish_runs_in(&mut tx, runs).await?;
        crate::exec::commit(tx, "complete a job").await?;
        Ok(())
    }

    async fn fail(
        &self,
        lease: crate::Lease,
        runs: &[crate::FinishedRun],
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<()> {
        const FAILED: &str = "UPDATE jobs SET state = 'failed', locked_until = NULL, last_error = \
                              $1, updated_ms = $2 \
                              WHERE id = $3 AND fence = $4 AND state = 'running'";
        const RETRY: &str = "UPDATE jobs SET state = 'pending', run_at_ms = $5, locked_by = NULL, \
                             locked_until = NULL, \
                             last_error = $1, updated_ms = $2 WHERE id = $3 AND fence = $4 \
                             AND state = 'running'";
        let mut tx = self.begin_write("record a job's failure").await?;
        let failed = || {
            sqlx::query(FAILED)
                .bind(error)
                .bind(now_ms)
                .bind(lease.job.0)
                .bind(lease.fence)
        };
        let done = match retry_at_ms {
            Some(at) => {
                // An equal job already waiting supersedes this one; a savepoint keeps the
                // refused statement from aborting the whole transaction on PostgreSQL.
                let savepoint = |sql: &'static str| sqlx::query(sql);
                savepoint("SAVEPOINT retry_job")
                    .changed(&mut *tx, "record a job's failure")
                    .await?;
                let retried = sqlx::query(RETRY)
                    .bind(error)
                    .bind(now_ms)
                    .bind(lease.job.0)
                    .bind(lease.fence)
                    .bind(at)
                    .execute(&mut *tx)
                    .await;
                match retried {
                    Ok(done) => {
                        savepoint("RELEASE SAVEPOINT retry_job")
                            .changed(&mut *tx, "record a job's failure")
                            .await?;
                        DB::rows_affected(&done)
                    }
                    Err(e) if crate::error::is_unique_violation(&e) => {
                        savepoint("ROLLBACK TO SAVEPOINT retry_job")
                            .changed(&mut *tx, "record a job's failure")
                            .await?;
                        failed().changed(&mut *tx, "record a job's failure").await?
                    }
                    Err(e) => return Err(StoreError::db("record a job's failure")(e)),
                }
            }
            None => failed().changed(&mut *tx, "record a job's failure").await?,
        };
        Self::lease_held(done, lease)?;
        Self::finish_runs_in(&mut tx, runs).await?;
        crate::exec::commit(tx, "record a job's failure").await?;
        Ok(())
    }

    async fn job(&self, id: crate::JobId) -> Result<crate::Job> {
        let sql = "SELECT id, kind, key, payload, state, attempts, run_at_ms, locked_by, \
                   locked_until, last_error, created_ms, updated_ms, fence FROM jobs WHERE id = $1";
        let row = sqlx::query(sql)
            .bind(id.0)
            .found(&self.pool, "read a job", || {
                StoreError::not_found("job", id)
            })
            .await?;
        Self::decode_job(&row)
    }

    async fn list_jobs(
        &self,
        state: Option<crate::JobState>,
        limit: u32,
    ) -> Result<Vec<crate::Job>> {
        const ALL: &str = "SELECT id, kind, key, payload, state, attempts, run_at_ms, locked_by, \
                           locked_until, last_error, created_ms, updated_ms, fence \
                           FROM jobs ORDER BY updated_ms DESC, id DESC LIMIT $1";
        const ONE: &str = "SELECT id, kind, key, payload, state, attempts, run_at_ms, locked_by, \
                           locked_until, last_error, created_ms, updated_ms, fence \
                           FROM jobs WHERE state = $2 ORDER BY updated_ms DESC, id DESC LIMIT $1";
        let q = match state {
            None => sqlx::query(ALL).bind(i64::from(limit)),
            Some(s) => sqlx::query(ONE).bind(i64::from(limit)).bind(s.as_str()),
        };
        let rows = q.all(&self.pool, "list jobs").await?;
        rows.iter().map(Self::decode_job).collect()
    }

    async fn data_step_done(&self, step: &str) -> Result<bool> {
        let found: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(crate::sql_impl::data_step_meta(step))
            .optional(&self.pool, "read a data step")
            .await?;
        Ok(found.is_some())
    }

    async fn mark_data_step_done(&self, step: &str, now_ms: i64) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(crate::sql_impl::data_step_meta(step))
            .bind(now_ms.to_string().into_bytes())
            .changed(&self.pool, "record a data step")
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Claims = [(&'static str, fn() -> String, fn() -> String); 3];

    const CLAIMS: Claims = [
        (
            "job",
            claim_job_sql::<sqlx::Postgres>,
            claim_job_sql::<sqlx::Sqlite>,
        ),
        (
            "delivery",
            claim_delivery_sql::<sqlx::Postgres>,
            claim_delivery_sql::<sqlx::Sqlite>,
        ),
        (
            "lapsed delivery",
            claim_lapsed_delivery_sql::<sqlx::Postgres>,
            claim_lapsed_delivery_sql::<sqlx::Sqlite>,
        ),
    ];

    /// Without SKIP LOCKED, concurrent PostgreSQL workers queue behind one row and then claim
    /// nothing; SQLite has no row locks (and rejects the clause), its writers taking turns anyway.
    #[test]
    fn postgres_claims_skip_locked_rows_and_sqlite_claims_do_not_lock() {
        for (what, postgres, sqlite) in CLAIMS {
            let (pg, lite) = (postgres(), sqlite());
            assert!(
                pg.contains("LIMIT 1 FOR UPDATE SKIP LOCKED)"),
                "the PostgreSQL {what} claim must lock its pick in the subquery: {pg}"
            );
            assert!(
                !lite.contains("FOR UPDATE"),
                "the SQLite {what} claim must not: {lite}"
            );
            assert_eq!(
                pg.replace(" FOR UPDATE SKIP LOCKED", "").replace(
                    <sqlx::Postgres as Dialect>::NOW_MS,
                    <sqlx::Sqlite as Dialect>::NOW_MS
                ),
                lite,
                "the {what} claim must otherwise be one text"
            );
        }
    }
}
