//! Buckets of the metrics boards show, kept in memory between renders.
//!
//! A board over a year of hourly buckets reads hundreds of thousands of rows; doing that on every
//! page view is what made boards slow. The store gives every metric a data version that moves with
//! each write to its buckets, so an entry here is used only while the version it was loaded at is
//! still the store's. The check is one small query per render, and it is exact across processes:
//! a worker that writes buckets moves the version in the same transaction.
//!
//! Entries grow to cover every span asked for (so two boards over different ranges do not evict
//! each other's reads), and the least recently used ones go when the total passes the capacity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use metric::HourBucket;
use store::MetricId;

/// Buckets kept by default, over all metrics: about 100 MB.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// One metric's buckets over `[from_ms, to_ms)` as of one data version, sorted by hour.
#[derive(Debug)]
pub struct Span {
    pub version: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub buckets: Vec<HourBucket>,
}

impl Span {
    /// Sorts by hour so that [`Span::within`] can cut a range out by binary search.
    pub fn new(version: i64, from_ms: i64, to_ms: i64, mut buckets: Vec<HourBucket>) -> Self {
        buckets.sort_by_key(|b| b.hour);
        Self {
            version,
            from_ms,
            to_ms,
            buckets,
        }
    }

    fn covers(&self, version: i64, from_ms: i64, to_ms: i64) -> bool {
        self.version == version && self.from_ms <= from_ms && to_ms <= self.to_ms
    }

    /// The buckets whose hour starts in `[from_ms, to_ms)`.
    pub fn within(&self, from_ms: i64, to_ms: i64) -> &[HourBucket] {
        let lo = self.buckets.partition_point(|b| b.hour < from_ms);
        let hi = self.buckets.partition_point(|b| b.hour < to_ms);
        &self.buckets[lo..hi.max(lo)]
    }
}

struct Entry {
    span: Arc<Span>,
    used: u64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<MetricId, Entry>,
    clock: u64,
    held: usize,
}

pub struct BucketCache {
    entries: Mutex<Entries>,
    capacity: usize,
}

impl std::fmt::Debug for BucketCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for BucketCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl BucketCache {
    /// A cache holding at most `capacity` buckets over all metrics (0 keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map is consistent after every statement, so a panic elsewhere leaves it usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The metric's buckets covering `[from_ms, to_ms)` at `version`, if held.
    pub fn get(&self, id: MetricId, version: i64, from_ms: i64, to_ms: i64) -> Option<Arc<Span>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.map.get_mut(&id)?;
        if !entry.span.covers(version, from_ms, to_ms) {
            return None;
        }
        entry.used = now;
        Some(Arc::clone(&entry.span))
    }

    /// What to read on a miss: the span asked for, widened to what is already held at the same
    /// version, so that the entry grows instead of flipping between two ranges.
    pub fn span_to_load(&self, id: MetricId, version: i64, from_ms: i64, to_ms: i64) -> (i64, i64) {
        match self.lock().map.get(&id) {
            Some(e) if e.span.version == version => {
                (from_ms.min(e.span.from_ms), to_ms.max(e.span.to_ms))
            }
            _ => (from_ms, to_ms),
        }
    }

    /// Keeps `span` for the metric (replacing what was held), then drops the least recently used
    /// entries until the total fits. A span larger than the whole capacity is not kept.
    pub fn put(&self, id: MetricId, span: Span) -> Arc<Span> {
        let span = Arc::new(span);
        let size = span.buckets.len();
        let mut entries = self.lock();
        if let Some(old) = entries.map.remove(&id) {
            entries.held -= old.span.buckets.len();
        }
        if size > self.capacity {
            return span;
        }
        while entries.held + size > self.capacity {
            let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id)
            else {
                break;
            };
            if let Some(gone) = entries.map.remove(&oldest) {
                entries.held -= gone.span.buckets.len();
            }
        }
        entries.clock += 1;
        let used = entries.clock;
        entries.held += size;
        entries.map.insert(
            id,
            Entry {
                span: Arc::clone(&span),
                used,
            },
        );
        span
    }

    /// Buckets held now, over all metrics.
    pub fn held(&self) -> usize {
        self.lock().held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(hours: &[i64]) -> Vec<HourBucket> {
        hours
            .iter()
            .map(|&h| HourBucket {
                hour: h,
                dimension: None,
                sum: h as f64,
                count: 1,
                min: h as f64,
                max: h as f64,
                latest: h as f64,
                latest_at: h,
            })
            .collect()
    }

    #[test]
    fn a_new_version_is_a_miss() {
        let cache = BucketCache::new(100);
        cache.put(MetricId(1), Span::new(3, 0, 10, buckets(&[1, 2])));
        assert!(cache.get(MetricId(1), 3, 0, 10).is_some());
        assert!(cache.get(MetricId(1), 4, 0, 10).is_none());
    }

    #[test]
    fn a_wider_span_is_a_miss_that_loads_the_union() {
        let cache = BucketCache::new(100);
        cache.put(MetricId(1), Span::new(3, 10, 20, buckets(&[11])));
        assert!(cache.get(MetricId(1), 3, 12, 18).is_some());
        assert!(cache.get(MetricId(1), 3, 5, 18).is_none());
        assert_eq!(cache.span_to_load(MetricId(1), 3, 5, 18), (5, 20));
        assert_eq!(cache.span_to_load(MetricId(1), 4, 5, 18), (5, 18));
    }

    #[test]
    fn within_cuts_by_hour_start() {
        let span = Span::new(1, 0, 100, buckets(&[30, 10, 20, 20, 40]));
        let hours: Vec<i64> = span.within(20, 40).iter().map(|b| b.hour).collect();
        assert_eq!(hours, [20, 20, 30]);
        assert!(span.within(41, 39).is_empty());
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = BucketCache::new(5);
        cache.put(MetricId(1), Span::new(1, 0, 10, buckets(&[1, 2])));
        cache.put(MetricId(2), Span::new(1, 0, 10, buckets(&[1, 2])));
        assert!(cache.get(MetricId(1), 1, 0, 10).is_some());
        cache.put(MetricId(3), Span::new(1, 0, 10, buckets(&[1, 2])));
        assert!(
            cache.get(MetricId(2), 1, 0, 10).is_none(),
            "2 was used least"
        );
        assert!(cache.get(MetricId(1), 1, 0, 10).is_some());
        assert!(cache.get(MetricId(3), 1, 0, 10).is_some());
        assert_eq!(cache.held(), 4);
        cache.put(
            MetricId(4),
            Span::new(1, 0, 10, buckets(&[1, 2, 3, 4, 5, 6])),
        );
        assert!(
            cache.get(MetricId(4), 1, 0, 10).is_none(),
            "too big to keep"
        );
        assert_eq!(cache.held(), 4);
    }
}
