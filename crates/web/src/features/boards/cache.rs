//! Buckets of the metrics boards show, kept in memory between renders.
//!
//! A cold render reads few rows (whole days from the store's daily rollups, other pieces folded
//! by the store, see [`metric::rollup`]), so nothing depends on this cache being warm; it saves
//! the reads and the folding of a render whose metrics have not changed. The store gives every
//! metric a data version that moves with each write to its buckets (and its rollups, in the same
//! transaction), so an entry here is used only while the version it was loaded at is still the
//! store's. The check is one small query per render, and it is exact across processes: a worker
//! that writes buckets moves the version in the same transaction.
//!
//! An entry holds what one set of reads returned, so it is found by those reads: the rows of a
//! plan answer exactly the queries it was made for. The least recently used entries go when the
//! total passes the capacity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use metric::HourBucket;
use metric::rollup::Read;
use store::MetricId;

/// Buckets kept by default, over all metrics: about 100 MB.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// What one metric's reads returned as of one data version, sorted by hour.
#[derive(Debug)]
pub struct Span {
    pub version: i64,
    pub reads: Vec<Read>,
    pub buckets: Vec<HourBucket>,
}

impl Span {
    /// Sorts by hour so that [`Span::within`] can cut a range out by binary search.
    pub fn new(version: i64, reads: Vec<Read>, mut buckets: Vec<HourBucket>) -> Self {
        buckets.sort_by_key(|b| b.hour);
        Self {
            version,
            reads,
            buckets,
        }
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
    map: HashMap<(MetricId, Vec<Read>), Entry>,
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

    /// What `reads` of the metric returned at `version`, if held.
    pub fn get(&self, id: MetricId, version: i64, reads: &[Read]) -> Option<Arc<Span>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.map.get_mut(&(id, reads.to_vec()))?;
        if entry.span.version != version {
            return None;
        }
        entry.used = now;
        Some(Arc::clone(&entry.span))
    }

    /// Keeps `span` for the metric and its reads (replacing what was held at an older version),
    /// then drops the least recently used entries until the total fits. A span larger than the
    /// whole capacity is not kept.
    pub fn put(&self, id: MetricId, span: Span) -> Arc<Span> {
        let span = Arc::new(span);
        let size = span.buckets.len();
        let key = (id, span.reads.clone());
        let mut entries = self.lock();
        // Entries of this metric at an older version can never be used again.
        let stale: Vec<(MetricId, Vec<Read>)> = entries
            .map
            .iter()
            .filter(|((m, r), e)| *m == id && (e.span.version != span.version || *r == key.1))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(old) = entries.map.remove(&k) {
                entries.held -= old.span.buckets.len();
            }
        }
        if size > self.capacity {
            return span;
        }
        while entries.held + size > self.capacity {
            let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
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
            key,
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

    fn reads(from_ms: i64, to_ms: i64) -> Vec<Read> {
        vec![Read::Hours { from_ms, to_ms }]
    }

    #[test]
    fn a_new_version_is_a_miss() {
        let cache = BucketCache::new(100);
        cache.put(MetricId(1), Span::new(3, reads(0, 10), buckets(&[1, 2])));
        assert!(cache.get(MetricId(1), 3, &reads(0, 10)).is_some());
        assert!(cache.get(MetricId(1), 4, &reads(0, 10)).is_none());
    }

    #[test]
    fn other_reads_are_a_miss_and_both_are_kept() {
        let cache = BucketCache::new(100);
        cache.put(MetricId(1), Span::new(3, reads(10, 20), buckets(&[11])));
        assert!(cache.get(MetricId(1), 3, &reads(5, 18)).is_none());
        cache.put(MetricId(1), Span::new(3, reads(5, 18), buckets(&[6])));
        assert!(cache.get(MetricId(1), 3, &reads(10, 20)).is_some());
        assert!(cache.get(MetricId(1), 3, &reads(5, 18)).is_some());
        assert_eq!(cache.held(), 2);
    }

    #[test]
    fn a_new_version_drops_the_older_entries_of_its_metric() {
        let cache = BucketCache::new(100);
        cache.put(MetricId(1), Span::new(3, reads(10, 20), buckets(&[11])));
        cache.put(MetricId(2), Span::new(3, reads(10, 20), buckets(&[11])));
        cache.put(MetricId(1), Span::new(4, reads(5, 18), buckets(&[6, 7])));
        assert!(cache.get(MetricId(1), 3, &reads(10, 20)).is_none());
        assert!(cache.get(MetricId(2), 3, &reads(10, 20)).is_some());
        assert_eq!(cache.held(), 3);
    }

    #[test]
    fn within_cuts_by_hour_start() {
        let span = Span::new(1, reads(0, 100), buckets(&[30, 10, 20, 20, 40]));
        let hours: Vec<i64> = span.within(20, 40).iter().map(|b| b.hour).collect();
        assert_eq!(hours, [20, 20, 30]);
        assert!(span.within(41, 39).is_empty());
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = BucketCache::new(5);
        let r = reads(0, 10);
        cache.put(MetricId(1), Span::new(1, r.clone(), buckets(&[1, 2])));
        cache.put(MetricId(2), Span::new(1, r.clone(), buckets(&[1, 2])));
        assert!(cache.get(MetricId(1), 1, &r).is_some());
        cache.put(MetricId(3), Span::new(1, r.clone(), buckets(&[1, 2])));
        assert!(cache.get(MetricId(2), 1, &r).is_none(), "2 was used least");
        assert!(cache.get(MetricId(1), 1, &r).is_some());
        assert!(cache.get(MetricId(3), 1, &r).is_some());
        assert_eq!(cache.held(), 4);
        cache.put(
            MetricId(4),
            Span::new(1, r.clone(), buckets(&[1, 2, 3, 4, 5, 6])),
        );
        assert!(cache.get(MetricId(4), 1, &r).is_none(), "too big to keep");
        assert_eq!(cache.held(), 4);
    }
}
