//! The rows of a scorecard digest: a metric's value over the reported period, what it is
//! compared with, whether the change is good news, and a small series for a chart.

use jiff::tz::TimeZone;
use metric::aggregate::total;
use metric::{
    Aggregation, Change, Comparison, HourBucket, Interval, Query, TimeRange, Trend, Verdict,
    change, comparison_ranges, query,
};
use serde::{Deserialize, Serialize};

use crate::WatchError;

/// The most metrics one scorecard holds: more stops being a digest.
pub const MAX_METRICS: usize = 15;

/// What a row's value is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Baseline {
    PreviousPeriod,
    SamePeriodLastYear,
    /// A target typed into the scorecard.
    Goal {
        target: f64,
    },
    /// The target of a stored goal; the caller looks it up and passes [`Baseline::Goal`] to
    /// [`row`] (a goal that no longer exists leaves the row without a baseline).
    StoredGoal {
        goal_id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardRow {
    pub period: TimeRange,
    /// The value over `period`.
    pub value: Option<f64>,
    /// The range the baseline value covers, when it is a range (not a goal).
    pub baseline_range: Option<TimeRange>,
    /// The change from the baseline to the value, with its verdict: the colour of the row.
    pub change: Change,
    /// One value per `chart` interval of the period, for the small chart.
    pub series: Vec<Option<f64>>,
}

/// One metric's row over `period`.
pub fn row(
    buckets: &[HourBucket],
    period: &TimeRange,
    aggregation: Aggregation,
    baseline: Baseline,
    trend: Trend,
    chart: Interval,
    zone: &TimeZone,
) -> Result<ScorecardRow, WatchError> {
    let value = total(buckets, period, aggregation);
    let (baseline_range, base) = match baseline {
        Baseline::Goal { target } => (None, Some(target)),
        Baseline::StoredGoal { .. } => (None, None),
        Baseline::PreviousPeriod | Baseline::SamePeriodLastYear => {
            let comparison = if baseline == Baseline::PreviousPeriod {
                Comparison::PreviousPeriod
            } else {
                Comparison::SamePeriodLastYear
            };
            let (_, previous) = comparison_ranges(period, comparison, zone)?;
            (Some(previous), total(buckets, &previous, aggregation))
        }
    };
    let series = query(
        buckets,
        &Query {
            range: *period,
            interval: chart,
            aggregation,
            zone: zone.clone(),
            top: 0,
        },
    )?
    .series
    .into_iter()
    // The last bound is the period's end, an empty interval.
    .filter(|p| p.start < period.end)
    .map(|p| p.value)
    .collect();
    Ok(ScorecardRow {
        period: *period,
        value,
        baseline_range,
        change: change(value, base, trend),
        series,
    })
}

/// A CSS colour for a verdict, the same in the page and the email (which has no stylesheet).
/// The row's trend is drawn where the scorecard is rendered, with `charts::sparkline`.
pub fn colour(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Good => "#1a7f37",
        Verdict::Bad => "#cf222e",
        Verdict::Unchanged | Verdict::Unknown => "#57606a",
    }
}
