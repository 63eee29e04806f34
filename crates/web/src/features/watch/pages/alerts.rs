//! The Alerts screen (list, new and edit form, back-test, built-in sync alerts) and one alert's
//! history.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use jiff::{SignedDuration, Timestamp};
use store::{AlertId, AlertRow, MetricId, Store, WatchStore};
use watch::alert::{AlertRule, BuiltinAlert, Condition, EvalRange};
use watch::unusual::{Sensitivity, UnusualDirection, UnusualRule};
use watch::{AlertSpec, Zone, describe};

use super::{
    AGGREGATIONS, Choice, Fields, FormError, MetricList, Opt, PageResult, Refusal, choices, code,
    opts, parse_enum, refused, ticks, value, when,
};
use super::{Saving, Screen, format_of};
use crate::account_picker::AccountChoices;
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::WebError;
use crate::pages::{Flash, PageFrame, render, with_flash};
use crate::state::AppState;

pub struct AlertLine {
    id: i64,
    name: String,
    metric_id: i64,
    metric: String,
    rule: String,
    /// The channels' names, or that no one is told.
    tells: String,
    phase: String,
    phase_code: String,
    enabled: bool,
}

/// The alert form as typed, or as stored when editing. A built-in sync alert keeps its kind
/// (`builtin`): its form changes the name, the hours of a staleness alert and the channels.
pub struct AlertForm {
    editing: Option<i64>,
    builtin: Option<BuiltinAlert>,
    name: String,
    metric: i64,
    aggregation: String,
    dimension: String,
    condition: String,
    value: String,
    range: String,
    /// An unusual alert's (condition `unusual`).
    sensitivity: String,
    direction: String,
    cooldown_hours: String,
    stale_hours: String,
    channels: Vec<i64>,
    silent: bool,
    enabled: bool,
    /// A value alert over several accounts: judged for each account.
    per_account: bool,
    /// Only these accounts: the SIDs ticked (none: every account).
    accounts: Vec<String>,
    refused: Option<FormError>,
}

impl Default for AlertForm {
    fn default() -> Self {
        AlertForm {
            editing: None,
            builtin: None,
            name: String::new(),
            metric: 0,
            aggregation: "sum".into(),
            dimension: String::new(),
            condition: "above".into(),
            value: String::new(),
            range: "last_hour".into(),
            sensitivity: "medium".into(),
            direction: "either".into(),
            cooldown_hours: "6".into(),
            stale_hours: String::new(),
            channels: Vec::new(),
            silent: false,
            enabled: true,
            per_account: false,
            accounts: Vec::new(),
            refused: None,
        }
    }
}

impl Refusal for AlertForm {
    fn refusal(&self) -> Option<&FormError> {
        self.refused.as_ref()
    }
}

/// Hours as a form shows them: whole hours without decimals.
fn hours(ms: i64) -> String {
    let h = ms as f64 / domain::HOUR_MS as f64;
    format!("{h}")
}

impl AlertForm {
    fn posted(f: &Fields, editing: Option<i64>) -> AlertForm {
        let builtin = match f.get("builtin").as_str() {
            "sync_failed" => Some(BuiltinAlert::SyncFailed),
            "page_cap" => Some(BuiltinAlert::PageCap),
            // The hours are read from their field when the form is saved.
            "stale" => Some(BuiltinAlert::Stale { after_ms: 0 }),
            _ => None,
        };
        AlertForm {
            editing,
            builtin,
            name: f.get("name"),
            metric: f.get("metric").parse().unwrap_or(0),
            aggregation: f.get("aggregation"),
            dimension: f.get("dimension"),
            condition: f.get("condition"),
            value: f.get("value"),
            range: f.get("range"),
            sensitivity: f.get("sensitivity"),
            direction: f.get("direction"),
            cooldown_hours: f.get("cooldown_hours"),
            stale_hours: f.get("stale_hours"),
            channels: f.ids("channel"),
            silent: f.on("silent"),
            // A box left unticked is absent from the post: "paused" keeps a bare post enabled.
            enabled: !f.on("paused"),
            per_account: f.on("per_account"),
            accounts: f.ticked_accounts(),
            refused: None,
        }
    }

    /// The kind of a built-in sync alert being edited, kept in a hidden field.
    fn builtin_code(&self) -> &'static str {
        match self.builtin {
            Some(BuiltinAlert::SyncFailed) => "sync_failed",
            Some(BuiltinAlert::PageCap) => "page_cap",
            Some(BuiltinAlert::Stale { .. }) => "stale",
            None => "",
        }
    }

    fn builtin_words(&self) -> String {
        self.builtin.map(describe::builtin_rule).unwrap_or_default()
    }

    fn is_stale(&self) -> bool {
        matches!(self.builtin, Some(BuiltinAlert::Stale { .. }))
    }

    fn aggregations(&self) -> Vec<Opt> {
        opts(&AGGREGATIONS, &self.aggregation)
    }

    fn conditions(&self) -> Vec<Opt> {
        opts(
            &[
                ("above", "is above"),
                ("below", "is below"),
                (
                    "changed_by_percent",
                    "changed by more than N % against the previous range",
                ),
                (
                    "changed_by",
                    "changed by more than N against the previous range",
                ),
                ("unusual", "is unusual for its daily and weekly rhythm"),
            ],
            &self.condition,
        )
    }

    /// The accounts' boxes, ticked as the form has them.
    fn account_boxes(&self, choices: &AccountChoices) -> String {
        choices.checkboxes("account", &self.accounts)
    }

    /// Whether the accounts show before the page's script runs: for the metric the form holds
    /// (the select's first when none is chosen yet), or while some are ticked.
    fn shows_accounts(&self, choices: &AccountChoices, metrics: &[(i64, String)]) -> bool {
        let chosen = match self.metric {
            0 => metrics.first().map(|m| m.0).unwrap_or(0),
            id => id,
        };
        choices.is_multi(chosen) || self.per_account || !self.accounts.is_empty()
    }

    fn is_unusual(&self) -> bool {
        self.condition == "unusual"
    }

    fn sensitivities(&self) -> Vec<Opt> {
        Sensitivity::ALL
            .iter()
            .map(|s| Opt {
                value: code(s),
                label: s.label().to_owned(),
                selected: code(s) == self.sensitivity,
            })
            .collect()
    }

    fn directions(&self) -> Vec<Opt> {
        UnusualDirection::ALL
            .iter()
            .map(|d| Opt {
                value: code(d),
                label: describe::unusual_direction(*d).to_owned(),
                selected: code(d) == self.direction,
            })
            .collect()
    }

    fn cooldown(&self) -> Result<SignedDuration, WebError> {
        let hours = self
            .cooldown_hours
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h >= 0.0)
            .ok_or_else(|| {
                WebError::invalid(
                    "cooldown_hours",
                    "the cool-down is a number of hours, 0 or more",
                )
            })?
            .min(24.0 * 365.0);
        Ok(SignedDuration::from_secs_f64(hours * 3600.0))
    }

    fn unusual_rule(&self) -> Result<UnusualRule, WebError> {
        Ok(UnusualRule {
            aggregation: parse_enum("aggregation", &self.aggregation)?,
            dimension: Some(self.dimension.clone()).filter(|d| !d.is_empty()),
            sensitivity: parse_enum("sensitivity", &self.sensitivity)?,
            direction: parse_enum("direction", &self.direction)?,
            cooldown: self.cooldown()?,
        })
    }

    fn ranges(&self) -> Vec<Opt> {
        EvalRange::ALL
            .iter()
            .map(|r| {
                let value = code(r);
                Opt {
                    selected: value == self.range,
                    value,
                    label: r.label().to_owned(),
                }
            })
            .collect()
    }

    fn rule(&self) -> Result<AlertRule, WebError> {
        let v = self
            .value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| WebError::invalid("value", "the value must be a number"))?;
        let condition = match self.condition.as_str() {
            "above" => Condition::Above { threshold: v },
            "below" => Condition::Below { threshold: v },
            "changed_by_percent" => Condition::ChangedByPercent { percent: v },
            "changed_by" => Condition::ChangedBy { amount: v },
            other => {
                return Err(WebError::invalid(
                    "condition",
                    format!("'{other}' is not a condition"),
                ));
            }
        };
        Ok(AlertRule {
            aggregation: parse_enum("aggregation", &self.aggregation)?,
            dimension: Some(self.dimension.clone()).filter(|d| !d.is_empty()),
            condition,
            range: parse_enum::<EvalRange>("range", &self.range)?,
            cooldown: self.cooldown()?,
            per_account: self.per_account,
            accounts: Some(self.accounts.clone()).filter(|a| !a.is_empty()),
        })
    }

    fn spec(&self) -> Result<AlertSpec, WebError> {
        Ok(match self.builtin {
            None if self.is_unusual() => AlertSpec::Unusual {
                rule: self.unusual_rule()?,
                zone: Zone::utc(),
            },
            None => AlertSpec::Value {
                rule: self.rule()?,
                zone: Zone::utc(),
            },
            Some(BuiltinAlert::Stale { .. }) => AlertSpec::Sync {
                builtin: BuiltinAlert::Stale {
                    after_ms: stale_ms(&self.stale_hours)?,
                },
            },
            Some(b) => AlertSpec::Sync { builtin: b },
        })
    }

    fn input(&self) -> Result<app::AlertInput, WebError> {
        if self.metric == 0 {
            return Err(WebError::invalid("metric", "pick a metric"));
        }
        Ok(app::AlertInput {
            name: self.name.clone(),
            metric_id: self.metric,
            spec: self.spec()?,
            enabled: self.enabled,
            channels: self.channels.clone(),
            silent: self.silent,
        })
    }
}

/// A staleness limit in hours, as the sync alerts' forms take it.
fn stale_ms(hours: &str) -> Result<i64, WebError> {
    let h = hours.parse::<f64>().unwrap_or(f64::NAN);
    if !(h > 0.0 && h <= 24.0 * 90.0) {
        return Err(WebError::invalid(
            "stale_hours",
            "stale after 1 to 2160 hours",
        ));
    }
    Ok((h * domain::HOUR_MS as f64) as i64)
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    frame: PageFrame,
    alerts: Vec<AlertLine>,
    metrics: Vec<(i64, String)>,
    /// Every channel: id, name, ticked on the form.
    channels: Vec<(i64, String, bool)>,
    /// The form as last submitted (kept after a back-test or a refusal).
    form: AlertForm,
    /// The metrics over several accounts and the accounts the form offers for them.
    accounts: AccountChoices,
    /// Which way "only the unfavourable way" is for the metric on the form.
    unfavourable: Option<String>,
    backtest: Option<String>,
    backtest_firings: Vec<BacktestLine>,
}

/// One firing of a back-test as the page shows it.
pub struct BacktestLine {
    at: String,
    value: String,
    /// The dimension values behind it (unusual alerts), or empty.
    why: String,
    resolved: String,
}

/// A back-test's summary and its firings.
type Backtested = (String, Vec<BacktestLine>);

async fn alerts_page(
    state: &AppState,
    caller: &Caller,
    q: Flash,
    form: AlertForm,
    backtest: Option<Backtested>,
) -> PageResult {
    let metrics = MetricList::load(state).await?;
    let channel_names = choices(state, Choice::Channels).await?;
    let now_ms = state.clock().now_ms();
    let mut alerts = Vec::new();
    for a in state.store().list_alerts().await? {
        let format = metrics.format(a.metric_id.0);
        let tells: Vec<String> = a
            .channels
            .iter()
            .filter_map(|c| channel_names.iter().find(|n| n.0 == c.0))
            .map(|n| n.1.clone())
            .collect();
        // A series still learning its rhythm cannot fire: its state says so rather than "OK".
        let learning = match &a.spec {
            AlertSpec::Unusual { rule, .. } => {
                app::unusual::learning(state.store().as_ref(), a.metric_id, rule, now_ms).await?
            }
            _ => None,
        };
        let (phase, phase_code) = match learning {
            Some((hours, needed)) => (
                capitalised(&describe::learning(hours, needed)),
                "learning".to_owned(),
            ),
            None => (
                describe::phase(a.state.phase).to_owned(),
                code(&a.state.phase),
            ),
        };
        alerts.push(AlertLine {
            id: a.id.0,
            metric_id: a.metric_id.0,
            metric: metrics.name(a.metric_id.0),
            rule: describe::rule(&a.spec, &|v| value(Some(v), &format)),
            tells: if tells.is_empty() {
                "No one is told".to_owned()
            } else {
                tells.join(", ")
            },
            phase,
            phase_code,
            enabled: a.enabled,
            name: a.name,
        });
    }
    let unfavourable = metrics.trend(form.metric).map(|t| {
        let name = metrics.name(form.metric);
        match t {
            metric::Trend::Up => {
                format!("For {name} more is better, so “only the unfavourable way” means down.")
            }
            metric::Trend::Down => {
                format!("For {name} less is better, so “only the unfavourable way” means up.")
            }
        }
    });
    let (bt, firings) = backtest
        .map(|(a, b)| (Some(a), b))
        .unwrap_or((None, Vec::new()));
    render(&AlertsPage {
        frame: PageFrame::of(caller, "alerts").flash(q),
        alerts,
        metrics: metrics.choices(),
        channels: ticks(&channel_names, &form.channels),
        accounts: AccountChoices::load(state).await?,
        form,
        unfavourable,
        backtest: bt,
        backtest_firings: firings,
    })
}

impl Screen for AlertForm {
    type Item = AlertRow;

    fn stored(a: &AlertRow, _role: Role) -> AlertForm {
        let mut form = AlertForm {
            editing: Some(a.id.0),
            name: a.name.clone(),
            metric: a.metric_id.0,
            channels: a.channels.iter().map(|c| c.0).collect(),
            silent: a.channels.is_empty(),
            enabled: a.enabled,
            ..AlertForm::default()
        };
        match &a.spec {
            AlertSpec::Value { rule, .. } => {
                let (condition, v) = match rule.condition {
                    Condition::Above { threshold } => ("above", threshold),
                    Condition::Below { threshold } => ("below", threshold),
                    Condition::ChangedByPercent { percent } => ("changed_by_percent", percent),
                    Condition::ChangedBy { amount } => ("changed_by", amount),
                };
                form.aggregation = code(&rule.aggregation);
                form.dimension = rule.dimension.clone().unwrap_or_default();
                form.condition = condition.to_owned();
                form.value = v.to_string();
                form.range = code(&rule.range);
                form.cooldown_hours = hours(i64::try_from(rule.cooldown.as_millis()).unwrap_or(0));
                form.per_account = rule.per_account;
                form.accounts = rule.accounts.clone().unwrap_or_default();
            }
            AlertSpec::Unusual { rule, .. } => {
                form.aggregation = code(&rule.aggregation);
                form.dimension = rule.dimension.clone().unwrap_or_default();
                form.condition = "unusual".to_owned();
                form.sensitivity = code(&rule.sensitivity);
                form.direction = code(&rule.direction);
                form.cooldown_hours = hours(i64::try_from(rule.cooldown.as_millis()).unwrap_or(0));
            }
            AlertSpec::Sync { builtin } => {
                form.builtin = Some(*builtin);
                if let BuiltinAlert::Stale { after_ms } = builtin {
                    form.stale_hours = hours(*after_ms);
                }
            }
        }
        form
    }

    fn posted(f: &Fields, before: Option<&AlertRow>) -> AlertForm {
        AlertForm::posted(f, before.map(|a| a.id.0))
    }

    async fn input_for(&self, _at: Saving<'_, AlertRow>) -> Result<app::AlertInput, WebError> {
        self.input()
    }

    async fn page(state: &AppState, caller: &Caller, q: Flash, form: AlertForm) -> PageResult {
        alerts_page(state, caller, q, form, None).await
    }

    fn refuse(&mut self, reason: FormError) {
        self.refused = Some(reason);
    }

    fn editing(&self) -> Option<i64> {
        self.editing
    }
}

/// The form's "Back-test" button: the same page with how often the rule would have fired over
/// the metric's last 30 days of stored hours.
pub async fn alert_backtest(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let editing = f.get("editing").parse().ok();
    let mut form = AlertForm::posted(&f, editing);
    let outcome = if form.is_unusual() {
        unusual_backtest(&state, &form, &f).await
    } else {
        value_backtest(&state, &form, &f).await
    };
    match outcome {
        Ok(backtested) => {
            alerts_page(&state, &caller, Flash::default(), form, Some(backtested)).await
        }
        Err(e) => {
            form.refused = Some(FormError::of(&e));
            refused(alerts_page(&state, &caller, Flash::default(), form, None).await)
        }
    }
}

fn minute(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

fn resolved(t: Option<Timestamp>) -> String {
    t.map(minute).unwrap_or_else(|| "still firing".into())
}

async fn value_backtest(
    state: &AppState,
    form: &AlertForm,
    f: &Fields,
) -> Result<Backtested, WebError> {
    let rule = form.rule()?;
    let metric = state.store().metric(MetricId(f.id("metric")?)).await?;
    let r = super::super::backtest_value(
        state,
        metric.id,
        &rule,
        None,
        None,
        &jiff::tz::TimeZone::UTC,
    )
    .await?;
    let format = app::evaluate::number_format(&metric.definition);
    let names = if rule.per_account {
        app::twilio_accounts::AccountNames::load(state.store()).await?
    } else {
        Default::default()
    };
    let summary = backtest_summary(r.evaluations, r.to, r.firings.len(), r.suppressed);
    let firings = r
        .firings
        .iter()
        .map(|x| BacktestLine {
            at: minute(x.at),
            value: value(x.current, &format),
            why: x
                .breaching
                .iter()
                .map(|a| format!("{} {}", names.name(&a.account), value(a.current, &format)))
                .collect::<Vec<_>>()
                .join(", "),
            resolved: resolved(x.resolved_at),
        })
        .collect();
    Ok((summary, firings))
}

/// A back-test's outcome in one sentence, for value and unusual rules alike.
fn backtest_summary(
    evaluations: u32,
    to: jiff::Timestamp,
    fired: usize,
    suppressed: u32,
) -> String {
    let times = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    format!(
        "Over {} hourly evaluations up to {}, this alert would have fired {} ({} kept quiet by the cool-down).",
        evaluations,
        to.strftime("%Y-%m-%d %H:%M UTC"),
        times(fired as u64, "time", "times"),
        times(u64::from(suppressed), "breach", "breaches"),
    )
}

/// The back-test of an unusual rule: the same judgement the evaluator makes, hour by hour.
async fn unusual_backtest(
    state: &AppState,
    form: &AlertForm,
    f: &Fields,
) -> Result<Backtested, WebError> {
    let rule = form.unusual_rule()?;
    let metric_id = f.id("metric")?;
    let r = state
        .app()
        .backtest_unusual(app::watching::UnusualBacktestInput {
            metric_id,
            rule,
            from: None,
            to: None,
        })
        .await?;
    let metric = state.store().metric(MetricId(metric_id)).await?;
    let format = app::evaluate::number_format(&metric.definition);
    let mut summary = backtest_summary(r.evaluations, r.to, r.firings.len(), r.suppressed);
    if r.learning > 0 {
        summary.push_str(&format!(
            " For {} of them the metric was still learning its rhythm (it needs 21 days of history) and could not fire.",
            r.learning
        ));
    }
    let firings = r
        .firings
        .iter()
        .map(|x| BacktestLine {
            at: minute(x.at),
            value: format!(
                "{} (expected {})",
                value(Some(x.observed), &format),
                value(Some(x.expected), &format)
            ),
            why: describe::why(&x.why),
            resolved: resolved(x.resolved_at),
        })
        .collect();
    Ok((summary, firings))
}

/// The built-in sync alerts of one metric, or of every metric in use (`metric` = `all`): a
/// failed sync, no successful sync for N hours, a sync stopped at the page cap. Alerts that
/// already exist under the same name are left as they are.
pub async fn alert_sync_create(
    State(state): State<AppState>,
    _caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let made = async {
        let metrics = state.store().list_metrics().await?;
        let chosen: Vec<&store::StoredMetric> = match f.get("metric").as_str() {
            "all" => metrics.iter().filter(|m| m.in_use()).collect(),
            _ => {
                let id = f.id("metric")?;
                let m = metrics
                    .iter()
                    .find(|m| m.id.0 == id)
                    .ok_or_else(|| WebError::invalid("metric", format!("no metric {id}")))?;
                vec![m]
            }
        };
        let mut kinds = Vec::new();
        if f.on("failed") {
            kinds.push(("sync failed", BuiltinAlert::SyncFailed));
        }
        if f.on("stale") {
            kinds.push((
                "stale",
                BuiltinAlert::Stale {
                    after_ms: stale_ms(&f.get("stale_hours"))?,
                },
            ));
        }
        if f.on("page_cap") {
            kinds.push(("hit the page cap", BuiltinAlert::PageCap));
        }
        if kinds.is_empty() {
            return Err(WebError::invalid(
                "failed",
                "tick at least one kind of alert",
            ));
        }
        let existing: Vec<String> = state
            .store()
            .list_alerts()
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        let channels = f.ids("channel");
        let mut created = 0;
        for m in &chosen {
            for (what, builtin) in &kinds {
                let name = sync_alert_name(&m.name, what);
                if existing.contains(&name) {
                    continue;
                }
                let input = app::AlertInput {
                    name,
                    metric_id: m.id.0,
                    spec: AlertSpec::Sync { builtin: *builtin },
                    enabled: true,
                    channels: channels.clone(),
                    silent: f.on("silent"),
                };
                state.app().create_alert(input).await?;
                created += 1;
            }
        }
        Ok(created)
    }
    .await;
    Ok(match made {
        Ok(0) => with_flash("/alerts", true, "Those sync alerts exist already."),
        Ok(n) => with_flash("/alerts", true, &format!("Added {n} sync alerts.")),
        Err(e) => with_flash("/alerts", false, &e.to_string()),
    })
}

/// "METRIC: what", the metric's name shortened so the whole keeps within the one name rule.
fn sync_alert_name(metric: &str, what: &str) -> String {
    let room = app::Name::MAX.saturating_sub(what.chars().count() + 2);
    let metric: String = metric.chars().take(room).collect();
    format!("{}: {what}", metric.trim_end())
}

#[derive(Template)]
#[template(path = "alert_history.html")]
struct AlertHistoryPage {
    frame: PageFrame,
    name: String,
    rule: String,
    /// An unusual alert: its events' second value is the expected one, the message names the why.
    unusual: bool,
    /// What an unusual alert still learning says.
    learning: Option<String>,
    /// When, event code, event in words, value, previous, message.
    events: Vec<(String, String, String, String, String, String)>,
    /// Queued, state code, state in words, attempts, last error.
    deliveries: Vec<(String, String, String, String, String)>,
}

/// A stored code as a word that starts a table cell: "fired" → "Fired".
fn capitalised(code: &str) -> String {
    let mut c = code.chars();
    match c.next() {
        Some(first) => first
            .to_uppercase()
            .chain(c)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

pub async fn alert_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let a = state.store().alert(AlertId(id)).await?;
    let format = format_of(&state, a.metric_id).await;
    let events = state
        .store()
        .alert_events(a.id, 100)
        .await?
        .into_iter()
        .map(|e| {
            let kind = code(&e.event.kind);
            (
                when(e.event.at_ms),
                kind.clone(),
                capitalised(&kind),
                value(e.event.current, &format),
                value(e.event.previous, &format),
                e.event.message,
            )
        })
        .collect();
    let deliveries = state
        .store()
        .deliveries(Some(store::DeliverySource::Alert(a.id)), 100)
        .await?
        .into_iter()
        .map(|d| {
            let st = code(&d.state);
            (
                when(d.created_ms),
                st.clone(),
                capitalised(&st),
                d.attempts.to_string(),
                d.last_error.unwrap_or_default(),
            )
        })
        .collect();
    let learning = match &a.spec {
        AlertSpec::Unusual { rule, .. } => app::unusual::learning(
            state.store().as_ref(),
            a.metric_id,
            rule,
            state.clock().now_ms(),
        )
        .await?
        .map(|(hours, needed)| capitalised(&describe::learning(hours, needed))),
        _ => None,
    };
    render(&AlertHistoryPage {
        frame: PageFrame::of(&caller, "alerts"),
        unusual: matches!(a.spec, AlertSpec::Unusual { .. }),
        learning,
        rule: describe::rule(&a.spec, &|v| value(Some(v), &format)),
        name: a.name,
        events,
        deliveries,
    })
}
