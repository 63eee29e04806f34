//! An hourly series built from stored buckets.

use metric::{Aggregation, HourBucket};

use crate::HOUR_MS;

/// One value per UTC hour from `start_ms`; `None` where the hour is not known (not synced, or
/// an aggregation with no value over no rows, such as an average).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub start_ms: i64,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// The series of `aggregation` over the buckets of `dimension` (or all rows when `None`)
    /// for the hours of `[from_ms, to_ms)` (both whole hours). Hours outside `known` (the span
    /// that good syncs covered, `[start, end)`) are `None`; an hour inside it without rows is
    /// 0 for sum and count and `None` for the others.
    pub fn hourly(
        buckets: &[HourBucket],
        dimension: Option<&str>,
        aggregation: Aggregation,
        from_ms: i64,
        to_ms: i64,
        known: Option<(i64, i64)>,
    ) -> Series {
        let hours = usize::try_from((to_ms - from_ms).max(0) / HOUR_MS).unwrap_or(0);
        let mut groups: Vec<Vec<&HourBucket>> = vec![Vec::new(); hours];
        for b in buckets {
            if dimension.is_some() && b.dimension.as_deref() != dimension {
                continue;
            }
            if b.hour < from_ms || b.hour >= to_ms {
                continue;
            }
            groups[((b.hour - from_ms) / HOUR_MS) as usize].push(b);
        }
        let values = groups
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let hour = from_ms + i as i64 * HOUR_MS;
                let inside = known.is_some_and(|(s, e)| hour >= s && hour + HOUR_MS <= e);
                if !inside {
                    return None;
                }
                of_hour(&g, aggregation)
            })
            .collect();
        Series {
            start_ms: from_ms,
            values,
        }
    }

    /// The instant just after the last hour.
    pub fn end_ms(&self) -> i64 {
        self.start_ms + self.values.len() as i64 * HOUR_MS
    }

    /// The value of the hour starting at `hour_ms`, if the series covers and knows it.
    pub fn at(&self, hour_ms: i64) -> Option<f64> {
        if hour_ms < self.start_ms {
            return None;
        }
        let i = usize::try_from((hour_ms - self.start_ms) / HOUR_MS).ok()?;
        self.values.get(i).copied().flatten()
    }

    /// The hours of `[from_ms, to_ms)` of this series, as a series of its own.
    pub fn slice(&self, from_ms: i64, to_ms: i64) -> Series {
        let hours = ((to_ms - from_ms).max(0) / HOUR_MS) as usize;
        Series {
            start_ms: from_ms,
            values: (0..hours)
                .map(|i| self.at(from_ms + i as i64 * HOUR_MS))
                .collect(),
        }
    }

    /// How many hours have a value.
    pub fn known_hours(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }
}

/// The aggregation over one hour's buckets (one per dimension value), as `metric` folds them:
/// with no row, sum and count are 0 and the others have no value.
fn of_hour(buckets: &[&HourBucket], aggregation: Aggregation) -> Option<f64> {
    let count: u64 = buckets.iter().map(|b| b.count).sum();
    if count == 0 {
        return match aggregation {
            Aggregation::Sum | Aggregation::Count => Some(0.0),
            _ => None,
        };
    }
    let sum: f64 = buckets.iter().map(|b| b.sum).sum();
    Some(match aggregation {
        Aggregation::Sum => sum,
        Aggregation::Count => count as f64,
        Aggregation::Average => sum / count as f64,
        Aggregation::Min => buckets.iter().map(|b| b.min).fold(f64::INFINITY, f64::min),
        Aggregation::Max => buckets
            .iter()
            .map(|b| b.max)
            .fold(f64::NEG_INFINITY, f64::max),
        Aggregation::Latest => buckets
            .iter()
            .max_by(|a, b| {
                a.latest_at
                    .cmp(&b.latest_at)
                    .then(a.latest.total_cmp(&b.latest))
            })
            .map(|b| b.latest)?,
    })
}
