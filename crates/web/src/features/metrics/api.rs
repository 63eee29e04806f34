//! The metric JSON API: list, read, preview, create, change, remove, duplicate, sync, runs, data.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jiff::Timestamp;
use metric::{Interval, MetricDefinition, TimeRange};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{BucketQuery, MetricId, Store};

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::error::{JsonBody, WebError};
use crate::state::AppState;
use crate::views::{self, hour_bucket};

#[derive(Serialize)]
pub(crate) struct MetricOut {
    id: i64,
    name: String,
    connection_id: Option<i64>,
    version: i64,
    used_by: Vec<String>,
    definition: Value,
    /// How often it syncs, in the text form `PATCH` takes (`15m`, `1h`, `1d`).
    sync_interval: String,
    sync_interval_seconds: i64,
    /// Whether that is the default (the metric has no interval of its own).
    sync_interval_default: bool,
    /// In words: "every 15 minutes".
    sync_interval_text: String,
}

pub(crate) fn metric_out(m: &store::StoredMetric) -> MetricOut {
    let interval = app::SyncInterval::of_stored(m.sync_interval_s);
    MetricOut {
        id: m.id.0,
        name: m.name.clone(),
        connection_id: m.connection_id.map(|c| c.0),
        version: m.version,
        used_by: m.used_by.clone(),
        definition: serde_json::from_str(&m.definition).unwrap_or(Value::Null),
        sync_interval: interval.to_string(),
        sync_interval_seconds: interval.seconds(),
        sync_interval_default: m.sync_interval_s.is_none(),
        sync_interval_text: interval.describe(),
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    _caller: Caller,
    Query(q): Query<views::RangeParam>,
) -> ApiResult {
    let now = state.clock().now();
    let range = q.named()?;
    let mut out = Vec::new();
    for m in state.store().list_metrics().await? {
        let summary = views::summarize(state.store(), &m, now, range).await?;
        out.push(json!({ "metric": metric_out(&m), "summary": summary }));
    }
    Ok(Json(json!({ "metrics": out })).into_response())
}

pub async fn metric(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<views::RangeParam>,
) -> ApiResult {
    let range = q.named()?;
    let m = state.store().metric(MetricId(id)).await?;
    let summary = views::summarize(state.store(), &m, state.clock().now(), range).await?;
    Ok(Json(json!({ "metric": metric_out(&m), "summary": summary })).into_response())
}

#[derive(Deserialize)]
pub struct MetricIn {
    definition: Value,
    /// Put it on the Metrics screen (so it syncs); true unless said otherwise.
    #[serde(default)]
    on_metrics_screen: Option<bool>,
}

fn check_definition(definition: &Value) -> Result<MetricDefinition, WebError> {
    MetricDefinition::from_value(definition.clone()).map_err(|e| match &e {
        metric::DefinitionError::Expression(_) => WebError::Invalid {
            code: "jsonata",
            message: e.to_string(),
            field: Some("expression"),
        },
        metric::DefinitionError::Request(_) => WebError::Invalid {
            code: "request_refused",
            message: e.to_string(),
            field: Some("request"),
        },
        _ => WebError::invalid("definition", e.to_string()),
    })
}

#[derive(Deserialize)]
pub struct PreviewIn {
    definition: Value,
    /// How many hours before now the date tokens' window starts (24 unless said otherwise).
    #[serde(default)]
    hours: Option<u32>,
}

/// Pages a preview reads at most: enough to see the shape, few enough to answer quickly.
pub const PREVIEW_PAGES: u32 = 3;
/// Rows a preview returns at most.
pub const PREVIEW_ROWS: usize = 50;

/// Runs a definition live against Twilio without saving it: the rows it yields, the skipped
/// and bad ones with reasons, and the fetch's ledger.
pub async fn metric_preview(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<PreviewIn>,
) -> ApiResult {
    let def = check_definition(&body.definition)?;
    let expression = def
        .compile(metric::Limits::default())
        .map_err(|e| WebError::Invalid {
            code: "jsonata",
            message: e.to_string(),
            field: Some("expression"),
        })?;
    let conn = state
        .app()
        .connection_in_definition(&def.connection)
        .await?;
    let now = state.clock().now();
    let hours = i64::from(body.hours.unwrap_or(24).clamp(1, 24 * 31));
    let window = twilio_request::Window::new(now - jiff::SignedDuration::from_hours(hours), now)
        .map_err(|e| WebError::invalid("hours", e.to_string()))?;
    let mut pages: Vec<Value> = Vec::new();
    let fetched = state
        .connector()
        .fetch_with(
            &app::connections::credentials_of(&conn)?,
            &def.request,
            Some(window),
            &connector::FetchOptions {
                max_pages: Some(PREVIEW_PAGES),
                ..Default::default()
            },
            |page| {
                pages.push(page.value);
                Ok::<(), std::convert::Infallible>(())
            },
        )
        .await;
    let ledger = match fetched {
        Ok(ledger) => ledger,
        Err(failed) => {
            let code = match failed.error {
                connector::FetchError::Request(_) => "request_refused",
                _ => "fetch_failed",
            };
            return Err(WebError::Invalid {
                code,
                message: failed.error.to_string(),
                field: Some("request"),
            }
            .into());
        }
    };
    let page_count = pages.len();
    let preview = state
        .heavy()
        .run("a metric preview", move || {
            metric::preview(&expression, &pages, now, PREVIEW_ROWS)
        })
        .await?
        .map_err(|e| WebError::Invalid {
            code: "jsonata",
            message: e.to_string(),
            field: Some("expression"),
        })?;
    Ok(Json(json!({
        "expression": preview.expression,
        "rows": preview.rows,
        "total_rows": preview.total_rows,
        "skipped": preview.skipped,
        "skipped_examples": preview.skipped_examples,
        "bad": preview.bad,
        "bad_examples": preview.bad_examples,
        "pages": page_count,
        "ledger": ledger,
    }))
    .into_response())
}

pub async fn metric_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<MetricIn>,
) -> ApiResult {
    let def = check_definition(&body.definition)?;
    let (m, _job) = state
        .app()
        .create_metric(&def, body.on_metrics_screen.unwrap_or(true))
        .await?;
    crate::api::created(json!({ "metric": metric_out(&m) }))
}

pub async fn metric_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<MetricIn>,
) -> ApiResult {
    state.store().metric(MetricId(id)).await?;
    let def = check_definition(&body.definition)?;
    let update = state.app().update_metric(MetricId(id), &def).await?;
    Ok(Json(json!({
        "metric": metric_out(&update.metric),
        "recomputed": update.recomputed,
        "resync_job": update.resync_job,
        "note": update.note,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct MetricPatch {
    /// Text (`15m`, `1h`, `2h30m`, `1d`, `default`), a number of seconds, or null for the
    /// default.
    sync_interval: Value,
}

/// The interval a `PATCH` asks for, read by `app`'s one rule: text, seconds, or null.
fn interval_in(value: &Value) -> Result<Option<app::SyncInterval>, app::AppError> {
    Ok(match value {
        Value::Null => None,
        Value::String(text) => app::SyncInterval::parse(text)?,
        Value::Number(n) => match n.as_i64() {
            Some(seconds) => Some(app::SyncInterval::from_seconds(seconds)?),
            None => app::SyncInterval::parse(&n.to_string())?,
        },
        _ => {
            return Err(app::AppError::invalid(
                app::sync_interval::FIELD,
                "sync_interval is text such as \"15m\", \"1h\" or \"1d\", a number of \
                 seconds, or null for the default",
            ));
        }
    })
}

/// Changes what can change of a metric besides its definition: its sync interval.
pub async fn metric_patch(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<MetricPatch>,
) -> ApiResult {
    let interval = interval_in(&body.sync_interval)?;
    let m = state
        .app()
        .set_sync_interval(MetricId(id), interval)
        .await?;
    Ok(Json(json!({ "metric": metric_out(&m) })).into_response())
}

pub async fn metric_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    if !state.app().delete_metric(MetricId(id)).await? {
        return Err(WebError::NotFound(format!("no metric {id}")).into());
    }
    Ok(Json(json!({ "deleted": id })).into_response())
}

pub async fn metric_duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let copy = state.app().duplicate_metric(MetricId(id)).await?;
    crate::api::created(json!({ "metric": metric_out(&copy) }))
}

pub async fn metric_sync(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let m = state.store().metric(MetricId(id)).await?;
    let job = state.app().enqueue_sync(m.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "queued": true, "job": job })),
    )
        .into_response())
}

pub async fn metric_runs(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let m = state.store().metric(MetricId(id)).await?;
    let runs: Vec<Value> = state
        .store()
        .sync_runs(Some(m.id), 50)
        .await?
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id.0, "from_ms": r.from_ms, "to_ms": r.to_ms, "status": r.status.as_str(),
                "ledger": r.ledger, "error": r.error, "started_ms": r.started_ms, "finished_ms": r.finished_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "runs": runs })).into_response())
}

#[derive(Deserialize)]
pub struct DataQuery {
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
    tz: Option<String>,
    dimension: Option<String>,
    /// `previous_period` or `same_period_last_year`.
    compare: Option<String>,
}

fn instant(field: &'static str, text: &str) -> Result<Timestamp, WebError> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            WebError::invalid(
                field,
                format!("'{text}' is not a date: use YYYY-MM-DD or RFC 3339"),
            )
        })
}

/// The most points one `GET /api/v1/metrics/{id}/data` returns per series: two years of hours.
/// Longer spans take a coarser interval or several requests, so no single answer grows without
/// bound.
pub const DATA_MAX_POINTS: u64 = 2 * 366 * 24;

pub async fn metric_data(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DataQuery>,
) -> ApiResult {
    let m = state.store().metric(MetricId(id)).await?;
    let def = MetricDefinition::from_json(&m.definition)
        .map_err(|e| WebError::Internal(format!("stored definition of {}: {e}", m.name)))?;
    let now = state.clock().now();
    let end = match &q.to {
        Some(t) => instant("to", t)?,
        None => now,
    };
    let start = match &q.from {
        Some(f) => instant("from", f)?,
        None => end - jiff::SignedDuration::from_hours(24 * 30),
    };
    let interval: Interval = match &q.interval {
        Some(text) => {
            serde_json::from_value(Value::String(text.trim().to_lowercase())).map_err(|_| {
                WebError::invalid(
                    "interval",
                    format!(
                        "'{text}' is not an interval: use hour, day, week, month, quarter or year"
                    ),
                )
            })?
        }
        None => def.description.interval,
    };
    let tz_name = q.tz.clone().unwrap_or_else(|| "UTC".to_owned());
    let zone = jiff::tz::TimeZone::get(&tz_name).map_err(|_| {
        WebError::invalid(
            "tz",
            format!("'{tz_name}' is not an IANA time zone (e.g. Europe/Ljubljana)"),
        )
    })?;
    let range = TimeRange::new(start, end).map_err(|e| WebError::invalid("from", e.to_string()))?;
    let points = interval.count_at_most(&range);
    if points > DATA_MAX_POINTS {
        return Err(WebError::invalid(
            "interval",
            format!(
                "{start} to {end} by {} is up to {points} points, more than the {DATA_MAX_POINTS} one request returns: ask for a coarser interval or a shorter range",
                interval.name()
            ),
        )
        .into());
    }
    let comparison = match q.compare.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("previous_period") => Some(metric::Comparison::PreviousPeriod),
        Some("same_period_last_year") => Some(metric::Comparison::SamePeriodLastYear),
        Some(other) => {
            return Err(WebError::invalid(
                "compare",
                format!(
                    "'{other}' is not a comparison: use previous_period or same_period_last_year"
                ),
            )
            .into());
        }
    };
    let (current, previous) = match comparison {
        Some(c) => {
            let (a, b) = metric::comparison_ranges(&range, c, &zone)
                .map_err(|e| WebError::invalid("compare", e.to_string()))?;
            (a, Some(b))
        }
        None => (range, None),
    };
    let from_ms = previous
        .map_or(current.start, |p| p.start.min(current.start))
        .as_millisecond();
    let rows = state
        .store()
        .buckets(&BucketQuery {
            metric: m.id,
            dimension: q.dimension.clone().filter(|d| !d.is_empty()),
            from_ms: views::HOUR_MS * from_ms.div_euclid(views::HOUR_MS),
            to_ms: current.end.as_millisecond(),
        })
        .await?;
    let buckets: Vec<_> = rows.iter().map(hour_bucket).collect();
    let query = |range: TimeRange| metric::Query {
        range,
        interval,
        aggregation: def.description.aggregation,
        zone: zone.clone(),
        top: 10,
    };
    // Outside the synced hours there is no value, as on boards and the Metrics screen.
    let known = views::known_of(state.store(), &m, now).await?;
    let mut result = metric::query(&buckets, &query(current))
        .map_err(|e| WebError::invalid("interval", e.to_string()))?;
    let coverage = metric::coverage::apply(&mut result, &query(current), known.as_ref(), now)
        .map_err(|e| WebError::invalid("interval", e.to_string()))?;
    let mut body = json!({
        "metric": m.id.0, "name": m.name, "aggregation": def.description.aggregation,
        "interval": interval, "tz": tz_name, "from": current.start, "to": current.end,
        "result": result, "coverage": coverage,
    });
    if let Some(prev) = previous {
        let mut before = metric::query(&buckets, &query(prev))
            .map_err(|e| WebError::invalid("compare", e.to_string()))?;
        let before_coverage =
            metric::coverage::apply(&mut before, &query(prev), known.as_ref(), now)
                .map_err(|e| WebError::invalid("compare", e.to_string()))?;
        let change = metric::change(result.total, before.total, def.description.favourable);
        body["previous"] = json!({ "from": prev.start, "to": prev.end, "result": before,
            "coverage": before_coverage });
        body["change"] = json!(change);
    }
    Ok(Json(body).into_response())
}
