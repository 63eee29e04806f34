//! Real time (issue 22): each connection's callback hook (a public key naming it in the callback
//! URLs, and the account's Auth Token sealed, which verifies Twilio's signatures), the pushed
//! events received (deduplicated by key), each pushed resource's latest state (its status only
//! moving to a higher rank), the provisional overlay of a metric's hours, and the ledger of how
//! far provisional values were from the polled truth, behind [`LiveStore`] (implemented by both
//! backends and [`crate::AnyStore`]).
//!
//! The overlay: a live write for an hour keeps that hour's polled buckets as its base the first
//! time, and stores base merged with the live part in `buckets`, so every read (boards, rollups,
//! alerts) sees the provisional value with no change of its own. A window write of a poll
//! (`replace_window*`) that covers an overlaid hour records the ledger row (provisional against
//! polled sum and count) and drops the overlay: the poll's values replace the provisional ones.
//!
//! The store knows statuses only by their rank; what a status or a record means is the
//! `realtime` crate's.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;

use domain::{AccountSid, Secret};

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::ids::{ConnectionId, MetricId};
use crate::rows::{BucketRow, HOUR_MS};
use crate::secrets::{MasterKey, SealedItem, SecretUnavailable, Unavailability};
use crate::sql_impl::{SqlStore, is_forgotten};

/// A connection's real-time settings, as the Data Manager shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionHook {
    /// The public, random part of the connection's callback URLs (`/hooks/twilio/{key}/...`).
    pub hook_key: String,
    /// Whether an Auth Token is stored (without one every callback is refused).
    pub has_auth_token: bool,
    pub auth_token_set_ms: Option<i64>,
}

/// What verifying a callback for a hook key needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackAuth {
    pub connection: ConnectionId,
    pub account_sid: AccountSid,
    /// The opened Auth Token, or why it cannot be opened (then every callback is refused).
    pub auth_token: std::result::Result<Secret, SecretUnavailable>,
}

/// One pushed event to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEventRow {
    /// Dedupe key: an event whose key is already recorded for the connection changes nothing.
    pub key: String,
    /// `message` or `call`.
    pub kind: String,
    pub sid: String,
    pub account_sid: String,
    pub status: String,
    /// The status's rank: the resource's stored state moves only to a higher one.
    pub rank: i64,
    /// The event's own instant (or its arrival): the resource's `created_ms` is the earliest seen.
    pub at_ms: i64,
    pub received_ms: i64,
    /// `callback` or `event_stream`.
    pub source: String,
    /// The event's other fields as a JSON object of strings; kept with the resource when the
    /// event moves its status.
    pub fields: String,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveOutcome {
    /// It moved its resource to a higher status (or created it).
    Applied,
    /// Its key was already recorded: nothing changed.
    Duplicate,
    /// New, but its status is not above the one stored (out of order): only the resource's
    /// creation instant may move earlier.
    Stale,
}

impl LiveOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
        }
    }
}

/// A resource whose state changed, with the hours its record falls in before and after (its
/// `created_ms` hour), which the caller recomputes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChange {
    pub kind: String,
    pub hour_ms: i64,
}

/// What a batch did: one outcome per event in order, and the (kind, hour) pairs to recompute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveApplied {
    pub outcomes: Vec<LiveOutcome>,
    pub changed: Vec<LiveChange>,
}

/// A pushed resource's stored state.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveResource {
    pub kind: String,
    pub sid: String,
    pub account_sid: String,
    pub status: String,
    pub rank: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// JSON object of strings.
    pub fields: String,
}

/// A received event, for the Data Manager's "last events".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEventSummary {
    pub kind: String,
    pub sid: String,
    pub status: String,
    pub source: String,
    pub received_ms: i64,
    pub outcome: String,
}

/// The live part of one hour of a metric (rows from pushed resources only).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveHour {
    pub hour_ms: i64,
    pub buckets: Vec<BucketRow>,
}

/// How far the provisional value of a metric's overlaid hours inside one polled window was from
/// what the poll found.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    pub metric: MetricId,
    /// The window written, `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// How many of its hours were provisional.
    pub hours: i64,
    pub provisional_sum: f64,
    pub provisional_count: i64,
    pub polled_sum: f64,
    pub polled_count: i64,
    pub recorded_ms: i64,
}

pub trait LiveStore: Send + Sync + 'static {
    /// Stores (`Some`) or removes (`None`) the connection's Auth Token, sealed and bound to the
    /// connection, and gives the connection a hook key the first time. Returns the hook key.
    fn set_connection_auth_token(
        &self,
        connection: ConnectionId,
        auth_token: Option<&Secret>,
        now_ms: i64,
    ) -> impl Future<Output = Result<String>> + Send;

    /// The connection's hook, `None` before an Auth Token was first set.
    fn connection_hook(
        &self,
        connection: ConnectionId,
    ) -> impl Future<Output = Result<Option<ConnectionHook>>> + Send;

    /// What verifying a callback to `hook_key` needs; `None` for a key no connection has.
    fn callback_auth(
        &self,
        hook_key: &str,
    ) -> impl Future<Output = Result<Option<CallbackAuth>>> + Send;

    /// Applies a batch of events of one connection in one transaction: each new key recorded, each
    /// resource moved forward only (its `created_ms` the earliest instant seen).
    fn apply_live_events(
        &self,
        connection: ConnectionId,
        events: &[LiveEventRow],
    ) -> impl Future<Output = Result<LiveApplied>> + Send;

    /// The connection's pushed resources of `kind` created in `[from_ms, to_ms)` and not before
    /// `created_since_ms`.
    fn live_resources(
        &self,
        connection: ConnectionId,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        created_since_ms: i64,
    ) -> impl Future<Output = Result<Vec<LiveResource>>> + Send;

    /// The connection's latest `limit` events received, newest first.
    fn recent_live_events(
        &self,
        connection: ConnectionId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<LiveEventSummary>>> + Send;

    /// Sets the live part of each of `hours` of `metric` (see the module docs), with the daily
    /// rollups and the data version, in one transaction.
    fn write_live_hours(
        &self,
        metric: MetricId,
        hours: &[LiveHour],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Per metric of `metrics` with a provisional overlay: `[first overlaid hour, last + 1 h)`.
    fn live_spans(
        &self,
        metrics: &[MetricId],
    ) -> impl Future<Output = Result<HashMap<MetricId, (i64, i64)>>> + Send;

    /// The metric's ledger rows, newest first.
    fn realtime_ledger(
        &self,
        metric: MetricId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<LedgerRow>>> + Send;

    /// Deletes events received and resources last changed before `before_ms`. Returns how many
    /// rows went.
    fn prune_live(&self, before_ms: i64) -> impl Future<Output = Result<u64>> + Send;
}

impl<DB: Dialect> LiveStore for SqlStore<DB>
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
    for<'q> Option<String>: sqlx::Decode<'q, DB>,
{
    async fn set_connection_auth_token(
        &self,
        connection: ConnectionId,
        auth_token: Option<&Secret>,
        now_ms: i64,
    ) -> Result<String> {
        const OP: &str = "set a connection's Auth Token";
        let sealed = match auth_token {
            Some(token) => Some(self.sealer()?.seal(
                token.expose().as_bytes(),
                &crate::secrets::auth_token_aad(connection.0),
            )?),
            None => None,
        };
        let set_ms = sealed.as_ref().map(|_| now_ms);
        let mut tx = self.begin_write(OP).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM connections WHERE id = $1")
            .bind(connection.0)
            .optional(&mut *tx, OP)
            .await?;
        if exists.is_none() {
            return Err(crate::error::not_found_connection(connection));
        }
        let known: Option<String> =
            sqlx::query_scalar("SELECT hook_key FROM connection_hooks WHERE connection_id = $1")
                .bind(connection.0)
                .optional(&mut *tx, OP)
                .await?;
        let hook_key = match known {
            Some(key) => {
                sqlx::query(
                    "UPDATE connection_hooks SET auth_token_sealed = $1, auth_token_set_ms = $2 \
                     WHERE connection_id = $3",
                )
                .bind(sealed)
                .bind(set_ms)
                .bind(connection.0)
                .changed(&mut *tx, OP)
                .await?;
                key
            }
            None => {
                let key = crate::secrets::random_hex_128()?;
                sqlx::query(
                    "INSERT INTO connection_hooks (connection_id, hook_key, auth_token_sealed, \
                     auth_token_set_ms) VALUES ($1, $2, $3, $4)",
                )
                .bind(connection.0)
                .bind(key.as_str())
                .bind(sealed)
                .bind(set_ms)
                .changed(&mut *tx, OP)
                .await?;
                key
            }
        };
        crate::exec::commit(tx, OP).await?;
        Ok(hook_key)
    }

    async fn connection_hook(&self, connection: ConnectionId) -> Result<Option<ConnectionHook>> {
        use sqlx::Row;
        const OP: &str = "read a connection's callback hook";
        let row = sqlx::query(
            "SELECT hook_key, auth_token_sealed, auth_token_set_ms FROM connection_hooks \
             WHERE connection_id = $1",
        )
        .bind(connection.0)
        .optional(&self.pool, OP)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row
            .try_get("auth_token_sealed")
            .map_err(StoreError::db(OP))?;
        Ok(Some(ConnectionHook {
            hook_key: row.try_get("hook_key").map_err(StoreError::db(OP))?,
            // A forgotten token (`key reset --forget-secrets`) has to be entered again.
            has_auth_token: sealed.is_some_and(|s| !is_forgotten(&s)),
            auth_token_set_ms: row
                .try_get("auth_token_set_ms")
                .map_err(StoreError::db(OP))?,
        }))
    }

    async fn callback_auth(&self, hook_key: &str) -> Result<Option<CallbackAuth>> {
        use sqlx::Row;
        const OP: &str = "read a callback hook";
        let row = sqlx::query(
            "SELECT h.connection_id, h.auth_token_sealed, c.label, c.account_sid \
             FROM connection_hooks h JOIN connections c ON c.id = h.connection_id \
             WHERE h.hook_key = $1",
        )
        .bind(hook_key)
        .optional(&self.pool, OP)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("connection_id").map_err(StoreError::db(OP))?;
        let label: String = row.try_get("label").map_err(StoreError::db(OP))?;
        let account: String = row.try_get("account_sid").map_err(StoreError::db(OP))?;
        let sealed: Option<Vec<u8>> = row
            .try_get("auth_token_sealed")
            .map_err(StoreError::db(OP))?;
        let account_sid = AccountSid::parse(&account)
            .map_err(|e| StoreError::corrupt("connections", id, e.to_string()))?;
        let what = || SealedItem::ConnectionAuthToken {
            label: label.clone(),
        };
        let auth_token = match sealed {
            None => Err(SecretUnavailable {
                what: what(),
                why: Unavailability::NotEntered,
            }),
            Some(sealed) => self
                .open_sealed(&sealed, &crate::secrets::auth_token_aad(id), what)
                .and_then(|opened| {
                    String::from_utf8(opened).map_err(|_| SecretUnavailable {
                        what: what(),
                        why: Unavailability::Damaged,
                    })
                })
                .map(Secret::new),
        };
        Ok(Some(CallbackAuth {
            connection: ConnectionId(id),
            account_sid,
            auth_token,
        }))
    }

    async fn apply_live_events(
        &self,
        connection: ConnectionId,
        events: &[LiveEventRow],
    ) -> Result<LiveApplied> {
        const OP: &str = "apply pushed events";
        let mut applied = LiveApplied::default();
        if events.is_empty() {
            return Ok(applied);
        }
        let mut tx = self.begin_write(OP).await?;
        // Batches of one connection take turns, so a resource's read-then-write is never
        // interleaved with another's.
        Self::lock_name(&mut tx, &format!("live_events:{}", connection.0), OP).await?;
        let mut seen: HashSet<&str> = HashSet::with_capacity(events.len());
        let mut changed: BTreeSet<(String, i64)> = BTreeSet::new();
        for event in events {
            if !seen.insert(event.key.as_str()) {
                applied.outcomes.push(LiveOutcome::Duplicate);
                continue;
            }
            let recorded = sqlx::query(
                "INSERT INTO live_events (connection_id, event_key, kind, sid, status, source, \
                 received_ms, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (connection_id, event_key) DO NOTHING",
            )
            .bind(connection.0)
            .bind(event.key.as_str())
            .bind(event.kind.as_str())
            .bind(event.sid.as_str())
            .bind(event.status.as_str())
            .bind(event.source.as_str())
            .bind(event.received_ms)
            .bind(LiveOutcome::Applied.as_str())
            .changed(&mut *tx, "record a pushed event")
            .await?;
            if recorded == 0 {
                applied.outcomes.push(LiveOutcome::Duplicate);
                continue;
            }
            let stored: Option<(i64, i64)> = sqlx::query_as(
                "SELECT rank, created_ms FROM live_resources \
                 WHERE connection_id = $1 AND kind = $2 AND sid = $3",
            )
            .bind(connection.0)
            .bind(event.kind.as_str())
            .bind(event.sid.as_str())
            .optional(&mut *tx, "read a pushed resource")
            .await?;
            let outcome = match stored {
                None => {
                    sqlx::query(
                        "INSERT INTO live_resources (connection_id, kind, sid, account_sid, \
                         status, rank, created_ms, updated_ms, fields) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(connection.0)
                    .bind(event.kind.as_str())
                    .bind(event.sid.as_str())
                    .bind(event.account_sid.as_str())
                    .bind(event.status.as_str())
                    .bind(event.rank)
                    .bind(event.at_ms)
                    .bind(event.received_ms)
                    .bind(event.fields.as_str())
                    .changed(&mut *tx, "record a pushed resource")
                    .await?;
                    changed.insert((event.kind.clone(), hour_floor(event.at_ms)));
                    LiveOutcome::Applied
                }
                Some((rank, created_ms)) => {
                    let earliest = created_ms.min(event.at_ms);
                    let outcome = if event.rank > rank {
                        sqlx::query(
                            "UPDATE live_resources SET account_sid = $1, status = $2, rank = $3, \
                             fields = $4, updated_ms = $5, created_ms = $6 \
                             WHERE connection_id = $7 AND kind = $8 AND sid = $9",
                        )
                        .bind(event.account_sid.as_str())
                        .bind(event.status.as_str())
                        .bind(event.rank)
                        .bind(event.fields.as_str())
                        .bind(event.received_ms)
                        .bind(earliest)
                        .bind(connection.0)
                        .bind(event.kind.as_str())
                        .bind(event.sid.as_str())
                        .changed(&mut *tx, "move a pushed resource forward")
                        .await?;
                        LiveOutcome::Applied
                    } else {
                        if earliest < created_ms {
                            sqlx::query(
                                "UPDATE live_resources SET created_ms = $1 \
                                 WHERE connection_id = $2 AND kind = $3 AND sid = $4",
                            )
                            .bind(earliest)
                            .bind(connection.0)
                            .bind(event.kind.as_str())
                            .bind(event.sid.as_str())
                            .changed(&mut *tx, "move a pushed resource's creation")
                            .await?;
                        }
                        LiveOutcome::Stale
                    };
                    let (before, after) = (hour_floor(created_ms), hour_floor(earliest));
                    if outcome == LiveOutcome::Applied || before != after {
                        changed.insert((event.kind.clone(), after));
                    }
                    if before != after {
                        // The record left its old hour: that hour is recomputed without it.
                        changed.insert((event.kind.clone(), before));
                    }
                    outcome
                }
            };
            if outcome == LiveOutcome::Stale {
                sqlx::query(
                    "UPDATE live_events SET outcome = $1 WHERE connection_id = $2 AND event_key = $3",
                )
                .bind(LiveOutcome::Stale.as_str())
                .bind(connection.0)
                .bind(event.key.as_str())
                .changed(&mut *tx, "record a pushed event's outcome")
.await?;
            }
            applied.outcomes.push(outcome);
        }
        crate::exec::commit(tx, OP).await?;
        applied.changed = changed
            .into_iter()
            .map(|(kind, hour_ms)| LiveChange { kind, hour_ms })
            .collect();
        Ok(applied)
    }

    async fn live_resources(
        &self,
        connection: ConnectionId,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        created_since_ms: i64,
    ) -> Result<Vec<LiveResource>> {
        use sqlx::Row;
        const OP: &str = "read pushed resources";
        let rows = sqlx::query(
            "SELECT kind, sid, account_sid, status, rank, created_ms, updated_ms, fields \
             FROM live_resources WHERE connection_id = $1 AND kind = $2 \
             AND created_ms >= $3 AND created_ms < $4 AND created_ms >= $5 \
             ORDER BY created_ms, sid",
        )
        .bind(connection.0)
        .bind(kind)
        .bind(from_ms)
        .bind(to_ms)
        .bind(created_since_ms)
        .all(&self.pool, OP)
        .await?;
        crate::exec::decode_all(&rows, OP, |row| {
            Ok(LiveResource {
                kind: row.try_get("kind")?,
                sid: row.try_get("sid")?,
                account_sid: row.try_get("account_sid")?,
                status: row.try_get("status")?,
                rank: row.try_get("rank")?,
                created_ms: row.try_get("created_ms")?,
                updated_ms: row.try_get("updated_ms")?,
                fields: row.try_get("fields")?,
            })
        })
    }

    async fn recent_live_events(
        &self,
        connection: ConnectionId,
        limit: u32,
    ) -> Result<Vec<LiveEventSummary>> {
        use sqlx::Row;
        const OP: &str = "read the events received";
        let rows = sqlx::query(
            "SELECT kind, sid, status, source, received_ms, outcome FROM live_events \
             WHERE connection_id = $1 ORDER BY received_ms DESC, id DESC LIMIT $2",
        )
        .bind(connection.0)
        .bind(i64::from(limit))
        .all(&self.pool, OP)
        .await?;
        crate::exec::decode_all(&rows, OP, |row| {
            Ok(LiveEventSummary {
                kind: row.try_get("kind")?,
                sid: row.try_get("sid")?,
                status: row.try_get("status")?,
                source: row.try_get("source")?,
                received_ms: row.try_get("received_ms")?,
                outcome: row.try_get("outcome")?,
            })
        })
    }

    async fn write_live_hours(&self, metric: MetricId, hours: &[LiveHour]) -> Result<()> {
        const OP: &str = "write a metric's provisional hours";
        check_live_hours(hours)?;
        if hours.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write(OP).await?;
        Self::lock_name(&mut tx, &overlay_lock_name(metric), OP).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM metrics WHERE id = $1")
            .bind(metric.0)
            .optional(&mut *tx, OP)
            .await?;
        if exists.is_none() {
            return Err(crate::error::not_found_metric(metric));
        }
        let mut days: BTreeSet<i64> = BTreeSet::new();
        for hour in hours {
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT base FROM live_hours WHERE metric_id = $1 AND hour_ms = $2",
            )
            .bind(metric.0)
            .bind(hour.hour_ms)
            .optional(&mut *tx, "read a provisional hour")
            .await?;
            let base = match stored {
                Some(text) => {
                    let base = decode_overlay(metric, hour.hour_ms, "base", &text)?;
                    if hour.buckets.is_empty() {
                        // Nothing provisional left: the hour is its polled value again.
                        sqlx::query("DELETE FROM live_hours WHERE metric_id = $1 AND hour_ms = $2")
                            .bind(metric.0)
                            .bind(hour.hour_ms)
                            .changed(&mut *tx, "drop a provisional hour")
                            .await?;
                    } else {
                        sqlx::query(
                            "UPDATE live_hours SET live = $1 WHERE metric_id = $2 AND hour_ms = $3",
                        )
                        .bind(encode_overlay(&hour.buckets)?)
                        .bind(metric.0)
                        .bind(hour.hour_ms)
                        .changed(&mut *tx, "write a provisional hour")
                        .await?;
                    }
                    base
                }
                // Never overlaid and nothing to add: the polled hour stays as it is.
                None if hour.buckets.is_empty() => continue,
                None => {
                    let rows = sqlx::query(
                        "SELECT dimension, hour_ms, sum, count, min, max, latest, latest_at_ms \
                         FROM buckets WHERE metric_id = $1 AND hour_ms = $2 ORDER BY dimension",
                    )
                    .bind(metric.0)
                    .bind(hour.hour_ms)
                    .all(&mut *tx, "read an hour's polled buckets")
                    .await?;
                    let base = rows
                        .iter()
                        .map(Self::decode_bucket)
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(StoreError::db("read an hour's polled buckets"))?;
                    sqlx::query(
                        "INSERT INTO live_hours (metric_id, hour_ms, base, live) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(metric.0)
                    .bind(hour.hour_ms)
                    .bind(encode_overlay(&base)?)
                    .bind(encode_overlay(&hour.buckets)?)
                    .changed(&mut *tx, "write a provisional hour")
                    .await?;
                    base
                }
            };
            sqlx::query("DELETE FROM buckets WHERE metric_id = $1 AND hour_ms = $2")
                .bind(metric.0)
                .bind(hour.hour_ms)
                .changed(&mut *tx, "clear an hour's buckets")
                .await?;
            let merged = merge_buckets(&base, &hour.buckets);
            Self::insert_buckets(
                &mut tx,
                metric,
                &merged,
                "write an hour's provisional buckets",
            )
            .await?;
            days.insert(crate::sql_impl::day_floor(hour.hour_ms));
        }
        if days.is_empty() {
            return Ok(());
        }
        for day in &days {
            Self::refresh_days(&mut tx, metric, *day, day + crate::sql_impl::DAY_MS).await?;
        }
        sqlx::query("UPDATE metrics SET data_version = data_version + 1 WHERE id = $1")
            .bind(metric.0)
            .changed(&mut *tx, "mark a metric's buckets changed")
            .await?;
        crate::exec::commit(tx, OP).await
    }

    async fn live_spans(&self, metrics: &[MetricId]) -> Result<HashMap<MetricId, (i64, i64)>> {
        let mut spans = HashMap::new();
        for chunk in metrics.chunks(crate::sql_impl::ID_CHUNK) {
            let sql = format!(
                "SELECT metric_id, MIN(hour_ms), MAX(hour_ms) FROM live_hours \
                 WHERE metric_id IN ({}) GROUP BY metric_id",
                crate::sql_impl::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.all(&self.pool, "read metrics' provisional spans").await?;
            spans.extend(
                rows.into_iter()
                    .map(|(id, first, last)| (MetricId(id), (first, last + HOUR_MS))),
            );
        }
        Ok(spans)
    }

    async fn realtime_ledger(&self, metric: MetricId, limit: u32) -> Result<Vec<LedgerRow>> {
        use sqlx::Row;
        const OP: &str = "read a metric's real-time ledger";
        let rows = sqlx::query(
            "SELECT from_ms, to_ms, hours, provisional_sum, provisional_count, polled_sum, \
             polled_count, recorded_ms FROM realtime_ledger WHERE metric_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(metric.0)
        .bind(i64::from(limit))
        .all(&self.pool, OP)
        .await?;
        crate::exec::decode_all(&rows, OP, |row| {
            Ok(LedgerRow {
                metric,
                from_ms: row.try_get("from_ms")?,
                to_ms: row.try_get("to_ms")?,
                hours: row.try_get("hours")?,
                provisional_sum: row.try_get("provisional_sum")?,
                provisional_count: row.try_get("provisional_count")?,
                polled_sum: row.try_get("polled_sum")?,
                polled_count: row.try_get("polled_count")?,
                recorded_ms: row.try_get("recorded_ms")?,
            })
        })
    }

    async fn prune_live(&self, before_ms: i64) -> Result<u64> {
        const OP: &str = "prune pushed events and resources";
        let mut tx = self.begin_write(OP).await?;
        let events = sqlx::query("DELETE FROM live_events WHERE received_ms < $1")
            .bind(before_ms)
            .changed(&mut *tx, OP)
            .await?;
        let resources = sqlx::query("DELETE FROM live_resources WHERE updated_ms < $1")
            .bind(before_ms)
            .changed(&mut *tx, OP)
            .await?;
        crate::exec::commit(tx, OP).await?;
        Ok(events + resources)
    }
}

/// The parts of real time that other writes take part in: the window write's reconciliation,
/// a dimension merge, key rotation and reset.
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
    /// Inside a window write, before its buckets go: the overlaid hours of the window get a
    /// ledger row (the provisional buckets stored against the polled ones given) and lose their
    /// overlay, so the window holds exactly the poll's values. A window of one account's
    /// dimensions (`prefix`) only drops the overlay: overlays are written for metrics of the
    /// connection's own account only, so there is no provisional value to compare.
    pub(crate) async fn reconcile_window(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: MetricId,
        prefix: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        polled: &[BucketRow],
    ) -> Result<()> {
        const OP: &str = "reconcile provisional hours with a poll";
        // Taken by every window write: a live write of the same metric cannot read an hour's
        // polled buckets as its base while a poll replaces them.
        Self::lock_name(tx, &overlay_lock_name(metric), OP).await?;
        let hours: Vec<i64> = sqlx::query_scalar(
            "SELECT hour_ms FROM live_hours WHERE metric_id = $1 AND hour_ms >= $2 \
             AND hour_ms < $3",
        )
        .bind(metric.0)
        .bind(from_ms)
        .bind(to_ms)
        .all(&mut **tx, OP)
        .await?;
        if hours.is_empty() {
            return Ok(());
        }
        if prefix.is_none() {
            let provisional: Vec<(f64, i64)> = sqlx::query_as(
                "SELECT b.sum, b.count FROM buckets b WHERE b.metric_id = $1 \
                 AND b.hour_ms >= $2 AND b.hour_ms < $3 AND b.hour_ms IN \
                 (SELECT l.hour_ms FROM live_hours l WHERE l.metric_id = $1 \
                  AND l.hour_ms >= $2 AND l.hour_ms < $3)",
            )
            .bind(metric.0)
            .bind(from_ms)
            .bind(to_ms)
            .all(&mut **tx, OP)
            .await?;
            let overlaid: HashSet<i64> = hours.iter().copied().collect();
            let (polled_sum, polled_count) = polled
                .iter()
                .filter(|b| overlaid.contains(&b.hour_ms))
                .fold((0.0, 0i64), |(s, c), b| (s + b.sum, c + b.count));
            let (provisional_sum, provisional_count) = provisional
                .iter()
                .fold((0.0, 0i64), |(s, c), (sum, count)| (s + sum, c + count));
            let sql = format!(
                "INSERT INTO realtime_ledger (metric_id, from_ms, to_ms, hours, provisional_sum, \
                 provisional_count, polled_sum, polled_count, recorded_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {})",
                DB::NOW_MS
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(metric.0)
                .bind(from_ms)
                .bind(to_ms)
                .bind(i64::try_from(hours.len()).unwrap_or(i64::MAX))
                .bind(provisional_sum)
                .bind(provisional_count)
                .bind(polled_sum)
                .bind(polled_count)
                .changed(&mut **tx, "record a real-time ledger row")
                .await?;
        }
        sqlx::query(
            "DELETE FROM live_hours WHERE metric_id = $1 AND hour_ms >= $2 AND hour_ms < $3",
        )
        .bind(metric.0)
        .bind(from_ms)
        .bind(to_ms)
        .changed(&mut **tx, OP)
        .await?;
        Ok(())
    }

    /// Inside a dimension merge: folds `from` into `to` in the base and live parts of the
    /// metric's overlaid hours, as the merge does in `buckets` (the fold is the same one, so
    /// base merged with live stays equal to what `buckets` holds).
    pub(crate) async fn merge_overlay_dimension(
        tx: &mut sqlx::Transaction<'static, DB>,
        metric: MetricId,
        from: &str,
        to: &str,
    ) -> Result<()> {
        const OP: &str = "merge a dimension of provisional hours";
        Self::lock_name(tx, &overlay_lock_name(metric), OP).await?;
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT hour_ms, base, live FROM live_hours WHERE metric_id = $1")
                .bind(metric.0)
                .all(&mut **tx, OP)
                .await?;
        for (hour_ms, base, live) in rows {
            let base = decode_overlay(metric, hour_ms, "base", &base)?;
            let live = decode_overlay(metric, hour_ms, "live", &live)?;
            let touches = |rows: &[BucketRow]| rows.iter().any(|b| b.dimension == from);
            if !touches(&base) && !touches(&live) {
                continue;
            }
            let rename = |rows: Vec<BucketRow>| -> Vec<BucketRow> {
                let renamed: Vec<BucketRow> = rows
                    .into_iter()
                    .map(|mut b| {
                        if b.dimension == from {
                            b.dimension = to.to_owned();
                        }
                        b
                    })
                    .collect();
                merge_buckets(&[], &renamed)
            };
            sqlx::query(
                "UPDATE live_hours SET base = $1, live = $2 WHERE metric_id = $3 AND hour_ms = $4",
            )
            .bind(encode_overlay(&rename(base))?)
            .bind(encode_overlay(&rename(live))?)
            .bind(metric.0)
            .bind(hour_ms)
            .changed(&mut **tx, OP)
            .await?;
        }
        Ok(())
    }

    /// Inside a key rotation: re-seals every Auth Token under `new`. Returns how many.
    pub(crate) async fn reseal_auth_tokens(
        tx: &mut sqlx::Transaction<'static, DB>,
        old: &MasterKey,
        new: &MasterKey,
    ) -> Result<u64> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT connection_id, auth_token_sealed FROM connection_hooks \
             WHERE auth_token_sealed IS NOT NULL ORDER BY connection_id",
        )
        .all(&mut **tx, "read Auth Tokens to re-seal")
        .await?;
        let mut count = 0;
        for (id, sealed) in rows {
            if is_forgotten(&sealed) {
                continue;
            }
            let aad = crate::secrets::auth_token_aad(id);
            let plain = old.open(&sealed, &aad).ok_or_else(|| {
                StoreError::corrupt(
                    "connection_hooks",
                    id,
                    "the Auth Token does not open under the old master key",
                )
            })?;
            sqlx::query(
                "UPDATE connection_hooks SET auth_token_sealed = $1 WHERE connection_id = $2",
            )
            .bind(new.seal(&plain, &aad)?)
            .bind(id)
            .changed(&mut **tx, "re-seal an Auth Token")
            .await?;
            count += 1;
        }
        Ok(count)
    }

    /// Inside a key reset: forgets every Auth Token (the hook keys stay). Returns the labels of
    /// their connections.
    pub(crate) async fn forget_auth_tokens(
        tx: &mut sqlx::Transaction<'static, DB>,
    ) -> Result<Vec<String>> {
        let labels: Vec<String> = sqlx::query_scalar(
            "SELECT c.label FROM connection_hooks h JOIN connections c ON c.id = h.connection_id \
             WHERE LENGTH(h.auth_token_sealed) > 0 ORDER BY c.label",
        )
        .all(&mut **tx, "read Auth Tokens to forget")
        .await?;
        sqlx::query(
            "UPDATE connection_hooks SET auth_token_sealed = $1 \
             WHERE LENGTH(auth_token_sealed) > 0",
        )
        .bind(Vec::<u8>::new())
        .changed(&mut **tx, "forget Auth Tokens")
        .await?;
        Ok(labels)
    }
}

fn overlay_lock_name(metric: MetricId) -> String {
    format!("live_hours:{}", metric.0)
}

fn hour_floor(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// Each hour a whole UTC hour, given once, its buckets in that hour with finite values.
fn check_live_hours(hours: &[LiveHour]) -> Result<()> {
    let bad = |reason: String| StoreError::Invalid {
        what: "provisional hour",
        reason,
    };
    let mut seen = HashSet::new();
    for hour in hours {
        if hour.hour_ms % HOUR_MS != 0 {
            return Err(bad(format!(
                "{} is not a whole UTC hour (a multiple of {HOUR_MS} ms)",
                hour.hour_ms
            )));
        }
        if !seen.insert(hour.hour_ms) {
            return Err(bad(format!("the hour {} is given twice", hour.hour_ms)));
        }
        for b in &hour.buckets {
            if b.hour_ms != hour.hour_ms {
                return Err(bad(format!(
                    "the bucket of dimension '{}' is at {}, not in the hour {} it is given for",
                    b.dimension, b.hour_ms, hour.hour_ms
                )));
            }
            if let Some(reason) = b.not_finite() {
                return Err(bad(reason));
            }
        }
    }
    Ok(())
}

/// One bucket of an overlay's JSON (its hour is the row's).
#[derive(serde::Serialize, serde::Deserialize)]
struct OverlayBucket {
    dimension: String,
    sum: f64,
    count: i64,
    min: f64,
    max: f64,
    latest: f64,
    latest_at_ms: i64,
}

fn encode_overlay(rows: &[BucketRow]) -> Result<String> {
    let rows: Vec<OverlayBucket> = rows
        .iter()
        .map(|b| OverlayBucket {
            dimension: b.dimension.clone(),
            sum: b.sum,
            count: b.count,
            min: b.min,
            max: b.max,
            latest: b.latest,
            latest_at_ms: b.latest_at_ms,
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Invalid {
        what: "provisional hour",
        reason: format!("its buckets cannot be written as JSON: {e}"),
    })
}

fn decode_overlay(
    metric: MetricId,
    hour_ms: i64,
    part: &str,
    text: &str,
) -> Result<Vec<BucketRow>> {
    let rows: Vec<OverlayBucket> = serde_json::from_str(text).map_err(|e| {
        StoreError::corrupt(
            "live_hours",
            format!("{metric}/{hour_ms}"),
            format!("the {part} is not a JSON list of buckets: {e}"),
        )
    })?;
    Ok(rows
        .into_iter()
        .map(|b| BucketRow {
            dimension: b.dimension,
            hour_ms,
            sum: b.sum,
            count: b.count,
            min: b.min,
            max: b.max,
            latest: b.latest,
            latest_at_ms: b.latest_at_ms,
        })
        .collect())
}

/// `base` with `live` folded in per dimension ([`BucketRow::fold`]); a dimension on one side
/// only is kept as it is. Sorted by dimension.
pub(crate) fn merge_buckets(base: &[BucketRow], live: &[BucketRow]) -> Vec<BucketRow> {
    let mut merged: BTreeMap<String, BucketRow> = BTreeMap::new();
    for b in base.iter().chain(live) {
        match merged.get_mut(&b.dimension) {
            None => {
                merged.insert(b.dimension.clone(), b.clone());
            }
            Some(m) => m.fold(b),
        }
    }
    merged.into_values().collect()
}

impl LiveStore for crate::AnyStore {
    async fn set_connection_auth_token(
        &self,
        connection: ConnectionId,
        auth_token: Option<&Secret>,
        now_ms: i64,
    ) -> Result<String> {
        forward!(self.set_connection_auth_token(connection, auth_token, now_ms))
    }
    async fn connection_hook(&self, connection: ConnectionId) -> Result<Option<ConnectionHook>> {
        forward!(self.connection_hook(connection))
    }
    async fn callback_auth(&self, hook_key: &str) -> Result<Option<CallbackAuth>> {
        forward!(self.callback_auth(hook_key))
    }
    async fn apply_live_events(
        &self,
        connection: ConnectionId,
        events: &[LiveEventRow],
    ) -> Result<LiveApplied> {
        forward!(self.apply_live_events(connection, events))
    }
    async fn live_resources(
        &self,
        connection: ConnectionId,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        created_since_ms: i64,
    ) -> Result<Vec<LiveResource>> {
        forward!(self.live_resources(connection, kind, from_ms, to_ms, created_since_ms))
    }
    async fn recent_live_events(
        &self,
        connection: ConnectionId,
        limit: u32,
    ) -> Result<Vec<LiveEventSummary>> {
        forward!(self.recent_live_events(connection, limit))
    }
    async fn write_live_hours(&self, metric: MetricId, hours: &[LiveHour]) -> Result<()> {
        forward!(self.write_live_hours(metric, hours))
    }
    async fn live_spans(&self, metrics: &[MetricId]) -> Result<HashMap<MetricId, (i64, i64)>> {
        forward!(self.live_spans(metrics))
    }
    async fn realtime_ledger(&self, metric: MetricId, limit: u32) -> Result<Vec<LedgerRow>> {
        forward!(self.realtime_ledger(metric, limit))
    }
    async fn prune_live(&self, before_ms: i64) -> Result<u64> {
        forward!(self.prune_live(before_ms))
    }
}
