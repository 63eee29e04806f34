//! Aggregating hourly buckets over a range, by interval and by dimension, in a display zone.
//!
//! A bucket belongs to a range or an interval when the instant its UTC hour starts does. For a
//! zone whose offset is a whole number of hours (UTC, Europe/Paris, America/New_York, also
//! across DST changes) every interval boundary is an hour boundary, so results are exact. For a
//! zone with a sub-hour offset (Asia/Kolkata +05:30, Asia/Kathmandu +05:45) a boundary falls
//! inside a UTC hour, and that hour's bucket goes wholly to the interval where it starts: the
//! boundary is effectively moved by the sub-hour part of the offset (30 or 45 minutes).
//! Likewise a range whose ends are not on an hour includes the hour starting inside it.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::bucket::{HOUR_MS, HourBucket, Stats};

/// The Databox set of aggregation functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Average,
    Min,
    Max,
    Latest,
    Count,
}

impl Aggregation {
    pub const ALL: [Aggregation; 6] = [
        Aggregation::Sum,
        Aggregation::Average,
        Aggregation::Min,
        Aggregation::Max,
        Aggregation::Latest,
        Aggregation::Count,
    ];

    /// The value over a set of rows. With no row, sum and count are 0 and the others have no
    /// value.
    pub(crate) fn apply(self, s: &Stats) -> Option<f64> {
        if s.count == 0 {
            return match self {
                Aggregation::Sum | Aggregation::Count => Some(0.0),
                _ => None,
            };
        }
        Some(match self {
            Aggregation::Sum => s.sum,
            Aggregation::Average => s.sum / s.count as f64,
            Aggregation::Min => s.min,
            Aggregation::Max => s.max,
            Aggregation::Latest => s.latest,
            Aggregation::Count => s.count as f64,
        })
    }
}

/// The length of one point of a series. Weeks are ISO weeks, starting on Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Interval {
    pub const ALL: [Interval; 6] = [
        Interval::Hour,
        Interval::Day,
        Interval::Week,
        Interval::Month,
        Interval::Quarter,
        Interval::Year,
    ];

    /// The interval's word, as it is written in a definition, a URL or a form (`hour`, `day`...).
    pub fn name(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Quarter => "quarter",
            Interval::Year => "year",
        }
    }

    /// The interval written as [`Interval::name`] writes it.
    pub fn from_name(name: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.name() == name)
    }

    /// At least as many intervals as `range` holds in any zone, without walking the calendar:
    /// the range's hours over the interval's shortest length (a 28-day month, an 89-day quarter,
    /// a 365-day year, a 23-hour day), plus one partial interval at each end. For bounding what
    /// a caller may ask for before any work is done.
    pub fn count_at_most(self, range: &TimeRange) -> u64 {
        let hours = (range.end.as_millisecond() - range.start.as_millisecond()).max(0) / HOUR_MS;
        let shortest = match self {
            Interval::Hour => 1,
            Interval::Day => 23,
            Interval::Week => 24 * 7 - 1,
            Interval::Month => 24 * 28 - 1,
            Interval::Quarter => 24 * 89 - 1,
            Interval::Year => 24 * 365 - 1,
        };
        (hours / shortest) as u64 + 2
    }
}

/// A half-open span of instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl TimeRange {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, QueryError> {
        if end < start {
            return Err(QueryError::BackwardsRange { start, end });
        }
        Ok(TimeRange { start, end })
    }

    fn contains_hour(&self, hour_ms: i64) -> bool {
        self.start.as_millisecond() <= hour_ms && hour_ms < self.end.as_millisecond()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("the range ends ({end}) before it starts ({start})")]
    BackwardsRange { start: Timestamp, end: Timestamp },
    #[error(
        "the range would have more than {max} points at this interval; pick a longer interval or a shorter range"
    )]
    TooManyPoints { max: usize },
    #[error("{at} is outside the dates this zone can express")]
    OutOfRange { at: Timestamp },
}

/// The most points one series may have: ten years of hours fit.
pub const MAX_POINTS: usize = 100_000;

/// What to compute over the buckets.
#[derive(Debug, Clone)]
pub struct Query {
    pub range: TimeRange,
    pub interval: Interval,
    pub aggregation: Aggregation,
    /// The display zone: where days, weeks, months... begin.
    pub zone: TimeZone,
    /// How many dimensions the breakdown names before grouping the rest as "other".
    pub top: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Start of the interval, clipped to the range's start.
    pub start: Timestamp,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice {
    /// `None` for rows that had no dimension.
    pub dimension: Option<String>,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// The aggregation over the whole range.
    pub total: Option<f64>,
    pub series: Vec<Point>,
    /// The top dimensions by value, greatest first (no value last, then by name).
    pub breakdown: Vec<Slice>,
    /// The other dimensions together, when there are more than `top`.
    pub other: Option<Option<f64>>,
}

/// Runs a query over buckets (in any order).
pub fn query(buckets: &[HourBucket], q: &Query) -> Result<QueryResult, QueryError> {
    let bounds = interval_bounds(&q.range, q.interval, &q.zone)?;
    let mut per_point = vec![Stats::default(); bounds.len().saturating_sub(1)];
    let mut total = Stats::default();
    let mut per_dim = DimStats::default();
    // The interval of the previous bucket: buckets in hour order mostly stay in it, so it is
    // checked before searching.
    let mut last = 0usize;
    for b in buckets.iter().filter(|b| q.range.contains_hour(b.hour)) {
        total.add(b);
        per_dim.add(b);
        let i = if last + 1 < bounds.len() && bounds[last] <= b.hour && b.hour < bounds[last + 1] {
            last + 1
        } else {
            bounds.partition_point(|&s| s <= b.hour)
        };
        if i >= 1
            && let Some(slot) = per_point.get_mut(i - 1)
        {
            slot.add(b);
            last = i - 1;
        }
    }
    let per_dim = per_dim.into_map();
    let series = bounds
        .iter()
        .zip(&per_point)
        .map(|(&start, stats)| Point {
            start: Timestamp::from_millisecond(start.max(q.range.start.as_millisecond()))
                .unwrap_or(q.range.start),
            value: q.aggregation.apply(stats),
        })
        .collect();
    let (breakdown, other) = breakdown(per_dim, q.aggregation, q.top);
    Ok(QueryResult {
        total: q.aggregation.apply(&total),
        series,
        breakdown,
        other,
    })
}

/// Stats per dimension. Buckets in hour order repeat their dimensions in the same order every
/// hour, so the entry after the last one used is tried first; a miss falls back to a scan (few
/// dimensions) or a hash lookup (many). Cheaper than a map lookup per bucket, which dominated
/// board rendering.
#[derive(Default)]
struct DimStats<'a> {
    entries: Vec<(Option<&'a str>, Stats)>,
    index: std::collections::HashMap<Option<&'a str>, usize>,
    next: usize,
}

impl<'a> DimStats<'a> {
    const SCAN_UP_TO: usize = 8;

    fn add(&mut self, b: &'a HourBucket) {
        let key = b.dimension.as_deref();
        let n = self.entries.len();
        let guess = if n == 0 { None } else { Some(self.next % n) };
        let j = match guess {
            Some(j) if self.entries[j].0 == key => j,
            _ => {
                let found = if n <= Self::SCAN_UP_TO {
                    self.entries.iter().position(|(k, _)| *k == key)
                } else {
                    self.index.get(&key).copied()
                };
                match found {
                    Some(j) => j,
                    None => {
                        self.entries.push((key, Stats::default()));
                        self.index.insert(key, n);
                        n
                    }
                }
            }
        };
        self.entries[j].1.add(b);
        self.next = j + 1;
    }

    fn into_map(self) -> BTreeMap<Option<&'a str>, Stats> {
        self.entries.into_iter().collect()
    }
}

/// The aggregation over the whole range only.
pub fn total(buckets: &[HourBucket], range: &TimeRange, aggregation: Aggregation) -> Option<f64> {
    let mut stats = Stats::default();
    for b in buckets.iter().filter(|b| range.contains_hour(b.hour)) {
        stats.add(b);
    }
    aggregation.apply(&stats)
}

fn breakdown(
    per_dim: BTreeMap<Option<&str>, Stats>,
    aggregation: Aggregation,
    top: usize,
) -> (Vec<Slice>, Option<Option<f64>>) {
    let mut slices: Vec<(Option<&str>, Option<f64>, Stats)> = per_dim
        .into_iter()
        .map(|(d, s)| (d, aggregation.apply(&s), s))
        .collect();
    slices.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.0.cmp(&b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    let other = (slices.len() > top).then(|| {
        let mut rest = Stats::default();
        for (_, _, s) in &slices[top..] {
            rest.combine(s);
        }
        aggregation.apply(&rest)
    });
    slices.truncate(top);
    let named = slices
        .into_iter()
        .map(|(d, value, _)| Slice {
            dimension: d.map(str::to_owned),
            value,
        })
        .collect();
    (named, other)
}

/// Boundaries (epoch ms) of the intervals covering the range: the start of the interval
/// containing `range.start`, then each next start, the last one at or after `range.end`.
fn interval_bounds(
    range: &TimeRange,
    interval: Interval,
    zone: &TimeZone,
) -> Result<Vec<i64>, QueryError> {
    let end = range.end.as_millisecond();
    let mut start = interval_start(range.start, interval, zone)?;
    let mut bounds = vec![start.as_millisecond()];
    if range.start == range.end {
        return Ok(bounds);
    }
    while start.as_millisecond() < end {
        if bounds.len() > MAX_POINTS {
            return Err(QueryError::TooManyPoints { max: MAX_POINTS });
        }
        start = next_interval_start(start, interval, zone)?;
        bounds.push(start.as_millisecond());
    }
    Ok(bounds)
}

/// The start of the interval (in `zone`) that contains `at`.
pub fn interval_start(
    at: Timestamp,
    interval: Interval,
    zone: &TimeZone,
) -> Result<Timestamp, QueryError> {
    let z = at.to_zoned(zone.clone());
    let date = z.date();
    let first_day = match interval {
        Interval::Hour => {
            let into_hour = i64::from(z.minute()) * 60_000
                + i64::from(z.second()) * 1000
                + i64::from(z.millisecond());
            return Timestamp::from_millisecond(at.as_millisecond() - into_hour)
                .map_err(|_| QueryError::OutOfRange { at });
        }
        Interval::Day => date,
        Interval::Week => date
            .checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
            .map_err(|_| QueryError::OutOfRange { at })?,
        Interval::Month => date.first_of_month(),
        Interval::Quarter => Date::new(date.year(), (date.month() - 1) / 3 * 3 + 1, 1)
            .map_err(|_| QueryError::OutOfRange { at })?,
        Interval::Year => date.first_of_year(),
    };
    day_start(first_day, zone, at)
}

/// The start of the interval after the one starting at `start`.
pub fn next_interval_start(
    start: Timestamp,
    interval: Interval,
    zone: &TimeZone,
) -> Result<Timestamp, QueryError> {
    let oor = || QueryError::OutOfRange { at: start };
    let step = match interval {
        Interval::Hour => {
            return Timestamp::from_millisecond(start.as_millisecond() + HOUR_MS)
                .map_err(|_| oor());
        }
        Interval::Day => 1.day(),
        Interval::Week => 1.week(),
        Interval::Month => 1.month(),
        Interval::Quarter => 3.months(),
        Interval::Year => 1.year(),
    };
    let next = start
        .to_zoned(zone.clone())
        .date()
        .checked_add(step)
        .map_err(|_| oor())?;
    day_start(next, zone, start)
}

/// The first instant of a civil day in the zone (not always midnight, on a DST day).
fn day_start(date: Date, zone: &TimeZone, at: Timestamp) -> Result<Timestamp, QueryError> {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|_| QueryError::OutOfRange { at })
}
