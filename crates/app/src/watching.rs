//! The checks of what watches metrics (goals, alerts, scorecards), where they deliver
//! (channels) and boards: a name under its rule, a spec that validates, and references to
//! metrics, goals and channels that exist. A reference that does not exist is a mistake in the
//! input (`Invalid` on its field), not a missing resource.
//!
//! The operations (create, update, delete) are the one way each of these changes the store; the
//! API and the pages switch to them from their own copies of the checks.

use domain::Secret;
use store::{AlertId, AlertRow, ChannelRow, GoalRow, NewChannel, ScorecardId, ScorecardRow};
use store::{AnyStore, ChannelId, GoalId, MetricId, NewAlert, NewGoal, NewScorecard, Store};
use store::{SecretChange, StoreError, StoredMetric, WatchStore};
use watch::{AlertSpec, ChannelConfig, GoalSpec, ScorecardSpec, SmtpTls};

use crate::{AppError, AppResult, BoardName, Name};

fn bad(field: &'static str) -> impl FnOnce(watch::WatchError) -> AppError {
    move |e| AppError::invalid(field, e.to_string())
}

/// A metric named in the input, on `field`.
pub async fn referenced_metric(
    store: &AnyStore,
    id: i64,
    field: &'static str,
) -> AppResult<StoredMetric> {
    match store.metric(MetricId(id)).await {
        Ok(m) => Ok(m),
        Err(StoreError::NotFound { .. }) => Err(AppError::invalid(
            field,
            format!("metric {id} does not exist: pick one from GET /api/v1/metrics"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Channels named in the input must all exist.
pub async fn referenced_channels(store: &AnyStore, ids: &[i64]) -> AppResult<Vec<ChannelId>> {
    for &id in ids {
        match store.channel(ChannelId(id)).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => {
                return Err(AppError::invalid(
                    "channels",
                    format!("channel {id} does not exist: pick one from GET /api/v1/channels"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ids.iter().copied().map(ChannelId).collect())
}

/// A goal as it is stored, from its parts as given.
pub async fn goal_checked(
    store: &AnyStore,
    name: &str,
    metric_id: i64,
    spec: GoalSpec,
) -> AppResult<NewGoal> {
    spec.validate().map_err(bad("spec"))?;
    referenced_metric(store, metric_id, "metric_id").await?;
    Ok(NewGoal {
        name: Name::parse(name)?.into_string(),
        metric_id: MetricId(metric_id),
        spec,
    })
}

/// An alert as it is stored, from its parts as given.
pub async fn alert_checked(
    store: &AnyStore,
    name: &str,
    metric_id: i64,
    spec: AlertSpec,
    enabled: bool,
    channels: &[i64],
) -> AppResult<NewAlert> {
    spec.validate().map_err(bad("spec"))?;
    referenced_metric(store, metric_id, "metric_id").await?;
    let channels = referenced_channels(store, channels).await?;
    Ok(NewAlert {
        name: Name::parse(name)?.into_string(),
        metric_id: MetricId(metric_id),
        spec,
        enabled,
        channels,
    })
}

/// A scorecard as it is stored and its first run after `now_ms`: every metric it lists exists,
/// a stored goal it compares with exists and is about that same metric (another metric's goal
/// would mix units), and its channels exist.
pub async fn scorecard_checked(
    store: &AnyStore,
    name: &str,
    spec: ScorecardSpec,
    channels: &[i64],
    now_ms: i64,
) -> AppResult<(NewScorecard, i64)> {
    spec.validate().map_err(bad("spec"))?;
    for m in &spec.metrics {
        referenced_metric(store, m.metric_id, "spec").await?;
        if let watch::Baseline::StoredGoal { goal_id } = m.baseline {
            goal_of_metric(store, goal_id, m.metric_id).await?;
        }
    }
    let channels = referenced_channels(store, channels).await?;
    let next = spec
        .schedule
        .next_run(crate::clock::instant(now_ms), spec.zone.tz())
        .map_err(bad("spec.schedule"))?
        .as_millisecond();
    Ok((
        NewScorecard {
            name: Name::parse(name)?.into_string(),
            spec,
            channels,
        },
        next,
    ))
}

async fn goal_of_metric(store: &AnyStore, goal_id: i64, metric_id: i64) -> AppResult<()> {
    match store.goal(GoalId(goal_id)).await {
        Ok(g) if g.metric_id.0 == metric_id => Ok(()),
        Ok(g) => Err(AppError::invalid(
            "spec",
            format!(
                "goal {goal_id} is about metric {}, not metric {metric_id}",
                g.metric_id.0
            ),
        )),
        Err(StoreError::NotFound { .. }) => Err(AppError::invalid(
            "spec",
            format!("goal {goal_id} does not exist: pick one from GET /api/v1/goals"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A channel's name (its configuration is checked where it is sent from, `notify`).
pub fn channel_name(name: &str) -> AppResult<Name> {
    Ok(Name::parse(name)?)
}

/// A board's name.
pub fn board_name(name: &str) -> AppResult<BoardName> {
    Ok(BoardName::parse(name)?)
}

/// A block's title: empty, or at most 200 characters.
pub fn block_title(title: &str) -> AppResult<String> {
    Ok(crate::names::block_title(title)?)
}

// ---------------------------------------------------------------- operations

/// A goal as a person or a script gives it, before any check.
#[derive(Debug, Clone)]
pub struct GoalInput {
    pub name: String,
    pub metric_id: i64,
    pub spec: GoalSpec,
}

/// Saves a new goal and writes its history for the periods already behind it.
pub async fn create_goal(store: &AnyStore, input: GoalInput, now_ms: i64) -> AppResult<GoalRow> {
    let new = goal_checked(store, &input.name, input.metric_id, input.spec).await?;
    let goal = store.create_goal(&new, now_ms).await?;
    // Its history starts with the periods already behind it, from the stored data.
    crate::evaluate::record_goal(store, &goal, now_ms, crate::evaluate::GOAL_BACKFILL).await?;
    Ok(goal)
}

pub async fn update_goal(
    store: &AnyStore,
    id: GoalId,
    input: GoalInput,
    now_ms: i64,
) -> AppResult<GoalRow> {
    let new = goal_checked(store, &input.name, input.metric_id, input.spec).await?;
    Ok(store.update_goal(id, &new, now_ms).await?)
}

pub async fn delete_goal(store: &AnyStore, id: GoalId) -> AppResult<()> {
    gone(store.delete_goal(id).await?, "goal", id.0)
}

/// An alert as a person or a script gives it, before any check.
#[derive(Debug, Clone)]
pub struct AlertInput {
    pub name: String,
    pub metric_id: i64,
    pub spec: AlertSpec,
    pub enabled: bool,
    pub channels: Vec<i64>,
    /// Saved with no channel on purpose: no one will be told when it fires. Without it, an
    /// alert with no channel is refused, since it would fire without anyone knowing.
    pub silent: bool,
}

/// What the refusal of an alert with no channel says, on the page and in the API.
pub const NO_CHANNEL: &str = "with no channel, no one is told when this alert fires: pick a channel, or choose that no one will be told (silent)";

pub async fn create_alert(store: &AnyStore, input: AlertInput, now_ms: i64) -> AppResult<AlertRow> {
    let new = alert_input_checked(store, input).await?;
    Ok(store.create_alert(&new, now_ms).await?)
}

pub async fn update_alert(
    store: &AnyStore,
    id: AlertId,
    input: AlertInput,
    now_ms: i64,
) -> AppResult<AlertRow> {
    let new = alert_input_checked(store, input).await?;
    Ok(store.update_alert(id, &new, now_ms).await?)
}

async fn alert_input_checked(store: &AnyStore, input: AlertInput) -> AppResult<NewAlert> {
    let new = alert_checked(
        store,
        &input.name,
        input.metric_id,
        input.spec,
        input.enabled,
        &input.channels,
    )
    .await?;
    if new.channels.is_empty() && !input.silent {
        return Err(AppError::invalid("channels", NO_CHANNEL));
    }
    Ok(new)
}

pub async fn delete_alert(store: &AnyStore, id: AlertId) -> AppResult<()> {
    gone(store.delete_alert(id).await?, "alert", id.0)
}

/// An unusual rule to back-test, as given: the span in RFC 3339 instants, by default the
/// [`crate::unusual::BACKTEST_DAYS`] up to the metric's latest stored hour.
#[derive(Debug, Clone)]
pub struct UnusualBacktestInput {
    pub metric_id: i64,
    pub rule: watch::UnusualRule,
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
}

/// How the rule would have fired, evaluated hourly exactly as the evaluator does, with the why
/// of each firing. "Only the unfavourable way" follows the metric's favourable trend.
pub async fn backtest_unusual(
    store: &AnyStore,
    input: UnusualBacktestInput,
    now_ms: i64,
) -> AppResult<watch::unusual::UnusualBacktest> {
    input.rule.validate().map_err(bad("rule"))?;
    let metric = referenced_metric(store, input.metric_id, "metric_id").await?;
    let direction = input
        .rule
        .direction
        .resolve(crate::evaluate::favourable(&metric.definition));
    crate::unusual::backtest(
        store,
        metric.id,
        &input.rule,
        direction,
        input.from,
        input.to,
        now_ms,
    )
    .await
    .map_err(|e| match e {
        crate::unusual::BacktestError::Store(e) => e.into(),
        crate::unusual::BacktestError::Rule(e) => AppError::invalid("rule", e.to_string()),
    })
}

/// A scorecard as a person or a script gives it, before any check.
#[derive(Debug, Clone)]
pub struct ScorecardInput {
    pub name: String,
    pub spec: ScorecardSpec,
    pub channels: Vec<i64>,
}

pub async fn create_scorecard(
    store: &AnyStore,
    input: ScorecardInput,
    now_ms: i64,
) -> AppResult<ScorecardRow> {
    let (new, next) =
        scorecard_checked(store, &input.name, input.spec, &input.channels, now_ms).await?;
    Ok(store.create_scorecard(&new, next, now_ms).await?)
}

pub async fn update_scorecard(
    store: &AnyStore,
    id: ScorecardId,
    input: ScorecardInput,
    now_ms: i64,
) -> AppResult<ScorecardRow> {
    let (new, next) =
        scorecard_checked(store, &input.name, input.spec, &input.channels, now_ms).await?;
    Ok(store.update_scorecard(id, &new, next, now_ms).await?)
}

pub async fn delete_scorecard(store: &AnyStore, id: ScorecardId) -> AppResult<()> {
    gone(store.delete_scorecard(id).await?, "scorecard", id.0)
}

/// A channel as a person or a script gives it. An empty secret means none was given: forms
/// never show a stored secret, so an empty field keeps it on update.
#[derive(Debug, Clone)]
pub struct ChannelInput {
    pub name: String,
    pub config: ChannelConfig,
    pub secret: Option<Secret>,
    /// On update, with no new secret: remove the stored one.
    pub clear_secret: bool,
}

impl ChannelInput {
    fn given_secret(&self) -> Option<&Secret> {
        self.secret.as_ref().filter(|s| !s.expose().is_empty())
    }
}

/// The channel's configuration is one it can send with: an SMTP host, TLS before credentials,
/// real addresses, and a URL `notify` will send to (https, a public host, unless
/// `allow_loopback` for tests).
pub fn channel_checked(input: &ChannelInput, allow_loopback: bool) -> AppResult<Name> {
    let name = Name::parse(&input.name)?;
    match &input.config {
        ChannelConfig::Email {
            host,
            tls,
            username,
            from,
            to,
            ..
        } => {
            if host.trim().is_empty() {
                return Err(AppError::invalid(
                    "config.host",
                    "the SMTP host is required",
                ));
            }
            if *tls == SmtpTls::None && username.is_some() {
                return Err(AppError::invalid(
                    "config.tls",
                    "credentials are never sent without TLS",
                ));
            }
            if to.is_empty() || !from.contains('@') || to.iter().any(|t| !t.contains('@')) {
                return Err(AppError::invalid(
                    "config.to",
                    "a sender and at least one recipient address are required",
                ));
            }
        }
        ChannelConfig::Slack => {
            if let Some(url) = input.given_secret() {
                notify::check_url(url.expose(), allow_loopback)
                    .map_err(|e| AppError::invalid("secret", e.to_string()))?;
            }
        }
        ChannelConfig::Webhook { url } => {
            notify::check_url(url, allow_loopback)
                .map_err(|e| AppError::invalid("config.url", e.to_string()))?;
        }
    }
    Ok(name)
}

pub async fn create_channel(
    store: &AnyStore,
    input: ChannelInput,
    allow_loopback: bool,
    now_ms: i64,
) -> AppResult<ChannelRow> {
    let name = channel_checked(&input, allow_loopback)?;
    let needs_secret = matches!(
        input.config,
        ChannelConfig::Slack | ChannelConfig::Webhook { .. }
    );
    let secret = input.given_secret().cloned();
    if needs_secret && secret.is_none() {
        return Err(AppError::invalid(
            "secret",
            "Slack needs its webhook URL and a webhook its signing key",
        ));
    }
    let new = NewChannel {
        name: name.into_string(),
        config: input.config,
        secret,
    };
    Ok(store.create_channel(&new, now_ms).await?)
}

pub async fn update_channel(
    store: &AnyStore,
    id: ChannelId,
    input: ChannelInput,
    allow_loopback: bool,
    now_ms: i64,
) -> AppResult<ChannelRow> {
    let name = channel_checked(&input, allow_loopback)?;
    let change = match (input.given_secret(), input.clear_secret) {
        (Some(s), _) => SecretChange::Set(s.clone()),
        (None, true) => SecretChange::Clear,
        (None, false) => SecretChange::Keep,
    };
    Ok(store
        .update_channel(id, name.as_str(), &input.config, &change, now_ms)
        .await?)
}

pub async fn delete_channel(store: &AnyStore, id: ChannelId) -> AppResult<()> {
    gone(store.delete_channel(id).await?, "channel", id.0)
}

/// What a channel's test message came to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChannelTest {
    pub delivery_id: i64,
    pub sent: bool,
    pub state: store::DeliveryState,
    /// Why the attempt failed, in the channel's words.
    pub error: Option<String>,
}

/// Sends a test message through the channel now, as one delivery like any other: one attempt
/// within `sender`'s time bounds, and a failure stays in the channel's history to be retried.
/// Other due deliveries are left to the evaluator.
pub async fn send_channel_test(
    store: &AnyStore,
    sender: &notify::Sender,
    id: ChannelId,
    now_ms: i64,
) -> AppResult<ChannelTest> {
    let channel = store.channel(id).await?;
    let message = notify::Message {
        event: notify::EventKind::Test,
        title: format!("Switchboard test message for {}", channel.name),
        text: "This channel works: Switchboard can send alerts and scorecards through it.".into(),
        html: None,
        data: serde_json::json!({ "channel_id": id.0 }),
        images: Vec::new(),
    };
    let message = serde_json::to_value(&message)
        .map_err(|e| AppError::Internal(format!("the test message does not serialize: {e}")))?;
    let queued = store
        .create_delivery(
            &store::NewDelivery {
                channel_id: id,
                source: store::DeliverySource::Test,
                message,
            },
            now_ms,
        )
        .await?;
    let backoff = notify::Backoff::default();
    let outcome = notify::deliver_now(store, sender, backoff, queued.id, now_ms)
        .await?
        .ok_or_else(|| AppError::Internal("another process took the test message".into()))?;
    let after = store.delivery(queued.id).await?;
    Ok(ChannelTest {
        delivery_id: queued.id.0,
        sent: matches!(outcome, store::AttemptOutcome::Sent),
        state: after.state,
        error: after.last_error,
    })
}

fn gone(deleted: bool, what: &str, id: i64) -> AppResult<()> {
    if deleted {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("{what} {id} does not exist")))
    }
}
