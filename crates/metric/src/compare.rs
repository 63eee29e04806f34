//! Comparing a range with an earlier one, and judging the change by the metric's favourable
//! trend.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::aggregate::{
    Aggregation, Interval, QueryError, TimeRange, interval_start, next_interval_start, total,
};
use crate::bucket::HourBucket;

/// Which direction of change is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// More is better (messages delivered).
    Up,
    /// Less is better (failed calls, cost).
    Down,
}

/// What a range is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The span of the same length just before the range.
    PreviousPeriod,
    /// The same dates one year earlier, in the display zone.
    SamePeriodLastYear,
    /// From the start of the `period` containing `now` up to `now`, against the same elapsed
    /// time from the start of the previous period (capped at that period's end).
    PeriodToDate { period: Interval, now: Timestamp },
}

/// The two ranges of a comparison: `(current, previous)`. For
/// [`Comparison::PeriodToDate`] the current range comes from `now`, not from `range`.
pub fn comparison_ranges(
    range: &TimeRange,
    comparison: Comparison,
    zone: &TimeZone,
) -> Result<(TimeRange, TimeRange), QueryError> {
    match comparison {
        Comparison::PreviousPeriod => {
            let len = range.end.duration_since(range.start);
            let start = range
                .start
                .checked_sub(len)
                .map_err(|_| QueryError::OutOfRange { at: range.start })?;
            Ok((*range, TimeRange::new(start, range.start)?))
        }
        Comparison::SamePeriodLastYear => {
            let back = |t: Timestamp| {
                t.to_zoned(zone.clone())
                    .checked_sub(1.year())
                    .map(|z| z.timestamp())
                    .map_err(|_| QueryError::OutOfRange { at: t })
            };
            Ok((
                *range,
                TimeRange::new(back(range.start)?, back(range.end)?)?,
            ))
        }
        Comparison::PeriodToDate { period, now } => {
            let current_start = interval_start(now, period, zone)?;
            let elapsed = now.duration_since(current_start);
            let just_before = current_start
                .checked_sub(jiff::SignedDuration::from_millis(1))
                .map_err(|_| QueryError::OutOfRange { at: current_start })?;
            let previous_start = interval_start(just_before, period, zone)?;
            let previous_end_cap = next_interval_start(previous_start, period, zone)?;
            let previous_end = previous_start
                .checked_add(elapsed)
                .map_err(|_| QueryError::OutOfRange { at: previous_start })?
                .min(previous_end_cap);
            Ok((
                TimeRange::new(current_start, now)?,
                TimeRange::new(previous_start, previous_end)?,
            ))
        }
    }
}

/// Whether a change is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Good,
    Bad,
    Unchanged,
    /// One side has no value.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// `current - previous`.
    pub absolute: Option<f64>,
    /// `(current - previous) / |previous| × 100`; none when the previous value is 0.
    pub percent: Option<f64>,
    /// `current / previous`; none when the previous value is 0.
    pub ratio: Option<f64>,
    pub verdict: Verdict,
}

/// The change from `previous` to `current`, judged by `trend`.
pub fn change(current: Option<f64>, previous: Option<f64>, trend: Trend) -> Change {
    let (absolute, percent, ratio, verdict) = match (current, previous) {
        (Some(c), Some(p)) => {
            let d = c - p;
            let nonzero = p != 0.0;
            let verdict = if d == 0.0 {
                Verdict::Unchanged
            } else if (d > 0.0) == (trend == Trend::Up) {
                Verdict::Good
            } else {
                Verdict::Bad
            };
            (
                Some(d),
                nonzero.then(|| d / p.abs() * 100.0),
                nonzero.then(|| c / p),
                verdict,
            )
        }
        _ => (None, None, None, Verdict::Unknown),
    };
    Change {
        current,
        previous,
        absolute,
        percent,
        ratio,
        verdict,
    }
}

/// Compares the totals of the two ranges of `comparison`.
pub fn compare(
    buckets: &[HourBucket],
    range: &TimeRange,
    comparison: Comparison,
    aggregation: Aggregation,
    zone: &TimeZone,
    trend: Trend,
) -> Result<(TimeRange, TimeRange, Change), QueryError> {
    let (current, previous) = comparison_ranges(range, comparison, zone)?;
    let c = change(
        total(buckets, &current, aggregation),
        total(buckets, &previous, aggregation),
        trend,
    );
    Ok((current, previous, c))
}
