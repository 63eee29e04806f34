//! From a board's blocks to numbers: resolve each block's range and comparison, read each
//! metric's buckets once for all the blocks that show it, then aggregate per block.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use app::twilio_accounts::AccountNames;
use metric::accounts::{regroup, split};

use futures::StreamExt as _;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::definition::NumberFormat;
use metric::rollup::Read;
use metric::{
    Aggregation, Change, CompareTo, HourBucket, Interval, MetricDefinition, NamedRange, Query,
    TimeRange, Trend,
};
use store::{AnyStore, BlockRow, BucketQuery, FoldedQuery, MetricId, Store};

use super::cache::{BucketCache, Span};
use super::model::{BlockKind, BlockSettings};
use crate::error::WebError;
use crate::views::{SyncState, hour_bucket, sync_state};

/// What a block needs to know of a metric.
#[derive(Debug, Clone)]
pub struct MetricInfo {
    pub id: MetricId,
    pub name: String,
    pub aggregation: Aggregation,
    pub trend: Trend,
    pub format: NumberFormat,
    pub sync: SyncState,
    /// Why the metric cannot be shown (its definition does not read), when it cannot.
    pub broken: Option<String>,
    /// The hours whose values are known now (its good syncs' span, cut at now); `None` before
    /// the first good sync.
    pub known: Option<TimeRange>,
    /// Whether its rows carry their account (a composite dimension).
    pub multi_account: bool,
    /// Its hours holding real-time values no poll has confirmed yet, `[from, to)` in ms.
    pub provisional: Option<(i64, i64)>,
}

/// The numbers of one metric in one block.
#[derive(Debug, Clone)]
pub struct MetricData {
    pub info: MetricInfo,
    pub change: Change,
    /// One value per interval of the current range (running totals when cumulative).
    pub series: Vec<Option<f64>>,
    /// The top dimensions, greatest first: (dimension, current, previous).
    pub breakdown: Vec<(String, Option<f64>, Option<f64>)>,
    /// The other dimensions together.
    pub other: Option<(Option<f64>, Option<f64>)>,
    /// Per dimension, one value per interval (for charts by dimension), in breakdown order.
    pub dimension_series: Vec<(String, Vec<Option<f64>>)>,
    /// For Line and Bar blocks with a comparison: the comparison range at the same interval,
    /// point for point with `series` (its n-th interval against the current n-th).
    pub previous_series: Option<Vec<Option<f64>>>,
    /// Per point of `series`, how much of its interval is known.
    pub coverage: Vec<metric::Coverage>,
    /// Whether any instant of the current range is known: without, the block says "no data".
    pub has_data: bool,
    /// Whether the current range shows real-time hours no poll has confirmed yet.
    pub provisional: bool,
}

/// A block's numbers.
#[derive(Debug, Clone)]
pub struct BlockData {
    pub window: Window,
    pub starts: Vec<Timestamp>,
    pub metrics: Vec<MetricData>,
    /// A Progress block following a stored goal: the goal and how its current period goes.
    pub goal: Option<GoalShown>,
    /// A Line block asking for its expected band: the band, or why there is none.
    pub band: Option<BlockBand>,
    /// A Forecast block: its period's projection (filled in after the aggregation, from the
    /// metric's seasonal model).
    pub forecast: Option<app::forecast::PeriodForecast>,
    /// An Account outliers block: its metric's accounts judged over the block's range (filled
    /// in after the aggregation).
    pub outliers: Option<app::outliers::AccountOutliers>,
}

/// A Line block's expected band (of its first metric), or why it has none.
#[derive(Debug, Clone)]
pub enum BlockBand {
    Drawn(app::seasonal::Expected),
    Missing(String),
}

/// A stored goal as a Progress block shows it.
#[derive(Debug, Clone)]
pub struct GoalShown {
    pub id: i64,
    pub name: String,
    pub progress: watch::Progress,
}

/// The board-level choices a block inherits unless it overrides them.
#[derive(Debug, Clone)]
pub struct Frame {
    pub range: NamedRange,
    pub compare: CompareTo,
    pub zone: TimeZone,
    pub now: Timestamp,
}

/// The buckets of every metric the blocks show, read once per metric over the union of the
/// blocks' ranges (or found in the cache), and what is known about each metric.
pub struct Prefetched {
    infos: HashMap<MetricId, MetricInfo>,
    buckets: HashMap<MetricId, Arc<Span>>,
    /// The instant the blocks are computed at: the interval holding it is still running.
    now: Timestamp,
    /// How accounts are named (loaded only when a metric reads several).
    names: AccountNames,
}

/// A resolved block: its settings and ranges, before any aggregation.
pub struct Plan {
    pub kind: BlockKind,
    pub settings: BlockSettings,
    pub window: Window,
}

/// The time a block shows: its range and comparison by name, the instants they cover at the
/// moment of computing, and the interval it draws.
#[derive(Debug, Clone)]
pub struct Window {
    pub range: NamedRange,
    pub compare: CompareTo,
    pub current: TimeRange,
    pub previous: Option<TimeRange>,
    pub interval: Interval,
    /// The interval asked for, when it would have drawn more than [`MAX_POINTS`] and
    /// [`Window::interval`] is a coarser one.
    pub coarsened_from: Option<Interval>,
}

impl Window {
    /// From the earliest to the latest instant the block reads: its current range and, when
    /// it compares, the previous one.
    pub fn hull(&self) -> (Timestamp, Timestamp) {
        let (start, end) = (self.current.start, self.current.end);
        match self.previous {
            Some(prev) => (start.min(prev.start), end.max(prev.end)),
            None => (start, end),
        }
    }
}

/// The most intervals one series of a block draws: a month of hours, two years of days. A page
/// holds a dozen blocks, so this bounds what one render computes and sends, whatever range a
/// link asks for.
pub const MAX_POINTS: u64 = 800;

/// The interval a block draws over `range`: the asked one, or the first coarser one whose
/// intervals stay within [`MAX_POINTS`].
pub fn bounded_interval(asked: Interval, range: &TimeRange) -> Result<Interval, String> {
    Interval::ALL
        .into_iter()
        .skip_while(|i| *i != asked)
        .find(|i| i.count_at_most(range) <= MAX_POINTS)
        .ok_or_else(|| {
            let years = (range.end.as_millisecond() - range.start.as_millisecond())
                / (365 * 24 * domain::HOUR_MS);
            format!("this range spans {years} years, too long to draw; pick a shorter range")
        })
}

pub fn plan(block: &BlockRow, frame: &Frame) -> Result<Plan, String> {
    let mut settings = BlockSettings::from_json(&block.block.settings);
    // A block stored before the cap existed may name any number of metrics.
    settings.metrics.truncate(super::model::MAX_BLOCK_METRICS);
    let kind: BlockKind = block.block.kind.parse()?;
    // A Forecast block shows its own calendar period, by day, with nothing to compare.
    let (range, compare) = if kind == BlockKind::Forecast {
        (settings.forecast_period.range(), CompareTo::None)
    } else {
        (
            settings.range_override().unwrap_or(frame.range),
            settings.compare_override().unwrap_or(frame.compare),
        )
    };
    if kind == BlockKind::Forecast {
        settings.interval = Some(Interval::Day);
    }
    let resolved = range
        .resolve_with(compare, frame.now, &frame.zone)
        .map_err(|e| e.to_string())?;
    let asked = settings
        .interval
        .unwrap_or_else(|| range.natural_interval());
    let interval = bounded_interval(asked, &resolved.current)?;
    Ok(Plan {
        kind,
        settings,
        window: Window {
            range,
            compare,
            current: resolved.current,
            previous: resolved.previous,
            interval,
            coarsened_from: (interval != asked).then_some(asked),
        },
    })
}

/// Metrics a cold render reads at once (each on its own connection).
const READS_AT_ONCE: usize = 4;

/// Reads the buckets every planned block needs. With `rollups`, each metric's reads come from
/// [`metric::rollup::plan`] over all its blocks' ranges and intervals (whole days from the
/// store's daily rollups, other pieces folded by the store), so a cold render reads a few rows
/// per day; without, every hour of the span the blocks cover (the path before rollups, kept as
/// the benchmark's baseline).
pub async fn prefetch(
    store: &AnyStore,
    cache: &BucketCache,
    plans: &[&Plan],
    zone: &TimeZone,
    rollups: bool,
    now_ms: i64,
) -> Result<Prefetched, WebError> {
    let mut spans: HashMap<MetricId, (i64, i64)> = HashMap::new();
    let mut asked: HashMap<MetricId, Vec<(TimeRange, Interval)>> = HashMap::new();
    for p in plans {
        for &id in &p.settings.metrics {
            let (lo, hi) = p.window.hull();
            let (lo, hi) = (lo.as_millisecond(), hi.as_millisecond());
            let queries = asked.entry(MetricId(id)).or_default();
            queries.push((p.window.current, p.window.interval));
            if let Some(prev) = p.window.previous {
                queries.push((prev, p.window.interval));
            }
            let e = spans.entry(MetricId(id)).or_insert((lo, hi));
            e.0 = e.0.min(lo);
            e.1 = e.1.max(hi);
        }
    }
    let mut ids: Vec<MetricId> = spans.keys().copied().collect();
    ids.sort_unstable();
    // Versions first: buckets read after them are at least as new as what they vouch for.
    let versions = store.data_versions(&ids).await?;
    let synced = store.synced_spans(&ids).await?;
    let live = store::LiveStore::live_spans(store, &ids).await?;
    let now = Timestamp::from_millisecond(now_ms).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut runs: HashMap<MetricId, Vec<store::SyncRun>> = HashMap::new();
    for run in store.recent_sync_runs(&ids, 10).await? {
        runs.entry(run.metric_id).or_default().push(run);
    }
    // One read for every metric rather than one per metric: a board shows most of them anyway.
    let mut stored: HashMap<MetricId, store::StoredMetric> = store
        .list_metrics()
        .await?
        .into_iter()
        .filter(|m| spans.contains_key(&m.id))
        .map(|m| (m.id, m))
        .collect();
    let mut infos = HashMap::new();
    let mut buckets = HashMap::new();
    let mut misses = Vec::new();
    for id in ids {
        let (Some(&version), Some(&(lo, hi)), Some(m)) =
            (versions.get(&id), spans.get(&id), stored.remove(&id))
        else {
            continue;
        };
        let sync = sync_state(
            runs.get(&id).map(Vec::as_slice).unwrap_or(&[]),
            m.sync_interval_s,
            now_ms,
        );
        let provisional = live.get(&id).copied();
        let known = metric::known_span(
            app::realtime_settings::with_live(synced.get(&id).copied(), provisional).and_then(
                |(from, to)| {
                    let at = |ms| Timestamp::from_millisecond(ms).ok();
                    TimeRange::new(at(from)?, at(to)?).ok()
                },
            ),
            now,
        );
        let info = match MetricDefinition::from_json(&m.definition) {
            Ok(d) => MetricInfo {
                id,
                name: m.name.clone(),
                aggregation: d.description.aggregation,
                trend: d.description.favourable,
                format: d.description.format.clone(),
                sync,
                broken: None,
                known,
                multi_account: d.accounts.is_multi(),
                provisional,
            },
            Err(e) => MetricInfo {
                id,
                name: m.name.clone(),
                aggregation: Aggregation::Sum,
                trend: Trend::Up,
                format: NumberFormat {
                    unit: metric::definition::Unit::Count,
                    currency: None,
                    decimals: None,
                },
                sync,
                broken: Some(e.to_string()),
                known,
                multi_account: false,
                provisional,
            },
        };
        // Whole hours: a bucket belongs to the range its hour starts in. Rounding the end up
        // keeps ranges that end "now" (today, month to date) on one cache entry for the hour.
        let hour = crate::views::HOUR_MS;
        let from_ms = lo.div_euclid(hour) * hour;
        let to_ms = hi.div_euclid(hour) * hour + if hi.rem_euclid(hour) == 0 { 0 } else { hour };
        let every_hour = || {
            vec![Read::Hours {
                from_ms,
                to_ms: to_ms.max(from_ms),
            }]
        };
        let reads = match asked.get(&id) {
            // A plan fails only where the block's own query fails, which the block then says.
            Some(queries) if rollups => {
                metric::rollup::plan(queries, zone).unwrap_or_else(|_| every_hour())
            }
            _ => every_hour(),
        };
        match cache.get(id, version, &reads) {
            Some(span) => {
                buckets.insert(id, span);
            }
            None => misses.push((id, version, reads, from_ms, to_ms)),
        }
        infos.insert(id, info);
    }
    // The metrics the cache lacks are read a few at a time: a cold board waits for its
    // slowest reads side by side rather than one after another.
    let read = |(id, version, reads, from_ms, to_ms): (MetricId, i64, Vec<Read>, i64, i64)| async move {
        let rows = if rollups {
            store.folded_buckets(&folded_query(id, &reads)).await?
        } else {
            store
                .buckets(&BucketQuery {
                    metric: id,
                    dimension: None,
                    from_ms,
                    to_ms,
                })
                .await?
        };
        let read = rows.iter().map(hour_bucket).collect();
        Ok::<_, WebError>((id, Span::new(version, reads, read)))
    };
    let mut reads =
        futures::stream::iter(misses.into_iter().map(read)).buffer_unordered(READS_AT_ONCE);
    while let Some(done) = reads.next().await {
        let (id, span) = done?;
        buckets.insert(id, cache.put(id, span));
    }
    let names = if infos.values().any(|i| i.multi_account) {
        AccountNames::load(store).await?
    } else {
        AccountNames::default()
    };
    Ok(Prefetched {
        infos,
        buckets,
        now,
        names,
    })
}

/// The store's shape of a metric's reads.
fn folded_query(metric: MetricId, reads: &[Read]) -> FoldedQuery {
    let mut q = FoldedQuery::new(metric);
    for r in reads {
        match *r {
            Read::Hours { from_ms, to_ms } => q.hours.push((from_ms, to_ms)),
            Read::Days { from_ms, to_ms } => q.days.push((from_ms, to_ms)),
            Read::Fold { from_ms, to_ms } => q.folds.push((from_ms, to_ms)),
            Read::LocalDays {
                from_ms,
                to_ms,
                offset_ms,
            } => q.local_days.push((from_ms, to_ms, offset_ms)),
        }
    }
    q
}

impl Prefetched {
    pub fn info(&self, id: i64) -> Option<&MetricInfo> {
        self.infos.get(&MetricId(id))
    }
}

/// Aggregates one planned block from the prefetched buckets.
pub fn compute(plan: &Plan, pre: &Prefetched, zone: &TimeZone) -> Result<BlockData, String> {
    let mut metrics = Vec::new();
    let mut starts = Vec::new();
    for &id in &plan.settings.metrics {
        let Some(info) = pre.infos.get(&MetricId(id)) else {
            continue;
        };
        let Some(span) = pre.buckets.get(&MetricId(id)) else {
            continue;
        };
        // Only the hours of the current and previous ranges, cut by binary search.
        let (lo, hi) = plan.window.hull();
        let all = span.within(lo.as_millisecond(), hi.as_millisecond());
        let viewed = account_view(all, &plan.settings);
        let buckets: &[HourBucket] = &viewed;
        let q = Query {
            range: plan.window.current,
            interval: plan.window.interval,
            aggregation: info.aggregation,
            zone: zone.clone(),
            top: plan.settings.top.max(1),
        };
        let known = info.known.as_ref();
        let mut result = metric::query(buckets, &q).map_err(|e| e.to_string())?;
        // Outside what has synced there is no value, not a zero.
        let coverage =
            metric::coverage::apply(&mut result, &q, known, pre.now).map_err(|e| e.to_string())?;
        let has_data = metric::coverage::has_data(&q.range, known);
        if starts.is_empty() {
            starts = result.series.iter().map(|p| p.start).collect();
        }
        let previous_total = plan
            .window
            .previous
            .map(|r| {
                let total = metric::aggregate::total(buckets, &r, info.aggregation);
                metric::coverage::known_total(total, &r, known)
            })
            .unwrap_or(None);
        let change = metric::change(result.total, previous_total, info.trend);
        let previous_by_dim: HashMap<Option<String>, Option<f64>> = match plan.window.previous {
            Some(prev) if plan.kind == BlockKind::Table => {
                let pq = Query {
                    range: prev,
                    top: usize::MAX,
                    ..q.clone()
                };
                metric::query(buckets, &pq)
                    .and_then(|mut r| {
                        metric::coverage::apply(&mut r, &pq, known, pre.now)?;
                        Ok(r)
                    })
                    .map(|r| {
                        r.breakdown
                            .into_iter()
                            .map(|s| (s.dimension, s.value))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => HashMap::new(),
        };
        let dim_name = |d: &Option<String>| match d {
            Some(d) => pre.names.dimension(d),
            None => "(none)".to_owned(),
        };
        let breakdown: Vec<(String, Option<f64>, Option<f64>)> = result
            .breakdown
            .iter()
            .map(|s| {
                (
                    dim_name(&s.dimension),
                    s.value,
                    previous_by_dim.get(&s.dimension).copied().flatten(),
                )
            })
            .collect();
        let other = result.other.map(|v| (v, None));
        let mut series: Vec<Option<f64>> = result.series.iter().map(|p| p.value).collect();
        let wants_dimension_series =
            plan.settings.breaks_down() && matches!(plan.kind, BlockKind::Line | BlockKind::Bar);
        let mut dimension_series = Vec::new();
        if wants_dimension_series {
            for s in &result.breakdown {
                let one: Vec<HourBucket> = buckets
                    .iter()
                    .filter(|b| b.dimension == s.dimension)
                    .cloned()
                    .collect();
                let r = metric::query(
                    &one,
                    &Query {
                        top: 0,
                        ..q.clone()
                    },
                )
                .map_err(|e| e.to_string())?;
                let mut values: Vec<Option<f64>> = r.series.iter().map(|p| p.value).collect();
                if plan.settings.cumulative {
                    running_total(&mut values);
                }
                metric::coverage::mask(&mut values, &coverage);
                dimension_series.push((dim_name(&s.dimension), values));
            }
        }
        let previous_series = match plan.window.previous {
            Some(prev)
                if matches!(plan.kind, BlockKind::Line | BlockKind::Bar)
                    && !wants_dimension_series =>
            {
                let pq = Query {
                    range: prev,
                    top: 0,
                    ..q.clone()
                };
                let mut earlier = metric::query(buckets, &pq).map_err(|e| e.to_string())?;
                let earlier_coverage = metric::coverage::apply(&mut earlier, &pq, known, pre.now)
                    .map_err(|e| e.to_string())?;
                let mut values: Vec<Option<f64>> = earlier.series.iter().map(|p| p.value).collect();
                if plan.settings.cumulative {
                    running_total(&mut values);
                    metric::coverage::mask(&mut values, &earlier_coverage);
                }
                // Ranges of unequal length (31 days against 30) line up from their starts.
                values.resize(series.len(), None);
                Some(values)
            }
            _ => None,
        };
        if plan.settings.cumulative {
            running_total(&mut series);
            // A running total carried past now would draw the hours still to come.
            metric::coverage::mask(&mut series, &coverage);
        }
        let provisional = app::realtime_settings::shows_provisional(
            info.provisional,
            plan.window.current.start.as_millisecond(),
            plan.window.current.end.as_millisecond(),
        );
        metrics.push(MetricData {
            provisional,
            coverage,
            has_data,
            previous_series,
            info: info.clone(),
            change,
            series,
            breakdown,
            other,
            dimension_series,
        });
    }
    Ok(BlockData {
        window: plan.window.clone(),
        starts,
        metrics,
        goal: None,
        band: None,
        forecast: None,
        outliers: None,
    })
}

/// The buckets a block aggregates: its own-dimension filter, then the accounts kept and how
/// they are seen. The store holds a multi-account metric's rows under composite dimensions
/// (account and own dimension); a block shows them added together unless it asks by account.
fn account_view<'a>(all: &'a [HourBucket], s: &BlockSettings) -> Cow<'a, [HourBucket]> {
    fn own(b: &HourBucket) -> Option<&str> {
        let d = b.dimension.as_deref()?;
        split(d).map_or(Some(d), |(_, own)| own)
    }
    let composite = all
        .iter()
        .any(|b| b.dimension.as_deref().and_then(split).is_some());
    if !composite && !s.asks_accounts() && s.dimension.is_none() {
        return Cow::Borrowed(all);
    }
    let kept: Vec<HourBucket> = all
        .iter()
        .filter(|b| s.dimension.as_deref().is_none_or(|d| own(b) == Some(d)))
        .cloned()
        .collect();
    if !composite && !s.asks_accounts() {
        return Cow::Owned(kept);
    }
    Cow::Owned(regroup(kept, s.accounts, &s.account_filter()))
}

/// Running totals; a missing value carries the total so far (nothing was added).
fn running_total(values: &mut [Option<f64>]) {
    let mut sum: Option<f64> = None;
    for v in values.iter_mut() {
        if let Some(x) = *v {
            sum = Some(sum.unwrap_or(0.0) + x);
        }
        *v = sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str) -> TimeRange {
        TimeRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
    }

    #[test]
    fn an_interval_is_kept_while_it_draws_few_enough_points() {
        let month = range("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
        assert_eq!(bounded_interval(Interval::Hour, &month), Ok(Interval::Hour));
        let year = range("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        assert_eq!(bounded_interval(Interval::Day, &year), Ok(Interval::Day));
    }

    #[test]
    fn a_long_range_is_drawn_by_a_coarser_interval_or_refused() {
        let centuries = range("1753-06-01T00:00:00Z", "2026-12-01T00:00:00Z");
        assert_eq!(
            bounded_interval(Interval::Day, &centuries),
            Ok(Interval::Year)
        );
        let decade = range("2016-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        assert_eq!(bounded_interval(Interval::Day, &decade), Ok(Interval::Week));
        let too_long = range("0100-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        assert!(bounded_interval(Interval::Hour, &too_long).is_err());
    }

    #[test]
    fn running_totals_carry_over_gaps() {
        let mut v = [Some(1.0), None, Some(2.0), Some(3.0)];
        super::running_total(&mut v);
        assert_eq!(v, [Some(1.0), Some(1.0), Some(3.0), Some(6.0)]);
        let mut empty = [None, Some(4.0)];
        super::running_total(&mut empty);
        assert_eq!(empty, [None, Some(4.0)]);
    }
}
