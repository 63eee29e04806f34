//! The API of goals, alerts, channels and scorecards (`/api/v1/goals`, `/alerts`, `/channels`,
//! `/scorecards`). Viewers read; editors change goals, alerts and scorecards; channels hold
//! credentials and addresses mail goes to, so only admins change them. Channel secrets never
//! leave the server: a channel shows whether it has one.

use app::evaluate::{goal_progress, scorecard_lines};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{
    AlertId, AlertRow, ChannelId, ChannelRow, DeliverySource, GoalId, GoalRow, ScorecardId,
    ScorecardRow, WatchStore,
};
use watch::alert::AlertRule;
use watch::{AlertSpec, ChannelConfig, GoalSpec, ScorecardSpec, Zone};

use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{ApiError, JsonBody, WebError};
use crate::state::AppState;

use super::Kind;

type ApiResult<T = Response> = Result<T, ApiError>;

/// History lists show this many entries.
const HISTORY: u32 = 100;

fn bad(field: &'static str) -> impl FnOnce(watch::WatchError) -> WebError {
    move |e| WebError::invalid(field, e.to_string())
}

// ------------------------------------------------------------------ goals

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalIn {
    pub name: String,
    pub metric_id: i64,
    pub spec: GoalSpec,
}

impl From<GoalIn> for app::GoalInput {
    fn from(body: GoalIn) -> Self {
        app::GoalInput {
            name: body.name,
            metric_id: body.metric_id,
            spec: body.spec,
        }
    }
}

/// A goal with its progress now. A stored goal whose period cannot be computed (an earlier
/// version let a date like 0001-01-01 through) is listed with `broken` saying why and no
/// progress, so one bad row neither fails the list nor hides itself from deletion.
async fn goal_out(state: &AppState, g: &GoalRow) -> Result<Value, WebError> {
    let now = state.clock().now_ms();
    let period = g.spec.validate().and_then(|()| {
        g.spec.goal.period.at(
            Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH),
            g.spec.zone.tz(),
        )
    });
    let (progress, broken) = match period {
        Ok(period) => (
            Some(goal_progress(state.store().as_ref(), g, period, now).await?),
            None,
        ),
        Err(e) => (None, Some(broken_goal(&e))),
    };
    Ok(json!({
        "id": g.id.0, "name": g.name, "metric_id": g.metric_id.0, "spec": g.spec,
        "progress": progress, "broken": broken, "created_ms": g.created_ms, "updated_ms": g.updated_ms,
    }))
}

/// What a list says of a goal that cannot be computed.
pub(crate) fn broken_goal(e: &watch::WatchError) -> String {
    format!("this goal cannot be computed ({e}); delete it or give it another period")
}

pub async fn goal_history(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let g = state.store().goal(GoalId(id)).await?;
    let periods: Vec<Value> = state
        .store()
        .goal_periods(g.id, HISTORY)
        .await?
        .into_iter()
        .map(|p| {
            json!({
                "index": p.index, "start_ms": p.start_ms, "end_ms": p.end_ms, "value": p.value,
                "target": p.target, "status": p.status, "recorded_ms": p.recorded_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "goal": goal_out(&state, &g).await?, "periods": periods })).into_response())
}

// ------------------------------------------------------------------ alerts

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertIn {
    pub name: String,
    pub metric_id: i64,
    pub spec: AlertSpec,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub channels: Vec<i64>,
    /// No channel on purpose: no one will be told when it fires.
    #[serde(default)]
    pub silent: bool,
}

fn yes() -> bool {
    true
}

/// An alert as the API shows it. An unusual alert still learning its metric's rhythm says how
/// much history it has (`learning`: hours known and needed, and in words); null otherwise.
pub(crate) async fn alert_json(state: &AppState, a: &AlertRow) -> Result<Value, WebError> {
    let learning = match &a.spec {
        AlertSpec::Unusual { rule, .. } => {
            app::unusual::learning(state.store().as_ref(), a.metric_id, rule, state.clock().now_ms())
                .await?
                .map(|(hours, needed)| {
                    json!({"hours": hours, "needed": needed, "text": watch::describe::learning(hours, needed)})
                })
        }
        _ => None,
    };
    Ok(json!({
        "id": a.id.0, "name": a.name, "metric_id": a.metric_id.0, "spec": a.spec,
        "enabled": a.enabled, "channels": a.channels.iter().map(|c| c.0).collect::<Vec<_>>(),
        "state": { "phase": a.state.phase, "last_fired_ms": a.state.last_fired_ms },
        "last_evaluated_ms": a.last_evaluated_ms, "created_ms": a.created_ms, "updated_ms": a.updated_ms,
        "learning": learning,
    }))
}

impl From<AlertIn> for app::AlertInput {
    fn from(body: AlertIn) -> Self {
        app::AlertInput {
            name: body.name,
            metric_id: body.metric_id,
            spec: body.spec,
            enabled: body.enabled,
            channels: body.channels,
            silent: body.silent,
        }
    }
}

pub async fn alert_history(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let a = state.store().alert(AlertId(id)).await?;
    let events: Vec<Value> = state
        .store()
        .alert_events(a.id, HISTORY)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id.0, "kind": e.event.kind, "at_ms": e.event.at_ms, "current": e.event.current,
                "previous": e.event.previous, "range_start_ms": e.event.range.map(|r| r.0),
                "range_end_ms": e.event.range.map(|r| r.1), "message": e.event.message,
            })
        })
        .collect();
    let deliveries = deliveries_json(&state, DeliverySource::Alert(a.id)).await?;
    Ok(
        Json(json!({ "alert": alert_json(&state, &a).await?, "events": events, "deliveries": deliveries }))
            .into_response(),
    )
}

async fn deliveries_json(state: &AppState, source: DeliverySource) -> Result<Vec<Value>, WebError> {
    Ok(state
        .store()
        .deliveries(Some(source), HISTORY)
        .await?
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id.0, "channel_id": d.channel_id.0, "state": d.state, "attempts": d.attempts,
                "next_attempt_ms": d.next_attempt_ms, "last_error": d.last_error,
                "title": d.message.get("title").cloned().unwrap_or(Value::Null),
                "created_ms": d.created_ms, "updated_ms": d.updated_ms,
            })
        })
        .collect())
}

/// Either a value rule (`rule`) or an unusual rule (`unusual`), not both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestIn {
    pub metric_id: i64,
    #[serde(default)]
    pub rule: Option<AlertRule>,
    #[serde(default)]
    pub unusual: Option<watch::UnusualRule>,
    #[serde(default = "Zone::utc")]
    pub zone: Zone,
    /// RFC 3339 instants; by default the 30 days up to the metric's latest stored hour.
    #[serde(default)]
    pub from: Option<Timestamp>,
    #[serde(default)]
    pub to: Option<Timestamp>,
}

pub async fn alert_backtest(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<BacktestIn>,
) -> ApiResult {
    let rule = match (body.rule, body.unusual) {
        (Some(rule), None) => rule,
        (None, Some(unusual)) => {
            let report = state
                .app()
                .backtest_unusual(app::watching::UnusualBacktestInput {
                    metric_id: body.metric_id,
                    rule: unusual,
                    from: body.from,
                    to: body.to,
                })
                .await?;
            return Ok(Json(json!({ "backtest": report })).into_response());
        }
        _ => {
            return Err(WebError::invalid(
                "rule",
                "give either a value rule (rule) or an unusual rule (unusual)",
            )
            .into());
        }
    };
    AlertSpec::Value {
        rule: rule.clone(),
        zone: body.zone.clone(),
    }
    .validate()
    .map_err(bad("rule"))?;
    let metric =
        app::watching::referenced_metric(state.store(), body.metric_id, "metric_id").await?;
    let report =
        super::backtest_value(&state, metric.id, &rule, body.from, body.to, body.zone.tz()).await?;
    Ok(Json(json!({ "backtest": report })).into_response())
}

// ------------------------------------------------------------------ channels

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelIn {
    pub name: String,
    pub config: ChannelConfig,
    /// The SMTP password, the Slack webhook URL or the webhook signing key. On update, absent
    /// keeps the stored one.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub clear_secret: bool,
}

/// What `role` may see of a channel's configuration. Below Admin a webhook URL shows only its
/// scheme and host: its path and query often carry the receiver's secret, and only Admins manage
/// channels. (A Slack URL is a sealed secret, never shown at all.)
pub(crate) fn visible_config(config: &ChannelConfig, role: Role) -> ChannelConfig {
    match config {
        ChannelConfig::Webhook { url } if role < Role::Admin => ChannelConfig::Webhook {
            url: url::Url::parse(url)
                .ok()
                .filter(|u| u.has_host())
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|| "(hidden)".to_owned()),
        },
        other => other.clone(),
    }
}

pub(crate) fn channel_json(c: &ChannelRow, role: Role) -> Value {
    json!({
        "id": c.id.0, "name": c.name, "kind": c.config.kind(), "config": visible_config(&c.config, role),
        "has_secret": !matches!(c.secret, Ok(None)), "created_ms": c.created_ms, "updated_ms": c.updated_ms,
    })
}

impl From<ChannelIn> for app::ChannelInput {
    fn from(body: ChannelIn) -> Self {
        app::ChannelInput {
            name: body.name,
            config: body.config,
            secret: body.secret.map(domain::Secret::new),
            clear_secret: body.clear_secret,
        }
    }
}

/// Sends a test message now (one attempt; a failure stays in the history to be retried).
pub async fn channel_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let sender = test_sender(&state)?;
    let outcome = state
        .app()
        .send_channel_test(ChannelId(id), &sender)
        .await?;
    Ok(Json(outcome).into_response())
}

/// The sender a test message goes out through, under the web's channel settings.
pub(crate) fn test_sender(state: &AppState) -> Result<notify::Sender, WebError> {
    notify::Sender::new(notify::Policy {
        allow_loopback: state.config().allow_loopback_channels,
        timeouts: state.config().channel_timeouts,
    })
    .map_err(|e| WebError::Internal(e.to_string()))
}

// ------------------------------------------------------------------ scorecards

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardIn {
    pub name: String,
    pub spec: ScorecardSpec,
    #[serde(default)]
    pub channels: Vec<i64>,
}

pub(crate) fn scorecard_json(s: &ScorecardRow) -> Value {
    json!({
        "id": s.id.0, "name": s.name, "spec": s.spec,
        "channels": s.channels.iter().map(|c| c.0).collect::<Vec<_>>(),
        "next_run_ms": s.next_run_ms, "last_run_ms": s.last_run_ms,
        "created_ms": s.created_ms, "updated_ms": s.updated_ms,
    })
}

impl From<ScorecardIn> for app::ScorecardInput {
    fn from(body: ScorecardIn) -> Self {
        app::ScorecardInput {
            name: body.name,
            spec: body.spec,
            channels: body.channels,
        }
    }
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    /// The run to preview (RFC 3339); now by default.
    pub at: Option<Timestamp>,
}

/// The rows a run at `at` would send, and the deliveries of past runs.
pub async fn scorecard_preview(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> ApiResult {
    let s = state.store().scorecard(ScorecardId(id)).await?;
    let at = q.at.unwrap_or_else(|| state.clock().now());
    let (period, lines) = scorecard_lines(state.store().as_ref(), &s, at.as_millisecond()).await?;
    let deliveries = deliveries_json(&state, DeliverySource::Scorecard(s.id)).await?;
    Ok(Json(json!({
        "scorecard": scorecard_json(&s),
        "period": { "start": period.start, "end": period.end },
        "rows": lines,
        "deliveries": deliveries,
    }))
    .into_response())
}

// ------------------------------------------------------------------ the four kinds

impl Kind for GoalRow {
    const ONE: &'static str = "goal";
    const MANY: &'static str = "goals";
    type In = GoalIn;
    type Input = app::GoalInput;

    fn id(&self) -> i64 {
        self.id.0
    }
    fn name(&self) -> &str {
        &self.name
    }
    async fn list(state: &AppState) -> Result<Vec<GoalRow>, WebError> {
        Ok(state.store().list_goals().await?)
    }
    async fn load(state: &AppState, id: i64) -> Result<GoalRow, WebError> {
        Ok(state.store().goal(GoalId(id)).await?)
    }
    async fn create(state: &AppState, input: app::GoalInput) -> Result<GoalRow, WebError> {
        Ok(state.app().create_goal(input).await?)
    }
    async fn update(state: &AppState, id: i64, input: app::GoalInput) -> Result<GoalRow, WebError> {
        Ok(state.app().update_goal(GoalId(id), input).await?)
    }
    async fn delete(state: &AppState, id: i64) -> Result<(), app::AppError> {
        state.app().delete_goal(GoalId(id)).await
    }
    async fn json(&self, state: &AppState, _role: Role) -> Result<Value, WebError> {
        goal_out(state, self).await
    }
}

impl Kind for AlertRow {
    const ONE: &'static str = "alert";
    const MANY: &'static str = "alerts";
    type In = AlertIn;
    type Input = app::AlertInput;

    fn id(&self) -> i64 {
        self.id.0
    }
    fn name(&self) -> &str {
        &self.name
    }
    async fn list(state: &AppState) -> Result<Vec<AlertRow>, WebError> {
        Ok(state.store().list_alerts().await?)
    }
    async fn load(state: &AppState, id: i64) -> Result<AlertRow, WebError> {
        Ok(state.store().alert(AlertId(id)).await?)
    }
    async fn create(state: &AppState, input: app::AlertInput) -> Result<AlertRow, WebError> {
        Ok(state.app().create_alert(input).await?)
    }
    async fn update(
        state: &AppState,
        id: i64,
        input: app::AlertInput,
    ) -> Result<AlertRow, WebError> {
        Ok(state.app().update_alert(AlertId(id), input).await?)
    }
    async fn delete(state: &AppState, id: i64) -> Result<(), app::AppError> {
        state.app().delete_alert(AlertId(id)).await
    }
    async fn json(&self, state: &AppState, _role: Role) -> Result<Value, WebError> {
        alert_json(state, self).await
    }
}

impl Kind for ChannelRow {
    const ONE: &'static str = "channel";
    const MANY: &'static str = "channels";
    type In = ChannelIn;
    type Input = app::ChannelInput;

    fn id(&self) -> i64 {
        self.id.0
    }
    fn name(&self) -> &str {
        &self.name
    }
    async fn list(state: &AppState) -> Result<Vec<ChannelRow>, WebError> {
        Ok(state.store().list_channels().await?)
    }
    async fn load(state: &AppState, id: i64) -> Result<ChannelRow, WebError> {
        Ok(state.store().channel(ChannelId(id)).await?)
    }
    async fn create(state: &AppState, input: app::ChannelInput) -> Result<ChannelRow, WebError> {
        Ok(state.app().create_channel(input).await?)
    }
    async fn update(
        state: &AppState,
        id: i64,
        input: app::ChannelInput,
    ) -> Result<ChannelRow, WebError> {
        Ok(state.app().update_channel(ChannelId(id), input).await?)
    }
    async fn delete(state: &AppState, id: i64) -> Result<(), app::AppError> {
        state.app().delete_channel(ChannelId(id)).await
    }
    async fn json(&self, _state: &AppState, role: Role) -> Result<Value, WebError> {
        Ok(channel_json(self, role))
    }
}

impl Kind for ScorecardRow {
    const ONE: &'static str = "scorecard";
    const MANY: &'static str = "scorecards";
    type In = ScorecardIn;
    type Input = app::ScorecardInput;

    fn id(&self) -> i64 {
        self.id.0
    }
    fn name(&self) -> &str {
        &self.name
    }
    async fn list(state: &AppState) -> Result<Vec<ScorecardRow>, WebError> {
        Ok(state.store().list_scorecards().await?)
    }
    async fn load(state: &AppState, id: i64) -> Result<ScorecardRow, WebError> {
        Ok(state.store().scorecard(ScorecardId(id)).await?)
    }
    async fn create(
        state: &AppState,
        input: app::ScorecardInput,
    ) -> Result<ScorecardRow, WebError> {
        Ok(state.app().create_scorecard(input).await?)
    }
    async fn update(
        state: &AppState,
        id: i64,
        input: app::ScorecardInput,
    ) -> Result<ScorecardRow, WebError> {
        Ok(state.app().update_scorecard(ScorecardId(id), input).await?)
    }
    async fn delete(state: &AppState, id: i64) -> Result<(), app::AppError> {
        state.app().delete_scorecard(ScorecardId(id)).await
    }
    async fn json(&self, _state: &AppState, _role: Role) -> Result<Value, WebError> {
        Ok(scorecard_json(self))
    }
}

// ------------------------------------------------------------------ the handlers of every kind

/// Every item of a kind: `{"goals": [...]}`.
pub(crate) async fn list<K: Kind>(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let mut out = Vec::new();
    for item in K::list(&state).await? {
        out.push(item.json(&state, caller.user.role).await?);
    }
    Ok(Json(json!({ K::MANY: out })).into_response())
}

/// One item as `{"goal": {...}}`, with `status`.
async fn one<K: Kind>(
    state: &AppState,
    caller: &Caller,
    item: &K,
    status: StatusCode,
) -> ApiResult {
    let shown = item.json(state, caller.user.role).await?;
    Ok((status, Json(json!({ K::ONE: shown }))).into_response())
}

pub(crate) async fn create<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<K::In>,
) -> ApiResult {
    let item = K::create(&state, body.into()).await?;
    one(&state, &caller, &item, StatusCode::CREATED).await
}

pub(crate) async fn get<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let item = K::load(&state, id).await?;
    one(&state, &caller, &item, StatusCode::OK).await
}

pub(crate) async fn update<K: Kind>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<K::In>,
) -> ApiResult {
    let item = K::update(&state, id, body.into()).await?;
    one(&state, &caller, &item, StatusCode::OK).await
}

pub(crate) async fn delete<K: Kind>(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    K::delete(&state, id).await?;
    Ok(Json(json!({ "deleted": id })).into_response())
}
