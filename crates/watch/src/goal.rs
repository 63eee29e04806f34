//! Goals: a target for a metric's value over a period, and how the period is going.
//!
//! Pacing assumes the value grows on a straight line from zero at the period's start to the
//! target at its end, which is what a cumulative metric (a sum or a count) does when it moves
//! at a steady rate. When the caller has a seasonal forecast of the period's end value (a sum
//! or a count whose model is ready), [`progress_with`] projects with it instead, since a metric
//! with quiet weekends or nights does not move at a steady rate. For a "stay above" or "stay below" goal the line is flat at the target:
//! the value must hold at every moment, not arrive by the end.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};
use metric::{Interval, TimeRange, Trend, Verdict};
use serde::{Deserialize, Serialize};

use crate::WatchError;

/// How far from the target a goal is "at risk" rather than "on track" or "off track", as a
/// share of the target. Ten percent is the band dashboards conventionally paint amber.
pub const AT_RISK_SHARE: f64 = 0.1;

/// The most periods a repeating goal is walked through to find the one containing an instant:
/// weekly goals over nearly two centuries. A bound keeps a malformed goal from looping.
const MAX_PERIODS: u32 = 10_000;

/// The first and last days a goal's period may name. Twilio's data starts in 2008 and a goal is
/// about the business's near future; a year like 0001 or 9999 is a typo, and computing its
/// periods would walk centuries (or fail) on every read of the goal.
pub const FIRST_GOAL_DATE: Date = jiff::civil::date(2000, 1, 1);
pub const LAST_GOAL_DATE: Date = jiff::civil::date(2099, 12, 31);

/// A calendar unit a goal's period can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodUnit {
    pub fn interval(self) -> Interval {
        match self {
            PeriodUnit::Week => Interval::Week,
            PeriodUnit::Month => Interval::Month,
            PeriodUnit::Quarter => Interval::Quarter,
            PeriodUnit::Year => Interval::Year,
        }
    }

    fn span(self, n: i64) -> Span {
        match self {
            PeriodUnit::Week => n.weeks(),
            PeriodUnit::Month => n.months(),
            PeriodUnit::Quarter => (3 * n).months(),
            PeriodUnit::Year => n.years(),
        }
    }
}

/// When a goal applies, in the goal's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GoalPeriod {
    /// The calendar week, month, quarter or year containing `start`; when `repeat`, also every
    /// one after it.
    Calendar {
        unit: PeriodUnit,
        start: Date,
        repeat: bool,
    },
    /// The days from `start` up to (not including) `end`; when `repeat`, also every following
    /// span of the same number of days.
    Custom {
        start: Date,
        end: Date,
        repeat: bool,
    },
}

/// One occurrence of a goal's period: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// 0 for the first occurrence.
    pub index: u32,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn range(&self) -> TimeRange {
        TimeRange {
            start: self.start,
            end: self.end,
        }
    }
}

impl GoalPeriod {
    pub fn validate(&self) -> Result<(), WatchError> {
        let in_range = |what, date: Date| {
            if (FIRST_GOAL_DATE..=LAST_GOAL_DATE).contains(&date) {
                Ok(())
            } else {
                Err(WatchError::DateOutOfRange {
                    what,
                    date,
                    first: FIRST_GOAL_DATE,
                    last: LAST_GOAL_DATE,
                })
            }
        };
        match *self {
            GoalPeriod::Calendar { start, .. } => in_range("the start date", start),
            GoalPeriod::Custom { start, end, .. } => {
                in_range("the start date", start)?;
                in_range("the end date", end)?;
                if end <= start {
                    return Err(WatchError::EmptyPeriod { start, end });
                }
                Ok(())
            }
        }
    }

    pub fn repeats(&self) -> bool {
        match *self {
            GoalPeriod::Calendar { repeat, .. } | GoalPeriod::Custom { repeat, .. } => repeat,
        }
    }

    /// The civil first days of occurrence `index` and of the one after it.
    fn days(&self, index: u32) -> Result<(Date, Date), WatchError> {
        let oor = |_| WatchError::OutOfRange {
            what: "the goal's period",
        };
        let n = i64::from(index);
        match *self {
            GoalPeriod::Calendar { unit, start, .. } => {
                let first = first_day(start, unit)?;
                // Adding whole months to the first of a month never clips to a shorter month.
                let a = first.checked_add(unit.span(n)).map_err(oor)?;
                let b = first.checked_add(unit.span(n + 1)).map_err(oor)?;
                Ok((a, b))
            }
            GoalPeriod::Custom { start, end, .. } => {
                self.validate()?;
                let len = i64::from((end - start).get_days());
                let a = start.checked_add((n * len).days()).map_err(oor)?;
                let b = start.checked_add(((n + 1) * len).days()).map_err(oor)?;
                Ok((a, b))
            }
        }
    }

    /// Occurrence `index` as instants in `zone`.
    pub fn occurrence(&self, index: u32, zone: &TimeZone) -> Result<Period, WatchError> {
        let (a, b) = self.days(index)?;
        Ok(Period {
            index,
            start: day_start(a, zone)?,
            end: day_start(b, zone)?,
        })
    }

    /// The occurrence that `now` is in. Before the first one, the first (not started yet);
    /// after the last of a goal that does not repeat, that last one (finished).
    pub fn at(&self, now: Timestamp, zone: &TimeZone) -> Result<Period, WatchError> {
        let first = self.occurrence(0, zone)?;
        if !self.repeats() || now < first.end {
            return Ok(first);
        }
        let mut p = first;
        while p.end <= now {
            if p.index >= MAX_PERIODS {
                return Err(WatchError::OutOfRange {
                    what: "the goal's period",
                });
            }
            p = self.occurrence(p.index + 1, zone)?;
        }
        Ok(p)
    }

    /// The occurrences that ended at or before `now`, newest first, at most `limit`.
    pub fn finished(
        &self,
        now: Timestamp,
        zone: &TimeZone,
        limit: usize,
    ) -> Result<Vec<Period>, WatchError> {
        let current = self.at(now, zone)?;
        let mut out = Vec::new();
        if current.end <= now {
            out.push(current);
        }
        let mut i = current.index;
        while i > 0 && out.len() < limit {
            i -= 1;
            out.push(self.occurrence(i, zone)?);
        }
        out.truncate(limit);
        Ok(out)
    }
}

fn first_day(date: Date, unit: PeriodUnit) -> Result<Date, WatchError> {
    Ok(match unit {
        PeriodUnit::Week => date
            .checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
            .map_err(|_| WatchError::OutOfRange { what: "a week" })?,
        PeriodUnit::Month => date.first_of_month(),
        PeriodUnit::Quarter => Date::new(date.year(), (date.month() - 1) / 3 * 3 + 1, 1)
            .map_err(|_| WatchError::OutOfRange { what: "a quarter" })?,
        PeriodUnit::Year => date.first_of_year(),
    })
}

/// The first instant of a civil day (not always midnight on a DST day).
pub(crate) fn day_start(date: Date, zone: &TimeZone) -> Result<Timestamp, WatchError> {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|_| WatchError::OutOfRange { what: "a day" })
}

/// What a goal asks of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Arrive at the target by the end of the period. With a favourable trend of "down" the
    /// target is a ceiling the end value must not pass.
    Reach,
    /// Stay at or above the target.
    StayAbove,
    /// Stay at or below the target.
    StayBelow,
}

/// A goal, without the metric it is about (the caller computes the value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub target: f64,
    pub criterion: Criterion,
    /// The metric's favourable trend: with `Down`, being over the pace is bad news.
    pub trend: Trend,
    pub period: GoalPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    OnTrack,
    AtRisk,
    OffTrack,
    /// The period ended with the goal met.
    Achieved,
    /// The period ended with the goal not met.
    Missed,
    /// The metric has no value for the period (an average of no rows).
    NoData,
}

/// How one occurrence of a goal is going at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub period: Period,
    pub current: Option<f64>,
    pub target: f64,
    /// `current / target`; none when the target is 0 or there is no value.
    pub progress: Option<f64>,
    /// The elapsed share of the period, 0 to 1.
    pub elapsed: f64,
    /// Where the value should be by now: on the straight line for `Reach`, the target otherwise.
    pub expected: f64,
    /// The end value if the pace so far holds (`Reach`), or the forecast's when one was given,
    /// or the current value otherwise; none before any time has passed or without a value.
    pub projection: Option<f64>,
    /// What `projection` is.
    pub basis: ProjectionBasis,
    /// The forecast's band around `projection` (low, high), when it is a forecast.
    pub projection_band: Option<(f64, f64)>,
    pub status: Status,
    /// Whether the current value against `expected` is good news, by criterion and trend:
    /// the colour to paint it.
    pub verdict: Verdict,
}

/// What a goal's projected end value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionBasis {
    /// The pace so far, held to the period's end (a straight line).
    Pace,
    /// The seasonal forecast of the metric's period (its daily and weekly rhythm).
    Forecast,
    /// No projection: a "stay above" or "stay below" goal is judged on the current value.
    Current,
}

/// A seasonal forecast of a period's end value with its band, computed by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EndForecast {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// How `goal` is going in `period` at `now`, given the metric's value over the period so far,
/// projected at the straight-line pace.
pub fn progress(goal: &Goal, period: Period, current: Option<f64>, now: Timestamp) -> Progress {
    progress_with(goal, period, current, now, None)
}

/// As [`progress`], with the forecast of the period's end value when the caller has one. It
/// replaces the pace for a `Reach` goal while the period runs; otherwise it is ignored.
pub fn progress_with(
    goal: &Goal,
    period: Period,
    current: Option<f64>,
    now: Timestamp,
    forecast: Option<EndForecast>,
) -> Progress {
    let len = period.end.duration_since(period.start).as_millis_f64();
    let done = now.duration_since(period.start).as_millis_f64();
    let elapsed = if len <= 0.0 {
        1.0
    } else {
        (done / len).clamp(0.0, 1.0)
    };
    let target = goal.target;
    let ceiling = goal.criterion == Criterion::StayBelow
        || (goal.criterion == Criterion::Reach && goal.trend == Trend::Down);
    let running = now >= period.start && now < period.end;
    let forecast = forecast.filter(|f| {
        goal.criterion == Criterion::Reach && running && current.is_some() && f.value.is_finite()
    });
    let (expected, projection, basis) = match goal.criterion {
        Criterion::Reach => match forecast {
            Some(f) => (target * elapsed, Some(f.value), ProjectionBasis::Forecast),
            None => (
                target * elapsed,
                current.and_then(|c| (elapsed > 0.0).then(|| c / elapsed)),
                ProjectionBasis::Pace,
            ),
        },
        Criterion::StayAbove | Criterion::StayBelow => (target, current, ProjectionBasis::Current),
    };
    let margin = AT_RISK_SHARE * target.abs();
    let status = match current {
        _ if now < period.start => Status::NotStarted,
        None => Status::NoData,
        Some(c) if now >= period.end => {
            let met = if ceiling { c <= target } else { c >= target };
            if met {
                Status::Achieved
            } else {
                Status::Missed
            }
        }
        Some(c) => {
            // A Reach goal already passed is done whatever the pace says.
            let judged = match goal.criterion {
                Criterion::Reach if !ceiling && c >= target => target,
                _ => projection.unwrap_or(c),
            };
            if ceiling {
                band(target - judged, margin)
            } else {
                band(judged - target, margin)
            }
        }
    };
    let verdict = match current {
        None => Verdict::Unknown,
        Some(c) if c == expected => Verdict::Unchanged,
        Some(c) => {
            if (c < expected) == ceiling {
                Verdict::Good
            } else {
                Verdict::Bad
            }
        }
    };
    Progress {
        period,
        current,
        target,
        progress: current.and_then(|c| (target != 0.0).then(|| c / target)),
        elapsed,
        expected,
        projection,
        basis,
        projection_band: forecast.map(|f| (f.lower, f.upper)),
        status,
        verdict,
    }
}

/// The status for a value `room` on the good side of the target (negative: on the bad side).
fn band(room: f64, margin: f64) -> Status {
    if room < -margin {
        Status::OffTrack
    } else if room < 0.0 {
        Status::AtRisk
    } else {
        Status::OnTrack
    }
}
