//! Evaluating what is stored: one [`tick`] evaluates alerts, records goal periods, runs due
//! scorecards (each decision and its message queued as a delivery), then has `notify` send the
//! due deliveries. `serve` and `worker` run [`run_evaluator`] on a short clock; an alert is
//! evaluated when its metric finished a sync since the alert's last evaluation, or when the
//! clock interval has passed, so "after each sync" needs no hook in the sync worker. This lives
//! in `app`, not `notify`, because it changes stored state (alert states and events, goal
//! history, scorecard runs, queued deliveries); `notify` only delivers.

use charts::format_full;
use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use metric::definition::{NumberFormat, Unit};
use metric::{HourBucket, MetricDefinition, Trend};
use store::{
    AlertEventKind, AlertRow, ChannelId, DeliverySource, GoalPeriodRow, GoalRow, MetricId,
    NewAlertEvent, NewDelivery, RunStatus, ScorecardRow, Store, StoreError, WatchStore,
};
use watch::alert::{BuiltinAlert, SyncHealth, Transition, step};
use watch::{AlertSpec, Baseline};

use notify::{Backoff, DeliverReport, EventKind, InlineImage, Message, Sender, deliver_due};

use crate::Clock;

/// How often an alert is evaluated on the clock alone, without a new sync.
pub const CLOCK_EVERY_MS: i64 = 5 * 60_000;
/// The cool-down of the built-in sync alerts.
pub const SYNC_ALERT_COOLDOWN: SignedDuration = SignedDuration::from_hours(1);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub alerts_evaluated: u32,
    pub fired: u32,
    pub resolved: u32,
    pub goals_recorded: u32,
    pub scorecards_sent: u32,
    pub deliveries: DeliverReport,
}

/// The evaluator reads buckets through the sync's one mapping from stored rows; re-exported
/// for the watch screens, which evaluate the same way.
pub use metric_sync::buckets;

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn invalid(e: watch::WatchError) -> StoreError {
    // A stored spec that no longer evaluates (a zone removed from the tz database): report it
    // as the store's corrupt-row error, naming the problem.
    StoreError::Invalid {
        what: "watch specification",
        reason: e.to_string(),
    }
}

/// One pass of everything due at `now_ms`: [`evaluate`], then [`deliver_due`].
pub async fn tick<S: Store + WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    now_ms: i64,
) -> Result<TickReport, StoreError> {
    let mut report = evaluate(store, now_ms).await?;
    report.deliveries = deliver_due(store, sender, backoff, now_ms).await?;
    Ok(report)
}

/// Everything of a tick but sending: alerts, goal periods and due scorecards at `now_ms`,
/// whose messages become deliveries.
pub async fn evaluate<S: Store + WatchStore>(
    store: &S,
    now_ms: i64,
) -> Result<TickReport, StoreError> {
    let mut report = TickReport::default();
    for alert in store.list_alerts().await? {
        if !alert.enabled || !alert_due(store, &alert, now_ms).await? {
            continue;
        }
        report.alerts_evaluated += 1;
        match evaluate_alert(store, &alert, now_ms).await {
            Ok(Transition::Fire) => report.fired += 1,
            Ok(Transition::Resolve) => report.resolved += 1,
            Ok(Transition::Nothing) => {}
            Err(e) => tracing::warn!(alert = alert.id.0, error = %e, "alert evaluation failed"),
        }
    }
    for goal in store.list_goals().await? {
        match record_goal(store, &goal, now_ms, 1).await {
            Ok(n) => report.goals_recorded += n,
            Err(e) => tracing::warn!(goal = goal.id.0, error = %e, "goal evaluation failed"),
        }
    }
    for sc in store.list_scorecards().await? {
        if sc.next_run_ms > now_ms {
            continue;
        }
        match run_scorecard(store, &sc, now_ms).await {
            Ok(true) => report.scorecards_sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(scorecard = sc.id.0, error = %e, "scorecard run failed"),
        }
    }
    Ok(report)
}

async fn alert_due<S: Store>(store: &S, alert: &AlertRow, now_ms: i64) -> Result<bool, StoreError> {
    let Some(last) = alert.last_evaluated_ms else {
        return Ok(true);
    };
    if now_ms - last >= CLOCK_EVERY_MS {
        return Ok(true);
    }
    let latest = store.sync_runs(Some(alert.metric_id), 1).await?;
    Ok(latest
        .first()
        .and_then(|r| r.finished_ms)
        .is_some_and(|f| f > last))
}

/// Evaluates one alert at `now_ms`, saves its state and queues its messages.
pub async fn evaluate_alert<S: Store + WatchStore>(
    store: &S,
    alert: &AlertRow,
    now_ms: i64,
) -> Result<Transition, StoreError> {
    let metric = store.metric(alert.metric_id).await?;
    let format = number_format(&metric.definition);
    let now = ts(now_ms);
    // `band`: what an unusual alert's messages carry beside the values (expected, band, why).
    let (breached, cooldown, current, previous, range, what, band) = match &alert.spec {
        AlertSpec::Value { rule, zone } => {
            let (r, p) = rule.range.ranges(now, zone.tz()).map_err(invalid)?;
            let b = alert_buckets(
                store,
                alert.metric_id,
                rule,
                p.start.as_millisecond().min(r.start.as_millisecond()),
                r.end.as_millisecond().max(now_ms),
            )
            .await?;
            let e = watch::evaluate(rule, &b, now, zone.tz()).map_err(invalid)?;
            let names = if rule.per_account {
                crate::twilio_accounts::AccountNames::read(store).await?
            } else {
                Default::default()
            };
            let what = format!(
                "{} ({}{}) is {}{}{}",
                metric.name,
                rule.range.label(),
                rule.dimension
                    .as_deref()
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default(),
                format_full(e.current, &format),
                condition_text(&rule.condition, e.previous, &format),
                breaching_text(&e.breaching, &names, &format),
            );
            let accounts = breaching_json(&e.breaching, &names);
            (
                e.breached,
                rule.cooldown,
                e.current,
                e.previous,
                Some((e.range.start.as_millisecond(), e.range.end.as_millisecond())),
                what,
                accounts,
            )
        }
        AlertSpec::Unusual { rule, zone } => {
            let direction = rule.direction.resolve(favourable(&metric.definition));
            let now_judged =
                crate::unusual::judge_now(store, alert.metric_id, rule, direction, now_ms).await?;
            let what = unusual_text(&metric.name, rule, &now_judged, zone, &format);
            let verdict = now_judged.judgement.verdict();
            (
                now_judged.judgement.breached_at(alert.state.phase),
                rule.cooldown,
                verdict.map(|v| v.observed),
                verdict.map(|v| v.band.expected),
                verdict.map(|v| (v.from_ms, v.to_ms)),
                what,
                match verdict {
                    Some(v) => serde_json::json!({
                        "expected": v.band.expected,
                        "lower": v.band.lower,
                        "upper": v.band.upper,
                        "why": now_judged.why.iter().map(|c| serde_json::json!({
                            "dimension": c.dimension, "share": c.share,
                        })).collect::<Vec<_>>(),
                    }),
                    None => serde_json::Value::Null,
                },
            )
        }
        AlertSpec::Sync { builtin } => {
            let health = sync_health(store, alert.metric_id).await?;
            let what = match builtin {
                BuiltinAlert::SyncFailed => format!("the last sync of {} failed", metric.name),
                BuiltinAlert::Stale { after_ms } => format!(
                    "{} has not synced successfully for more than {} minutes",
                    metric.name,
                    after_ms / 60_000
                ),
                BuiltinAlert::PageCap => format!(
                    "the last sync of {} stopped at the page cap; data may be missing",
                    metric.name
                ),
            };
            (
                builtin.breached(&health, now_ms),
                SYNC_ALERT_COOLDOWN,
                None,
                None,
                None,
                what,
                serde_json::Value::Null,
            )
        }
    };
    let (next, transition) = step(alert.state, breached, now_ms, cooldown);
    let event = match transition {
        Transition::Nothing => None,
        Transition::Fire => Some(NewAlertEvent {
            kind: AlertEventKind::Fired,
            at_ms: now_ms,
            current,
            previous,
            range,
            message: what.clone(),
        }),
        Transition::Resolve => Some(NewAlertEvent {
            kind: AlertEventKind::Resolved,
            at_ms: now_ms,
            current,
            previous,
            range,
            message: format!("resolved: {what}"),
        }),
    };
    let deliveries: Vec<NewDelivery> = match &event {
        Some(ev) => {
            let message = alert_message(alert, &metric.name, ev, &band);
            deliveries_to(&alert.channels, DeliverySource::Alert(alert.id), &message)
        }
        None => Vec::new(),
    };
    // The messages are queued with the transition, in its transaction; when another evaluator
    // moved the alert first, it queued them, not us.
    let saved = store
        .transition_alert(
            alert.id,
            &alert.state,
            &next,
            now_ms,
            event.as_ref(),
            &deliveries,
        )
        .await?;
    Ok(if saved.is_some() {
        transition
    } else {
        Transition::Nothing
    })
}

/// One delivery of `message` per channel.
fn deliveries_to(
    channels: &[ChannelId],
    source: DeliverySource,
    message: &impl serde::Serialize,
) -> Vec<NewDelivery> {
    let message = serde_json::to_value(message).unwrap_or_default();
    channels
        .iter()
        .map(|ch| NewDelivery {
            channel_id: *ch,
            source,
            message: message.clone(),
        })
        .collect()
}

/// The condition in words; thresholds and amounts are in the metric's unit, so they print in
/// its format, like the value they are compared with.
/// The buckets a value rule reads: with their accounts (composite dimensions) when it judges
/// each account or keeps chosen ones, else the accounts added together. The live evaluation
/// and the back-tests read through it, so they judge the same hours.
pub async fn alert_buckets<S: Store>(
    store: &S,
    metric: MetricId,
    rule: &watch::AlertRule,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<HourBucket>, StoreError> {
    if rule.asks_accounts() {
        use metric::accounts::AccountView;
        metric_sync::buckets_viewed(store, metric, from_ms, to_ms, AccountView::Both, &None).await
    } else {
        buckets(store, metric, from_ms, to_ms).await
    }
}

/// The accounts a per-account rule found breaching, by name with their values: "; breaching:
/// Brand B 84.2 %, Brand C 80 %". Empty when none (or the rule is not per account).
fn breaching_text(
    breaching: &[watch::AccountValue],
    names: &crate::twilio_accounts::AccountNames,
    format: &NumberFormat,
) -> String {
    if breaching.is_empty() {
        return String::new();
    }
    let each: Vec<String> = breaching
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                names.name(&a.account),
                format_full(a.current, format)
            )
        })
        .collect();
    format!("; breaching: {}", each.join(", "))
}

/// The breaching accounts as a message's data carries them (`accounts`), or nothing.
fn breaching_json(
    breaching: &[watch::AccountValue],
    names: &crate::twilio_accounts::AccountNames,
) -> serde_json::Value {
    if breaching.is_empty() {
        return serde_json::Value::Null;
    }
    let each: Vec<serde_json::Value> = breaching
        .iter()
        .map(|a| {
            serde_json::json!({
                "account": a.account, "name": names.name(&a.account),
                "current": a.current, "previous": a.previous,
            })
        })
        .collect();
    serde_json::json!({ "accounts": each })
}

fn condition_text(c: &watch::Condition, previous: Option<f64>, format: &NumberFormat) -> String {
    let value = |v: f64| format_full(Some(v), format);
    match *c {
        watch::Condition::Above { threshold } => {
            format!(", threshold above {}", value(threshold))
        }
        watch::Condition::Below { threshold } => {
            format!(", threshold below {}", value(threshold))
        }
        watch::Condition::ChangedByPercent { percent } => {
            let percent_format = NumberFormat {
                unit: Unit::Percent,
                currency: None,
                decimals: None,
            };
            format!(
                " against {} before, threshold a change of {}",
                format_full(previous, format),
                format_full(Some(percent), &percent_format)
            )
        }
        watch::Condition::ChangedBy { amount } => format!(
            " against {} before, threshold a change of {}",
            format_full(previous, format),
            value(amount)
        ),
    }
}

/// What an unusual alert's judgement says: "Undelivered messages is 41 in the hour to 14:00
/// UTC against 6 expected (+583.3%): “30007” explains 92%". Values print in the metric's
/// format; the hour in the alert's zone.
pub fn unusual_text(
    metric: &str,
    rule: &watch::UnusualRule,
    now: &crate::unusual::UnusualNow,
    zone: &watch::Zone,
    format: &NumberFormat,
) -> String {
    let subject = match &rule.dimension {
        Some(d) => format!("{metric} (“{d}”)"),
        None => metric.to_owned(),
    };
    match &now.judgement {
        watch::unusual::Judgement::Learning { hours, needed } => format!(
            "{subject} is still {}",
            watch::describe::learning(*hours, *needed)
        ),
        watch::unusual::Judgement::Unknown => {
            format!("{subject} has no value for its last complete hour yet")
        }
        watch::unusual::Judgement::Judged(v) => {
            let hour_end = ts(v.to_ms).to_zoned(zone.tz().clone());
            let hours = match v.window_hours {
                1 => "the hour".to_owned(),
                n => format!("the {n} hours"),
            };
            let mut text = format!(
                "{subject} is {} in {hours} to {} against {} expected",
                format_full(Some(v.observed), format),
                hour_end.strftime("%H:%M %Z"),
                format_full(Some(v.band.expected), format),
            );
            if v.band.expected != 0.0 {
                let change = (v.observed - v.band.expected) / v.band.expected.abs() * 100.0;
                text.push_str(&format!(" ({})", charts::format_change(change)));
            }
            if !v.anomalous {
                text.push_str(&format!(
                    ", inside its usual band of {} to {}",
                    format_full(Some(v.band.lower), format),
                    format_full(Some(v.band.upper), format)
                ));
            }
            let why = watch::describe::why(&now.why);
            if !why.is_empty() {
                text.push_str(": ");
                text.push_str(&why);
            }
            text
        }
    }
}

fn alert_message(
    alert: &AlertRow,
    metric: &str,
    ev: &NewAlertEvent,
    band: &serde_json::Value,
) -> Message {
    let fired = ev.kind == AlertEventKind::Fired;
    let title = format!(
        "{} {}: {}",
        if fired { "Alert" } else { "Resolved" },
        alert.name,
        metric
    );
    let text = format!("{}.", capitalise(&ev.message));
    let html = format!(
        "<p style=\"font-family:sans-serif\"><strong style=\"color:{}\">{}</strong></p><p style=\"font-family:sans-serif\">{}</p>",
        if fired { "#cf222e" } else { "#1a7f37" },
        escape(&title),
        escape(&text)
    );
    let mut data = serde_json::json!({
            "alert_id": alert.id.0,
            "alert": alert.name,
            "metric_id": alert.metric_id.0,
            "metric": metric,
            "current": ev.current,
            "previous": ev.previous,
            "range_start": ev.range.map(|r| ts(r.0).to_string()),
            "range_end": ev.range.map(|r| ts(r.1).to_string()),
            "at": ts(ev.at_ms).to_string(),
    });
    if let (Some(data), serde_json::Value::Object(band)) = (data.as_object_mut(), band) {
        data.extend(band.clone());
    }
    Message {
        event: if fired {
            EventKind::AlertFired
        } else {
            EventKind::AlertResolved
        },
        title,
        text,
        html: Some(html),
        data,
        images: Vec::new(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// HTML-escapes text placed in an email body.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn sync_health<S: Store>(store: &S, metric: MetricId) -> Result<SyncHealth, StoreError> {
    let last = store.sync_runs(Some(metric), 1).await?;
    let good = store.last_good_sync(metric).await?;
    let last = last.first().filter(|r| r.status != RunStatus::Running);
    Ok(SyncHealth {
        last_run_failed: last.is_some_and(|r| r.status == RunStatus::Failed),
        last_success_ms: good.and_then(|r| r.finished_ms),
        last_run_hit_page_cap: last.is_some_and(|r| r.status == RunStatus::Partial),
    })
}

/// How many finished periods a new goal's history starts with, from the stored buckets.
pub const GOAL_BACKFILL: usize = 12;

/// Records the goal's current period and up to `finished` finished ones (the clock passes 1: the
/// one that just ended; a new goal passes [`GOAL_BACKFILL`]); returns how many were written.
pub async fn record_goal<S: Store + WatchStore>(
    store: &S,
    goal: &GoalRow,
    now_ms: i64,
    finished: usize,
) -> Result<u32, StoreError> {
    let now = ts(now_ms);
    let zone = goal.spec.zone.tz();
    let current = goal.spec.goal.period.at(now, zone).map_err(invalid)?;
    let mut periods = vec![current];
    periods.extend(
        goal.spec
            .goal
            .period
            .finished(now, zone, finished)
            .map_err(invalid)?,
    );
    periods.dedup_by_key(|p| p.index);
    let mut n = 0;
    for p in periods {
        let progress = goal_progress(store, goal, p, now_ms).await?;
        store
            .record_goal_period(
                goal.id,
                &GoalPeriodRow {
                    index: p.index,
                    start_ms: p.start.as_millisecond(),
                    end_ms: p.end.as_millisecond(),
                    value: progress.current,
                    target: progress.target,
                    status: progress.status,
                    recorded_ms: now_ms,
                },
            )
            .await?;
        n += 1;
    }
    Ok(n)
}

/// The goal's progress in period `p` at `now_ms`.
pub async fn goal_progress<S: Store>(
    store: &S,
    goal: &GoalRow,
    p: watch::Period,
    now_ms: i64,
) -> Result<watch::Progress, StoreError> {
    let end = p
        .end
        .as_millisecond()
        .min(now_ms.max(p.start.as_millisecond()));
    let b = goal_buckets(store, goal, p.start.as_millisecond(), end).await?;
    let mine: Vec<HourBucket> = b
        .into_iter()
        .filter(|x| goal.spec.dimension.is_none() || x.dimension == goal.spec.dimension)
        .collect();
    let range = metric::TimeRange {
        start: p.start,
        end: ts(end),
    };
    let value = metric::aggregate::total(&mine, &range, goal.spec.aggregation);
    let forecast = goal_forecast(store, goal, p, now_ms).await?;
    Ok(watch::progress_with(
        &goal.spec.goal,
        p,
        value,
        ts(now_ms),
        forecast,
    ))
}

/// A goal's buckets, the accounts added together: every account's, or only the chosen ones.
async fn goal_buckets<S: Store>(
    store: &S,
    goal: &GoalRow,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<HourBucket>, StoreError> {
    match &goal.spec.accounts {
        None => buckets(store, goal.metric_id, from_ms, to_ms).await,
        Some(list) => {
            let filter = Some(list.iter().cloned().collect());
            let view = metric::accounts::AccountView::Total;
            metric_sync::buckets_viewed(store, goal.metric_id, from_ms, to_ms, view, &filter).await
        }
    }
}

/// The seasonal forecast of a running period's end value, for a goal to reach a sum or a
/// count whose series has a ready model; `None` otherwise (the goal then paces on a straight
/// line).
async fn goal_forecast<S: Store>(
    store: &S,
    goal: &GoalRow,
    p: watch::Period,
    now_ms: i64,
) -> Result<Option<watch::EndForecast>, StoreError> {
    let (start, end) = (p.start.as_millisecond(), p.end.as_millisecond());
    // The seasonal model is the whole metric's: a goal over chosen accounts paces on a line.
    if goal.spec.accounts.is_some()
        || goal.spec.goal.criterion != watch::Criterion::Reach
        || !crate::forecast::can_forecast(goal.spec.aggregation)
        || now_ms < start
        || now_ms >= end
    {
        return Ok(None);
    }
    let read = crate::forecast::series_forecast(
        store,
        goal.metric_id,
        goal.spec.aggregation,
        goal.spec.dimension.as_deref(),
        start,
        now_ms,
    )
    .await?;
    Ok(read.model().map(|model| {
        let f = ::seasonal::forecast::project(
            model,
            &read.series,
            start,
            end,
            now_ms,
            crate::forecast::BAND_WIDTH,
        );
        watch::EndForecast {
            value: f.value,
            lower: f.lower,
            upper: f.upper,
        }
    }))
}

/// Sends a due scorecard once (several processes may try; one claims the run).
pub async fn run_scorecard<S: Store + WatchStore>(
    store: &S,
    sc: &ScorecardRow,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let zone = sc.spec.zone.tz();
    let next = sc
        .spec
        .schedule
        .next_run(ts(now_ms), zone)
        .map_err(invalid)?
        .as_millisecond();
    // The period follows the scheduled time, so a late run still reports the right day. The
    // message is composed before the claim so that claiming and queuing it are one transaction.
    let message = scorecard_message(store, sc, sc.next_run_ms).await?;
    let deliveries = deliveries_to(&sc.channels, DeliverySource::Scorecard(sc.id), &message);
    store
        .claim_scorecard_run(sc.id, sc.next_run_ms, next, now_ms, &deliveries)
        .await
}

/// One computed line of a scorecard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScorecardLine {
    pub metric_id: i64,
    pub metric: String,
    pub row: watch::ScorecardRow,
    /// How the metric's values print; not part of the preview's JSON, which carries numbers.
    #[serde(skip)]
    pub format: NumberFormat,
}

/// The scorecard's rows for the run scheduled at `run_ms`.
pub async fn scorecard_lines<S: Store + WatchStore>(
    store: &S,
    sc: &ScorecardRow,
    run_ms: i64,
) -> Result<(metric::TimeRange, Vec<ScorecardLine>), StoreError> {
    let zone = sc.spec.zone.tz();
    let period = sc
        .spec
        .schedule
        .report_period(ts(run_ms), zone)
        .map_err(invalid)?;
    let (_, chart) = sc.spec.schedule.frequency.intervals();
    let mut lines = Vec::new();
    for m in &sc.spec.metrics {
        let stored = store.metric(MetricId(m.metric_id)).await?;
        // Two years back covers "same period last year" for a monthly card.
        let from = period.start.as_millisecond() - 2 * 366 * 24 * domain::HOUR_MS;
        let b = buckets(store, stored.id, from, period.end.as_millisecond()).await?;
        let baseline = match m.baseline {
            Baseline::StoredGoal { goal_id } => match store.goal(store::GoalId(goal_id)).await {
                Ok(goal) => Baseline::Goal {
                    target: goal.spec.goal.target,
                },
                // Deleted since: the row shows no comparison rather than failing the card.
                Err(StoreError::NotFound { .. }) => m.baseline,
                Err(e) => return Err(e),
            },
            other => other,
        };
        let row = watch::row(&b, &period, m.aggregation, baseline, m.trend, chart, zone)
            .map_err(invalid)?;
        lines.push(ScorecardLine {
            metric_id: m.metric_id,
            format: number_format(&stored.definition),
            metric: stored.name,
            row,
        });
    }
    Ok((period, lines))
}

/// How the metric's definition says its values print; a plain count if it does not parse.
pub fn number_format(definition: &str) -> NumberFormat {
    MetricDefinition::from_json(definition)
        .map(|d| d.description.format)
        .unwrap_or_else(|_| charts::format::plain())
}

/// The favourable trend the metric's definition declares, if it parses.
pub fn favourable(definition: &str) -> Trend {
    MetricDefinition::from_json(definition)
        .map(|d| d.description.favourable)
        .unwrap_or(Trend::Up)
}

async fn scorecard_message<S: Store + WatchStore>(
    store: &S,
    sc: &ScorecardRow,
    run_ms: i64,
) -> Result<Message, StoreError> {
    let (period, lines) = scorecard_lines(store, sc, run_ms).await?;
    let zone = sc.spec.zone.tz();
    let day = |t: Timestamp| t.to_zoned(zone.clone()).date().to_string();
    let last_day = period
        .end
        .checked_sub(SignedDuration::from_millis(1))
        .unwrap_or(period.end);
    let span = if day(period.start) == day(last_day) {
        day(period.start)
    } else {
        format!("{} to {}", day(period.start), day(last_day))
    };
    let title = format!("{}: {}", sc.name, span);
    let mut text = format!("{title}\n\n");
    let mut html = format!(
        "<div style=\"font-family:sans-serif\"><h2>{}</h2><table cellpadding=\"6\" style=\"border-collapse:collapse\"><tr><th align=\"left\">Metric</th><th align=\"right\">Value</th><th align=\"right\">Change</th><th></th></tr>",
        escape(&title)
    );
    let mut images = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let c = &l.row.change;
        let against = match sc
            .spec
            .metrics
            .iter()
            .find(|m| m.metric_id == l.metric_id)
            .map(|m| m.baseline)
        {
            Some(Baseline::Goal { .. } | Baseline::StoredGoal { .. }) => "goal",
            Some(Baseline::SamePeriodLastYear) => "last year",
            _ => "previous period",
        };
        let previous = format_full(c.previous, &l.format);
        let value = format_full(l.row.value, &l.format);
        let change = match c.percent {
            Some(p) => format!("{} vs {against} ({previous})", charts::format_change(p)),
            None => format!("vs {against} ({previous})"),
        };
        text.push_str(&format!("{}: {value} ({change})\n", l.metric));
        let colour = watch::scorecard::colour(c.verdict);
        let cid = format!("trend-{i}@switchboard");
        html.push_str(&format!(
            "<tr><td>{}</td><td align=\"right\"><strong>{}</strong></td><td align=\"right\" style=\"color:{colour}\">{}</td><td><img src=\"cid:{cid}\" width=\"120\" height=\"28\" alt=\"trend of {}\"></td></tr>",
            escape(&l.metric),
            escape(&value),
            escape(&change),
            escape(&l.metric),
        ));
        images.push(InlineImage {
            cid,
            svg: charts::sparkline(&l.row.series, 120, 28, charts::Ink::Literal(colour)),
        });
    }
    html.push_str("</table></div>");
    Ok(Message {
        event: EventKind::Scorecard,
        title,
        text,
        html: Some(html),
        data: serde_json::json!({
            "scorecard_id": sc.id.0,
            "scorecard": sc.name,
            "period_start": period.start.to_string(),
            "period_end": period.end.to_string(),
            "rows": lines.iter().map(|l| serde_json::json!({
                "metric_id": l.metric_id,
                "metric": l.metric,
                "value": l.row.value,
                "baseline": l.row.change.previous,
                "change_percent": l.row.change.percent,
                "verdict": l.row.change.verdict,
                "series": l.row.series,
            })).collect::<Vec<_>>(),
        }),
        images,
    })
}

/// Runs [`tick`]'s two halves every `every` until `shutdown` resolves: the loop `serve` and
/// `worker` spawn. Each pass reads `clock` once, and evaluates or sends at that instant. Evaluating and sending are separate loops, so a slow or stuck send never
/// delays an alert's evaluation; a tick that queued messages wakes the sending loop at once.
/// Several processes may run it on one PostgreSQL store: alert transitions, scorecard runs and
/// deliveries are each claimed by one of them.
pub async fn run_evaluator<S: Store + WatchStore>(
    store: std::sync::Arc<S>,
    sender: Sender,
    backoff: Backoff,
    every: std::time::Duration,
    clock: Clock,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let queued = tokio::sync::Notify::new();
    let stopped = || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let evaluating = async {
        loop {
            let now_ms = clock.now_ms();
            match evaluate(store.as_ref(), now_ms).await {
                Ok(r) if r != TickReport::default() => {
                    tracing::info!(report = ?r, "evaluator tick");
                    if r.fired + r.resolved + r.scorecards_sent > 0 {
                        queued.notify_one();
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "evaluator tick failed"),
            }
            tokio::select! {
                () = stopped() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    };
    let sending = async {
        // A pass lasts as long as its slowest send. A new pass starts on the clock, or when
        // messages were queued, even while an older one still waits on a stuck send, so a
        // message that is due goes out at once; at most `OVERLAPPING_PASSES` run at a time.
        let mut passes = futures::stream::FuturesUnordered::new();
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut due = false;
        loop {
            if due && passes.len() < OVERLAPPING_PASSES {
                due = false;
                let now_ms = clock.now_ms();
                passes.push(deliver_due(store.as_ref(), &sender, backoff, now_ms));
            }
            tokio::select! {
                () = stopped() => break,
                Some(done) = passes.next(), if !passes.is_empty() => log_pass(done),
                () = queued.notified() => due = true,
                _ = ticks.tick() => due = true,
            }
        }
        // Sends under way may finish; the process's own deadline bounds how long.
        while let Some(done) = passes.next().await {
            log_pass(done);
        }
    };
    let stopping = async {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    tokio::join!(evaluating, sending, stopping);
}

/// Passes of [`deliver_due`] the running evaluator lets overlap: each sends
/// [`notify::PARALLEL_SENDS`] at a time, so at most twice that many sends are under way.
const OVERLAPPING_PASSES: usize = 2;

fn log_pass(done: Result<DeliverReport, StoreError>) {
    match done {
        Ok(r) if r != DeliverReport::default() => tracing::info!(report = ?r, "deliveries sent"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sending deliveries failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A USD metric as the library defines one: what the alert texts read the format from.
    const USD_METRIC: &str = r#"{"version":1,"connection":"twilio",
        "request":{"host":"api.twilio.com","path":"/2010-04-01/Accounts/{AccountSid}/Balance.json","params":[]},
        "extraction":{"expression":"{\"value\": balance, \"date\": $sync_time}"},
        "description":{"name":"Account balance","aggregation":"latest","favourable":"up",
            "format":{"unit":"currency","currency":"USD","decimals":2},"interval":"day"}}"#;

    #[test]
    fn alert_texts_print_values_and_thresholds_in_the_metrics_format() {
        let usd = number_format(USD_METRIC);
        assert_eq!(usd.unit, Unit::Currency);
        assert_eq!(format_full(Some(1234.5), &usd), "$1,234.50");
        assert_eq!(
            condition_text(&watch::Condition::Below { threshold: 1500.0 }, None, &usd),
            ", threshold below $1,500.00"
        );
        assert_eq!(
            condition_text(
                &watch::Condition::ChangedBy { amount: 20.0 },
                Some(-0.001),
                &usd
            ),
            " against $0.00 before, threshold a change of $20.00"
        );
        assert_eq!(
            condition_text(
                &watch::Condition::ChangedByPercent { percent: 10.0 },
                None,
                &usd
            ),
            " against — before, threshold a change of 10.0%"
        );
    }

    #[test]
    fn a_definition_that_does_not_read_prints_plain_counts() {
        let plain = number_format("{}");
        assert_eq!(format_full(Some(1234.0), &plain), "1,234");
        assert_eq!(
            condition_text(&watch::Condition::Above { threshold: 0.5 }, None, &plain),
            ", threshold above 0.50"
        );
    }
}
