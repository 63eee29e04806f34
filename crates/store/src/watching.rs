//! Goals, alerts, scorecards, channels and deliveries, behind [`WatchStore`] (implemented by both
//! backends and [`crate::AnyStore`]). Specs are the `watch` crate's types, kept as JSON; channel
//! secrets are sealed under the master key bound to their row, like connection secrets.

use std::future::Future;
use std::time::Duration;

use domain::Secret;
use watch::alert::{AlertState, Phase};
use watch::goal::Status;
use watch::{AlertSpec, ChannelConfig, GoalSpec, ScorecardSpec};

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::ids::{MetricId, id_type};
use crate::sql_impl::SqlStore;

id_type!(ChannelId);
id_type!(GoalId);
id_type!(AlertId);
id_type!(AlertEventId);
id_type!(ScorecardId);
id_type!(DeliveryId);

pub(crate) fn channel_aad(id: i64) -> String {
    format!("channels:{id}:secret")
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub name: String,
    pub config: ChannelConfig,
    pub secret: Option<Secret>,
}

/// What an update does to a channel's sealed secret.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretChange {
    /// Leave it as it is: forms never show a secret, so an empty field means "unchanged".
    Keep,
    Set(Secret),
    Clear,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub id: ChannelId,
    pub name: String,
    pub config: ChannelConfig,
    /// Opened from its sealed form (`None`: the channel has none), or why it cannot be.
    pub secret: Result<Option<Secret>, crate::secrets::SecretUnavailable>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewGoal {
    pub name: String,
    pub metric_id: MetricId,
    pub spec: GoalSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoalRow {
    pub id: GoalId,
    pub name: String,
    pub metric_id: MetricId,
    pub spec: GoalSpec,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One occurrence of a goal's period as last evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalPeriodRow {
    pub index: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    pub value: Option<f64>,
    pub target: f64,
    pub status: Status,
    pub recorded_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub name: String,
    pub metric_id: MetricId,
    pub spec: AlertSpec,
    pub enabled: bool,
    pub channels: Vec<ChannelId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: AlertId,
    pub name: String,
    pub metric_id: MetricId,
    pub spec: AlertSpec,
    pub enabled: bool,
    pub channels: Vec<ChannelId>,
    pub state: AlertState,
    pub last_evaluated_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEventKind {
    Fired,
    Resolved,
}

impl AlertEventKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertEventKind::Fired => "fired",
            AlertEventKind::Resolved => "resolved",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "fired" => Some(AlertEventKind::Fired),
            "resolved" => Some(AlertEventKind::Resolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertEvent {
    pub kind: AlertEventKind,
    pub at_ms: i64,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    pub range: Option<(i64, i64)>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertEventRow {
    pub id: AlertEventId,
    pub alert_id: AlertId,
    pub event: NewAlertEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewScorecard {
    pub name: String,
    pub spec: ScorecardSpec,
    pub channels: Vec<ChannelId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardRow {
    pub id: ScorecardId,
    pub name: String,
    pub spec: ScorecardSpec,
    pub channels: Vec<ChannelId>,
    pub next_run_ms: i64,
    pub last_run_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a delivery was sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum DeliverySource {
    Alert(AlertId),
    Scorecard(ScorecardId),
    /// The "send a test" button of a channel's form.
    Test,
}

impl DeliverySource {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            DeliverySource::Alert(id) => ("alert", Some(id.0)),
            DeliverySource::Scorecard(id) => ("scorecard", Some(id.0)),
            DeliverySource::Test => ("test", None),
        }
    }

    fn from_parts(kind: &str, id: Option<i64>) -> Option<Self> {
        match (kind, id) {
            ("alert", Some(id)) => Some(DeliverySource::Alert(AlertId(id))),
            ("scorecard", Some(id)) => Some(DeliverySource::Scorecard(ScorecardId(id))),
            ("test", _) => Some(DeliverySource::Test),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "sent" => Some(DeliveryState::Sent),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub channel_id: ChannelId,
    pub source: DeliverySource,
    /// The rendered message as the notify crate reads it (JSON).
    pub message: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub channel_id: ChannelId,
    pub source: DeliverySource,
    pub message: serde_json::Value,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    /// The claim sending it now, and when that claim's lease lapses; `None` when unclaimed.
    pub locked_by: Option<String>,
    pub locked_until_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Sent,
    /// Try again at `at_ms`.
    Retry {
        at_ms: i64,
        error: String,
    },
    /// Give up.
    Failed {
        error: String,
    },
}

pub(crate) fn phase_str(p: Phase) -> &'static str {
    match p {
        Phase::Ok => "ok",
        Phase::Firing => "firing",
        Phase::Suppressed => "suppressed",
    }
}

pub(crate) fn phase_parse(s: &str) -> Option<Phase> {
    match s {
        "ok" => Some(Phase::Ok),
        "firing" => Some(Phase::Firing),
        "suppressed" => Some(Phase::Suppressed),
        _ => None,
    }
}

pub(crate) fn status_str(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "not_started",
        Status::OnTrack => "on_track",
        Status::AtRisk => "at_risk",
        Status::OffTrack => "off_track",
        Status::Achieved => "achieved",
        Status::Missed => "missed",
        Status::NoData => "no_data",
    }
}

pub(crate) fn status_parse(s: &str) -> Option<Status> {
    Some(match s {
        "not_started" => Status::NotStarted,
        "on_track" => Status::OnTrack,
        "at_risk" => Status::AtRisk,
        "off_track" => Status::OffTrack,
        "achieved" => Status::Achieved,
        "missed" => Status::Missed,
        "no_data" => Status::NoData,
        _ => return None,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid {
        what,
        reason: e.to_string(),
    })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    id: i64,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(table, id, e.to_string()))
}

pub(crate) fn source_of(kind: &str, id: Option<i64>, row: i64) -> Result<DeliverySource> {
    DeliverySource::from_parts(kind, id)
        .ok_or_else(|| StoreError::corrupt("deliveries", row, format!("source {kind}")))
}

pub(crate) fn source_parts(s: DeliverySource) -> (&'static str, Option<i64>) {
    s.parts()
}

pub(crate) fn state_str(s: DeliveryState) -> &'static str {
    s.as_str()
}

pub(crate) fn state_parse(s: &str, row: i64) -> Result<DeliveryState> {
    DeliveryState::parse(s)
        .ok_or_else(|| StoreError::corrupt("deliveries", row, format!("state {s}")))
}

pub(crate) fn event_kind_str(k: AlertEventKind) -> &'static str {
    k.as_str()
}

pub(crate) fn event_kind_parse(s: &str, row: i64) -> Result<AlertEventKind> {
    AlertEventKind::parse(s)
        .ok_or_else(|| StoreError::corrupt("alert_events", row, format!("kind {s}")))
}

pub trait WatchStore: Send + Sync + 'static {
    // --- channels ---

    /// `Duplicate` when the name is taken.
    fn create_channel(
        &self,
        new: &NewChannel,
        now_ms: i64,
    ) -> impl Future<Output = Result<ChannelRow>> + Send;
    fn channel(&self, id: ChannelId) -> impl Future<Output = Result<ChannelRow>> + Send;
    fn list_channels(&self) -> impl Future<Output = Result<Vec<ChannelRow>>> + Send;
    fn update_channel(
        &self,
        id: ChannelId,
        name: &str,
        config: &ChannelConfig,
        secret: &SecretChange,
        now_ms: i64,
    ) -> impl Future<Output = Result<ChannelRow>> + Send;
    fn delete_channel(&self, id: ChannelId) -> impl Future<Output = Result<bool>> + Send;

    // --- goals ---

    fn create_goal(
        &self,
        new: &NewGoal,
        now_ms: i64,
    ) -> impl Future<Output = Result<GoalRow>> + Send;
    fn goal(&self, id: GoalId) -> impl Future<Output = Result<GoalRow>> + Send;
    fn list_goals(&self) -> impl Future<Output = Result<Vec<GoalRow>>> + Send;
    fn update_goal(
        &self,
        id: GoalId,
        new: &NewGoal,
        now_ms: i64,
    ) -> impl Future<Output = Result<GoalRow>> + Send;
    fn delete_goal(&self, id: GoalId) -> impl Future<Output = Result<bool>> + Send;
    /// Writes (or rewrites) one occurrence of the goal's period.
    fn record_goal_period(
        &self,
        goal: GoalId,
        period: &GoalPeriodRow,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The goal's recorded periods, newest first, at most `limit`.
    fn goal_periods(
        &self,
        goal: GoalId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<GoalPeriodRow>>> + Send;

    // --- alerts ---

    fn create_alert(
        &self,
        new: &NewAlert,
        now_ms: i64,
    ) -> impl Future<Output = Result<AlertRow>> + Send;
    fn alert(&self, id: AlertId) -> impl Future<Output = Result<AlertRow>> + Send;
    fn list_alerts(&self) -> impl Future<Output = Result<Vec<AlertRow>>> + Send;
    /// Saves a new configuration; the state is kept.
    fn update_alert(
        &self,
        id: AlertId,
        new: &NewAlert,
        now_ms: i64,
    ) -> impl Future<Output = Result<AlertRow>> + Send;
    fn delete_alert(&self, id: AlertId) -> impl Future<Output = Result<bool>> + Send;
    /// Saves the state after an evaluation, and its event if it fired or resolved, in one
    /// transaction. `expected` is the state the evaluation started from: when another process
    /// moved the alert on meanwhile nothing is written and `None` is returned, so a breach
    /// fires once even with several evaluators. `deliveries` (the event's messages) are queued
    /// in the same transaction, so a process that stops after the transition cannot leave a
    /// recorded event that no one is told about.
    fn transition_alert(
        &self,
        id: AlertId,
        expected: &AlertState,
        state: &AlertState,
        evaluated_ms: i64,
        event: Option<&NewAlertEvent>,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = Result<Option<Option<AlertEventId>>>> + Send;
    /// The alert's events, newest first, at most `limit`.
    fn alert_events(
        &self,
        alert: AlertId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AlertEventRow>>> + Send;

    // --- scorecards ---

    fn create_scorecard(
        &self,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<ScorecardRow>> + Send;
    fn scorecard(&self, id: ScorecardId) -> impl Future<Output = Result<ScorecardRow>> + Send;
    fn list_scorecards(&self) -> impl Future<Output = Result<Vec<ScorecardRow>>> + Send;
    fn update_scorecard(
        &self,
        id: ScorecardId,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<ScorecardRow>> + Send;
    fn delete_scorecard(&self, id: ScorecardId) -> impl Future<Output = Result<bool>> + Send;
    /// Moves a due scorecard's next run from `due_ms` to `next_run_ms`; false when another
    /// process already did, so each run is sent once. The run's `deliveries` are queued in the
    /// claim's transaction: a claimed run is a queued run.
    fn claim_scorecard_run(
        &self,
        id: ScorecardId,
        due_ms: i64,
        next_run_ms: i64,
        now_ms: i64,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = Result<bool>> + Send;

    // --- deliveries ---

    fn create_delivery(
        &self,
        new: &NewDelivery,
        now_ms: i64,
    ) -> impl Future<Output = Result<DeliveryRow>> + Send;
    fn delivery(&self, id: DeliveryId) -> impl Future<Output = Result<DeliveryRow>> + Send;
    /// Takes the oldest pending delivery due at `now_ms` that no claim holds, counts an attempt
    /// and leases it to `holder` until `now_ms + lease`. Concurrent claims never get the same
    /// delivery. A lease that lapses is taken back by [`WatchStore::claim_lapsed_delivery`].
    fn claim_delivery(
        &self,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<DeliveryRow>>> + Send;
    /// Claims one delivery by id when it is pending, due and free, as
    /// [`WatchStore::claim_delivery`] does for the oldest: the "send a test" button sends its
    /// own message now.
    fn claim_delivery_id(
        &self,
        id: DeliveryId,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<DeliveryRow>>> + Send;
    /// Takes one delivery whose claim's lease lapsed before `now_ms` (its process died or hung
    /// mid-attempt) and leases it to `holder` without counting another attempt: the caller
    /// records the lapsed attempt's failure with [`WatchStore::finish_attempt`], so it follows
    /// the retry schedule like any failed attempt.
    fn claim_lapsed_delivery(
        &self,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<DeliveryRow>>> + Send;
    /// Records how `holder`'s attempt ended and releases its lease; `DeliveryLeaseLost` when
    /// `holder` no longer holds the delivery (its lease lapsed and another process took it).
    fn finish_attempt(
        &self,
        id: DeliveryId,
        holder: &str,
        outcome: &AttemptOutcome,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Newest first, of one source or all; at most `limit`.
    fn deliveries(
        &self,
        source: Option<DeliverySource>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DeliveryRow>>> + Send;
}

impl WatchStore for crate::AnyStore {
    async fn create_channel(&self, new: &NewChannel, now_ms: i64) -> Result<ChannelRow> {
        forward!(self.create_channel(new, now_ms))
    }

    async fn channel(&self, id: ChannelId) -> Result<ChannelRow> {
        forward!(self.channel(id))
    }

    async fn list_channels(&self) -> Result<Vec<ChannelRow>> {
        forward!(self.list_channels())
    }

    async fn update_channel(
        &self,
        id: ChannelId,
        name: &str,
        config: &ChannelConfig,
        secret: &SecretChange,
        now_ms: i64,
    ) -> Result<ChannelRow> {
        forward!(self.update_channel(id, name, config, secret, now_ms))
    }

    async fn delete_channel(&self, id: ChannelId) -> Result<bool> {
        forward!(self.delete_channel(id))
    }

    async fn create_goal(&self, new: &NewGoal, now_ms: i64) -> Result<GoalRow> {
        forward!(self.create_goal(new, now_ms))
    }

    async fn goal(&self, id: GoalId) -> Result<GoalRow> {
        forward!(self.goal(id))
    }

    async fn list_goals(&self) -> Result<Vec<GoalRow>> {
        forward!(self.list_goals())
    }

    async fn update_goal(&self, id: GoalId, new: &NewGoal, now_ms: i64) -> Result<GoalRow> {
        forward!(self.update_goal(id, new, now_ms))
    }

    async fn delete_goal(&self, id: GoalId) -> Result<bool> {
        forward!(self.delete_goal(id))
    }

    async fn record_goal_period(&self, goal: GoalId, period: &GoalPeriodRow) -> Result<()> {
        forward!(self.record_goal_period(goal, period))
    }

    async fn goal_periods(&self, goal: GoalId, limit: u32) -> Result<Vec<GoalPeriodRow>> {
        forward!(self.goal_periods(goal, limit))
    }

    async fn create_alert(&self, new: &NewAlert, now_ms: i64) -> Result<AlertRow> {
        forward!(self.create_alert(new, now_ms))
    }

    async fn alert(&self, id: AlertId) -> Result<AlertRow> {
        forward!(self.alert(id))
    }

    async fn list_alerts(&self) -> Result<Vec<AlertRow>> {
        forward!(self.list_alerts())
    }

    async fn update_alert(&self, id: AlertId, new: &NewAlert, now_ms: i64) -> Result<AlertRow> {
        forward!(self.update_alert(id, new, now_ms))
    }

    async fn delete_alert(&self, id: AlertId) -> Result<bool> {
        forward!(self.delete_alert(id))
    }

    async fn transition_alert(
        &self,
        id: AlertId,
        expected: &AlertState,
        state: &AlertState,
        evaluated_ms: i64,
        event: Option<&NewAlertEvent>,
        deliveries: &[NewDelivery],
    ) -> Result<Option<Option<AlertEventId>>> {
        forward!(self.transition_alert(id, expected, state, evaluated_ms, event, deliveries))
    }

    async fn alert_events(&self, alert: AlertId, limit: u32) -> Result<Vec<AlertEventRow>> {
        forward!(self.alert_events(alert, limit))
    }

    async fn create_scorecard(
        &self,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> Result<ScorecardRow> {
        forward!(self.create_scorecard(new, next_run_ms, now_ms))
    }

    async fn scorecard(&self, id: ScorecardId) -> Result<ScorecardRow> {
        forward!(self.scorecard(id))
    }

    async fn list_scorecards(&self) -> Result<Vec<ScorecardRow>> {
        forward!(self.list_scorecards())
    }

    async fn update_scorecard(
        &self,
        id: ScorecardId,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> Result<ScorecardRow> {
        forward!(self.update_scorecard(id, new, next_run_ms, now_ms))
    }

    async fn delete_scorecard(&self, id: ScorecardId) -> Result<bool> {
        forward!(self.delete_scorecard(id))
    }

    async fn claim_scorecard_run(
        &self,
        id: ScorecardId,
        due_ms: i64,
        next_run_ms: i64,
        now_ms: i64,
        deliveries: &[NewDelivery],
    ) -> Result<bool> {
        forward!(self.claim_scorecard_run(id, due_ms, next_run_ms, now_ms, deliveries))
    }

    async fn create_delivery(&self, new: &NewDelivery, now_ms: i64) -> Result<DeliveryRow> {
        forward!(self.create_delivery(new, now_ms))
    }

    async fn delivery(&self, id: DeliveryId) -> Result<DeliveryRow> {
        forward!(self.delivery(id))
    }

    async fn claim_delivery(
        &self,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        forward!(self.claim_delivery(holder, lease, now_ms))
    }

    async fn claim_delivery_id(
        &self,
        id: DeliveryId,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        forward!(self.claim_delivery_id(id, holder, lease, now_ms))
    }

    async fn claim_lapsed_delivery(
        &self,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        forward!(self.claim_lapsed_delivery(holder, lease, now_ms))
    }

    async fn finish_attempt(
        &self,
        id: DeliveryId,
        holder: &str,
        outcome: &AttemptOutcome,
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.finish_attempt(id, holder, outcome, now_ms))
    }

    async fn deliveries(
        &self,
        source: Option<DeliverySource>,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>> {
        forward!(self.deliveries(source, limit))
    }
}

/// What differs between the named watch tables (channels, goals, alerts, scorecards) in the code
/// they share: reading one row, listing, deleting, and turning a failed write into an error.
struct WatchTable {
    /// The kind of row, as errors name it.
    what: &'static str,
    select: &'static str,
    list: &'static str,
    delete: &'static str,
    read_op: &'static str,
    list_op: &'static str,
    delete_op: &'static str,
}

const CHANNELS: WatchTable = WatchTable {
    what: "channel",
    select: "SELECT * FROM channels WHERE id = $1",
    list: "SELECT * FROM channels ORDER BY name",
    delete: "DELETE FROM channels WHERE id = $1",
    read_op: "read a channel",
    list_op: "list channels",
    delete_op: "delete a channel",
};

const GOALS: WatchTable = WatchTable {
    what: "goal",
    select: "SELECT * FROM goals WHERE id = $1",
    list: "SELECT * FROM goals ORDER BY name",
    delete: "DELETE FROM goals WHERE id = $1",
    read_op: "read a goal",
    list_op: "list goals",
    delete_op: "delete a goal",
};

const ALERTS: WatchTable = WatchTable {
    what: "alert",
    select: "SELECT * FROM alerts WHERE id = $1",
    list: "SELECT * FROM alerts ORDER BY name",
    delete: "DELETE FROM alerts WHERE id = $1",
    read_op: "read an alert",
    list_op: "list alerts",
    delete_op: "delete an alert",
};

const SCORECARDS: WatchTable = WatchTable {
    what: "scorecard",
    select: "SELECT * FROM scorecards WHERE id = $1",
    list: "SELECT * FROM scorecards ORDER BY name",
    delete: "DELETE FROM scorecards WHERE id = $1",
    read_op: "read a scorecard",
    list_op: "list scorecards",
    delete_op: "delete a scorecard",
};

impl WatchTable {
    /// A failed insert or update of a named row: a taken name is `Duplicate`; for the kinds that
    /// reference a metric, a missing one is `NotFound`; anything else names `op`.
    fn write_error<'a>(
        &'a self,
        name: &'a str,
        metric: Option<MetricId>,
        op: &'static str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + Send + 'a {
        move |e| match (&e, metric) {
            (sqlx::Error::Database(d), Some(metric)) if d.is_foreign_key_violation() => {
                crate::error::not_found_metric(metric)
            }
            _ => StoreError::named_write(self.what, name, op)(e),
        }
    }

    fn not_found(&self, id: i64) -> StoreError {
        StoreError::not_found(self.what, id)
    }
}

// Rows of the watch tables into their types; channel secrets open under the master key here.
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
    /// The row with `id` in `t`, or `NotFound`.
    async fn watch_row(&self, t: &WatchTable, id: i64) -> Result<DB::Row> {
        sqlx::query(t.select)
            .bind(id)
            .found(&self.pool, t.read_op, || t.not_found(id))
            .await
    }

    /// Every row of `t`, by name.
    async fn watch_rows(&self, t: &WatchTable) -> Result<Vec<DB::Row>> {
        sqlx::query(t.list).all(&self.pool, t.list_op).await
    }

    /// Deletes the row with `id` from `t`; whether there was one.
    async fn watch_delete(&self, t: &WatchTable, id: i64) -> Result<bool> {
        Ok(sqlx::query(t.delete)
            .bind(id)
            .changed(&self.pool, t.delete_op)
            .await?
            > 0)
    }

    /// Runs one of the delivery claim statements (`$1` holder, `$2` lease end, `$3` now) and
    /// reads the row it took, if any.
    async fn watch_claim_delivery(
        &self,
        sql: String,
        op: &'static str,
        holder: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(holder)
            .bind(crate::sql_impl::lease_until(now_ms, lease))
            .bind(now_ms)
            .optional(&self.pool, op)
            .await?;
        row.as_ref().map(Self::watch_delivery_row).transpose()
    }

    fn watch_channel_row(&self, row: &DB::Row) -> Result<ChannelRow> {
        use sqlx::Row;
        let e = StoreError::db;
        let id: i64 = row.try_get("id").map_err(e("read a channel"))?;
        let name: String = row.try_get("name").map_err(e("read a channel"))?;
        let config: String = row.try_get("config").map_err(e("read a channel"))?;
        let sealed: Option<Vec<u8>> = row.try_get("sealed_secret").map_err(e("read a channel"))?;
        let secret = match sealed {
            None => Ok(None),
            Some(s) => self
                .open_sealed(&s, &channel_aad(id), || {
                    crate::secrets::SealedItem::ChannelSecret { name: name.clone() }
                })
                .and_then(|plain| {
                    String::from_utf8(plain).map_err(|_| crate::secrets::SecretUnavailable {
                        what: crate::secrets::SealedItem::ChannelSecret { name: name.clone() },
                        why: crate::secrets::Unavailability::Damaged,
                    })
                })
                .map(|text| Some(domain::Secret::new(text))),
        };
        Ok(ChannelRow {
            id: ChannelId(id),
            name,
            config: from_json("channels", id, &config)?,
            secret,
            created_ms: row.try_get("created_ms").map_err(e("read a channel"))?,
            updated_ms: row.try_get("updated_ms").map_err(e("read a channel"))?,
        })
    }

    async fn watch_links(&self, table: &'static str, owner: i64) -> Result<Vec<ChannelId>> {
        let sql = match table {
            "alert_channels" => {
                "SELECT channel_id FROM alert_channels WHERE alert_id = $1 ORDER BY channel_id"
            }
            _ => {
                "SELECT channel_id FROM scorecard_channels WHERE scorecard_id = $1 ORDER BY \
                 channel_id"
            }
        };
        let ids: Vec<i64> = sqlx::query_scalar(sql)
            .bind(owner)
            .all(&self.pool, "read linked channels")
            .await?;
        Ok(ids.into_iter().map(ChannelId).collect())
    }

    /// Queues one delivery inside the caller's transaction.
    async fn watch_insert_delivery(
        tx: &mut sqlx::Transaction<'static, DB>,
        new: &NewDelivery,
        now_ms: i64,
    ) -> Result<DeliveryRow> {
        let (kind, source_id) = source_parts(new.source);
        let message = to_json("delivery", &new.message)?;
        let row = sqlx::query(
            "INSERT INTO deliveries (channel_id, source_kind, source_id, message, state, \
             attempts, next_attempt_ms, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5) RETURNING *",
        )
        .bind(new.channel_id.0)
        .bind(kind)
        .bind(source_id)
        .bind(message)
        .bind(now_ms)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::not_found("channel", new.channel_id)
            }
            _ => StoreError::db("create a delivery")(e),
        })?;
        Self::watch_delivery_row(&row)
    }

    async fn watch_set_links(
        tx: &mut sqlx::Transaction<'static, DB>,
        table: &'static str,
        owner: i64,
        channels: &[ChannelId],
    ) -> Result<()> {
        let (del, ins) = match table {
            "alert_channels" => (
                "DELETE FROM alert_channels WHERE alert_id = $1",
                "INSERT INTO alert_channels (alert_id, channel_id) VALUES ($1, $2) ON CONFLICT DO \
                 NOTHING",
            ),
            _ => (
                "DELETE FROM scorecard_channels WHERE scorecard_id = $1",
                "INSERT INTO scorecard_channels (scorecard_id, channel_id) VALUES ($1, $2) ON \
                 CONFLICT DO NOTHING",
            ),
        };
        sqlx::query(del)
            .bind(owner)
            .changed(&mut **tx, "unlink channels")
            .await?;
        for c in channels {
            sqlx::query(ins)
                .bind(owner)
                .bind(c.0)
                .execute(&mut **tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        StoreError::not_found("channel", c)
                    }
                    _ => StoreError::db("link a channel")(e),
                })?;
        }
        Ok(())
    }

    fn watch_goal_row(row: &DB::Row) -> Result<GoalRow> {
        use sqlx::Row;
        let e = StoreError::db;
        let id: i64 = row.try_get("id").map_err(e("read a goal"))?;
        let spec: String = row.try_get("spec").map_err(e("read a goal"))?;
        Ok(GoalRow {
            id: GoalId(id),
            name: row.try_get("name").map_err(e("read a goal"))?,
            metric_id: crate::MetricId(row.try_get("metric_id").map_err(e("read a goal"))?),
            spec: from_json("goals", id, &spec)?,
            created_ms: row.try_get("created_ms").map_err(e("read a goal"))?,
            updated_ms: row.try_get("updated_ms").map_err(e("read a goal"))?,
        })
    }

    async fn watch_alert_row(&self, row: &DB::Row) -> Result<AlertRow> {
        use sqlx::Row;
        let e = StoreError::db;
        let id: i64 = row.try_get("id").map_err(e("read an alert"))?;
        let spec: String = row.try_get("spec").map_err(e("read an alert"))?;
        let phase: String = row.try_get("phase").map_err(e("read an alert"))?;
        Ok(AlertRow {
            id: AlertId(id),
            name: row.try_get("name").map_err(e("read an alert"))?,
            metric_id: crate::MetricId(row.try_get("metric_id").map_err(e("read an alert"))?),
            spec: from_json("alerts", id, &spec)?,
            enabled: row.try_get("enabled").map_err(e("read an alert"))?,
            channels: self.watch_links("alert_channels", id).await?,
            state: watch::alert::AlertState {
                phase: phase_parse(&phase)
                    .ok_or_else(|| StoreError::corrupt("alerts", id, format!("phase {phase}")))?,
                last_fired_ms: row.try_get("last_fired_ms").map_err(e("read an alert"))?,
            },
            last_evaluated_ms: row
                .try_get("last_evaluated_ms")
                .map_err(e("read an alert"))?,
            created_ms: row.try_get("created_ms").map_err(e("read an alert"))?,
            updated_ms: row.try_get("updated_ms").map_err(e("read an alert"))?,
        })
    }

    async fn watch_scorecard_row(&self, row: &DB::Row) -> Result<ScorecardRow> {
        use sqlx::Row;
        let e = StoreError::db;
        let id: i64 = row.try_get("id").map_err(e("read a scorecard"))?;
        let spec: String = row.try_get("spec").map_err(e("read a scorecard"))?;
        Ok(ScorecardRow {
            id: ScorecardId(id),
            name: row.try_get("name").map_err(e("read a scorecard"))?,
            spec: from_json("scorecards", id, &spec)?,
            channels: self.watch_links("scorecard_channels", id).await?,
            next_run_ms: row.try_get("next_run_ms").map_err(e("read a scorecard"))?,
            last_run_ms: row.try_get("last_run_ms").map_err(e("read a scorecard"))?,
            created_ms: row.try_get("created_ms").map_err(e("read a scorecard"))?,
            updated_ms: row.try_get("updated_ms").map_err(e("read a scorecard"))?,
        })
    }

    fn watch_delivery_row(row: &DB::Row) -> Result<DeliveryRow> {
        use sqlx::Row;
        let e = StoreError::db;
        let id: i64 = row.try_get("id").map_err(e("read a delivery"))?;
        let kind: String = row.try_get("source_kind").map_err(e("read a delivery"))?;
        let source_id: Option<i64> = row.try_get("source_id").map_err(e("read a delivery"))?;
        let message: String = row.try_get("message").map_err(e("read a delivery"))?;
        let state: String = row.try_get("state").map_err(e("read a delivery"))?;
        let attempts: i64 = row.try_get("attempts").map_err(e("read a delivery"))?;
        Ok(DeliveryRow {
            id: DeliveryId(id),
            channel_id: ChannelId(row.try_get("channel_id").map_err(e("read a delivery"))?),
            source: source_of(&kind, source_id, id)?,
            message: from_json("deliveries", id, &message)?,
            state: state_parse(&state, id)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            next_attempt_ms: row
                .try_get("next_attempt_ms")
                .map_err(e("read a delivery"))?,
            last_error: row.try_get("last_error").map_err(e("read a delivery"))?,
            locked_by: row.try_get("locked_by").map_err(e("read a delivery"))?,
            locked_until_ms: row.try_get("locked_until").map_err(e("read a delivery"))?,
            created_ms: row.try_get("created_ms").map_err(e("read a delivery"))?,
            updated_ms: row.try_get("updated_ms").map_err(e("read a delivery"))?,
        })
    }
}

impl<DB: Dialect> WatchStore for SqlStore<DB>
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
    async fn create_channel(&self, new: &NewChannel, now_ms: i64) -> Result<ChannelRow> {
        let config = to_json("channel", &new.config)?;
        let mut tx = self.begin_write("create a channel").await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO channels (name, config, sealed_secret, created_ms, updated_ms) VALUES \
             ($1, $2, NULL, $3, $3) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(config)
        .bind(now_ms)
        .one_or(
            &mut *tx,
            CHANNELS.write_error(&new.name, None, "create a channel"),
        )
        .await?;
        if let Some(secret) = &new.secret {
            // The associated data names the row, so the id must exist before sealing.
            let sealed = self
                .sealer()?
                .seal(secret.expose().as_bytes(), &channel_aad(id))?;
            sqlx::query("UPDATE channels SET sealed_secret = $1 WHERE id = $2")
                .bind(sealed)
                .bind(id)
                .changed(&mut *tx, "seal a channel's secret")
                .await?;
        }
        crate::exec::commit(tx, "create a channel").await?;
        self.channel(ChannelId(id)).await
    }

    async fn channel(&self, id: ChannelId) -> Result<ChannelRow> {
        let row = self.watch_row(&CHANNELS, id.0).await?;
        self.watch_channel_row(&row)
    }

    async fn list_channels(&self) -> Result<Vec<ChannelRow>> {
        let rows = self.watch_rows(&CHANNELS).await?;
        rows.iter().map(|r| self.watch_channel_row(r)).collect()
    }

    async fn update_channel(
        &self,
        id: ChannelId,
        name: &str,
        config: &watch::ChannelConfig,
        secret: &SecretChange,
        now_ms: i64,
    ) -> Result<ChannelRow> {
        let config = to_json("channel", config)?;
        let mut tx = self.begin_write("update a channel").await?;
        sqlx::query("UPDATE channels SET name = $1, config = $2, updated_ms = $3 WHERE id = $4")
            .bind(name)
            .bind(config)
            .bind(now_ms)
            .bind(id.0)
            .changed_one_or(
                &mut *tx,
                CHANNELS.write_error(name, None, "update a channel"),
                || CHANNELS.not_found(id.0),
            )
            .await?;
        let sealed = match secret {
            SecretChange::Keep => None,
            SecretChange::Clear => Some(None),
            SecretChange::Set(s) => Some(Some(
                self.sealer()?
                    .seal(s.expose().as_bytes(), &channel_aad(id.0))?,
            )),
        };
        if let Some(sealed) = sealed {
            sqlx::query("UPDATE channels SET sealed_secret = $1 WHERE id = $2")
                .bind(sealed)
                .bind(id.0)
                .changed(&mut *tx, "seal a channel's secret")
                .await?;
        }
        crate::exec::commit(tx, "update a channel").await?;
        self.channel(id).await
    }

    async fn delete_channel(&self, id: ChannelId) -> Result<bool> {
        self.watch_delete(&CHANNELS, id.0).await
    }

    async fn create_goal(&self, new: &NewGoal, now_ms: i64) -> Result<GoalRow> {
        let spec = to_json("goal", &new.spec)?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO goals (name, metric_id, spec, created_ms, updated_ms) VALUES ($1, $2, \
             $3, $4, $4) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.metric_id.0)
        .bind(spec)
        .bind(now_ms)
        .one_or(
            &self.pool,
            GOALS.write_error(&new.name, Some(new.metric_id), "create a goal"),
        )
        .await?;
        self.goal(GoalId(id)).await
    }

    async fn goal(&self, id: GoalId) -> Result<GoalRow> {
        let row = self.watch_row(&GOALS, id.0).await?;
        Self::watch_goal_row(&row)
    }

    async fn list_goals(&self) -> Result<Vec<GoalRow>> {
        let rows = self.watch_rows(&GOALS).await?;
        rows.iter().map(Self::watch_goal_row).collect()
    }

    async fn update_goal(&self, id: GoalId, new: &NewGoal, now_ms: i64) -> Result<GoalRow> {
        let spec = to_json("goal", &new.spec)?;
        sqlx::query(
            "UPDATE goals SET name = $1, metric_id = $2, spec = $3, updated_ms = $4 WHERE id = $5",
        )
        .bind(new.name.as_str())
        .bind(new.metric_id.0)
        .bind(spec)
        .bind(now_ms)
        .bind(id.0)
        .changed_one_or(
            &self.pool,
            GOALS.write_error(&new.name, Some(new.metric_id), "update a goal"),
            || GOALS.not_found(id.0),
        )
        .await?;
        self.goal(id).await
    }

    async fn delete_goal(&self, id: GoalId) -> Result<bool> {
        self.watch_delete(&GOALS, id.0).await
    }

    async fn record_goal_period(&self, goal: GoalId, p: &GoalPeriodRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO goal_periods (goal_id, period_index, start_ms, end_ms, value, target, \
             status, recorded_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (goal_id, period_index) DO UPDATE SET start_ms = excluded.start_ms, \
             end_ms = excluded.end_ms, \
             value = excluded.value, target = excluded.target, status = excluded.status, \
             recorded_ms = excluded.recorded_ms",
        )
        .bind(goal.0)
        .bind(i64::from(p.index))
        .bind(p.start_ms)
        .bind(p.end_ms)
        .bind(p.value)
        .bind(p.target)
        .bind(status_str(p.status))
        .bind(p.recorded_ms)
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::not_found("goal", goal)
            }
            _ => StoreError::db("record a goal period")(e),
        })?;
        Ok(())
    }

    async fn goal_periods(&self, goal: GoalId, limit: u32) -> Result<Vec<GoalPeriodRow>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT period_index, start_ms, end_ms, value, target, status, recorded_ms FROM \
             goal_periods \
             WHERE goal_id = $1 ORDER BY period_index DESC LIMIT $2",
        )
        .bind(goal.0)
        .bind(i64::from(limit))
        .all(&self.pool, "read goal periods")
        .await?;
        let e = StoreError::db;
        rows.iter()
            .map(|r| {
                let index: i64 = r.try_get("period_index").map_err(e("read a goal period"))?;
                let status: String = r.try_get("status").map_err(e("read a goal period"))?;
                Ok(GoalPeriodRow {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    start_ms: r.try_get("start_ms").map_err(e("read a goal period"))?,
                    end_ms: r.try_get("end_ms").map_err(e("read a goal period"))?,
                    value: r.try_get("value").map_err(e("read a goal period"))?,
                    target: r.try_get("target").map_err(e("read a goal period"))?,
                    status: status_parse(&status).ok_or_else(|| {
                        StoreError::corrupt("goal_periods", goal.0, format!("status {status}"))
                    })?,
                    recorded_ms: r.try_get("recorded_ms").map_err(e("read a goal period"))?,
                })
            })
            .collect()
    }

    async fn create_alert(&self, new: &NewAlert, now_ms: i64) -> Result<AlertRow> {
        let spec = to_json("alert", &new.spec)?;
        let mut tx = self.begin_write("create an alert").await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO alerts (name, metric_id, spec, enabled, phase, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, 'ok', $5, $5) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.metric_id.0)
        .bind(spec)
        .bind(new.enabled)
        .bind(now_ms)
        .one_or(
            &mut *tx,
            ALERTS.write_error(&new.name, Some(new.metric_id), "create an alert"),
        )
        .await?;
        Self::watch_set_links(&mut tx, "alert_channels", id, &new.channels).await?;
        crate::exec::commit(tx, "create an alert").await?;
        self.alert(AlertId(id)).await
    }

    async fn alert(&self, id: AlertId) -> Result<AlertRow> {
        let row = self.watch_row(&ALERTS, id.0).await?;
        self.watch_alert_row(&row).await
    }

    async fn list_alerts(&self) -> Result<Vec<AlertRow>> {
        let rows = self.watch_rows(&ALERTS).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.watch_alert_row(r).await?);
        }
        Ok(out)
    }

    async fn update_alert(&self, id: AlertId, new: &NewAlert, now_ms: i64) -> Result<AlertRow> {
        let spec = to_json("alert", &new.spec)?;
        let mut tx = self.begin_write("update an alert").await?;
        sqlx::query(
            "UPDATE alerts SET name = $1, metric_id = $2, spec = $3, enabled = \
             $4, updated_ms = $5 WHERE id = $6",
        )
        .bind(new.name.as_str())
        .bind(new.metric_id.0)
        .bind(spec)
        .bind(new.enabled)
        .bind(now_ms)
        .bind(id.0)
        .changed_one_or(
            &mut *tx,
            ALERTS.write_error(&new.name, Some(new.metric_id), "update an alert"),
            || ALERTS.not_found(id.0),
        )
        .await?;
        Self::watch_set_links(&mut tx, "alert_channels", id.0, &new.channels).await?;
        crate::exec::commit(tx, "update an alert").await?;
        self.alert(id).await
    }

    async fn delete_alert(&self, id: AlertId) -> Result<bool> {
        self.watch_delete(&ALERTS, id.0).await
    }

    async fn transition_alert(
        &self,
        id: AlertId,
        expected: &watch::alert::AlertState,
        state: &watch::alert::AlertState,
        evaluated_ms: i64,
        event: Option<&NewAlertEvent>,
        deliveries: &[NewDelivery],
    ) -> Result<Option<Option<AlertEventId>>> {
        let mut tx = self.begin_write("save an alert's state").await?;
        // Compare-and-set on the state the evaluation read: a NULL never equals, so the
        // last firing is compared through COALESCE.
        let done = sqlx::query(
            "UPDATE alerts SET phase = $1, last_fired_ms = $2, last_evaluated_ms = $3 \
             WHERE id = $4 AND phase = $5 AND COALESCE(last_fired_ms, -1) = $6",
        )
        .bind(phase_str(state.phase))
        .bind(state.last_fired_ms)
        .bind(evaluated_ms)
        .bind(id.0)
        .bind(phase_str(expected.phase))
        .bind(expected.last_fired_ms.unwrap_or(-1))
        .changed(&mut *tx, "save an alert's state")
        .await?;
        if done == 0 {
            return Ok(None);
        }
        let mut event_id = None;
        if let Some(ev) = event {
            let new_id: i64 = sqlx::query_scalar(
                "INSERT INTO alert_events (alert_id, kind, at_ms, current_value, previous_value, \
                 range_start_ms, range_end_ms, message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(id.0)
            .bind(event_kind_str(ev.kind))
            .bind(ev.at_ms)
            .bind(ev.current)
            .bind(ev.previous)
            .bind(ev.range.map(|r| r.0))
            .bind(ev.range.map(|r| r.1))
            .bind(ev.message.as_str())
            .one(&mut *tx, "record an alert event")
            .await?;
            event_id = Some(AlertEventId(new_id));
        }
        for new in deliveries {
            Self::watch_insert_delivery(&mut tx, new, evaluated_ms).await?;
        }
        crate::exec::commit(tx, "save an alert's state").await?;
        Ok(Some(event_id))
    }

    async fn alert_events(&self, alert: AlertId, limit: u32) -> Result<Vec<AlertEventRow>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT * FROM alert_events WHERE alert_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(alert.0)
        .bind(i64::from(limit))
        .all(&self.pool, "read alert events")
        .await?;
        let e = StoreError::db;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id").map_err(e("read an alert event"))?;
                let kind: String = r.try_get("kind").map_err(e("read an alert event"))?;
                let start: Option<i64> = r
                    .try_get("range_start_ms")
                    .map_err(e("read an alert event"))?;
                let end: Option<i64> = r
                    .try_get("range_end_ms")
                    .map_err(e("read an alert event"))?;
                Ok(AlertEventRow {
                    id: AlertEventId(id),
                    alert_id: alert,
                    event: NewAlertEvent {
                        kind: event_kind_parse(&kind, id)?,
                        at_ms: r.try_get("at_ms").map_err(e("read an alert event"))?,
                        current: r
                            .try_get("current_value")
                            .map_err(e("read an alert event"))?,
                        previous: r
                            .try_get("previous_value")
                            .map_err(e("read an alert event"))?,
                        range: start.zip(end),
                        message: r.try_get("message").map_err(e("read an alert event"))?,
                    },
                })
            })
            .collect()
    }

    async fn create_scorecard(
        &self,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> Result<ScorecardRow> {
        let spec = to_json("scorecard", &new.spec)?;
        let mut tx = self.begin_write("create a scorecard").await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO scorecards (name, spec, next_run_ms, created_ms, updated_ms) VALUES ($1, \
             $2, $3, $4, $4) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(spec)
        .bind(next_run_ms)
        .bind(now_ms)
        .one_or(
            &mut *tx,
            SCORECARDS.write_error(&new.name, None, "create a scorecard"),
        )
        .await?;
        Self::watch_set_links(&mut tx, "scorecard_channels", id, &new.channels).await?;
        crate::exec::commit(tx, "create a scorecard").await?;
        self.scorecard(ScorecardId(id)).await
    }

    async fn scorecard(&self, id: ScorecardId) -> Result<ScorecardRow> {
        let row = self.watch_row(&SCORECARDS, id.0).await?;
        self.watch_scorecard_row(&row).await
    }

    async fn list_scorecards(&self) -> Result<Vec<ScorecardRow>> {
        let rows = self.watch_rows(&SCORECARDS).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.watch_scorecard_row(r).await?);
        }
        Ok(out)
    }

    async fn update_scorecard(
        &self,
        id: ScorecardId,
        new: &NewScorecard,
        next_run_ms: i64,
        now_ms: i64,
    ) -> Result<ScorecardRow> {
        let spec = to_json("scorecard", &new.spec)?;
        let mut tx = self.begin_write("update a scorecard").await?;
        sqlx::query(
            "UPDATE scorecards SET name = $1, spec = $2, next_run_ms = $3, \
             updated_ms = $4 WHERE id = $5",
        )
        .bind(new.name.as_str())
        .bind(spec)
        .bind(next_run_ms)
        .bind(now_ms)
        .bind(id.0)
        .changed_one_or(
            &mut *tx,
            SCORECARDS.write_error(&new.name, None, "update a scorecard"),
            || SCORECARDS.not_found(id.0),
        )
        .await?;
        Self::watch_set_links(&mut tx, "scorecard_channels", id.0, &new.channels).await?;
        crate::exec::commit(tx, "update a scorecard").await?;
        self.scorecard(id).await
    }

    async fn delete_scorecard(&self, id: ScorecardId) -> Result<bool> {
        self.watch_delete(&SCORECARDS, id.0).await
    }

    async fn claim_scorecard_run(
        &self,
        id: ScorecardId,
        due_ms: i64,
        next_run_ms: i64,
        now_ms: i64,
        deliveries: &[NewDelivery],
    ) -> Result<bool> {
        let mut tx = self.begin_write("claim a scorecard run").await?;
        let done = sqlx::query(
            "UPDATE scorecards SET next_run_ms = $1, last_run_ms = $2 WHERE id = $3 AND \
             next_run_ms = $4 AND next_run_ms <= $2",
        )
        .bind(next_run_ms)
        .bind(now_ms)
        .bind(id.0)
        .bind(due_ms)
        .changed(&mut *tx, "claim a scorecard run")
        .await?;
        if done != 1 {
            return Ok(false);
        }
        for new in deliveries {
            Self::watch_insert_delivery(&mut tx, new, now_ms).await?;
        }
        crate::exec::commit(tx, "claim a scorecard run").await?;
        Ok(true)
    }

    async fn create_delivery(&self, new: &NewDelivery, now_ms: i64) -> Result<DeliveryRow> {
        let mut tx = self.begin_write("create a delivery").await?;
        let row = Self::watch_insert_delivery(&mut tx, new, now_ms).await?;
        crate::exec::commit(tx, "create a delivery").await?;
        Ok(row)
    }

    async fn delivery(&self, id: DeliveryId) -> Result<DeliveryRow> {
        let row = sqlx::query("SELECT * FROM deliveries WHERE id = $1")
            .bind(id.0)
            .found(&self.pool, "read a delivery", || {
                StoreError::not_found("delivery", id)
            })
            .await?;
        Self::watch_delivery_row(&row)
    }

    async fn claim_delivery(
        &self,
        holder: &str,
        lease: std::time::Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        let sql = crate::sql_impl::claim_delivery_sql::<DB>();
        self.watch_claim_delivery(sql, "claim a delivery", holder, lease, now_ms)
            .await
    }

    async fn claim_delivery_id(
        &self,
        id: DeliveryId,
        holder: &str,
        lease: std::time::Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        let row = sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, locked_by = $1, locked_until = $2, \
             updated_ms = $3 \
             WHERE id = $4 AND state = 'pending' AND locked_until IS NULL AND next_attempt_ms <= \
             $3 RETURNING *",
        )
        .bind(holder)
        .bind(crate::sql_impl::lease_until(now_ms, lease))
        .bind(now_ms)
        .bind(id.0)
        .optional(&self.pool, "claim a delivery")
        .await?;
        row.as_ref().map(Self::watch_delivery_row).transpose()
    }

    async fn claim_lapsed_delivery(
        &self,
        holder: &str,
        lease: std::time::Duration,
        now_ms: i64,
    ) -> Result<Option<DeliveryRow>> {
        let sql = crate::sql_impl::claim_lapsed_delivery_sql::<DB>();
        self.watch_claim_delivery(
            sql,
            "take back a lapsed delivery claim",
            holder,
            lease,
            now_ms,
        )
        .await
    }

    async fn finish_attempt(
        &self,
        id: DeliveryId,
        holder: &str,
        outcome: &AttemptOutcome,
        now_ms: i64,
    ) -> Result<()> {
        let (state, next, error) = match outcome {
            AttemptOutcome::Sent => (DeliveryState::Sent, now_ms, None),
            AttemptOutcome::Retry { at_ms, error } => {
                (DeliveryState::Pending, *at_ms, Some(error.as_str()))
            }
            AttemptOutcome::Failed { error } => {
                (DeliveryState::Failed, now_ms, Some(error.as_str()))
            }
        };
        let done = sqlx::query(
            "UPDATE deliveries SET state = $1, next_attempt_ms = $2, last_error = COALESCE($3, \
             last_error), \
             locked_by = NULL, locked_until = NULL, updated_ms = $4 WHERE id = $5 AND locked_by = \
             $6",
        )
        .bind(state_str(state))
        .bind(next)
        .bind(error)
        .bind(now_ms)
        .bind(id.0)
        .bind(holder)
        .changed(&self.pool, "record a delivery attempt")
        .await?;
        if done == 0 {
            // Gone, or someone else's now: say which.
            self.delivery(id).await?;
            return Err(StoreError::DeliveryLeaseLost {
                delivery: id,
                holder: holder.to_owned(),
            });
        }
        Ok(())
    }

    async fn deliveries(
        &self,
        source: Option<DeliverySource>,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>> {
        let rows = match source {
            None => {
                sqlx::query(
                    "SELECT * FROM deliveries ORDER BY created_ms DESC, id DESC LIMIT \
                     $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
            }
            Some(s) => {
                let (kind, sid) = source_parts(s);
                sqlx::query(
                    "SELECT * FROM deliveries WHERE source_kind = $1 AND COALESCE(source_id, -1) \
                     = $2 ORDER BY created_ms DESC, id DESC LIMIT $3",
                )
                .bind(kind)
                .bind(sid.unwrap_or(-1))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(StoreError::db("list deliveries"))?;
        rows.iter().map(Self::watch_delivery_row).collect()
    }
}
