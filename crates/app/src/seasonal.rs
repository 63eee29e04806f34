//! The seasonal models of stored series: the one place that reads a metric's buckets for the
//! `seasonal` crate, so alerts, the metric page, boards, goals and forecasts judge a series by
//! the same model.

use ::seasonal::{DAY_MS, Fit, HOUR_MS, Model, Series, TRAINING_DAYS, fit, model_day};
use metric::Aggregation;
use metric_sync::buckets;
use store::{MetricId, Store, StoreError};

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
    let rows = buckets(store, metric, from_ms, to_ms).await?;
    let known = store
        .synced_spans(&[metric])
        .await?
        .get(&metric)
        .map(|&(s, e)| (s, e.min(to_ms)));
    let one = |d: Option<&str>| Series::hourly(&rows, d, aggregation, from_ms, to_ms, known);
    let total = one(dimension);
    let dimensions = if dimension.is_some() || top == 0 {
        Vec::new()
    } else {
        let mut sizes: std::collections::BTreeMap<&str, f64> = Default::default();
        for b in &rows {
            if let Some(d) = b.dimension.as_deref() {
                *sizes.entry(d).or_default() += b.count as f64;
            }
        }
        let mut ranked: Vec<(&str, f64)> = sizes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(top);
        ranked
            .into_iter()
            .map(|(d, _)| (d.to_owned(), one(Some(d))))
            .collect()
    };
    Ok(MetricSeries { total, dimensions })
}
