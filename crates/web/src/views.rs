//! What the Metrics screen and the API say about a metric: its value over the last seven days,
//! the change against the seven days before, a daily sparkline, and how fresh its data is.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{Aggregation, HourBucket, Interval, MetricDefinition, Query, TimeRange, Verdict};
use serde::Serialize;
use store::{AnyStore, RunStatus, Store, StoredMetric};

use crate::error::WebError;

pub use domain::HOUR_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// The period the Metrics screen shows.
pub const PERIOD_DAYS: i64 = 7;

pub use metric_sync::to_hour_bucket as hour_bucket;

/// The sync state shown beside a metric.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SyncState {
    /// `never`, `syncing`, `fresh`, `partial`, `stale` or `failed`.
    pub state: &'static str,
    pub reason: Option<String>,
    pub last_sync_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricSummary {
    pub id: i64,
    pub name: String,
    pub summary: Option<String>,
    pub connection_id: Option<i64>,
    pub version: i64,
    pub aggregation: Option<Aggregation>,
    /// The period `[from, to)` the value covers (epoch ms, whole UTC hours).
    pub from_ms: i64,
    pub to_ms: i64,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub change_percent: Option<f64>,
    /// `good`, `bad`, `unchanged` or `unknown`, by the metric's favourable trend.
    pub verdict: Verdict,
    pub daily: Vec<Option<f64>>,
    pub sync: SyncState,
    /// Why the definition does not read, when it does not.
    pub definition_error: Option<String>,
    pub unit: Option<metric::definition::Unit>,
    pub decimals: Option<u8>,
    pub currency: Option<String>,
}

pub async fn summarize(
    store: &AnyStore,
    m: &StoredMetric,
    now: Timestamp,
) -> Result<MetricSummary, WebError> {
    let now_ms = now.as_millisecond();
    let to_ms = (now_ms + HOUR_MS - 1).div_euclid(HOUR_MS) * HOUR_MS;
    let from_ms = to_ms - PERIOD_DAYS * DAY_MS;
    let prev_ms = from_ms - PERIOD_DAYS * DAY_MS;
    let runs = store.sync_runs(Some(m.id), 10).await?;
    let definition = MetricDefinition::from_json(&m.definition);
    let mut out = MetricSummary {
        id: m.id.0,
        name: m.name.clone(),
        summary: None,
        connection_id: m.connection_id.map(|c| c.0),
        version: m.version,
        aggregation: None,
        from_ms,
        to_ms,
        value: None,
        previous: None,
        change_percent: None,
        verdict: Verdict::Unknown,
        daily: Vec::new(),
        sync: sync_state(&runs, now_ms),
        definition_error: None,
        unit: None,
        decimals: None,
        currency: None,
    };
    let definition = match definition {
        Ok(d) => d,
        Err(e) => {
            out.definition_error = Some(e.to_string());
            return Ok(out);
        }
    };
    let d = &definition.description;
    out.summary = d.summary.clone();
    out.aggregation = Some(d.aggregation);
    out.unit = Some(d.format.unit);
    out.decimals = d.format.decimals;
    out.currency = d.format.currency.clone();
    let buckets: Vec<HourBucket> = metric_sync::buckets(store, m.id, prev_ms, to_ms).await?;
    let ts =
        |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| WebError::Internal(e.to_string()));
    let current = TimeRange::new(ts(from_ms)?, ts(to_ms)?).map_err(internal)?;
    let previous = TimeRange::new(ts(prev_ms)?, ts(from_ms)?).map_err(internal)?;
    let value = metric::aggregate::total(&buckets, &current, d.aggregation);
    let before = metric::aggregate::total(&buckets, &previous, d.aggregation);
    let change = metric::change(value, before, d.favourable);
    out.value = value;
    out.previous = before;
    out.change_percent = change.percent;
    out.verdict = change.verdict;
    let series = metric::query(
        &buckets,
        &Query {
            range: current,
            interval: Interval::Day,
            aggregation: d.aggregation,
            zone: TimeZone::UTC,
            top: 0,
        },
    )
    .map_err(internal)?;
    out.daily = series.series.iter().map(|p| p.value).collect();
    Ok(out)
}

impl MetricSummary {
    /// How the metric's values print (a plain count when its definition does not read).
    pub fn number_format(&self) -> metric::definition::NumberFormat {
        metric::definition::NumberFormat {
            unit: self.unit.unwrap_or(metric::definition::Unit::Count),
            currency: self.currency.clone(),
            decimals: self.decimals,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> WebError {
    WebError::Internal(e.to_string())
}

/// Reads the sync state from the newest runs (newest first).
pub fn sync_state(runs: &[store::SyncRun], now_ms: i64) -> SyncState {
    let last_sync_ms = runs
        .iter()
        .find(|r| r.status != RunStatus::Running)
        .and_then(|r| r.finished_ms);
    if runs.first().is_some_and(|r| r.status == RunStatus::Running) {
        return SyncState {
            state: "syncing",
            reason: None,
            last_sync_ms,
        };
    }
    if let Some(latest) = runs.first()
        && latest.status == RunStatus::Failed
    {
        return SyncState {
            state: "failed",
            reason: Some(
                latest
                    .error
                    .clone()
                    .unwrap_or_else(|| "the sync failed without a reason".to_owned()),
            ),
            last_sync_ms,
        };
    }
    let state = match metric_sync::freshness(runs, metric_sync::DEFAULT_INTERVAL, now_ms) {
        metric_sync::Freshness::Never => "never",
        metric_sync::Freshness::Fresh => "fresh",
        metric_sync::Freshness::Partial => "partial",
        metric_sync::Freshness::Stale => "stale",
    };
    let reason = match state {
        "partial" => Some(
            "some hours hit Twilio's page limit or had unreadable rows; see the ledger".to_owned(),
        ),
        "stale" => Some("no good sync within two sync intervals".to_owned()),
        _ => None,
    };
    SyncState {
        state,
        reason,
        last_sync_ms,
    }
}

/// The daily values as the one sparkline, in the page's chart colours (no axes: the row says
/// what it is). Missing days break the line.
pub fn sparkline(values: &[Option<f64>]) -> String {
    charts::sparkline(values, 120, 32, charts::Theme::Css)
}

/// `2026-11-20 10:30 UTC`.
pub fn when(ms: Option<i64>) -> String {
    match ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        None => "never".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Metrics screen and the evaluator's messages read a metric's format the same way and
    /// print it through the one formatter: the same value, the same text.
    #[test]
    fn the_metrics_screen_prints_a_value_as_the_messages_do() {
        let definition = r#"{"version":1,"connection":"twilio",
            "request":{"host":"api.twilio.com","path":"/2010-04-01/Accounts/{AccountSid}/Balance.json","params":[]},
            "extraction":{"expression":"{\"value\": balance, \"date\": $sync_time}"},
            "description":{"name":"Account balance","aggregation":"latest","favourable":"up",
                "format":{"unit":"currency","currency":"EUR"},"interval":"day"}}"#;
        let d = MetricDefinition::from_json(definition).unwrap().description;
        let summary = MetricSummary {
            id: 1,
            name: d.name.clone(),
            summary: None,
            connection_id: None,
            version: 1,
            aggregation: Some(d.aggregation),
            from_ms: 0,
            to_ms: 0,
            value: Some(-1234.5),
            previous: None,
            change_percent: None,
            verdict: Verdict::Unknown,
            daily: Vec::new(),
            sync: sync_state(&[], 0),
            definition_error: None,
            unit: Some(d.format.unit),
            decimals: d.format.decimals,
            currency: d.format.currency.clone(),
        };
        let messages = app::evaluate::number_format(definition);
        assert_eq!(summary.number_format(), messages);
        let screen = charts::format_full(summary.value, &summary.number_format());
        assert_eq!(screen, "-€1,234.50");
        assert_eq!(charts::format_full(summary.value, &messages), screen);
    }

    #[test]
    fn a_sparkline_breaks_where_a_day_has_no_value() {
        let svg = sparkline(&[Some(1.0), None, Some(3.0), Some(2.0)]);
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains('L'));
    }
}
