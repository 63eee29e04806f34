//! "Unusual" alerts over stored hours: an alert's judgement now and its back-test, both reading
//! the metric through [`crate::seasonal::series`] and judging through `watch::unusual`, so the
//! two agree on every instant. Fits are kept per process (see [`FitCache`]).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use ::seasonal::why::Contribution;
use ::seasonal::{DAY_MS, Direction, Fit, Series, TRAINING_DAYS, fit};
use jiff::{SignedDuration, Timestamp};
use metric::bucket::hour_floor;
use store::{MetricId, Store, StoreError};
use watch::UnusualRule;
use watch::unusual::{Judgement, UnusualBacktest, judge, judging_day, why};

use crate::seasonal::{MetricSeries, series};

/// How many of a metric's largest dimension values the "why" weighs.
pub const WHY_TOP: usize = 8;
/// A back-test with no span given covers this many days up to the latest stored hour.
pub const BACKTEST_DAYS: i64 = 30;

/// What a fit depends on: its UTC day and the hours of the training weeks before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FitKey {
    day_ms: i64,
    /// A 64-bit hash of the training hours' values (unknown ones included as unknown).
    training: u64,
}

impl FitKey {
    fn of(series: &Series, day_ms: i64) -> FitKey {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for v in &series.slice(day_ms - TRAINING_DAYS * DAY_MS, day_ms).values {
            v.map(f64::to_bits).hash(&mut h);
        }
        FitKey {
            day_ms,
            training: h.finish(),
        }
    }
}

/// The fits of this process, keyed by what they are fitted on (the day and its training
/// hours), so a series is fitted at most once a day and again only when a sync changed an hour
/// it is trained on: the "refit after each sync", without trusting a metric id or data
/// version that another store in the same process (tests) could share. Hashing the hours costs
/// a fraction of a fit; the whole cache is dropped when it grows past [`FitCache::MAX`].
struct FitCache(Mutex<HashMap<FitKey, Fit>>);

impl FitCache {
    const MAX: usize = 20_000;

    fn get_or_fit(&self, series: &Series, day_ms: i64) -> Fit {
        let key = FitKey::of(series, day_ms);
        if let Some(f) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return f;
        }
        let f = fit(series, day_ms);
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= Self::MAX {
                m.clear();
            }
            m.insert(key, f.clone());
        }
        f
    }
}

static FITS: LazyLock<FitCache> = LazyLock::new(|| FitCache(Mutex::new(HashMap::new())));

/// An unusual alert's rule judged at one instant, with the why of a breach.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusualNow {
    pub judgement: Judgement,
    /// The dimension values behind a breach, largest share first; empty when nothing breached
    /// or the rule watches one dimension value.
    pub why: Vec<Contribution>,
}

/// Judges `rule` on `metric`'s stored hours at `now_ms`: the last complete hour against the
/// model of its UTC day.
pub async fn judge_now<S: Store>(
    store: &S,
    metric: MetricId,
    rule: &UnusualRule,
    direction: Direction,
    now_ms: i64,
) -> Result<UnusualNow, StoreError> {
    let day = judging_day(now_ms);
    let read = rule_series(store, metric, rule, WHY_TOP, now_ms, now_ms).await?;
    let total = FITS.get_or_fit(&read.total, day);
    let judgement = judge(&total, &read.total, now_ms, rule.sensitivity, direction);
    let why = match judgement.verdict().filter(|v| v.anomalous) {
        Some(v) => {
            let fits: Vec<Fit> = read
                .dimensions
                .iter()
                .map(|(_, s)| FITS.get_or_fit(s, day))
                .collect();
            why(
                read.dimensions
                    .iter()
                    .zip(&fits)
                    .map(|((d, s), f)| (d.as_str(), f, s)),
                v.from_ms,
                v.to_ms,
            )
        }
        None => Vec::new(),
    };
    Ok(UnusualNow { judgement, why })
}

/// Whether `rule`'s series is still learning at `now_ms`: `(hours known, hours needed)`.
pub async fn learning<S: Store>(
    store: &S,
    metric: MetricId,
    rule: &UnusualRule,
    now_ms: i64,
) -> Result<Option<(usize, usize)>, StoreError> {
    let day = judging_day(now_ms);
    let read = rule_series(store, metric, rule, 0, now_ms, now_ms).await?;
    Ok(match FITS.get_or_fit(&read.total, day) {
        Fit::Learning { hours, needed } => Some((hours, needed)),
        Fit::Ready(_) => None,
    })
}

/// What went wrong back-testing.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] watch::WatchError),
}

/// How `rule` would have fired on `metric` evaluated every hour over `[from, to]`; by default
/// `to` is the end of the latest stored hour (or `now_ms` with none) and `from`
/// [`BACKTEST_DAYS`] before it.
pub async fn backtest<S: Store>(
    store: &S,
    metric: MetricId,
    rule: &UnusualRule,
    direction: Direction,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now_ms: i64,
) -> Result<UnusualBacktest, BacktestError> {
    let to = match to {
        Some(t) => t,
        None => {
            let latest = crate::evaluate::buckets(store, metric, i64::MIN / 2, i64::MAX / 2)
                .await?
                .iter()
                .map(|b| b.hour + ::seasonal::HOUR_MS)
                .max()
                .unwrap_or(now_ms);
            instant(latest)?
        }
    };
    let from = match from {
        Some(f) => f,
        None => to
            .checked_sub(SignedDuration::from_hours(24 * BACKTEST_DAYS))
            .unwrap_or(to),
    };
    if to < from {
        return Err(
            watch::WatchError::Invalid("a back-test must end after it starts".into()).into(),
        );
    }
    // Refused before reading: the span decides how many hours are read and fitted.
    let hours = (to.as_millisecond() - from.as_millisecond()) / ::seasonal::HOUR_MS;
    if hours > watch::alert::MAX_BACKTEST_STEPS {
        return Err(watch::WatchError::Invalid(format!(
            "a back-test runs at most {} evaluations; pick a shorter span",
            watch::alert::MAX_BACKTEST_STEPS
        ))
        .into());
    }
    let read = rule_series(
        store,
        metric,
        rule,
        WHY_TOP,
        from.as_millisecond(),
        to.as_millisecond(),
    )
    .await?;
    Ok(watch::unusual::backtest(
        rule,
        direction,
        &read.total,
        &read.dimensions,
        from,
        to,
        SignedDuration::from_hours(1),
    )?)
}

/// `rule`'s series (with up to `top` dimension values) for judging every hour from `from_ms` to
/// `to_ms`: from the training weeks before the day judged at `from_ms` up to the hour of `to_ms`,
/// so the judgement now, the learning state and the back-test read the same hours.
async fn rule_series<S: Store>(
    store: &S,
    metric: MetricId,
    rule: &UnusualRule,
    top: usize,
    from_ms: i64,
    to_ms: i64,
) -> Result<MetricSeries, StoreError> {
    series(
        store,
        metric,
        rule.aggregation,
        rule.dimension.as_deref(),
        top,
        judging_day(from_ms) - TRAINING_DAYS * DAY_MS,
        hour_floor(to_ms),
    )
    .await
}

fn instant(ms: i64) -> Result<Timestamp, watch::WatchError> {
    Timestamp::from_millisecond(ms)
        .map_err(|_| watch::WatchError::OutOfRange { what: "an instant" })
}
