//! Where a metric has data at all: a value exists only for the hours its syncs have covered.
//!
//! An hour inside the synced span with no rows is a real zero for a count or a sum (nothing
//! happened then); an hour before the first synced hour, after the last one, or after `now` is
//! unknown, and a chart must leave it empty rather than draw a zero. The span comes from the
//! store (the windows of the metric's good sync runs) and is passed in: no I/O here.

use jiff::Timestamp;

use crate::aggregate::{Point, Query, QueryError, QueryResult, TimeRange};
use crate::aggregate::{interval_start, next_interval_start};

/// How much of one point's interval has synced data behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// The whole interval is known and over: its value is final.
    Full,
    /// Part of the interval is known: data starts or stops inside it, or it is still running.
    Partial,
    /// Nothing of the interval is known: no value, never a zero.
    NoData,
}

/// The hours whose values are known at `now`: the synced span `[from, to)` cut at `now`. `None`
/// when nothing has synced yet (or the span lies wholly after `now`).
pub fn known_span(synced: Option<TimeRange>, now: Timestamp) -> Option<TimeRange> {
    let s = synced?;
    let end = s.end.min(now);
    (s.start < end).then_some(TimeRange {
        start: s.start,
        end,
    })
}

/// Whether any instant of `range` is known.
pub fn has_data(range: &TimeRange, known: Option<&TimeRange>) -> bool {
    known.is_some_and(|k| range.start.max(k.start) < range.end.min(k.end))
}

/// The coverage of each point of a query's series. `now` marks the interval still running as
/// partial even when the range stops at `now` (month to date).
pub fn point_coverage(
    q: &Query,
    series: &[Point],
    known: Option<&TimeRange>,
    now: Timestamp,
) -> Result<Vec<Coverage>, QueryError> {
    series
        .iter()
        .map(|p| {
            let natural_start = interval_start(p.start, q.interval, &q.zone)?;
            let natural_end = next_interval_start(natural_start, q.interval, &q.zone)?;
            let start = natural_start.max(q.range.start);
            let end = natural_end.min(q.range.end);
            let Some(k) = known else {
                return Ok(Coverage::NoData);
            };
            if start.max(k.start) >= end.min(k.end) {
                return Ok(Coverage::NoData);
            }
            let running = start <= now && now < natural_end && end >= now;
            Ok(if start < k.start || end > k.end || running {
                Coverage::Partial
            } else {
                Coverage::Full
            })
        })
        .collect()
}

/// Clears the values of the points with no data (a zero a sum or count would report there is
/// not a fact).
pub fn mask(values: &mut [Option<f64>], coverage: &[Coverage]) {
    for (v, c) in values.iter_mut().zip(coverage) {
        if *c == Coverage::NoData {
            *v = None;
        }
    }
}

/// A query's result made honest about coverage: points with no data lose their value, and the
/// total, breakdown and other are cleared when no instant of the range is known. Returns each
/// point's coverage.
pub fn apply(
    result: &mut QueryResult,
    q: &Query,
    known: Option<&TimeRange>,
    now: Timestamp,
) -> Result<Vec<Coverage>, QueryError> {
    let coverage = point_coverage(q, &result.series, known, now)?;
    for (p, c) in result.series.iter_mut().zip(&coverage) {
        if *c == Coverage::NoData {
            p.value = None;
        }
    }
    if !has_data(&q.range, known) {
        result.total = None;
        result.breakdown.clear();
        result.other = None;
    }
    Ok(coverage)
}

/// The total over `range` when some of it is known, else none.
pub fn known_total(
    total: Option<f64>,
    range: &TimeRange,
    known: Option<&TimeRange>,
) -> Option<f64> {
    if has_data(range, known) { total } else { None }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::aggregate::{Aggregation, Interval, query};
    use crate::bucket::{HOUR_MS, HourBucket};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(ts(a), ts(b)).unwrap()
    }

    fn q(r: TimeRange, interval: Interval) -> Query {
        Query {
            range: r,
            interval,
            aggregation: Aggregation::Sum,
            zone: TimeZone::UTC,
            top: 5,
        }
    }

    /// One bucket of `value` (one row) at each hour of `[from, to)`.
    fn hourly(from: &str, to: &str, value: f64) -> Vec<HourBucket> {
        let (a, b) = (ts(from).as_millisecond(), ts(to).as_millisecond());
        (0..(b - a) / HOUR_MS)
            .map(|h| HourBucket {
                hour: a + h * HOUR_MS,
                dimension: None,
                sum: value,
                count: 1,
                min: value,
                max: value,
                latest: value,
                latest_at: a + h * HOUR_MS,
            })
            .collect()
    }

    #[test]
    fn months_before_the_first_synced_hour_have_no_value() {
        // Synced from 5 Sep 2026; a year of months up to Dec 2026.
        let now = ts("2026-12-04T10:30:00Z");
        let known = known_span(
            Some(range("2026-09-05T00:00:00Z", "2026-12-04T11:00:00Z")),
            now,
        );
        let qy = q(
            range("2026-01-01T00:00:00Z", now.to_string().as_str()),
            Interval::Month,
        );
        let buckets = hourly("2026-09-05T00:00:00Z", "2026-12-04T10:00:00Z", 1.0);
        let mut result = query(&buckets, &qy).unwrap();
        let cov = apply(&mut result, &qy, known.as_ref(), now).unwrap();
        // January..August: nothing known. September starts mid-month, December is running.
        let mut expected = vec![Coverage::NoData; 8];
        expected.extend([
            Coverage::Partial,
            Coverage::Full,
            Coverage::Full,
            Coverage::Partial,
        ]);
        assert_eq!(cov, expected);
        let values: Vec<Option<f64>> = result.series.iter().map(|p| p.value).collect();
        assert!(values[..8].iter().all(Option::is_none), "{values:?}");
        // 26 days of September, 31 of October, 30 of November, 3 days and 10 hours of December.
        assert_eq!(
            values[8..],
            [
                Some(26.0 * 24.0),
                Some(31.0 * 24.0),
                Some(30.0 * 24.0),
                Some(3.0 * 24.0 + 10.0)
            ]
        );
        assert_eq!(result.total, Some((26.0 + 31.0 + 30.0 + 3.0) * 24.0 + 10.0));
    }

    #[test]
    fn a_synced_hour_without_rows_is_a_real_zero() {
        let now = ts("2026-12-04T10:30:00Z");
        let known = known_span(
            Some(range("2026-11-01T00:00:00Z", "2026-12-04T11:00:00Z")),
            now,
        );
        let qy = q(
            range("2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z"),
            Interval::Day,
        );
        // Rows on 27 and 28 Nov only: the five days after are synced and empty.
        let buckets = hourly("2026-11-27T00:00:00Z", "2026-11-29T00:00:00Z", 2.0);
        let mut result = query(&buckets, &qy).unwrap();
        let cov = apply(&mut result, &qy, known.as_ref(), now).unwrap();
        assert_eq!(cov, vec![Coverage::Full; 7]);
        let values: Vec<Option<f64>> = result.series.iter().map(|p| p.value).collect();
        assert_eq!(
            values,
            [48.0, 48.0, 0.0, 0.0, 0.0, 0.0, 0.0].map(Some).to_vec()
        );
    }

    #[test]
    fn hours_after_now_have_no_value_and_the_current_hour_is_partial() {
        let now = ts("2026-12-04T10:30:00Z");
        // The last sync's window ends at the next whole hour, after now.
        let known = known_span(
            Some(range("2026-11-01T00:00:00Z", "2026-12-04T11:00:00Z")),
            now,
        );
        let qy = q(
            range("2026-12-04T00:00:00Z", "2026-12-05T00:00:00Z"),
            Interval::Hour,
        );
        let mut result = query(&[], &qy).unwrap();
        let cov = apply(&mut result, &qy, known.as_ref(), now).unwrap();
        assert!(cov[..10].iter().all(|c| *c == Coverage::Full));
        assert_eq!(cov[10], Coverage::Partial);
        assert!(cov[11..].iter().all(|c| *c == Coverage::NoData));
        // Before now, no rows is zero; from 11:00 on, no value.
        assert!(result.series[..11].iter().all(|p| p.value == Some(0.0)));
        assert!(result.series[11..].iter().all(|p| p.value.is_none()));
        assert_eq!(result.series.len(), 24);
    }

    #[test]
    fn a_comparison_range_with_no_synced_hour_has_no_total_and_no_points() {
        let now = ts("2026-12-04T10:30:00Z");
        let known = known_span(
            Some(range("2026-09-05T00:00:00Z", "2026-12-04T11:00:00Z")),
            now,
        );
        // Same period last year: wholly before the first synced hour.
        let last_year = q(
            range("2025-11-27T00:00:00Z", "2025-12-04T00:00:00Z"),
            Interval::Day,
        );
        let mut result = query(&[], &last_year).unwrap();
        assert_eq!(result.total, Some(0.0), "a sum over no bucket is zero");
        let cov = apply(&mut result, &last_year, known.as_ref(), now).unwrap();
        assert_eq!(cov, vec![Coverage::NoData; 7]);
        assert_eq!(result.total, None);
        assert!(result.series.iter().all(|p| p.value.is_none()));
        assert_eq!(
            known_total(Some(0.0), &last_year.range, known.as_ref()),
            None
        );
    }

    #[test]
    fn nothing_is_known_before_the_first_sync() {
        let now = ts("2026-12-04T10:30:00Z");
        assert_eq!(known_span(None, now), None);
        let week = q(
            range("2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z"),
            Interval::Day,
        );
        let mut result = query(&[], &week).unwrap();
        let cov = apply(&mut result, &week, None, now).unwrap();
        assert_eq!(cov, vec![Coverage::NoData; 7]);
        assert_eq!(result.total, None);
    }

    #[test]
    fn a_range_to_now_marks_its_running_day_partial() {
        let now = ts("2026-12-04T10:30:00Z");
        let known = known_span(
            Some(range("2026-11-01T00:00:00Z", "2026-12-04T11:00:00Z")),
            now,
        );
        let mtd = q(
            range("2026-12-01T00:00:00Z", "2026-12-04T10:30:00Z"),
            Interval::Day,
        );
        let result = query(&[], &mtd).unwrap();
        let cov = point_coverage(&mtd, &result.series, known.as_ref(), now).unwrap();
        assert_eq!(
            cov,
            [
                Coverage::Full,
                Coverage::Full,
                Coverage::Full,
                Coverage::Partial
            ]
        );
    }
}
