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

/// A value as the metric's format says: `1,234`, `$12.50`, `42.0%`, `3m 20s`.
pub fn format_value(s: &MetricSummary, value: Option<f64>) -> String {
    use metric::definition::Unit;
    let Some(v) = value else {
        return "—".to_owned();
    };
    match s.unit {
        Some(Unit::Currency) => {
            let code = s.currency.as_deref().unwrap_or("");
            let sym = if code == "USD" { "$" } else { "" };
            let text = grouped(v, s.decimals.unwrap_or(2));
            if sym.is_empty() {
                format!("{text} {code}")
            } else {
                format!("{sym}{text}")
            }
        }
        Some(Unit::Percent) => format!("{}%", grouped(v, s.decimals.unwrap_or(1))),
        Some(Unit::Seconds) => {
            let secs = v.round() as i64;
            if secs >= 3600 {
                format!("{}h {}m", secs / 3600, (secs % 3600) / 60)
            } else if secs >= 60 {
                format!("{}m {}s", secs / 60, secs % 60)
            } else {
                format!("{secs}s")
            }
        }
        _ => grouped(
            v,
            s.decimals.unwrap_or(if v.fract() == 0.0 { 0 } else { 2 }),
        ),
    }
}

/// `1234567.891` with 2 decimals → `1,234,567.89`.
pub fn grouped(v: f64, decimals: u8) -> String {
    let text = format!("{:.*}", usize::from(decimals), v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text, None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// A small inline SVG line of the daily values (no axes: the row says what it is). Missing
/// days break the line.
pub fn sparkline(values: &[Option<f64>]) -> String {
    const W: f64 = 120.0;
    const H: f64 = 32.0;
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    if known.is_empty() || values.len() < 2 {
        return format!(
            "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"no data yet\"><line x1=\"0\" y1=\"{y}\" x2=\"{W}\" y2=\"{y}\" class=\"spark-empty\"/></svg>",
            y = H - 2.0
        );
    }
    let lo = known.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = W / (values.len() - 1) as f64;
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = i as f64 * step;
                let y = H - 3.0 - (v - lo) / span * (H - 6.0);
                path.push_str(&format!(
                    "{}{x:.1},{y:.1} ",
                    if pen_down { "L" } else { "M" }
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"daily values over the last {n} days\"><path d=\"{}\"/></svg>",
        path.trim_end(),
        n = values.len()
    )
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

    #[test]
    fn grouping_puts_commas_every_three_digits() {
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-1000.0, 0), "-1,000");
    }

    #[test]
    fn a_sparkline_breaks_where_a_day_has_no_value() {
        let svg = sparkline(&[Some(1.0), None, Some(3.0), Some(2.0)]);
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains('L'));
    }
}
