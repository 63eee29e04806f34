//! The Goals screen (list, new and edit form) and one goal's history.

use app::evaluate::goal_progress;
use askama::Template;
use axum::extract::{Path, State};
use store::{GoalId, GoalRow, WatchStore};
use watch::describe;
use watch::goal::{GoalPeriod, PeriodUnit};
use watch::{Goal, GoalSpec, Zone};

use super::{
    AGGREGATIONS, FormError, MetricList, Opt, PageResult, Refusal, code, opts, parse_enum, value,
    when,
};
use super::{Fields, Saving, Screen, format_of};
use crate::account_picker::AccountChoices;
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::WebError;
use crate::pages::{Flash, PageFrame, render};
use crate::state::AppState;

#[derive(Default)]
pub struct GoalLine {
    id: i64,
    name: String,
    metric_id: i64,
    metric: String,
    period: String,
    current: String,
    target: String,
    percent: String,
    expected: String,
    projection: String,
    /// What the projection rests on: "forecast" or "at the current pace".
    basis: String,
    status: String,
    status_code: String,
    /// Why the goal cannot be computed; the row shows this instead of its figures.
    broken: Option<String>,
}

/// The goal form as typed (or as stored, when editing): every field kept as text so a refused
/// form comes back exactly as it was.
pub struct GoalForm {
    editing: Option<i64>,
    name: String,
    metric: i64,
    target: String,
    criterion: String,
    trend: String,
    aggregation: String,
    unit: String,
    start: String,
    end: String,
    repeat: bool,
    dimension: String,
    zone: String,
    /// Only these accounts: the SIDs ticked (none: every account).
    accounts: Vec<String>,
    refused: Option<FormError>,
}

impl Default for GoalForm {
    fn default() -> Self {
        GoalForm {
            editing: None,
            name: String::new(),
            metric: 0,
            target: String::new(),
            criterion: "reach".into(),
            trend: "up".into(),
            aggregation: "sum".into(),
            unit: "month".into(),
            start: String::new(),
            end: String::new(),
            repeat: true,
            dimension: String::new(),
            zone: "UTC".into(),
            accounts: Vec::new(),
            refused: None,
        }
    }
}

impl Refusal for GoalForm {
    fn refusal(&self) -> Option<&FormError> {
        self.refused.as_ref()
    }
}

impl GoalForm {
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
        choices.is_multi(chosen) || !self.accounts.is_empty()
    }

    fn criteria(&self) -> Vec<Opt> {
        opts(
            &[
                ("reach", "Reach the target"),
                ("stay_above", "Stay above"),
                ("stay_below", "Stay below"),
            ],
            &self.criterion,
        )
    }

    fn trends(&self) -> Vec<Opt> {
        opts(&[("up", "up"), ("down", "down")], &self.trend)
    }

    fn aggregations(&self) -> Vec<Opt> {
        opts(&AGGREGATIONS, &self.aggregation)
    }

    fn units(&self) -> Vec<Opt> {
        opts(
            &[
                ("week", "Week"),
                ("month", "Month"),
                ("quarter", "Quarter"),
                ("year", "Year"),
                ("custom", "Custom span"),
            ],
            &self.unit,
        )
    }

    /// The operation's input; the name, the spec and the metric are checked by `app`, as for
    /// the API.
    fn input(&self) -> Result<app::GoalInput, WebError> {
        let start = self
            .start
            .parse()
            .map_err(|_| WebError::invalid("start", "pick a start date"))?;
        let period = match self.unit.as_str() {
            "custom" => GoalPeriod::Custom {
                start,
                end: self
                    .end
                    .parse()
                    .map_err(|_| WebError::invalid("end", "pick an end date"))?,
                repeat: self.repeat,
            },
            unit => GoalPeriod::Calendar {
                unit: parse_enum::<PeriodUnit>("unit", unit)?,
                start,
                repeat: self.repeat,
            },
        };
        let target = self
            .target
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| WebError::invalid("target", "the target must be a number"))?;
        let spec = GoalSpec {
            goal: Goal {
                target,
                criterion: parse_enum("criterion", &self.criterion)?,
                trend: parse_enum("trend", &self.trend)?,
                period,
            },
            aggregation: parse_enum("aggregation", &self.aggregation)?,
            dimension: Some(self.dimension.clone()).filter(|d| !d.is_empty()),
            zone: Zone::parse(&self.zone).map_err(|e| WebError::invalid("zone", e.to_string()))?,
            accounts: Some(self.accounts.clone()).filter(|a| !a.is_empty()),
        };
        if self.metric == 0 {
            return Err(WebError::invalid("metric", "pick a metric"));
        }
        Ok(app::GoalInput {
            name: self.name.clone(),
            metric_id: self.metric,
            spec,
        })
    }
}

#[derive(Template)]
#[template(path = "goals.html")]
struct GoalsPage {
    frame: PageFrame,
    goals: Vec<GoalLine>,
    metrics: Vec<(i64, String)>,
    /// The metrics over several accounts and the accounts the form offers for them.
    accounts: AccountChoices,
    form: GoalForm,
}

async fn goals_page(state: &AppState, caller: &Caller, q: Flash, form: GoalForm) -> PageResult {
    let metrics = MetricList::load(state).await?;
    let now = state.clock().now();
    let mut lines = Vec::new();
    for g in state.store().list_goals().await? {
        let format = metrics.format(g.metric_id.0);
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
                    metric_id: g.metric_id.0,
                    metric: metrics.name(g.metric_id.0),
                    broken: Some(super::super::api::broken_goal(&e)),
                    ..GoalLine::default()
                });
                continue;
            }
        };
        let p = goal_progress(state.store().as_ref(), &g, period, now.as_millisecond()).await?;
        lines.push(GoalLine {
            id: g.id.0,
            name: g.name.clone(),
            metric_id: g.metric_id.0,
            metric: metrics.name(g.metric_id.0),
            period: days(
                period.start.as_millisecond(),
                period.end.as_millisecond(),
                g.spec.zone.tz(),
            ),
            current: value(p.current, &format),
            target: value(Some(p.target), &format),
            percent: p
                .progress
                .map(|v| format!("{:.0} %", v * 100.0))
                .unwrap_or_else(|| charts::NO_VALUE.to_owned()),
            expected: value(Some(p.expected), &format),
            projection: value(p.projection, &format),
            basis: match p.basis {
                watch::ProjectionBasis::Current => String::new(),
                b => describe::basis(b).to_owned(),
            },
            status: describe::status(p.status).to_owned(),
            status_code: code(&p.status),
            broken: None,
        });
    }
    render(&GoalsPage {
        frame: PageFrame::of(caller, "goals").flash(q),
        goals: lines,
        metrics: metrics.choices(),
        accounts: AccountChoices::load(state).await?,
        form,
    })
}

impl Screen for GoalForm {
    type Item = GoalRow;

    fn stored(g: &GoalRow, _role: Role) -> GoalForm {
        let s = &g.spec;
        let (unit, start, end, repeat) = match s.goal.period {
            GoalPeriod::Calendar {
                unit,
                start,
                repeat,
            } => (code(&unit), start.to_string(), String::new(), repeat),
            GoalPeriod::Custom { start, end, repeat } => {
                ("custom".into(), start.to_string(), end.to_string(), repeat)
            }
        };
        GoalForm {
            editing: Some(g.id.0),
            name: g.name.clone(),
            metric: g.metric_id.0,
            target: s.goal.target.to_string(),
            criterion: code(&s.goal.criterion),
            trend: code(&s.goal.trend),
            aggregation: code(&s.aggregation),
            unit,
            start,
            end,
            repeat,
            dimension: s.dimension.clone().unwrap_or_default(),
            zone: s.zone.name().to_owned(),
            accounts: s.accounts.clone().unwrap_or_default(),
            refused: None,
        }
    }

    fn posted(f: &Fields, before: Option<&GoalRow>) -> GoalForm {
        GoalForm {
            editing: before.map(|g| g.id.0),
            name: f.get("name"),
            metric: f.get("metric").parse().unwrap_or(0),
            target: f.get("target"),
            criterion: f.get("criterion"),
            trend: f.get("trend"),
            aggregation: f.get("aggregation"),
            unit: f.get("unit"),
            start: f.get("start"),
            end: f.get("end"),
            repeat: f.on("repeat"),
            dimension: f.get("dimension"),
            zone: f.get("zone"),
            accounts: f.ticked_accounts(),
            refused: None,
        }
    }

    async fn input_for(&self, _at: Saving<'_, GoalRow>) -> Result<app::GoalInput, WebError> {
        self.input()
    }

    async fn page(state: &AppState, caller: &Caller, q: Flash, form: GoalForm) -> PageResult {
        goals_page(state, caller, q, form).await
    }

    fn refuse(&mut self, reason: FormError) {
        self.refused = Some(reason);
    }

    fn editing(&self) -> Option<i64> {
        self.editing
    }
}

/// A period as the days it covers in the goal's zone, its last day included: "2026-12-01 –
/// 2026-12-31". Periods start and end at midnight there, so the times add nothing.
fn days(start_ms: i64, end_ms: i64, tz: &jiff::tz::TimeZone) -> String {
    let day = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(tz.clone()).date().to_string())
            .unwrap_or_else(|_| when(ms))
    };
    format!("{} – {}", day(start_ms), day(end_ms - 1))
}

#[derive(Template)]
#[template(path = "goal_history.html")]
struct GoalHistoryPage {
    frame: PageFrame,
    name: String,
    /// The running period's projection and what it rests on, when it has one.
    running: Option<String>,
    /// Period, value, target, status in words, status code.
    periods: Vec<(String, String, String, String, String)>,
}

pub async fn goal_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let g = state.store().goal(GoalId(id)).await?;
    let format = format_of(&state, g.metric_id).await;
    let periods = state
        .store()
        .goal_periods(g.id, 100)
        .await?
        .into_iter()
        .map(|p| {
            (
                days(p.start_ms, p.end_ms, g.spec.zone.tz()),
                value(p.value, &format),
                value(Some(p.target), &format),
                describe::status(p.status).to_owned(),
                code(&p.status),
            )
        })
        .collect();
    let now = state.clock().now();
    let running = match g.spec.goal.period.at(now, g.spec.zone.tz()) {
        Ok(period) if period.start <= now && now < period.end => {
            let p = goal_progress(state.store().as_ref(), &g, period, now.as_millisecond()).await?;
            describe::projection(&p, &|v| value(Some(v), &format)).map(|text| {
                format!(
                    "This period ({}) is judged on its projected end value: {text}.",
                    days(
                        period.start.as_millisecond(),
                        period.end.as_millisecond(),
                        g.spec.zone.tz()
                    )
                )
            })
        }
        _ => None,
    };
    render(&GoalHistoryPage {
        frame: PageFrame::of(&caller, "goals"),
        name: g.name,
        running,
        periods,
    })
}
