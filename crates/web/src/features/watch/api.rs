//! The API of goals, alerts, channels and scorecards (`/api/v1/goals`, `/alerts`, `/channels`,
//! `/scorecards`). Viewers read; editors change goals, alerts and scorecards; channels hold
//! credentials and addresses mail goes to, so only admins change them. Channel secrets never
//! leave the server: a channel shows whether it has one.

use app::evaluate::{buckets, goal_progress, scorecard_lines};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{
    AlertId, AlertRow, ChannelId, ChannelRow, DeliverySource, GoalId, GoalRow, MetricId, NewAlert,
    NewChannel, NewDelivery, NewGoal, NewScorecard, ScorecardId, ScorecardRow, SecretChange, Store,
    WatchStore,
};
use watch::alert::AlertRule;
use watch::{AlertSpec, ChannelConfig, GoalSpec, ScorecardSpec, SmtpTls, Zone};

use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{ApiError, JsonBody, WebError};
use crate::state::AppState;

type ApiResult<T = Response> = Result<T, ApiError>;

/// History lists show this many entries.
const HISTORY: u32 = 100;

fn bad(field: &'static str) -> impl FnOnce(watch::WatchError) -> WebError {
    move |e| WebError::invalid(field, e.to_string())
}

fn check_name(name: &str) -> Result<String, WebError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 120 {
        return Err(WebError::invalid("name", "a name is 1 to 120 characters"));
    }
    Ok(n.to_owned())
}

// ------------------------------------------------------------------ goals

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalIn {
    pub name: String,
    pub metric_id: i64,
    pub spec: GoalSpec,
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

/// A metric named in a request body: one that does not exist is a mistake in the body (422
/// naming the field), not a missing resource at the URL (404).
async fn referenced_metric(
    state: &AppState,
    id: i64,
    field: &'static str,
) -> Result<store::StoredMetric, WebError> {
    match state.store().metric(MetricId(id)).await {
        Ok(m) => Ok(m),
        Err(store::StoreError::NotFound { .. }) => Err(WebError::invalid(
            field,
            format!("metric {id} does not exist: pick one from GET /api/v1/metrics"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Channels named in a request body must exist; like a missing metric, that is a 422 on the field.
async fn referenced_channels(state: &AppState, ids: &[i64]) -> Result<(), WebError> {
    for &id in ids {
        match state.store().channel(ChannelId(id)).await {
            Ok(_) => {}
            Err(store::StoreError::NotFound { .. }) => {
                return Err(WebError::invalid(
                    "channels",
                    format!("channel {id} does not exist: pick one from GET /api/v1/channels"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn goal_checked(state: &AppState, body: GoalIn) -> Result<NewGoal, WebError> {
    body.spec.validate().map_err(bad("spec"))?;
    referenced_metric(state, body.metric_id, "metric_id").await?;
    Ok(NewGoal {
        name: check_name(&body.name)?,
        metric_id: MetricId(body.metric_id),
        spec: body.spec,
    })
}

pub async fn goals(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let mut out = Vec::new();
    for g in state.store().list_goals().await? {
        out.push(goal_out(&state, &g).await?);
    }
    Ok(Json(json!({ "goals": out })).into_response())
}

pub async fn goal_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<GoalIn>,
) -> ApiResult {
    let new = goal_checked(&state, body).await?;
    let g = state
        .store()
        .create_goal(&new, state.clock().now_ms())
        .await?;
    // Its history starts with the periods already behind it, from the stored data.
    app::evaluate::record_goal(
        state.store().as_ref(),
        &g,
        state.clock().now_ms(),
        app::evaluate::GOAL_BACKFILL,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "goal": goal_out(&state, &g).await? })),
    )
        .into_response())
}

pub async fn goal_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let g = state.store().goal(GoalId(id)).await?;
    Ok(Json(json!({ "goal": goal_out(&state, &g).await? })).into_response())
}

pub async fn goal_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<GoalIn>,
) -> ApiResult {
    let new = goal_checked(&state, body).await?;
    let g = state
        .store()
        .update_goal(GoalId(id), &new, state.clock().now_ms())
        .await?;
    Ok(Json(json!({ "goal": goal_out(&state, &g).await? })).into_response())
}

pub async fn goal_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    if !state.store().delete_goal(GoalId(id)).await? {
        return Err(WebError::NotFound(format!("goal {id} does not exist")).into());
    }
    Ok(Json(json!({ "deleted": id })).into_response())
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
}

fn yes() -> bool {
    true
}

pub(crate) fn alert_json(a: &AlertRow) -> Value {
    json!({
        "id": a.id.0, "name": a.name, "metric_id": a.metric_id.0, "spec": a.spec,
        "enabled": a.enabled, "channels": a.channels.iter().map(|c| c.0).collect::<Vec<_>>(),
        "state": { "phase": a.state.phase, "last_fired_ms": a.state.last_fired_ms },
        "last_evaluated_ms": a.last_evaluated_ms, "created_ms": a.created_ms, "updated_ms": a.updated_ms,
    })
}

async fn alert_checked(state: &AppState, body: AlertIn) -> Result<NewAlert, WebError> {
    body.spec.validate().map_err(bad("spec"))?;
    referenced_metric(state, body.metric_id, "metric_id").await?;
    referenced_channels(state, &body.channels).await?;
    Ok(NewAlert {
        name: check_name(&body.name)?,
        metric_id: MetricId(body.metric_id),
        spec: body.spec,
        enabled: body.enabled,
        channels: body.channels.into_iter().map(ChannelId).collect(),
    })
}

pub async fn alerts(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let list: Vec<Value> = state
        .store()
        .list_alerts()
        .await?
        .iter()
        .map(alert_json)
        .collect();
    Ok(Json(json!({ "alerts": list })).into_response())
}

pub async fn alert_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<AlertIn>,
) -> ApiResult {
    let new = alert_checked(&state, body).await?;
    let a = state
        .store()
        .create_alert(&new, state.clock().now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "alert": alert_json(&a) })),
    )
        .into_response())
}

pub async fn alert_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let a = state.store().alert(AlertId(id)).await?;
    Ok(Json(json!({ "alert": alert_json(&a) })).into_response())
}

pub async fn alert_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<AlertIn>,
) -> ApiResult {
    let new = alert_checked(&state, body).await?;
    let a = state
        .store()
        .update_alert(AlertId(id), &new, state.clock().now_ms())
        .await?;
    Ok(Json(json!({ "alert": alert_json(&a) })).into_response())
}

pub async fn alert_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    if !state.store().delete_alert(AlertId(id)).await? {
        return Err(WebError::NotFound(format!("alert {id} does not exist")).into());
    }
    Ok(Json(json!({ "deleted": id })).into_response())
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
        Json(json!({ "alert": alert_json(&a), "events": events, "deliveries": deliveries }))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestIn {
    pub metric_id: i64,
    pub rule: AlertRule,
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
    AlertSpec::Value {
        rule: body.rule.clone(),
        zone: body.zone.clone(),
    }
    .validate()
    .map_err(bad("rule"))?;
    let metric = referenced_metric(&state, body.metric_id, "metric_id").await?;
    let all = buckets(
        state.store().as_ref(),
        metric.id,
        i64::MIN / 2,
        i64::MAX / 2,
    )
    .await?;
    let latest = all.iter().map(|b| b.hour + 3_600_000).max();
    let to = body
        .to
        .or_else(|| latest.and_then(|ms| Timestamp::from_millisecond(ms).ok()))
        .unwrap_or_else(|| state.clock().now());
    let from = body.from.unwrap_or_else(|| {
        to.checked_sub(SignedDuration::from_hours(24 * 30))
            .unwrap_or(to)
    });
    let report = watch::backtest(
        &body.rule,
        &all,
        from,
        to,
        SignedDuration::from_hours(1),
        body.zone.tz(),
    )
    .map_err(bad("rule"))?;
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
        "has_secret": c.secret.is_some(), "created_ms": c.created_ms, "updated_ms": c.updated_ms,
    })
}

pub(crate) fn check_channel(
    state: &AppState,
    config: &ChannelConfig,
    secret: Option<&str>,
) -> Result<(), WebError> {
    let loopback = state.config().allow_loopback_channels;
    match config {
        ChannelConfig::Email {
            host,
            tls,
            username,
            from,
            to,
            ..
        } => {
            if host.trim().is_empty() {
                return Err(WebError::invalid(
                    "config.host",
                    "the SMTP host is required",
                ));
            }
            if *tls == SmtpTls::None && username.is_some() {
                return Err(WebError::invalid(
                    "config.tls",
                    "credentials are never sent without TLS",
                ));
            }
            if to.is_empty() || !from.contains('@') || to.iter().any(|t| !t.contains('@')) {
                return Err(WebError::invalid(
                    "config.to",
                    "a sender and at least one recipient address are required",
                ));
            }
        }
        ChannelConfig::Slack => {
            if let Some(url) = secret {
                notify::check_url(url, loopback)
                    .map_err(|e| WebError::invalid("secret", e.to_string()))?;
            }
        }
        ChannelConfig::Webhook { url } => {
            notify::check_url(url, loopback)
                .map_err(|e| WebError::invalid("config.url", e.to_string()))?;
        }
    }
    Ok(())
}

pub async fn channels(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let list: Vec<Value> = state
        .store()
        .list_channels()
        .await?
        .iter()
        .map(|c| channel_json(c, caller.user.role))
        .collect();
    Ok(Json(json!({ "channels": list })).into_response())
}

pub async fn channel_create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<ChannelIn>,
) -> ApiResult {
    let secret = body.secret.filter(|s| !s.is_empty());
    check_channel(&state, &body.config, secret.as_deref())?;
    let needs = matches!(
        body.config,
        ChannelConfig::Slack | ChannelConfig::Webhook { .. }
    );
    if needs && secret.is_none() {
        return Err(WebError::invalid(
            "secret",
            "Slack needs its webhook URL and a webhook its signing key",
        )
        .into());
    }
    let c = state
        .store()
        .create_channel(
            &NewChannel {
                name: check_name(&body.name)?,
                config: body.config,
                secret: secret.map(domain::Secret::new),
            },
            state.clock().now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "channel": channel_json(&c, caller.user.role) })),
    )
        .into_response())
}

pub async fn channel_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let c = state.store().channel(ChannelId(id)).await?;
    Ok(Json(json!({ "channel": channel_json(&c, caller.user.role) })).into_response())
}

pub async fn channel_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ChannelIn>,
) -> ApiResult {
    let secret = body.secret.filter(|s| !s.is_empty());
    check_channel(&state, &body.config, secret.as_deref())?;
    let change = match (secret, body.clear_secret) {
        (Some(s), _) => SecretChange::Set(domain::Secret::new(s)),
        (None, true) => SecretChange::Clear,
        (None, false) => SecretChange::Keep,
    };
    let c = state
        .store()
        .update_channel(
            ChannelId(id),
            &check_name(&body.name)?,
            &body.config,
            &change,
            state.clock().now_ms(),
        )
        .await?;
    Ok(Json(json!({ "channel": channel_json(&c, caller.user.role) })).into_response())
}

pub async fn channel_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    if !state.store().delete_channel(ChannelId(id)).await? {
        return Err(WebError::NotFound(format!("channel {id} does not exist")).into());
    }
    Ok(Json(json!({ "deleted": id })).into_response())
}

/// Sends a test message now (one attempt; a failure stays in the history to be retried).
pub async fn channel_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let c = state.store().channel(ChannelId(id)).await?;
    let outcome = send_test(&state, &c).await?;
    Ok(Json(outcome).into_response())
}

pub(crate) async fn send_test(state: &AppState, c: &ChannelRow) -> Result<Value, WebError> {
    let now = state.clock().now_ms();
    let message = notify::Message {
        event: notify::EventKind::Test,
        title: format!("Switchboard test message for {}", c.name),
        text: "This channel works: Switchboard can send alerts and scorecards through it.".into(),
        html: None,
        data: json!({ "channel_id": c.id.0 }),
        images: Vec::new(),
    };
    let d = state
        .store()
        .create_delivery(
            &NewDelivery {
                channel_id: c.id,
                source: DeliverySource::Test,
                message: serde_json::to_value(&message).unwrap_or_default(),
            },
            now,
        )
        .await?;
    let sender = notify::Sender::new(notify::Policy {
        allow_loopback: state.config().allow_loopback_channels,
        timeouts: state.config().channel_timeouts,
    })
    .map_err(|e| WebError::Internal(e.to_string()))?;
    // This very delivery, within the sender's time bounds: other due ones are the evaluator's.
    let outcome = notify::deliver_now(
        state.store().as_ref(),
        &sender,
        notify::Backoff::default(),
        d.id,
        now,
    )
    .await?
    .ok_or_else(|| WebError::Internal("another process took the test message".into()))?;
    let after = state.store().delivery(d.id).await?;
    Ok(json!({
        "delivery_id": d.id.0,
        "sent": matches!(outcome, store::AttemptOutcome::Sent),
        "state": after.state,
        "error": after.last_error,
    }))
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

async fn scorecard_checked(
    state: &AppState,
    body: ScorecardIn,
) -> Result<(NewScorecard, i64), WebError> {
    body.spec.validate().map_err(bad("spec"))?;
    for m in &body.spec.metrics {
        referenced_metric(state, m.metric_id, "spec").await?;
        if let watch::Baseline::StoredGoal { goal_id } = m.baseline {
            // Comparing with another metric's goal would mix units: the goal must be this metric's.
            match state.store().goal(store::GoalId(goal_id)).await {
                Ok(g) if g.metric_id.0 == m.metric_id => {}
                Ok(g) => {
                    return Err(WebError::invalid(
                        "spec",
                        format!(
                            "goal {goal_id} is about metric {}, not metric {}",
                            g.metric_id.0, m.metric_id
                        ),
                    ));
                }
                Err(store::StoreError::NotFound { .. }) => {
                    return Err(WebError::invalid(
                        "spec",
                        format!("goal {goal_id} does not exist: pick one from GET /api/v1/goals"),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    referenced_channels(state, &body.channels).await?;
    let next = body
        .spec
        .schedule
        .next_run(state.clock().now(), body.spec.zone.tz())
        .map_err(bad("spec.schedule"))?
        .as_millisecond();
    Ok((
        NewScorecard {
            name: check_name(&body.name)?,
            spec: body.spec,
            channels: body.channels.into_iter().map(ChannelId).collect(),
        },
        next,
    ))
}

pub async fn scorecards(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let list: Vec<Value> = state
        .store()
        .list_scorecards()
        .await?
        .iter()
        .map(scorecard_json)
        .collect();
    Ok(Json(json!({ "scorecards": list })).into_response())
}

pub async fn scorecard_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<ScorecardIn>,
) -> ApiResult {
    let (new, next) = scorecard_checked(&state, body).await?;
    let s = state
        .store()
        .create_scorecard(&new, next, state.clock().now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "scorecard": scorecard_json(&s) })),
    )
        .into_response())
}

pub async fn scorecard_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let s = state.store().scorecard(ScorecardId(id)).await?;
    Ok(Json(json!({ "scorecard": scorecard_json(&s) })).into_response())
}

pub async fn scorecard_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ScorecardIn>,
) -> ApiResult {
    let (new, next) = scorecard_checked(&state, body).await?;
    let s = state
        .store()
        .update_scorecard(ScorecardId(id), &new, next, state.clock().now_ms())
        .await?;
    Ok(Json(json!({ "scorecard": scorecard_json(&s) })).into_response())
}

pub async fn scorecard_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    if !state.store().delete_scorecard(ScorecardId(id)).await? {
        return Err(WebError::NotFound(format!("scorecard {id} does not exist")).into());
    }
    Ok(Json(json!({ "deleted": id })).into_response())
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
