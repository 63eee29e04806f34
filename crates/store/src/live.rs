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

use std::collections::HashMap;
use std::future::Future;

use domain::{AccountSid, Secret};

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::ids::{ConnectionId, MetricId};
use crate::rows::BucketRow;
use crate::secrets::SecretUnavailable;
use crate::sql_impl::SqlStore;

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
        todo!("{connection:?} {auth_token:?} {now_ms}")
    }
    async fn connection_hook(&self, connection: ConnectionId) -> Result<Option<ConnectionHook>> {
        todo!("{connection:?}")
    }
    async fn callback_auth(&self, hook_key: &str) -> Result<Option<CallbackAuth>> {
        todo!("{hook_key}")
    }
    async fn apply_live_events(
        &self,
        connection: ConnectionId,
        events: &[LiveEventRow],
    ) -> Result<LiveApplied> {
        todo!("{connection:?} {events:?}")
    }
    async fn live_resources(
        &self,
        connection: ConnectionId,
        kind: &str,
        from_ms: i64,
        to_ms: i64,
        created_since_ms: i64,
    ) -> Result<Vec<LiveResource>> {
        todo!("{connection:?} {kind} {from_ms} {to_ms} {created_since_ms}")
    }
    async fn recent_live_events(
        &self,
        connection: ConnectionId,
        limit: u32,
    ) -> Result<Vec<LiveEventSummary>> {
        todo!("{connection:?} {limit}")
    }
    async fn write_live_hours(&self, metric: MetricId, hours: &[LiveHour]) -> Result<()> {
        todo!("{metric:?} {hours:?}")
    }
    async fn live_spans(&self, metrics: &[MetricId]) -> Result<HashMap<MetricId, (i64, i64)>> {
        todo!("{metrics:?}")
    }
    async fn realtime_ledger(&self, metric: MetricId, limit: u32) -> Result<Vec<LedgerRow>> {
        todo!("{metric:?} {limit}")
    }
    async fn prune_live(&self, before_ms: i64) -> Result<u64> {
        todo!("{before_ms}")
    }
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
