//! The Goals, Alerts, Scorecards and Channels screens: server-rendered lists with a create form,
//! and the history of one goal or alert. They go through the same checks as the API
//! (`api.rs`), and forms carry the session's CSRF token like every other page.

use app::evaluate::goal_progress;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use charts::format_plain as number;
use jiff::{SignedDuration, Timestamp};
use store::{AlertId, ChannelId, GoalId, MetricId, Store, WatchStore};
use watch::alert::{AlertRule, Condition, EvalRange};
use watch::goal::{Criterion, Goal, GoalPeriod, PeriodUnit};
use watch::schedule::{Day, Frequency, Schedule};
use watch::{
    AlertSpec, Baseline, ChannelConfig, GoalSpec, ScorecardMetric, ScorecardSpec, SmtpTls, Zone,
};

use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};
use crate::pages::{Flash, Nav, nav, render, with_flash};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// A urlencoded form with repeated fields (several channels or metrics), which the serde form
/// extractor cannot read into a list.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &Bytes) -> Fields {
        Fields(url::form_urlencoded::parse(body).into_owned().collect())
    }
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn num(&self, name: &'static str) -> Result<f64, WebError> {
        self.get(name)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| WebError::invalid(name, format!("{name} must be a number")))
    }
    fn id(&self, name: &'static str) -> Result<i64, WebError> {
        self.get(name)
            .parse()
            .map_err(|_| WebError::invalid(name, format!("pick a {name}")))
    }
    fn ids(&self, name: &str) -> Vec<i64> {
        self.all(name)
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect()
    }
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &'static str, v: &str) -> Result<T, WebError> {
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| WebError::invalid(field, format!("'{v}' is not a valid {field}")))
}

fn when(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

async fn metric_choices(state: &AppState) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .store()
        .list_metrics()
        .await?
        .into_iter()
        .map(|m| (m.id.0, m.name))
        .collect())
}

async fn channel_choices(state: &AppState) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .store()
        .list_channels()
        .await?
        .into_iter()
        .map(|c| (c.id.0, c.name))
        .collect())
}

fn flash_of(q: Flash) -> (Option<String>, &'static str) {
    q.split()
}

// ------------------------------------------------------------------ goals

#[derive(Default)]
pub struct GoalLine {
    id: i64,
    name: String,
    metric: String,
    period: String,
    current: String,
    target: String,
    percent: String,
    expected: String,
    projection: String,
    status: String,
    /// Why the goal cannot be computed; the row shows this instead of its figures.
    broken: Option<String>,
}

#[derive(Template)]
#[template(path = "goals.html")]
struct GoalsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    goals: Vec<GoalLine>,
    metrics: Vec<(i64, String)>,
}

fn status_label(s: watch::Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn goals(State(state): State<AppState>, caller: Caller, q: Flash) -> PageResult {
    let metrics = metric_choices(&state).await?;
    let now = state.clock().now();
    let mut lines = Vec::new();
    for g in state.store().list_goals().await? {
        let metric = metrics
            .iter()
            .find(|m| m.0 == g.metric_id.0)
            .map(|m| m.1.clone())
            .unwrap_or_default();
        let period = g
            .spec
            .validate()
            .and_then(|()| g.spec.goal.period.at(now, g.spec.zone.tz()));
        let period = match period {
            Ok(p) => p,
            Err(e) => {
                lines.push(GoalLine {
                    id: g.id.0,
                    name: g.name.clone(),
                    metric,
                    broken: Some(super::api::broken_goal(&e)),
                    ..GoalLine::default()
                });
                continue;
            }
        };
        let p = goal_progress(state.store().as_ref(), &g, period, now.as_millisecond()).await?;
        lines.push(GoalLine {
            id: g.id.0,
            name: g.name.clone(),
            metric,
            period: format!(
                "{} – {}",
                when(period.start.as_millisecond()),
                when(period.end.as_millisecond())
            ),
            current: number(p.current),
            target: number(Some(p.target)),
            percent: p
                .progress
                .map(|v| format!("{:.0} %", v * 100.0))
                .unwrap_or_default(),
            expected: number(Some(p.expected)),
            projection: number(p.projection),
            status: status_label(p.status),
            broken: None,
        });
    }
    let (flash, flash_kind) = flash_of(q);
    render(&GoalsPage {
        nav: nav(&caller),
        active: "goals",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        flash,
        flash_kind,
        goals: lines,
        metrics,
    })
}

/// The goal form as the operation's input; the name, the spec and the metric are checked by
/// `app`, as for the API.
fn goal_from(f: &Fields) -> Result<app::GoalInput, WebError> {
    let start = f
        .get("start")
        .parse()
        .map_err(|_| WebError::invalid("start", "pick a start date"))?;
    let repeat = f.get("repeat") == "on";
    let period = match f.get("unit").as_str() {
        "custom" => GoalPeriod::Custom {
            start,
            end: f
                .get("end")
                .parse()
                .map_err(|_| WebError::invalid("end", "pick an end date"))?,
            repeat,
        },
        unit => GoalPeriod::Calendar {
            unit: parse_enum::<PeriodUnit>("unit", unit)?,
            start,
            repeat,
        },
    };
    let spec = GoalSpec {
        goal: Goal {
            target: f.num("target")?,
            criterion: parse_enum::<Criterion>("criterion", &f.get("criterion"))?,
            trend: parse_enum("trend", &f.get("trend"))?,
            period,
        },
        aggregation: parse_enum("aggregation", &f.get("aggregation"))?,
        dimension: Some(f.get("dimension")).filter(|d| !d.is_empty()),
        zone: Zone::parse(&f.get("zone")).map_err(|e| WebError::invalid("zone", e.to_string()))?,
    };
    Ok(app::GoalInput {
        name: f.get("name"),
        metric_id: f.id("metric")?,
        spec,
    })
}

pub async fn goal_create(
    State(state): State<AppState>,
    _caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let made = match goal_from(&f) {
        Ok(input) => state.app().create_goal(input).await.map_err(WebError::from),
        Err(e) => Err(e),
    };
    Ok(match made {
        Ok(g) => with_flash("/goals", true, &format!("Saved the goal {}.", g.name)),
        Err(e) => with_flash("/goals", false, &e.to_string()),
    })
}

#[derive(Template)]
#[template(path = "goal_history.html")]
struct GoalHistoryPage {
    nav: Option<Nav>,
    active: &'static str,
    name: String,
    periods: Vec<(String, String, String, String)>,
}

pub async fn goal_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let g = state.store().goal(GoalId(id)).await?;
    let periods = state
        .store()
        .goal_periods(g.id, 100)
        .await?
        .into_iter()
        .map(|p| {
            (
                format!("{} – {}", when(p.start_ms), when(p.end_ms)),
                number(p.value),
                number(Some(p.target)),
                status_label(p.status),
            )
        })
        .collect();
    render(&GoalHistoryPage {
        nav: nav(&caller),
        active: "goals",
        name: g.name,
        periods,
    })
}

// ------------------------------------------------------------------ alerts

pub struct AlertLine {
    id: i64,
    name: String,
    metric: String,
    rule: String,
    phase: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    alerts: Vec<AlertLine>,
    metrics: Vec<(i64, String)>,
    channels: Vec<(i64, String)>,
    ranges: Vec<(String, &'static str)>,
    aggregations: Vec<(&'static str, bool)>,
    /// The form as last submitted (kept after a back-test).
    form: AlertForm,
    backtest: Option<String>,
    backtest_firings: Vec<(String, String, String)>,
}

/// A back-test's summary and its firings (when, value, resolved).
type Backtested = (String, Vec<(String, String, String)>);

#[derive(Default, Clone)]
pub struct AlertForm {
    name: String,
    metric: i64,
    aggregation: String,
    dimension: String,
    condition: String,
    value: String,
    range: String,
    cooldown_hours: String,
}

fn alert_form(f: &Fields) -> AlertForm {
    AlertForm {
        name: f.get("name"),
        metric: f.get("metric").parse().unwrap_or(0),
        aggregation: f.get("aggregation"),
        dimension: f.get("dimension"),
        condition: f.get("condition"),
        value: f.get("value"),
        range: f.get("range"),
        cooldown_hours: f.get("cooldown_hours"),
    }
}

fn rule_from(f: &Fields) -> Result<AlertRule, WebError> {
    let v = f.num("value")?;
    let condition = match f.get("condition").as_str() {
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
    let hours = f
        .get("cooldown_hours")
        .parse::<f64>()
        .unwrap_or(1.0)
        .clamp(0.0, 24.0 * 365.0);
    Ok(AlertRule {
        aggregation: parse_enum("aggregation", &f.get("aggregation"))?,
        dimension: Some(f.get("dimension")).filter(|d| !d.is_empty()),
        condition,
        range: parse_enum::<EvalRange>("range", &f.get("range"))?,
        cooldown: SignedDuration::from_secs_f64(hours * 3600.0),
    })
}

async fn alerts_page(
    state: &AppState,
    caller: &Caller,
    q: Flash,
    form: AlertForm,
    backtest: Option<Backtested>,
) -> PageResult {
    let metrics = metric_choices(state).await?;
    let alerts = state
        .store()
        .list_alerts()
        .await?
        .into_iter()
        .map(|a| AlertLine {
            id: a.id.0,
            metric: metrics
                .iter()
                .find(|m| m.0 == a.metric_id.0)
                .map(|m| m.1.clone())
                .unwrap_or_default(),
            rule: match &a.spec {
                AlertSpec::Value { rule, .. } => format!(
                    "{} {}",
                    rule.range.label(),
                    serde_json::to_string(&rule.condition).unwrap_or_default()
                ),
                AlertSpec::Sync { builtin } => serde_json::to_string(builtin).unwrap_or_default(),
            },
            phase: serde_json::to_value(a.state.phase)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            name: a.name,
        })
        .collect();
    let (flash, flash_kind) = flash_of(q);
    let (bt, firings) = backtest
        .map(|(a, b)| (Some(a), b))
        .unwrap_or((None, Vec::new()));
    render(&AlertsPage {
        nav: nav(caller),
        active: "alerts",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        flash,
        flash_kind,
        alerts,
        metrics,
        channels: channel_choices(state).await?,
        ranges: EvalRange::ALL
            .iter()
            .map(|r| {
                (
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    r.label(),
                )
            })
            .collect(),
        aggregations: ["sum", "count", "average", "min", "max", "latest"]
            .into_iter()
            .map(|a| (a, form.aggregation == a))
            .collect(),
        form,
        backtest: bt,
        backtest_firings: firings,
    })
}

pub async fn alerts(State(state): State<AppState>, caller: Caller, q: Flash) -> PageResult {
    let form = AlertForm {
        aggregation: "sum".into(),
        condition: "above".into(),
        range: "last_hour".into(),
        cooldown_hours: "6".into(),
        ..AlertForm::default()
    };
    alerts_page(&state, &caller, q, form, None).await
}

/// The create form's "Back-test" button: the same page with how often the rule would have fired
/// over the metric's last 30 days of stored hours.
pub async fn alert_backtest(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let form = alert_form(&f);
    let outcome = async {
        let rule = rule_from(&f)?;
        let metric = state.store().metric(MetricId(f.id("metric")?)).await?;
        let all = app::evaluate::buckets(
            state.store().as_ref(),
            metric.id,
            i64::MIN / 2,
            i64::MAX / 2,
        )
        .await?;
        let to = all
            .iter()
            .map(|b| b.hour + 3_600_000)
            .max()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            .unwrap_or_else(|| state.clock().now());
        let from = to
            .checked_sub(SignedDuration::from_hours(24 * 30))
            .unwrap_or(to);
        let report = watch::backtest(
            &rule,
            &all,
            from,
            to,
            SignedDuration::from_hours(1),
            &jiff::tz::TimeZone::UTC,
        )
        .map_err(|e| WebError::invalid("rule", e.to_string()))?;
        Ok::<_, WebError>(report)
    }
    .await;
    match outcome {
        Ok(r) => {
            let summary = format!(
                "Over {} hourly evaluations up to {}, this alert would have fired {} times ({} breaches kept quiet by the cool-down).",
                r.evaluations,
                r.to.strftime("%Y-%m-%d %H:%M UTC"),
                r.firings.len(),
                r.suppressed
            );
            let firings = r
                .firings
                .iter()
                .map(|x| {
                    (
                        x.at.strftime("%Y-%m-%d %H:%M").to_string(),
                        number(x.current),
                        x.resolved_at
                            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "still firing".into()),
                    )
                })
                .collect();
            alerts_page(
                &state,
                &caller,
                Flash::default(),
                form,
                Some((summary, firings)),
            )
            .await
        }
        Err(e) => {
            alerts_page(
                &state,
                &caller,
                Flash {
                    ok: None,
                    err: Some(e.to_string()),
                },
                form,
                None,
            )
            .await
        }
    }
}

pub async fn alert_create(
    State(state): State<AppState>,
    _caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let made = async {
        let input = app::AlertInput {
            name: f.get("name"),
            metric_id: f.id("metric")?,
            spec: AlertSpec::Value {
                rule: rule_from(&f)?,
                zone: Zone::utc(),
            },
            enabled: true,
            channels: f.ids("channel"),
        };
        Ok::<_, WebError>(state.app().create_alert(input).await?)
    }
    .await;
    Ok(match made {
        Ok(a) => with_flash("/alerts", true, &format!("Saved the alert {}.", a.name)),
        Err(e) => with_flash("/alerts", false, &e.to_string()),
    })
}

#[derive(Template)]
#[template(path = "alert_history.html")]
struct AlertHistoryPage {
    nav: Option<Nav>,
    active: &'static str,
    name: String,
    events: Vec<(String, String, String, String, String)>,
    deliveries: Vec<(String, String, String, String)>,
}

pub async fn alert_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let a = state.store().alert(AlertId(id)).await?;
    let events = state
        .store()
        .alert_events(a.id, 100)
        .await?
        .into_iter()
        .map(|e| {
            (
                when(e.event.at_ms),
                serde_json::to_value(e.event.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                number(e.event.current),
                number(e.event.previous),
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
            (
                when(d.created_ms),
                serde_json::to_value(d.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                d.attempts.to_string(),
                d.last_error.unwrap_or_default(),
            )
        })
        .collect();
    render(&AlertHistoryPage {
        nav: nav(&caller),
        active: "alerts",
        name: a.name,
        events,
        deliveries,
    })
}

// ------------------------------------------------------------------ scorecards

#[derive(Template)]
#[template(path = "scorecards.html")]
struct ScorecardsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    /// Name, schedule, how many metrics, next run, id.
    scorecards: Vec<(String, String, String, String, i64)>,
    metrics: Vec<(i64, String)>,
    channels: Vec<(i64, String)>,
}

pub async fn scorecards(State(state): State<AppState>, caller: Caller, q: Flash) -> PageResult {
    let list = state
        .store()
        .list_scorecards()
        .await?
        .into_iter()
        .map(|s| {
            let freq = match s.spec.schedule.frequency {
                Frequency::Daily => "daily".to_owned(),
                Frequency::Weekly { day } => format!(
                    "weekly on {}",
                    serde_json::to_value(day)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
                Frequency::Monthly { day } => format!("monthly on day {day}"),
            };
            (
                s.name,
                format!("{freq} at {} {}", s.spec.schedule.at, s.spec.zone.name()),
                s.spec.metrics.len().to_string(),
                when(s.next_run_ms),
                s.id.0,
            )
        })
        .collect();
    let (flash, flash_kind) = flash_of(q);
    render(&ScorecardsPage {
        nav: nav(&caller),
        active: "scorecards",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        flash,
        flash_kind,
        scorecards: list,
        metrics: metric_choices(&state).await?,
        channels: channel_choices(&state).await?,
    })
}

pub async fn scorecard_create(
    State(state): State<AppState>,
    _caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let made = async {
        let frequency = match f.get("frequency").as_str() {
            "weekly" => Frequency::Weekly {
                day: parse_enum::<Day>("day", &f.get("weekday"))?,
            },
            "monthly" => Frequency::Monthly {
                day: f
                    .get("monthday")
                    .parse()
                    .map_err(|_| WebError::invalid("monthday", "a day of the month, 1 to 31"))?,
            },
            _ => Frequency::Daily,
        };
        let at = f
            .get("at")
            .parse()
            .map_err(|_| WebError::invalid("at", "a time of day such as 08:00"))?;
        let baseline = match f.get("baseline").as_str() {
            "same_period_last_year" => Baseline::SamePeriodLastYear,
            _ => Baseline::PreviousPeriod,
        };
        let mut metrics = Vec::new();
        for id in f.ids("metric") {
            // A metric that is gone is refused by `app` below, in the API's words.
            let m = state.store().metric(MetricId(id)).await.ok();
            let def = m.and_then(|m| metric::MetricDefinition::from_json(&m.definition).ok());
            metrics.push(ScorecardMetric {
                metric_id: id,
                aggregation: def
                    .as_ref()
                    .map(|d| d.description.aggregation)
                    .unwrap_or(metric::Aggregation::Sum),
                baseline,
                trend: def
                    .map(|d| d.description.favourable)
                    .unwrap_or(metric::Trend::Up),
            });
        }
        let spec = ScorecardSpec {
            schedule: Schedule { frequency, at },
            zone: Zone::parse(&f.get("zone"))
                .map_err(|e| WebError::invalid("zone", e.to_string()))?,
            metrics,
        };
        let input = app::ScorecardInput {
            name: f.get("name"),
            spec,
            channels: f.ids("channel"),
        };
        Ok::<_, WebError>(state.app().create_scorecard(input).await?)
    }
    .await;
    Ok(match made {
        Ok(s) => with_flash(
            "/scorecards",
            true,
            &format!("Saved the scorecard {}.", s.name),
        ),
        Err(e) => with_flash("/scorecards", false, &e.to_string()),
    })
}

// ------------------------------------------------------------------ channels

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    is_admin: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    channels: Vec<(i64, String, &'static str, String, bool)>,
}

pub async fn channels(State(state): State<AppState>, caller: Caller, q: Flash) -> PageResult {
    let list = state
        .store()
        .list_channels()
        .await?
        .into_iter()
        .map(|c| {
            let target = match super::api::visible_config(&c.config, caller.user.role) {
                ChannelConfig::Email { host, port, to, .. } => {
                    format!("{} via {host}:{port}", to.join(", "))
                }
                ChannelConfig::Slack => "Slack incoming webhook".to_owned(),
                ChannelConfig::Webhook { url } => url,
            };
            (c.id.0, c.name, c.config.kind(), target, c.secret.is_some())
        })
        .collect();
    let (flash, flash_kind) = flash_of(q);
    render(&ChannelsPage {
        nav: nav(&caller),
        active: "channels",
        csrf: caller.csrf().to_owned(),
        is_admin: caller.user.role >= Role::Admin,
        flash,
        flash_kind,
        channels: list,
    })
}

pub async fn channel_create(
    State(state): State<AppState>,
    _caller: Caller,
    body: Bytes,
) -> PageResult {
    let f = Fields::parse(&body);
    let made = async {
        let config = match f.get("kind").as_str() {
            "email" => ChannelConfig::Email {
                host: f.get("host"),
                port: f
                    .get("port")
                    .parse()
                    .map_err(|_| WebError::invalid("port", "a port number"))?,
                tls: parse_enum::<SmtpTls>("tls", &f.get("tls"))?,
                username: Some(f.get("username")).filter(|u| !u.is_empty()),
                from: f.get("from"),
                to: f
                    .get("to")
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            },
            "slack" => ChannelConfig::Slack,
            _ => ChannelConfig::Webhook { url: f.get("url") },
        };
        let input = app::ChannelInput {
            name: f.get("name"),
            config,
            secret: Some(domain::Secret::new(f.get("secret"))),
            clear_secret: false,
        };
        Ok::<_, WebError>(state.app().create_channel(input).await?)
    }
    .await;
    Ok(match made {
        Ok(c) => with_flash("/channels", true, &format!("Saved the channel {}.", c.name)),
        Err(e) => with_flash("/channels", false, &e.to_string()),
    })
}

pub async fn channel_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let c = state.store().channel(ChannelId(id)).await?;
    let r = super::api::send_test(&state, &c).await?;
    Ok(if r["sent"] == true {
        with_flash(
            "/channels",
            true,
            &format!("Sent a test message through {}.", c.name),
        )
    } else {
        with_flash(
            "/channels",
            false,
            &format!(
                "The test through {} failed: {}",
                c.name,
                r["error"].as_str().unwrap_or("unknown error")
            ),
        )
    })
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
        if f.get("failed") == "on" {
            kinds.push(("sync failed", watch::alert::BuiltinAlert::SyncFailed));
        }
        if f.get("stale") == "on" {
            let hours = f.num("stale_hours")?;
            if !(hours > 0.0 && hours <= 24.0 * 90.0) {
                return Err(WebError::invalid(
                    "stale_hours",
                    "stale after 1 to 2160 hours",
                ));
            }
            kinds.push((
                "stale",
                watch::alert::BuiltinAlert::Stale {
                    after_ms: (hours * 3_600_000.0) as i64,
                },
            ));
        }
        if f.get("page_cap") == "on" {
            kinds.push(("hit the page cap", watch::alert::BuiltinAlert::PageCap));
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

/// What the delete buttons of the goals, alerts, scorecards and channels screens remove.
#[derive(Clone, Copy)]
enum Watched {
    Goal,
    Alert,
    Scorecard,
    Channel,
}

impl Watched {
    fn noun(self) -> &'static str {
        match self {
            Watched::Goal => "goal",
            Watched::Alert => "alert",
            Watched::Scorecard => "scorecard",
            Watched::Channel => "channel",
        }
    }

    fn screen(self) -> &'static str {
        match self {
            Watched::Goal => "/goals",
            Watched::Alert => "/alerts",
            Watched::Scorecard => "/scorecards",
            Watched::Channel => "/channels",
        }
    }
}

/// Deletes one item from its screen's delete button (after the browser asked to confirm).
async fn delete_watched(state: &AppState, what: Watched, id: i64) -> PageResult {
    let app = state.app();
    let done = match what {
        Watched::Goal => app.delete_goal(GoalId(id)).await,
        Watched::Alert => app.delete_alert(AlertId(id)).await,
        Watched::Scorecard => app.delete_scorecard(store::ScorecardId(id)).await,
        Watched::Channel => app.delete_channel(ChannelId(id)).await,
    };
    let deleted = match done {
        Ok(()) => true,
        Err(app::AppError::NotFound(_)) => false,
        Err(e) => return Err(WebError::from(e).into()),
    };
    Ok(if deleted {
        with_flash(
            what.screen(),
            true,
            &format!("Deleted the {}.", what.noun()),
        )
    } else {
        with_flash(
            what.screen(),
            false,
            &format!(
                "There is no {} {id}: it may have been deleted already.",
                what.noun()
            ),
        )
    })
}

pub async fn goal_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    delete_watched(&state, Watched::Goal, id).await
}

pub async fn alert_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    delete_watched(&state, Watched::Alert, id).await
}

pub async fn scorecard_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    delete_watched(&state, Watched::Scorecard, id).await
}

pub async fn channel_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    delete_watched(&state, Watched::Channel, id).await
}
