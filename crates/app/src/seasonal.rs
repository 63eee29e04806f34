//! The seasonal models of stored series: the one place that reads a metric's buckets for the
//! `seasonal` crate, so alerts, the metric page, boards, goals and forecasts judge a series by
//! the same model.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use ::seasonal::why::Contribution;
use ::seasonal::{
    Band, DAY_MS, Direction, Fit, HOUR_MS, MIN_HISTORY_HOURS, Model, Sensitivity, Series,
    TRAINING_DAYS, detect, fit, model_day,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{Aggregation, HourBucket, Interval, TimeRange};
use metric_sync::buckets;
use store::{MetricId, Store, StoreError};

use crate::pool::{Pool, on_pool};
use crate::{AppError, AppResult};

/// A series and, when it has enough history, its model for the day of the instant asked.
#[derive(Debug, Clone)]
pub struct Modelled {
    /// The dimension value, or `None` for all rows.
    pub dimension: Option<String>,
    /// The hours from the start of the training weeks up to the hour of the instant asked.
    pub series: Series,
    pub fit: Fit,
}

impl Modelled {
    pub fn model(&self) -> Option<&Model> {
        match &self.fit {
            Fit::Ready(m) => Some(m),
            Fit::Learning { .. } => None,
        }
    }
}

/// A metric's series at `at_ms`: all rows (or only `dimension`'s) and, for the "why", each of
/// its `top` largest dimension values over the training weeks, each with its model of the day
/// of `at_ms`.
#[derive(Debug, Clone)]
pub struct MetricModels {
    pub total: Modelled,
    pub dimensions: Vec<Modelled>,
}

/// Reads the metric's hours over the training weeks before the UTC day of `at_ms` and that
/// day up to `at_ms`, and fits each series.
pub async fn models<S: Store>(
    store: &S,
    metric: MetricId,
    aggregation: Aggregation,
    dimension: Option<&str>,
    top: usize,
    at_ms: i64,
) -> Result<MetricModels, StoreError> {
    let day = model_day(at_ms);
    let from_ms = day - TRAINING_DAYS * DAY_MS;
    let to_ms = at_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let read = series(store, metric, aggregation, dimension, top, from_ms, to_ms).await?;
    let one = |(dimension, series): (Option<String>, Series)| Modelled {
        dimension,
        fit: fit(&series, day),
        series,
    };
    Ok(MetricModels {
        total: one((dimension.map(str::to_owned), read.total)),
        dimensions: read
            .dimensions
            .into_iter()
            .map(|(d, s)| one((Some(d), s)))
            .collect(),
    })
}

/// A metric's hourly series over a span, not yet fitted.
#[derive(Debug, Clone)]
pub struct MetricSeries {
    /// All rows, or only the dimension value asked for.
    pub total: Series,
    /// With no dimension asked for, the `top` largest dimension values over the span (by row
    /// count, then name), largest first.
    pub dimensions: Vec<(String, Series)>,
}

/// The metric's hours of `[from_ms, to_ms)` (whole hours) as series of `aggregation`: hours
/// outside what good syncs covered are unknown.
pub async fn series<S: Store>(
    store: &S,
    metric: MetricId,
    aggregation: Aggregation,
    dimension: Option<&str>,
    top: usize,
    from_ms: i64,
    to_ms: i64,
) -> Result<MetricSeries, StoreError> {
    let (rows, known) = read_hours(store, metric, from_ms, to_ms).await?;
    let one = |d: Option<&str>| Series::hourly(&rows, d, aggregation, from_ms, to_ms, known);
    let total = one(dimension);
    let dimensions = if dimension.is_some() || top == 0 {
        Vec::new()
    } else {
        top_dimensions(&rows, top)
            .into_iter()
            .map(|d| (d.to_owned(), one(Some(d))))
            .collect()
    };
    Ok(MetricSeries { total, dimensions })
}

/// The metric's buckets over `[from_ms, to_ms)` and the span its good syncs covered, cut at
/// `to_ms` (hours after it are not known yet, whatever a sync wrote).
async fn read_hours<S: Store>(
    store: &S,
    metric: MetricId,
    from_ms: i64,
    to_ms: i64,
) -> Result<(Vec<HourBucket>, Option<(i64, i64)>), StoreError> {
    let rows = buckets(store, metric, from_ms, to_ms).await?;
    let known = store
        .synced_spans(&[metric])
        .await?
        .get(&metric)
        .map(|&(s, e)| (s, e.min(to_ms)));
    Ok((rows, known))
}

/// The `top` dimension values with the most rows in `rows`, most first.
fn top_dimensions(rows: &[HourBucket], top: usize) -> Vec<&str> {
    let mut sizes: BTreeMap<&str, f64> = BTreeMap::new();
    for b in rows {
        if let Some(d) = b.dimension.as_deref() {
            *sizes.entry(d).or_default() += b.count as f64;
        }
    }
    let mut ranked: Vec<(&str, f64)> = sizes.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(top);
    ranked.into_iter().map(|(d, _)| d).collect()
}

// ------------------------------------------------------------------ expected bands on charts

/// Whether an aggregation's points get an expected band, and why not when they do not.
///
/// A sum or count over an interval is the sum of its hours, so its expected value is the sum of
/// the hours' expected values and its spread the root of their summed squares (hours taken as
/// independent). An average is the hours' averages weighted by their row counts, so it is the
/// hours' expected averages weighted by their expected counts. The minimum, maximum or latest
/// value of an interval is no such combination of its hours, so it gets no band.
pub fn band_for(aggregation: Aggregation) -> Result<(), NoBand> {
    match aggregation {
        Aggregation::Sum | Aggregation::Count | Aggregation::Average => Ok(()),
        Aggregation::Min | Aggregation::Max | Aggregation::Latest => Err(NoBand { aggregation }),
    }
}

/// Why a metric's chart has no expected band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "no expected band for a {} metric: the band is drawn for sums, counts and averages, which add up from hours; the {} of an interval does not",
    word(*aggregation),
    word(*aggregation)
)]
pub struct NoBand {
    pub aggregation: Aggregation,
}

/// Alerts' wording, but for a count: this sentence names what has no band, not what is counted.
fn word(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Count => "count",
        other => watch::describe::aggregation(other),
    }
}

/// What a chart of a metric asks for: its points as `metric::query` makes them.
#[derive(Debug, Clone)]
pub struct BandQuery {
    pub metric: MetricId,
    pub aggregation: Aggregation,
    /// Only this dimension value's rows.
    pub dimension: Option<String>,
    pub range: TimeRange,
    pub interval: Interval,
    pub zone: TimeZone,
    /// How far outside its band an hour must fall to count as unusual.
    pub sensitivity: Sensitivity,
}

/// The expected value and band per point of a chart, and its unusual hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// One per point of `metric::query`'s series for the same range, interval and zone.
    pub points: Vec<ExpectedPoint>,
    /// The hours of the range that fell outside their band, oldest first.
    pub unusual: Vec<UnusualHour>,
    /// When the range's last day has no model yet: how much history it had.
    pub learning: Option<Learning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedPoint {
    pub start: Timestamp,
    /// `None` when an hour of the point has no model yet (still learning) or the point has no
    /// known hour.
    pub band: Option<Band>,
    /// Whether one of its hours was unusual.
    pub unusual: bool,
}

/// One hour outside its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnusualHour {
    pub hour_ms: i64,
    pub observed: f64,
    pub band: Band,
}

/// A series still learning its rhythm: `days` of history of the `needed` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learning {
    pub days: usize,
    pub needed: usize,
}

impl std::fmt::Display for Learning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "learning: {} of {} days", self.days, self.needed)
    }
}

impl Learning {
    fn of(fit: &Fit) -> Option<Learning> {
        match fit {
            Fit::Learning { hours, needed } => Some(Learning {
                days: hours / 24,
                needed: needed.div_ceil(24),
            }),
            Fit::Ready(_) => None,
        }
    }
}

/// Fits kept between renders, per metric, aggregation, dimension value and UTC day, each valid
/// while the metric's data version is the one it was fitted at (every sync moves it, so a
/// refit reads what the sync wrote). The least recently used go past the capacity.
pub struct FitCache {
    entries: Mutex<FitEntries>,
    capacity: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FitKey {
    metric: MetricId,
    aggregation: Aggregation,
    dimension: Option<String>,
    day_ms: i64,
    version: i64,
}

#[derive(Default)]
struct FitEntries {
    map: HashMap<FitKey, (Arc<Fit>, u64)>,
    clock: u64,
}

/// Fits kept by default: a model is a few kilobytes, so about 30 MB.
pub const DEFAULT_FIT_CAPACITY: usize = 10_000;

impl Default for FitCache {
    fn default() -> Self {
        Self::new(DEFAULT_FIT_CAPACITY)
    }
}

impl std::fmt::Debug for FitCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitCache")
            .field("capacity", &self.capacity)
            .field("held", &self.len())
            .finish()
    }
}

impl FitCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// How many fits are held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FitEntries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &FitKey) -> Option<Arc<Fit>> {
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        e.map.get_mut(key).map(|(fit, used)| {
            *used = now;
            Arc::clone(fit)
        })
    }

    fn put(&self, key: FitKey, fit: Arc<Fit>) {
        let mut e = self.lock();
        e.clock += 1;
        let now = e.clock;
        // Fits of an older version of the same metric are never asked for again.
        if e.map.len() >= self.capacity {
            e.map
                .retain(|k, _| !(k.metric == key.metric && k.version < key.version));
        }
        if e.map.len() >= self.capacity {
            let mut used: Vec<u64> = e.map.values().map(|(_, u)| *u).collect();
            used.sort_unstable();
            // Drop the oldest tenth at once, so a full cache is not sorted on every put.
            let cut = used[(used.len() / 10).min(used.len() - 1)];
            e.map.retain(|_, (_, u)| *u > cut);
        }
        e.map.insert(key, (fit, now));
    }
}

fn ceil_hour(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
        + if ms.rem_euclid(HOUR_MS) == 0 {
            0
        } else {
            HOUR_MS
        }
}

/// The UTC days (their starts) whose models judge the hours of `[from_ms, to_ms)`.
fn days_of(from_ms: i64, to_ms: i64) -> Vec<i64> {
    let mut days = Vec::new();
    let mut d = model_day(from_ms);
    while d < to_ms {
        days.push(d);
        d += DAY_MS;
    }
    days
}

/// The expected value and band of every point of a chart of `q`, and which hours broke it, at
/// `now_ms`: each hour is judged by the model of its UTC day, fitted on the weeks before that
/// day (as an "unusual" alert judges it), the hour still running is not judged, and hours not
/// synced count for neither. Fitting runs on `pool`; fits are kept in `cache`.
pub async fn expected<S: Store>(
    store: &S,
    cache: &Arc<FitCache>,
    pool: &dyn Pool,
    q: &BandQuery,
    now_ms: i64,
) -> AppResult<Result<Expected, NoBand>> {
    if let Err(no) = band_for(q.aggregation) {
        return Ok(Err(no));
    }
    let shape = metric::Query {
        range: q.range,
        interval: q.interval,
        aggregation: q.aggregation,
        zone: q.zone.clone(),
        top: 0,
    };
    let starts: Vec<i64> = metric::query(&[], &shape)
        .map_err(|e| AppError::invalid("range", e.to_string()))?
        .series
        .iter()
        .map(|p| p.start.as_millisecond())
        .collect();
    // A range holds the hours that start inside it.
    let from_ms = ceil_hour(q.range.start.as_millisecond());
    let now_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS;
    // The hour still running is not over, so neither judged nor counted.
    let to_ms = ceil_hour(q.range.end.as_millisecond())
        .min(now_hour)
        .max(from_ms);
    let version = store
        .data_versions(&[q.metric])
        .await?
        .get(&q.metric)
        .copied()
        .ok_or_else(|| AppError::NotFound(format!("metric {} does not exist", q.metric.0)))?;
    let days = days_of(from_ms, to_ms);
    // An average is weighted by the expected row counts of its hours.
    let aggregations: Vec<Aggregation> = if q.aggregation == Aggregation::Average {
        vec![Aggregation::Average, Aggregation::Count]
    } else {
        vec![q.aggregation]
    };
    let (metric, dimension) = (q.metric, q.dimension.clone());
    let key = move |aggregation: Aggregation, day_ms: i64| FitKey {
        metric,
        aggregation,
        dimension: dimension.clone(),
        day_ms,
        version,
    };
    let mut cached: HashMap<(Aggregation, i64), Arc<Fit>> = HashMap::new();
    let mut first_missing: Option<i64> = None;
    for &a in &aggregations {
        for &d in &days {
            match cache.get(&key(a, d)) {
                Some(f) => {
                    cached.insert((a, d), f);
                }
                None => first_missing = Some(first_missing.map_or(d, |m: i64| m.min(d))),
            }
        }
    }
    // The training weeks are read only when a day's fit is not kept.
    let read_from = first_missing.map_or(from_ms, |d| (d - TRAINING_DAYS * DAY_MS).min(from_ms));
    let (rows, known) = read_hours(store, q.metric, read_from, to_ms).await?;
    let q = q.clone();
    let cache = Arc::clone(cache);
    let key_on_pool = key.clone();
    let out = on_pool(pool, "fitting the expected band", move || {
        let series_of = |a: Aggregation| {
            Series::hourly(&rows, q.dimension.as_deref(), a, read_from, to_ms, known)
        };
        let mut fits: HashMap<(Aggregation, i64), Arc<Fit>> = cached;
        for &a in &aggregations {
            let mut series: Option<Series> = None;
            for &d in &days {
                if fits.contains_key(&(a, d)) {
                    continue;
                }
                let s = series.get_or_insert_with(|| series_of(a));
                let f = Arc::new(fit(s, d));
                cache.put(key_on_pool(a, d), Arc::clone(&f));
                fits.insert((a, d), f);
            }
        }
        let observed = series_of(q.aggregation);
        let counts =
            (q.aggregation == Aggregation::Average).then(|| fits_of(&fits, Aggregation::Count));
        judge(
            &starts,
            from_ms,
            to_ms,
            &observed,
            &fits_of(&fits, q.aggregation),
            counts.as_ref(),
            q.aggregation,
            q.sensitivity,
            days.last()
                .and_then(|d| fits.get(&(q.aggregation, *d)))
                .and_then(|f| Learning::of(f)),
        )
    })
    .await?;
    Ok(Ok(out))
}

fn fits_of(fits: &HashMap<(Aggregation, i64), Arc<Fit>>, a: Aggregation) -> HashMap<i64, Arc<Fit>> {
    fits.iter()
        .filter(|((b, _), _)| *b == a)
        .map(|((_, d), f)| (*d, Arc::clone(f)))
        .collect()
}

/// One point's running sums while its hours are judged.
#[derive(Default, Clone, Copy)]
struct Acc {
    expected: f64,
    variance: f64,
    weight: f64,
    hours: usize,
    learning: bool,
    unusual: bool,
    counts: bool,
}

/// The pure part of [`expected`]: every hour of `[from_ms, to_ms)` judged by its day's model
/// and folded into the point holding it.
#[allow(clippy::too_many_arguments)]
fn judge(
    starts: &[i64],
    from_ms: i64,
    to_ms: i64,
    observed: &Series,
    fits: &HashMap<i64, Arc<Fit>>,
    counts: Option<&HashMap<i64, Arc<Fit>>>,
    aggregation: Aggregation,
    sensitivity: Sensitivity,
    learning: Option<Learning>,
) -> Expected {
    let width = sensitivity.width();
    let mut acc = vec![Acc::default(); starts.len()];
    let mut unusual = Vec::new();
    let mut hour = from_ms;
    while hour < to_ms {
        let i = starts.partition_point(|&s| s <= hour);
        let (Some(point), Some(value)) = (
            i.checked_sub(1).and_then(|i| acc.get_mut(i)),
            observed.at(hour),
        ) else {
            hour += HOUR_MS;
            continue;
        };
        let day = model_day(hour);
        let Some(Fit::Ready(model)) = fits.get(&day).map(|f| f.as_ref()) else {
            point.learning = true;
            hour += HOUR_MS;
            continue;
        };
        let e = model.expected(hour);
        let spread = model.spread(e);
        // The same judgement an "unusual" alert makes of this hour once it is over. A longer
        // window keeps firing for a few hours after a sharp spike, so an hour is marked only
        // when it deviates itself, by a spread at least, the way the window does; it is shown
        // against its own band.
        if let Some(v) = detect(
            model,
            observed,
            hour + HOUR_MS,
            sensitivity,
            Direction::Either,
        ) && v.anomalous
            && (value - e) / spread * v.score.signum() >= 1.0
        {
            point.unusual = true;
            unusual.push(UnusualHour {
                hour_ms: hour,
                observed: value,
                band: model.band(hour, width),
            });
        }
        let w = match counts.and_then(|c| c.get(&day)).map(|f| f.as_ref()) {
            Some(Fit::Ready(m)) => m.expected(hour).max(0.0),
            _ => 1.0,
        };
        point.expected += w * e;
        point.variance += (w * spread).powi(2);
        point.weight += w;
        point.hours += 1;
        point.counts |= model.counts;
        hour += HOUR_MS;
    }
    let points = starts
        .iter()
        .zip(acc)
        .map(|(&start, a)| {
            // An average over hours expected to hold no row has nothing to weigh.
            let weighed = aggregation != Aggregation::Average || a.weight > 0.0;
            let band = (a.hours > 0 && !a.learning && weighed).then(|| {
                let (expected, half) = match aggregation {
                    Aggregation::Average => {
                        (a.expected / a.weight, width * a.variance.sqrt() / a.weight)
                    }
                    _ => (a.expected, width * a.variance.sqrt()),
                };
                let lower = expected - half;
                Band {
                    expected,
                    lower: if a.counts { lower.max(0.0) } else { lower },
                    upper: expected + half,
                }
            });
            ExpectedPoint {
                start: Timestamp::from_millisecond(start).unwrap_or_default(),
                band,
                unusual: a.unusual,
            }
        })
        .collect();
    Expected {
        points,
        unusual,
        learning,
    }
}

/// The dimension values that explain an unusual hour, largest share first: for each of the
/// metric's `top` dimension values (by rows over the weeks before the hour), its observed value
/// against its own model's expected value for that hour. Only sums and counts add up over
/// dimension values, so other aggregations get no explanation.
pub async fn explain_hour<S: Store>(
    store: &S,
    cache: &Arc<FitCache>,
    pool: &dyn Pool,
    metric: MetricId,
    aggregation: Aggregation,
    hour_ms: i64,
    top: usize,
) -> AppResult<Vec<Contribution>> {
    if !matches!(aggregation, Aggregation::Sum | Aggregation::Count) || top == 0 {
        return Ok(Vec::new());
    }
    let hour_ms = hour_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let day = model_day(hour_ms);
    let from_ms = day - TRAINING_DAYS * DAY_MS;
    let to_ms = hour_ms + HOUR_MS;
    let version = store
        .data_versions(&[metric])
        .await?
        .get(&metric)
        .copied()
        .ok_or_else(|| AppError::NotFound(format!("metric {} does not exist", metric.0)))?;
    let (rows, known) = read_hours(store, metric, from_ms, to_ms).await?;
    let cache = Arc::clone(cache);
    on_pool(pool, "explaining an unusual hour", move || {
        let parts: Vec<(String, f64, f64)> = top_dimensions(&rows, top)
            .into_iter()
            .filter_map(|d| {
                let series = Series::hourly(&rows, Some(d), aggregation, from_ms, to_ms, known);
                let key = FitKey {
                    metric,
                    aggregation,
                    dimension: Some(d.to_owned()),
                    day_ms: day,
                    version,
                };
                let f = cache.get(&key).unwrap_or_else(|| {
                    let f = Arc::new(fit(&series, day));
                    cache.put(key, Arc::clone(&f));
                    f
                });
                let Fit::Ready(model) = f.as_ref() else {
                    return None;
                };
                Some((d.to_owned(), series.at(hour_ms)?, model.expected(hour_ms)))
            })
            .collect();
        ::seasonal::why::explain(&parts)
    })
    .await
}

/// A contribution in words: `“30007” explains 92 %`.
pub fn contribution_words(c: &Contribution) -> String {
    format!("“{}” explains {:.0} %", c.dimension, c.share * 100.0)
}

/// How many days of history a series needs before it has a band.
pub fn needed_days() -> usize {
    MIN_HISTORY_HOURS.div_ceil(24)
}
