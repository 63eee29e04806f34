//! Hourly UTC buckets: what is stored of rows.
//!
//! A bucket keeps the sum, count, min, max and latest value of the rows of one UTC hour and one
//! dimension. Those five are enough to compute every [`Aggregation`](crate::Aggregation) over
//! any set of hours exactly: sums and counts add, min and max combine, latest is the latest of
//! the latests, and an average is the sum over the count, never an average of averages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rows::Row;

pub use domain::HOUR_MS;

/// The rows of one UTC hour and one dimension, folded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourBucket {
    /// Epoch milliseconds of the start of the UTC hour.
    pub hour: i64,
    pub dimension: Option<String>,
    pub sum: f64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    /// The value of the row with the latest date; among rows at the same instant, the greatest
    /// value, so that folding does not depend on the order of the rows.
    pub latest: f64,
    /// Epoch milliseconds of that row.
    pub latest_at: i64,
}

/// The start of the UTC hour containing `ms`.
pub fn hour_floor(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// Folds rows into buckets, one per (hour, dimension), ordered by hour then dimension.
pub fn fold_rows<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Vec<HourBucket> {
    let mut map: BTreeMap<(i64, Option<String>), HourBucket> = BTreeMap::new();
    for row in rows {
        let at = row.date.as_millisecond();
        let key = (hour_floor(at), row.dimension.clone());
        let single = HourBucket {
            hour: key.0,
            dimension: row.dimension.clone(),
            sum: row.value,
            count: 1,
            min: row.value,
            max: row.value,
            latest: row.value,
            latest_at: at,
        };
        match map.get_mut(&key) {
            Some(bucket) => bucket.merge(&single),
            None => {
                map.insert(key, single);
            }
        }
    }
    map.into_values().collect()
}

impl HourBucket {
    /// Adds the rows of `other` (same hour and dimension, e.g. from another page) to this one.
    pub fn merge(&mut self, other: &HourBucket) {
        self.sum += other.sum;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if (other.latest_at, other.latest) > (self.latest_at, self.latest) {
            self.latest_at = other.latest_at;
            self.latest = other.latest;
        }
    }
}

/// The combined statistics of a set of buckets; `count == 0` means no row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub sum: f64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub latest: f64,
    pub latest_at: i64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            sum: 0.0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            latest: 0.0,
            latest_at: i64::MIN,
        }
    }
}

impl Stats {
    pub fn add(&mut self, b: &HourBucket) {
        self.combine(&Stats {
            sum: b.sum,
            count: b.count,
            min: b.min,
            max: b.max,
            latest: b.latest,
            latest_at: b.latest_at,
        });
    }

    pub fn combine(&mut self, o: &Stats) {
        if o.count == 0 {
            return;
        }
        self.sum += o.sum;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        if self.count == o.count || (o.latest_at, o.latest) > (self.latest_at, self.latest) {
            self.latest_at = o.latest_at;
            self.latest = o.latest;
        }
    }
}
