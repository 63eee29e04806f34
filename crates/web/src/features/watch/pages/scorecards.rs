//! The Scorecards screen: the list, and the form that creates one or changes one.

use askama::Template;
use store::{MetricId, ScorecardRow, Store, WatchStore};
use watch::schedule::{Day, Frequency, Schedule};
use watch::{Baseline, ScorecardMetric, ScorecardSpec, Zone, describe};

use super::{
    Choice, Fields, FormError, MetricList, Opt, PageResult, Refusal, choices, opts, parse_enum,
    ticks, when,
};
use super::{Saving, Screen};
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::WebError;
use crate::pages::{Flash, PageFrame, render};
use crate::state::AppState;

pub struct ScorecardForm {
    editing: Option<i64>,
    name: String,
    frequency: String,
    weekday: String,
    monthday: String,
    at: String,
    zone: String,
    baseline: String,
    metrics: Vec<i64>,
    channels: Vec<i64>,
    refused: Option<FormError>,
}

impl Default for ScorecardForm {
    fn default() -> Self {
        ScorecardForm {
            editing: None,
            name: String::new(),
            frequency: "daily".into(),
            weekday: "monday".into(),
            monthday: "1".into(),
            at: "08:00".into(),
            zone: "UTC".into(),
            baseline: "previous_period".into(),
            metrics: Vec::new(),
            channels: Vec::new(),
            refused: None,
        }
    }
}

impl Refusal for ScorecardForm {
    fn refusal(&self) -> Option<&FormError> {
        self.refused.as_ref()
    }
}

impl ScorecardForm {
    fn frequencies(&self) -> Vec<Opt> {
        opts(
            &[
                ("daily", "Daily"),
                ("weekly", "Weekly"),
                ("monthly", "Monthly"),
            ],
            &self.frequency,
        )
    }

    fn weekdays(&self) -> Vec<Opt> {
        opts(
            &[
                ("monday", "Monday"),
                ("tuesday", "Tuesday"),
                ("wednesday", "Wednesday"),
                ("thursday", "Thursday"),
                ("friday", "Friday"),
                ("saturday", "Saturday"),
                ("sunday", "Sunday"),
            ],
            &self.weekday,
        )
    }

    fn baselines(&self) -> Vec<Opt> {
        opts(
            &[
                ("previous_period", "the previous period"),
                ("same_period_last_year", "the same period last year"),
            ],
            &self.baseline,
        )
    }

    /// The operation's input. A metric the scorecard already lists keeps its settings (a
    /// stored goal it compares with, say); a new one takes its definition's aggregation and
    /// favourable trend.
    async fn input(
        &self,
        state: &AppState,
        before: Option<&ScorecardRow>,
    ) -> Result<app::ScorecardInput, WebError> {
        let frequency = match self.frequency.as_str() {
            "weekly" => Frequency::Weekly {
                day: parse_enum::<Day>("weekday", &self.weekday)?,
            },
            "monthly" => Frequency::Monthly {
                day: self
                    .monthday
                    .parse()
                    .map_err(|_| WebError::invalid("monthday", "a day of the month, 1 to 31"))?,
            },
            _ => Frequency::Daily,
        };
        let at = self
            .at
            .parse()
            .map_err(|_| WebError::invalid("at", "a time of day such as 08:00"))?;
        let baseline = match self.baseline.as_str() {
            "same_period_last_year" => Baseline::SamePeriodLastYear,
            _ => Baseline::PreviousPeriod,
        };
        let mut metrics = Vec::new();
        for &id in &self.metrics {
            let kept = before.and_then(|s| s.spec.metrics.iter().find(|m| m.metric_id == id));
            if let Some(m) = kept {
                let mut m = m.clone();
                if !matches!(m.baseline, Baseline::StoredGoal { .. }) {
                    m.baseline = baseline;
                }
                metrics.push(m);
                continue;
            }
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
            zone: Zone::parse(&self.zone).map_err(|e| WebError::invalid("zone", e.to_string()))?,
            metrics,
        };
        Ok(app::ScorecardInput {
            name: self.name.clone(),
            spec,
            channels: self.channels.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "scorecards.html")]
struct ScorecardsPage {
    frame: PageFrame,
    /// Name, schedule, how many metrics, next run, id.
    scorecards: Vec<(String, String, String, String, i64)>,
    /// Id, name, ticked on the form.
    metrics: Vec<(i64, String, bool)>,
    channels: Vec<(i64, String, bool)>,
    form: ScorecardForm,
}

async fn scorecards_page(
    state: &AppState,
    caller: &Caller,
    q: Flash,
    form: ScorecardForm,
) -> PageResult {
    let list = state
        .store()
        .list_scorecards()
        .await?
        .into_iter()
        .map(|s| {
            (
                s.name,
                format!(
                    "{} {}",
                    describe::schedule(&s.spec.schedule),
                    s.spec.zone.name()
                ),
                s.spec.metrics.len().to_string(),
                when(s.next_run_ms),
                s.id.0,
            )
        })
        .collect();
    let metrics = MetricList::load(state).await?.choices();
    let channels = choices(state, Choice::Channels).await?;
    render(&ScorecardsPage {
        frame: PageFrame::of(caller, "scorecards").flash(q),
        scorecards: list,
        metrics: ticks(&metrics, &form.metrics),
        channels: ticks(&channels, &form.channels),
        form,
    })
}

impl Screen for ScorecardForm {
    type Item = ScorecardRow;

    fn stored(s: &ScorecardRow, _role: Role) -> ScorecardForm {
        let mut form = ScorecardForm {
            editing: Some(s.id.0),
            name: s.name.clone(),
            at: s.spec.schedule.at.strftime("%H:%M").to_string(),
            zone: s.spec.zone.name().to_owned(),
            metrics: s.spec.metrics.iter().map(|m| m.metric_id).collect(),
            channels: s.channels.iter().map(|c| c.0).collect(),
            ..ScorecardForm::default()
        };
        match s.spec.schedule.frequency {
            Frequency::Daily => form.frequency = "daily".into(),
            Frequency::Weekly { day } => {
                form.frequency = "weekly".into();
                form.weekday = super::code(&day);
            }
            Frequency::Monthly { day } => {
                form.frequency = "monthly".into();
                form.monthday = day.to_string();
            }
        }
        if s.spec
            .metrics
            .first()
            .is_some_and(|m| m.baseline == Baseline::SamePeriodLastYear)
        {
            form.baseline = "same_period_last_year".into();
        }
        form
    }

    fn posted(f: &Fields, before: Option<&ScorecardRow>) -> ScorecardForm {
        ScorecardForm {
            editing: before.map(|s| s.id.0),
            name: f.get("name"),
            frequency: f.get("frequency"),
            weekday: f.get("weekday"),
            monthday: f.get("monthday"),
            at: f.get("at"),
            zone: f.get("zone"),
            baseline: f.get("baseline"),
            metrics: f.ids("metric"),
            channels: f.ids("channel"),
            refused: None,
        }
    }

    async fn input_for(
        &self,
        at: Saving<'_, ScorecardRow>,
    ) -> Result<app::ScorecardInput, WebError> {
        self.input(at.state, at.before).await
    }

    async fn page(state: &AppState, caller: &Caller, q: Flash, form: ScorecardForm) -> PageResult {
        scorecards_page(state, caller, q, form).await
    }

    fn refuse(&mut self, reason: FormError) {
        self.refused = Some(reason);
    }

    fn editing(&self) -> Option<i64> {
        self.editing
    }
}
