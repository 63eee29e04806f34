//! The Metrics screen and a metric's runs, export, sync, duplicate and delete buttons.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use store::{MetricId, Store};

use crate::auth::Caller;
use crate::error::WebError;
use crate::state::AppState;
use crate::views::{self, sparkline, when};

use crate::pages::*;

// ---------------------------------------------------------------- Metrics screen

struct MetricRow {
    id: i64,
    name: String,
    summary: Option<String>,
    from_ms: i64,
    to_ms: i64,
    value: String,
    raw_value: String,
    change: String,
    verdict: &'static str,
    spark: String,
    state: &'static str,
    reason: Option<String>,
    last_sync: String,
    /// "every hour", "every 15 minutes".
    every: String,
    /// The value holds real-time values no poll has confirmed yet.
    provisional: bool,
}

#[derive(Template)]
#[template(path = "metrics.html")]
struct MetricsPage {
    frame: PageFrame,
    period: String,
    /// The range picker: the presets, the one shown selected.
    ranges: Vec<RangeChoice>,
    range_label: String,
    rows: Vec<MetricRow>,
}

struct RangeChoice {
    value: String,
    label: String,
    selected: bool,
}

pub(super) fn verdict_class(v: metric::Verdict) -> &'static str {
    match v {
        metric::Verdict::Good => "good",
        metric::Verdict::Bad => "bad",
        metric::Verdict::Unchanged => "unchanged",
        metric::Verdict::Unknown => "unknown",
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
    flash: Flash,
    Query(q): Query<views::RangeParam>,
) -> PageResult {
    let (flash_text, flash_kind) = flash.split();
    let now = state.clock().now();
    let range = q.named()?;
    let mut ranges: Vec<RangeChoice> = metric::NamedRange::presets()
        .into_iter()
        .map(|r| RangeChoice {
            value: r.to_string(),
            label: r.label(),
            selected: r == range,
        })
        .collect();
    if !ranges.iter().any(|r| r.selected) {
        // A since/custom range from a link: kept selectable as it was asked.
        ranges.push(RangeChoice {
            value: range.to_string(),
            label: range.label(),
            selected: true,
        });
    }
    let mut rows = Vec::new();
    let mut period = String::new();
    for m in state.app().screen_metrics().await? {
        let s = views::summarize(state.store(), &m, now, range).await?;
        period = format!(
            "{} – {}",
            views::when(Some(s.from_ms)),
            views::when(Some(s.to_ms))
        );
        let change = match (s.change_percent, s.verdict) {
            (Some(p), _) => format!("{} vs previous period", charts::format_change(p)),
            (None, metric::Verdict::Unchanged) => "no change".to_owned(),
            // From zero a relative change has no meaning; the earlier value is still known.
            (None, _) if s.previous.is_some() => format!(
                "from {} in the period before",
                charts::format_full(s.previous, &s.number_format())
            ),
            _ => "no earlier value".to_owned(),
        };
        rows.push(MetricRow {
            id: s.id,
            name: s.name.clone(),
            summary: s.definition_error.clone().or(s.summary.clone()),
            from_ms: s.from_ms,
            to_ms: s.to_ms,
            value: match s.value {
                // Nothing synced in the range: say so rather than print a zero or a dash.
                None if !s.has_data && matches!(s.sync.state, "syncing" | "never") => {
                    "no data yet".to_owned()
                }
                None if !s.has_data => "no data".to_owned(),
                v => charts::format_full(v, &s.number_format()),
            },
            raw_value: s.value.map(|v| v.to_string()).unwrap_or_default(),
            change,
            verdict: verdict_class(s.verdict),
            spark: sparkline(&s.daily, &s.partial),
            state: s.sync.state,
            reason: s.sync.reason.clone(),
            last_sync: when(s.sync.last_sync_ms),
            every: app::SyncInterval::of_stored(m.sync_interval_s).describe(),
            provisional: s.provisional,
        });
    }
    render(&MetricsPage {
        frame: PageFrame::of(&caller, "metrics").message((flash_text, flash_kind)),
        period,
        ranges,
        range_label: range.label(),
        rows,
    })
}

pub async fn metric_sync(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    state.app().enqueue_sync(m.id).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("{} will sync in a moment.", m.name),
    ))
}

pub async fn metric_duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let copy = state.app().duplicate_metric(MetricId(id)).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("Added {}: its history is backfilling now.", copy.name),
    ))
}

pub async fn metric_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    state.app().delete_metric(m.id).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("Deleted {}.", m.name),
    ))
}

#[derive(serde::Deserialize)]
pub struct IntervalForm {
    #[serde(default)]
    sync_interval: String,
}

/// The metric page's interval form: `15m`, `1h`, `default`... parsed by `app`'s one rule; a
/// refusal comes back to the page with its reason.
pub async fn metric_interval(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<IntervalForm>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let back = format!("/metrics/{id}");
    let set = match app::SyncInterval::parse(&form.sync_interval) {
        Ok(interval) => state.app().set_sync_interval(m.id, interval).await,
        Err(e) => Err(e.into()),
    };
    Ok(match set {
        Ok(saved) => {
            let interval = app::SyncInterval::of_stored(saved.sync_interval_s);
            let default = if saved.sync_interval_s.is_none() {
                " (the default)"
            } else {
                ""
            };
            with_flash(
                &back,
                true,
                &format!("{} now syncs {}{default}.", saved.name, interval.describe()),
            )
        }
        Err(e) => with_flash(&back, false, &format!("Not changed: {e}.")),
    })
}

pub async fn metric_export(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let doc: serde_json::Value = serde_json::from_str(&m.definition)
        .map_err(|e| WebError::Internal(format!("stored definition of {}: {e}", m.name)))?;
    let body = serde_json::to_string_pretty(&doc).map_err(|e| WebError::Internal(e.to_string()))?;
    let file: String = m
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.json\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub(super) struct RunRow {
    pub(super) started: String,
    pub(super) window: String,
    pub(super) status: &'static str,
    pub(super) requests: u32,
    pub(super) pages: u32,
    pub(super) rows: u64,
    pub(super) throttled: u32,
    pub(super) error: String,
}

/// The ledgers table of a metric's runs (its runs page and its metric page's tab).
pub(super) fn run_rows(runs: &[store::SyncRun]) -> Vec<RunRow> {
    runs.iter()
        .map(|r| {
            let ledger = metric_sync::RunLedger::from_json(&r.ledger).unwrap_or_default();
            RunRow {
                started: when(Some(r.started_ms)),
                window: format!("{} → {}", when(Some(r.from_ms)), when(Some(r.to_ms))),
                status: r.status.as_str(),
                requests: ledger.requests,
                pages: ledger.pages,
                rows: ledger.rows_stored,
                throttled: ledger.throttled,
                error: r.error.clone().unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    frame: PageFrame,
    name: String,
    runs: Vec<RunRow>,
}

pub async fn metric_runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let runs = run_rows(&state.store().sync_runs(Some(m.id), 50).await?);
    render(&RunsPage {
        frame: PageFrame::of(&caller, "metrics"),
        name: m.name,
        runs,
    })
}
