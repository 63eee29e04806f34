//! "Unusual" alerts: a metric's last complete hour judged against the seasonal model of that
//! hour's UTC day, with the dimension values that explain the deviation.
//!
//! The live evaluation and the back-test both call [`judge`] on a series and the fit of
//! [`judging_day`], so the same stored hours give the same verdict at the same instant
//! whichever asks.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use metric::bucket::hour_floor;
use metric::{Aggregation, Trend};
pub use seasonal::why::Contribution;
use seasonal::why::explain;
pub use seasonal::{Direction, Sensitivity};
use seasonal::{Fit, HOUR_MS, Series, Verdict, detect, fit, model_day};
use serde::{Deserialize, Serialize};

use crate::WatchError;
use crate::alert::{AlertState, Phase, Transition, backtest_step, step};

/// Which deviations an unusual alert fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnusualDirection {
    Either,
    Up,
    Down,
    /// Only the way that is bad for the metric: down for a metric where more is better, up
    /// for one where less is better.
    Unfavourable,
}

impl UnusualDirection {
    pub const ALL: [UnusualDirection; 4] = [
        UnusualDirection::Either,
        UnusualDirection::Up,
        UnusualDirection::Down,
        UnusualDirection::Unfavourable,
    ];

    /// The direction the model judges, given the metric's favourable trend.
    pub fn resolve(self, favourable: Trend) -> Direction {
        match self {
            UnusualDirection::Either => Direction::Either,
            UnusualDirection::Up => Direction::Up,
            UnusualDirection::Down => Direction::Down,
            UnusualDirection::Unfavourable => match favourable {
                Trend::Up => Direction::Down,
                Trend::Down => Direction::Up,
            },
        }
    }
}

/// An alert on a metric breaking its own daily and weekly rhythm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnusualRule {
    pub aggregation: Aggregation,
    /// Only rows of this dimension value count; none means all rows (and the "why" names the
    /// dimension values behind a deviation).
    #[serde(default)]
    pub dimension: Option<String>,
    pub sensitivity: Sensitivity,
    pub direction: UnusualDirection,
    /// After a firing, how long a new breach stays quiet.
    pub cooldown: SignedDuration,
}

impl UnusualRule {
    pub fn validate(&self) -> Result<(), WatchError> {
        if self.cooldown.is_negative() {
            return Err(WatchError::Invalid(
                "the cool-down must not be negative".into(),
            ));
        }
        if self
            .dimension
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            return Err(WatchError::Invalid(
                "the dimension value must not be blank: leave it out to watch all rows".into(),
            ));
        }
        Ok(())
    }
}

/// The hour judged at `at_ms`: the last complete one (the hour of `at_ms` is still filling up).
pub fn judged_hour(at_ms: i64) -> i64 {
    hour_floor(at_ms) - HOUR_MS
}

/// The UTC day whose model judges at `at_ms`: the judged hour's, so the model never trained
/// on the hour it judges (at 00:30 the hour judged is yesterday's last).
pub fn judging_day(at_ms: i64) -> i64 {
    model_day(judged_hour(at_ms))
}

/// What judging one instant gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Judgement {
    /// Too little history to say what is usual: `hours` known of `needed`.
    Learning {
        hours: usize,
        needed: usize,
    },
    /// The judged hour is not known (not synced yet): nothing to judge.
    Unknown,
    Judged(Verdict),
}

impl Judgement {
    /// Only a judged, anomalous hour breaches: a learning series never fires.
    pub fn breached(&self) -> bool {
        matches!(self, Judgement::Judged(v) if v.anomalous)
    }

    /// Whether an alert standing at `phase` counts as breached. An hour not synced yet says
    /// nothing either way, so a firing alert keeps firing until the hour is known: resolving
    /// there would notify "resolved" and then fire again once the sync brings the hour.
    pub fn breached_at(&self, phase: Phase) -> bool {
        match self {
            Judgement::Unknown => phase == Phase::Firing,
            _ => self.breached(),
        }
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        match self {
            Judgement::Judged(v) => Some(v),
            _ => None,
        }
    }
}

/// Judges `series` at `at_ms` with `fit`, the fit of [`judging_day`]`(at_ms)`.
pub fn judge(
    fit: &Fit,
    series: &Series,
    at_ms: i64,
    sensitivity: Sensitivity,
    direction: Direction,
) -> Judgement {
    match fit {
        Fit::Learning { hours, needed } => Judgement::Learning {
            hours: *hours,
            needed: *needed,
        },
        Fit::Ready(model) => match detect(model, series, at_ms, sensitivity, direction) {
            Some(v) => Judgement::Judged(v),
            None => Judgement::Unknown,
        },
    }
}

/// The dimension values behind the deviation of the verdict's hours `[from_ms, to_ms)` (one
/// hour, or the longer window that fired), each given with its series and the fit of the
/// judged day: each value's observed sum over its known hours of the window against its own
/// model's expected sum over the same hours. A value still learning, or with no known hour in
/// the window, is left out.
pub fn why<'a>(
    dimensions: impl IntoIterator<Item = (&'a str, &'a Fit, &'a Series)>,
    from_ms: i64,
    to_ms: i64,
) -> Vec<Contribution> {
    let parts: Vec<(String, f64, f64)> = dimensions
        .into_iter()
        .filter_map(|(name, fit, series)| {
            let Fit::Ready(model) = fit else { return None };
            let (mut observed, mut expected, mut known) = (0.0, 0.0, false);
            let mut hour = from_ms;
            while hour < to_ms {
                if let Some(v) = series.at(hour) {
                    observed += v;
                    expected += model.expected(hour);
                    known = true;
                }
                hour += HOUR_MS;
            }
            known.then(|| (name.to_owned(), observed, expected))
        })
        .collect();
    explain(&parts)
}

/// One firing of a back-test, with the band and the why at that instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnusualFiring {
    pub at: Timestamp,
    /// The first of the hours judged: the last complete hour, or the start of the longer
    /// window that fired (which ends at the last complete hour); `observed` and the band are
    /// sums over those hours.
    pub hour_start: Timestamp,
    pub observed: f64,
    pub expected: f64,
    pub lower: f64,
    pub upper: f64,
    pub why: Vec<Contribution>,
    pub resolved_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnusualBacktest {
    pub from: Timestamp,
    pub to: Timestamp,
    pub evaluations: u32,
    /// Evaluations at which the series was still learning (and so could not fire).
    pub learning: u32,
    /// Breaches kept quiet by the cool-down.
    pub suppressed: u32,
    pub firings: Vec<UnusualFiring>,
}

/// Fits per UTC day, each computed once.
struct DayFits<'a> {
    series: &'a Series,
    fits: HashMap<i64, Fit>,
}

impl<'a> DayFits<'a> {
    fn new(series: &'a Series) -> Self {
        DayFits {
            series,
            fits: HashMap::new(),
        }
    }

    fn of(&mut self, day_ms: i64) -> &Fit {
        let series = self.series;
        self.fits
            .entry(day_ms)
            .or_insert_with(|| fit(series, day_ms))
    }
}

/// How `rule` would have fired had it been evaluated every `every` over `[from, to]`, from a
/// quiet state. `total` is the watched series (all rows, or the rule's dimension value) and
/// `dimensions` the series of the values the why may name; both must cover the
/// [`seasonal::TRAINING_DAYS`] before `from`'s judged day up to `to`. `direction` is the
/// rule's, resolved for the metric.
pub fn backtest(
    rule: &UnusualRule,
    direction: Direction,
    total: &Series,
    dimensions: &[(String, Series)],
    from: Timestamp,
    to: Timestamp,
    every: SignedDuration,
) -> Result<UnusualBacktest, WatchError> {
    let every_ms = backtest_step(from, to, every)?;
    let mut fits = DayFits::new(total);
    let mut dimension_fits: Vec<DayFits> =
        dimensions.iter().map(|(_, s)| DayFits::new(s)).collect();
    let mut state = AlertState::default();
    let mut report = UnusualBacktest {
        from,
        to,
        evaluations: 0,
        learning: 0,
        suppressed: 0,
        firings: Vec::new(),
    };
    let mut at = from.as_millisecond();
    while at <= to.as_millisecond() {
        let now = ts(at)?;
        let day = judging_day(at);
        let judgement = judge(fits.of(day), total, at, rule.sensitivity, direction);
        report.evaluations += 1;
        if matches!(judgement, Judgement::Learning { .. }) {
            report.learning += 1;
        }
        let (next, t) = step(state, judgement.breached_at(state.phase), at, rule.cooldown);
        match (t, judgement.verdict()) {
            (Transition::Fire, Some(v)) => {
                for d in &mut dimension_fits {
                    d.of(day);
                }
                let why_of = why(
                    dimensions
                        .iter()
                        .zip(&dimension_fits)
                        .filter_map(|((name, s), f)| Some((name.as_str(), f.fits.get(&day)?, s))),
                    v.from_ms,
                    v.to_ms,
                );
                report.firings.push(UnusualFiring {
                    at: now,
                    hour_start: ts(v.from_ms)?,
                    observed: v.observed,
                    expected: v.band.expected,
                    lower: v.band.lower,
                    upper: v.band.upper,
                    why: why_of,
                    resolved_at: None,
                });
            }
            (Transition::Resolve, _) => {
                if let Some(f) = report.firings.last_mut() {
                    f.resolved_at = Some(now);
                }
            }
            _ => {
                if next.phase == Phase::Suppressed && state.phase != Phase::Suppressed {
                    report.suppressed += 1;
                }
            }
        }
        state = next;
        at += every_ms;
    }
    Ok(report)
}

fn ts(ms: i64) -> Result<Timestamp, WatchError> {
    Timestamp::from_millisecond(ms).map_err(|_| WatchError::OutOfRange { what: "an instant" })
}
