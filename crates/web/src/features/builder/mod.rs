//! The Metric Builder: a six-step wizard (`GET /builder`, `GET /metrics/{id}/edit`) driven by
//! `assets/builder.js`, and the JSON routes it calls:
//!
//! - `GET /api/v1/catalog?q=`: Twilio GET endpoints matching the words (path suggestions).
//! - `POST /api/v1/builder/fetch`: runs the request live and returns its first pages.
//! - `POST /api/v1/builder/expression`: the builder's picks as a readable JSONata expression.
//! - `POST /api/v1/builder/preview`: the expression run on live pages: rows, skipped and bad
//!   rows, a daily series; a JSONata error comes with its span to underline.
//! - `POST /api/v1/builder/save`: creates the metric (and queues its backfill), or saves a new
//!   version; a changed expression recomputes history from the stored raw pages, else resyncs.
//!
//! All of it needs the Editor role; the routes under `/api/v1` take the session's CSRF token
//! in `X-CSRF-Token` like the rest of the API.

pub mod routes;
use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use metric::{JsonataError, Limits, MetricDefinition, Picks};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{MetricId, Store};
use twilio_request::RequestSpec;

use crate::auth::Caller;
use crate::error::{ApiError, JsonBody, PageError, WebError};
use crate::pages::{PageFrame, render};
use crate::state::AppState;

pub const BUILDER_JS: &str = include_str!("../../../assets/builder.js");

/// Pages the Continue of step 1 reads: enough to show the shape and pick fields.
pub const FETCH_PAGES: u32 = 2;
/// Pages a preview reads.
pub const PREVIEW_PAGES: u32 = 3;
/// Rows a preview lists (its totals and series cover every row).
pub const PREVIEW_ROWS: usize = 50;
/// The longest sample window, in hours (92 days: Twilio keeps most lists longer).
pub const MAX_HOURS: u32 = 24 * 92;
/// Suggestions the catalog search returns.
pub const CATALOG_HITS: usize = 20;

pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        BUILDER_JS,
    )
        .into_response()
}

// ---------------------------------------------------------------- the page

#[derive(Template)]
#[template(path = "builder.html")]
struct BuilderPage {
    frame: PageFrame,
    /// `Some` when editing a saved metric.
    metric_id: Option<i64>,
    title: String,
    connections: Vec<String>,
    hosts: &'static [&'static str],
    /// The saved definition as JSON text (empty for a new metric), read by the script.
    initial: String,
    /// Each connection's id and discovered accounts as JSON text (`{label: {id, accounts:
    /// [{sid, name, status, requested, parent}]}}`), for the Accounts choice.
    accounts: String,
}

/// Every connection's accounts, for the builder's Accounts choice.
async fn accounts_by_connection(
    state: &AppState,
    connections: &[store::Connection],
) -> Result<String, PageError> {
    let mut by_label = serde_json::Map::new();
    for c in connections {
        let list: Vec<Value> = state
            .app()
            .twilio_accounts(c.id)
            .await
            .map_err(WebError::from)?
            .iter()
            .map(|a| {
                json!({
                    "sid": a.sid.to_string(), "name": a.friendly_name, "status": a.status.as_str(),
                    "requested": a.is_requested(), "parent": a.is_parent,
                })
            })
            .collect();
        by_label.insert(c.label.clone(), json!({ "id": c.id.0, "accounts": list }));
    }
    Ok(Value::Object(by_label).to_string())
}

pub async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, PageError> {
    page(&state, &caller, None).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let m = state.store().metric(MetricId(id)).await?;
    page(&state, &caller, Some(m)).await
}

async fn page(
    state: &AppState,
    caller: &Caller,
    metric: Option<store::StoredMetric>,
) -> Result<Response, PageError> {
    let stored = state.store().list_connections().await?;
    let accounts = accounts_by_connection(state, &stored).await?;
    let connections = stored.into_iter().map(|c| c.label).collect();
    let (metric_id, title, initial) = match &metric {
        Some(m) => (
            Some(m.id.0),
            format!("Edit {}", m.name),
            m.definition.clone(),
        ),
        None => (None, "New metric".to_owned(), String::new()),
    };
    render(&BuilderPage {
        frame: PageFrame::of(caller, "metrics"),
        metric_id,
        title,
        connections,
        hosts: twilio_request::TWILIO_HOSTS,
        initial,
        accounts,
    })
}

// ---------------------------------------------------------------- catalog

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    #[serde(default)]
    q: String,
    /// Only endpoints on this host.
    #[serde(default)]
    host: String,
}

pub async fn catalog(_caller: Caller, Query(q): Query<CatalogQuery>) -> Result<Response, ApiError> {
    let host = q.host.trim();
    let hits: Vec<Value> = twilio_catalog::search(&q.q)
        .into_iter()
        .filter(|e| host.is_empty() || e.host == host)
        .take(CATALOG_HITS)
        .map(|e| {
            json!({
                "host": e.host, "path": e.path, "summary": e.summary, "product": e.product,
                "list_key": e.list_key, "params": e.params, "docs": e.docs,
                "placeholders": e.placeholders(),
            })
        })
        .collect();
    Ok(Json(json!({ "endpoints": hits })).into_response())
}

// ---------------------------------------------------------------- fetch

/// Every field has a default, so the role is checked before the body is judged.
#[derive(Deserialize)]
pub struct FetchIn {
    /// The connection's name.
    #[serde(default)]
    connection: String,
    /// Shown in the wizard so the refusal can be explained; only GET runs.
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    request: Value,
    /// How many hours before now the date tokens' window starts (24 unless said otherwise).
    #[serde(default)]
    hours: Option<u32>,
}

fn refused(message: String) -> WebError {
    WebError::Invalid {
        code: "request_refused",
        message,
        field: Some("request"),
    }
}

/// Reads the wizard's request: the method first (only GET), then every part of the spec.
fn request_of(method: Option<&str>, request: &Value) -> Result<RequestSpec, WebError> {
    if let Some(m) = method.map(str::trim).filter(|m| !m.is_empty()) {
        twilio_request::ensure_read_only(m).map_err(|e| WebError::Invalid {
            code: "method_refused",
            message: e.to_string(),
            field: Some("method"),
        })?;
    }
    let spec: RequestSpec =
        serde_json::from_value(request.clone()).map_err(|e| refused(e.to_string()))?;
    spec.validate().map_err(|e| refused(e.to_string()))?;
    Ok(spec)
}

struct Fetched {
    pages: Vec<Value>,
    urls: Vec<String>,
    ledger: connector::Ledger,
}

async fn fetch_live(
    state: &AppState,
    connection: &str,
    spec: &RequestSpec,
    hours: Option<u32>,
    max_pages: u32,
) -> Result<Fetched, WebError> {
    let conn = state
        .store()
        .connection_by_label(connection.trim())
        .await?
        .ok_or_else(|| {
            WebError::invalid(
                "connection",
                format!(
                    "no connection named '{}': choose one, or add it in the Data Manager",
                    connection.trim()
                ),
            )
        })?;
    let hours = match hours {
        None => 24,
        Some(h) if (1..=MAX_HOURS).contains(&h) => h,
        Some(h) => {
            return Err(WebError::invalid(
                "hours",
                format!("{h} hours is not a sample window: give 1 to {MAX_HOURS}"),
            ));
        }
    };
    let now = state.clock().now();
    let hours = i64::from(hours);
    let window = twilio_request::Window::new(now - jiff::SignedDuration::from_hours(hours), now)
        .map_err(|e| WebError::invalid("hours", e.to_string()))?;
    let mut pages = Vec::new();
    let mut urls = Vec::new();
    let fetched = state
        .connector()
        .fetch_with(
            &app::connections::credentials_of(&conn)?,
            spec,
            Some(window),
            &connector::FetchOptions {
                max_pages: Some(max_pages),
                ..Default::default()
            },
            |page| {
                urls.push(page.url);
                pages.push(page.value);
                Ok::<(), std::convert::Infallible>(())
            },
        )
        .await;
    match fetched {
        Ok(ledger) => Ok(Fetched {
            pages,
            urls,
            ledger,
        }),
        Err(failed) => Err(match failed.error {
            connector::FetchError::Request(e) => refused(e.to_string()),
            other => WebError::Invalid {
                code: "fetch_failed",
                message: format!("Twilio did not answer with data: {other}"),
                field: Some("request"),
            },
        }),
    }
}

pub async fn fetch(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<FetchIn>,
) -> Result<Response, ApiError> {
    let spec = request_of(body.method.as_deref(), &body.request)?;
    let got = fetch_live(&state, &body.connection, &spec, body.hours, FETCH_PAGES).await?;
    Ok(Json(json!({
        "pages": got.pages,
        "urls": got.urls,
        "ledger": got.ledger,
        "docs": twilio_catalog::find(&spec.host, &spec.path).map(|e| e.docs.clone()),
    }))
    .into_response())
}

// ---------------------------------------------------------------- expression

#[derive(Deserialize)]
pub struct ExpressionIn {
    #[serde(default)]
    picks: Value,
}

pub async fn expression(
    _caller: Caller,
    JsonBody(body): JsonBody<ExpressionIn>,
) -> Result<Response, ApiError> {
    let picks: Picks = serde_json::from_value(body.picks)
        .map_err(|e| WebError::invalid("picks", format!("the picks are not complete: {e}")))?;
    let text = picks
        .to_expression()
        .map_err(|e| WebError::invalid("picks", e.to_string()))?;
    Ok(Json(json!({ "expression": text })).into_response())
}

// ---------------------------------------------------------------- preview

#[derive(Deserialize)]
pub struct PreviewIn {
    #[serde(default)]
    connection: String,
    #[serde(default)]
    request: Value,
    #[serde(default)]
    expression: String,
    #[serde(default)]
    hours: Option<u32>,
}

/// A JSONata error as the API's error shape, plus the span (UTF-16 code units, as a browser
/// indexes text) and JSONata's own code, so the editor can underline it.
fn jsonata_error(source: &str, e: &JsonataError) -> Response {
    let span = e
        .utf16_span(source)
        .map(|(start, end)| json!({ "start": start, "end": end.max(start) }));
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": {
            "code": "jsonata",
            "message": e.to_string(),
            "field": "expression",
            "jsonata_code": e.code,
            "span": span,
        }})),
    )
        .into_response()
}

pub async fn preview(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<PreviewIn>,
) -> Result<Response, ApiError> {
    let spec = request_of(None, &body.request)?;
    let source = body.expression;
    if source.trim().is_empty() {
        return Err(WebError::invalid("expression", "the expression is empty").into());
    }
    let expression = match metric::Expression::compile(&source, Limits::default()) {
        Ok(e) => e,
        Err(e) => return Ok(jsonata_error(&source, &e)),
    };
    let got = fetch_live(&state, &body.connection, &spec, body.hours, PREVIEW_PAGES).await?;
    let now = state.clock().now();
    let page_count = got.pages.len();
    let pages = got.pages;
    let extracted = state
        .heavy()
        .run("a preview", move || {
            metric::extract(&expression, &pages, now)
        })
        .await?;
    let extracted = match extracted {
        Ok(x) => x,
        Err(e) => match e.jsonata() {
            Some(j) => return Ok(jsonata_error(&source, j)),
            None => return Err(WebError::invalid("expression", e.to_string()).into()),
        },
    };
    let total_value: f64 = extracted.rows.iter().map(|r| r.value).sum();
    let mut daily: BTreeMap<String, f64> = BTreeMap::new();
    let mut dimensions: BTreeMap<String, f64> = BTreeMap::new();
    for r in &extracted.rows {
        *daily
            .entry(r.date.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
            .or_default() += r.value;
        if let Some(d) = &r.dimension {
            *dimensions.entry(d.clone()).or_default() += r.value;
        }
    }
    let series: Vec<Value> = daily
        .into_iter()
        .map(|(day, value)| json!({ "day": day, "value": value }))
        .collect();
    let skipped_examples: Vec<String> = extracted
        .skipped_rows
        .iter()
        .map(|(page, row)| format!("page {page}, row {row}: no value (null, empty or missing)"))
        .collect();
    let bad_examples: Vec<String> = extracted
        .errors
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect();
    let rows: Vec<&metric::Row> = extracted.rows.iter().take(PREVIEW_ROWS).collect();
    Ok(Json(json!({
        "expression": source,
        "rows": rows,
        "total_rows": extracted.rows.len(),
        "total_value": total_value,
        "dimensions": dimensions,
        "series": series,
        "skipped": extracted.skipped,
        "skipped_examples": skipped_examples,
        "bad": extracted.errors.len(),
        "bad_examples": bad_examples,
        "pages": page_count,
        "ledger": got.ledger,
    }))
    .into_response())
}

// ---------------------------------------------------------------- save

#[derive(Deserialize)]
pub struct SaveIn {
    /// The metric being edited; absent for a new one.
    #[serde(default)]
    metric_id: Option<i64>,
    #[serde(default)]
    definition: Value,
}

fn check_definition(value: &Value) -> Result<MetricDefinition, WebError> {
    MetricDefinition::from_value(value.clone()).map_err(|e| match &e {
        metric::DefinitionError::Expression(_) => WebError::Invalid {
            code: "jsonata",
            message: e.to_string(),
            field: Some("expression"),
        },
        metric::DefinitionError::Request(_) => refused(e.to_string()),
        _ => WebError::invalid("definition", e.to_string()),
    })
}

pub async fn save(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<SaveIn>,
) -> Result<Response, ApiError> {
    let def = check_definition(&body.definition)?;
    if let Some(src) = def.extraction.expression.as_deref()
        && let Err(e) = metric::Expression::compile(src, Limits::default())
    {
        return Ok(jsonata_error(src, &e));
    }
    match body.metric_id {
        None => {
            let (m, job) = state.app().create_metric(&def, true).await?;
            // The script follows `redirect`; the Metrics screen says what happened, once.
            let message = format!("{} is saved; its history is being backfilled.", m.name);
            let mut response = (
                StatusCode::CREATED,
                Json(json!({ "metric": { "id": m.id.0, "name": m.name }, "backfill_job": job, "redirect": crate::pages::METRICS_SCREEN })),
            )
                .into_response();
            crate::flash::mark(&mut response, true, &message);
            Ok(response)
        }
        Some(id) => {
            let update = state.app().update_metric(MetricId(id), &def).await?;
            let name = &update.metric.name;
            let message = if update.recomputed {
                format!("{name} is saved; its history was recomputed from the stored pages.")
            } else if update.resync_job.is_some() {
                format!("{name} is saved; a resync is queued.")
            } else {
                format!("{name} is saved.")
            };
            let mut response = Json(json!({
                "metric": { "id": update.metric.id.0, "name": update.metric.name, "version": update.metric.version },
                "recomputed": update.recomputed,
                "resync_job": update.resync_job,
                "note": update.note,
                "redirect": crate::pages::METRICS_SCREEN,
            }))
            .into_response();
            crate::flash::mark(&mut response, true, &message);
            Ok(response)
        }
    }
}
