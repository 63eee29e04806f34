//! What the Metrics screen and the API say about a metric: its value over a named range
//! (Last 7 days unless asked otherwise), the change against the period before, a sparkline, and
//! how fresh its data is. The range resolves through `metric::range`, as on boards, so "Last 7
//! days" is the same seven whole days on every screen.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{
    Aggregation, CompareTo, HourBucket, LastUnit, MetricDefinition, NamedRange, Query, TimeRange,
    Verdict,
};
use serde::Serialize;
use store::{AnyStore, RunStatus, Store, StoredMetric};

use crate::error::WebError;

pub use domain::HOUR_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// The range the Metrics screen and the API show unless asked for another.
pub const DEFAULT_RANGE: NamedRange = NamedRange::LastN(7, LastUnit::Days);

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
    /// The sparkline's points: one per interval of the range (whole days for ranges of days),
    /// no value where nothing has synced.
    pub daily: Vec<Option<f64>>,
    /// Per point of `daily`, whether its interval is only partly known (still running).
    pub partial: Vec<bool>,
    /// Whether any hour of the range has synced: without, the value is "no data", not a zero.
    pub has_data: bool,
    /// Whether the range holds real-time values no poll has confirmed yet.
    pub provisional: bool,
    pub sync: SyncState,
    /// Why the definition does not read, when it does not.
    pub definition_error: Option<String>,
    pub unit: Option<metric::definition::Unit>,
    pub decimals: Option<u8>,
    pub currency: Option<String>,
}

/// The `?range=` of the Metrics screen and the metrics API: a named range's text form
/// (`last_7_days`, `month_to_date`, `since:2026-01-01`...).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RangeParam {
    #[serde(default)]
    pub range: Option<String>,
}

impl RangeParam {
    /// The range asked for, [`DEFAULT_RANGE`] when none is.
    pub fn named(&self) -> Result<NamedRange, WebError> {
        match self
            .range
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => Ok(DEFAULT_RANGE),
            Some(r) => r
                .parse()
                .map_err(|e: metric::RangeError| WebError::invalid("range", e.to_string())),
        }
    }
}

/// A metric over `range` (in UTC, compared with the previous period) at `now`.
pub async fn summarize(
    store: &AnyStore,
    m: &StoredMetric,
    now: Timestamp,
    range: NamedRange,
) -> Result<MetricSummary, WebError> {
    let now_ms = now.as_millisecond();
    let zone = TimeZone::UTC;
    let resolved = range
        .resolve_with(CompareTo::PreviousPeriod, now, &zone)
        .map_err(|e| WebError::invalid("range", e.to_string()))?;
    let current = resolved.current;
    let previous = resolved.previous.unwrap_or(current);
    let from_ms = current.start.as_millisecond();
    let to_ms = current.end.as_millisecond();
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
        partial: Vec::new(),
        has_data: false,
        provisional: false,
        sync: sync_state(&runs, m.sync_interval_s, now_ms),
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
    // Whole hours around both ranges (one ending at now includes the running hour).
    let lo = previous.start.min(current.start).as_millisecond();
    let hi = previous.end.max(current.end).as_millisecond();
    let hi = (hi + HOUR_MS - 1).div_euclid(HOUR_MS) * HOUR_MS;
    let buckets: Vec<HourBucket> = metric_sync::buckets(store, m.id, lo, hi).await?;
    let (known, live) = known_and_live(store, m, now).await?;
    let known = known.as_ref();
    out.provisional = app::realtime_settings::shows_provisional(live, from_ms, to_ms);
    let value = metric::coverage::known_total(
        metric::aggregate::total(&buckets, &current, d.aggregation),
        &current,
        known,
    );
    let before = resolved.previous.and_then(|p| {
        metric::coverage::known_total(
            metric::aggregate::total(&buckets, &p, d.aggregation),
            &p,
            known,
        )
    });
    let change = metric::change(value, before, d.favourable);
    out.has_data = metric::coverage::has_data(&current, known);
    out.value = value;
    out.previous = before;
    out.change_percent = change.percent;
    out.verdict = change.verdict;
    let interval =
        crate::features::boards::compute::bounded_interval(range.natural_interval(), &current)
            .map_err(|e| WebError::invalid("range", e))?;
    let q = Query {
        range: current,
        interval,
        aggregation: d.aggregation,
        zone,
        top: 0,
    };
    let mut series = metric::query(&buckets, &q).map_err(internal)?;
    let coverage = metric::coverage::apply(&mut series, &q, known, now).map_err(internal)?;
    out.daily = series.series.iter().map(|p| p.value).collect();
    out.partial = coverage
        .iter()
        .map(|c| *c == metric::Coverage::Partial)
        .collect();
    Ok(out)
}

/// The hours of the metric known at `now`: its good syncs' span with its real-time
/// (provisional) hours, cut at now.
pub async fn known_of(
    store: &AnyStore,
    m: &StoredMetric,
    now: Timestamp,
) -> Result<Option<TimeRange>, WebError> {
    Ok(known_and_live(store, m, now).await?.0)
}

/// [`known_of`], and the metric's provisional span `[first hour, last hour + 1 h)` if any.
async fn known_and_live(
    store: &AnyStore,
    m: &StoredMetric,
    now: Timestamp,
) -> Result<(Option<TimeRange>, Option<(i64, i64)>), WebError> {
    let spans = store.synced_spans(&[m.id]).await?;
    let live = store::LiveStore::live_spans(store, &[m.id])
        .await?
        .get(&m.id)
        .copied();
    let span = app::realtime_settings::with_live(spans.get(&m.id).copied(), live);
    let synced = span.and_then(|(from, to)| {
        let at = |ms| Timestamp::from_millisecond(ms).ok();
        TimeRange::new(at(from)?, at(to)?).ok()
    });
    Ok((metric::known_span(synced, now), live))
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

/// Reads the sync state from the newest runs (newest first); stale is judged by the metric's
/// own interval (`interval_s`, the stored one, `None` for the default).
pub fn sync_state(runs: &[store::SyncRun], interval_s: Option<i64>, now_ms: i64) -> SyncState {
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
    let interval = metric_sync::interval_or(interval_s, metric_sync::DEFAULT_INTERVAL);
    let state = match metric_sync::freshness(runs, interval, now_ms) {
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

/// The values as the one sparkline, in the page's chart colours (no axes: the row says what it
/// is). Missing days break the line; partial ones are drawn lighter, not as a dip.
pub fn sparkline(values: &[Option<f64>], partial: &[bool]) -> String {
    charts::sparkline_marked(values, partial, 120, 32, charts::Theme::Css)
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
            partial: Vec::new(),
            has_data: true,
            provisional: false,
            sync: sync_state(&[], None, 0),
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
        let svg = sparkline(&[Some(1.0), None, Some(3.0), Some(2.0)], &[]);
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains('L'));
    }
}
