//! "Which account is out of line" (`/metrics/{id}/outliers`, `GET
//! /api/v1/metrics/{id}/outliers`): a multi-account metric's accounts over a named range,
//! ranked by `app::outliers`, as a table and a strip chart. Thin: the app reads, judges, names
//! and formats; this draws.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use jiff::tz::TimeZone;
use metric::NamedRange;
use serde_json::json;
use store::{MetricId, Store};

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::pages::{PageFrame, PageResult, render};
use crate::state::AppState;
use crate::views::{self, RangeParam};
use app::outliers::{AccountOutliers, OutlierRow, TooFew};

/// One option of the range picker.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "metric_outliers.html")]
struct OutliersPage {
    frame: PageFrame,
    id: i64,
    name: String,
    ranges: Vec<Choice>,
    range_text: String,
    /// Why the page has nothing to rank (a metric of one account, no data, too few accounts).
    empty: Option<String>,
    /// What the score is measured against, in words.
    basis: Option<String>,
    chart: Option<String>,
    /// The same chart drawn for a phone's width: the wide one scaled down there would leave
    /// its labels too small to read.
    chart_narrow: Option<String>,
    rows: Vec<OutlierRow>,
    median: String,
    too_few: Vec<TooFew>,
    min_volume: u64,
}

pub async fn outliers_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<RangeParam>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let named = q.named()?;
    let mut page = OutliersPage {
        frame: PageFrame::of(&caller, "metrics"),
        id,
        name: m.name.clone(),
        ranges: range_choices(named),
        range_text: named.label(),
        empty: None,
        basis: None,
        chart: None,
        chart_narrow: None,
        rows: Vec::new(),
        median: String::new(),
        too_few: Vec::new(),
        min_volume: watch::outliers::MIN_VOLUME,
    };
    match state
        .app()
        .account_outliers(m.id, &named, &TimeZone::UTC)
        .await
    {
        Ok(out) => fill(&mut page, out),
        Err(app::AppError::Invalid { message, .. }) => page.empty = Some(message),
        Err(e) => return Err(e.into()),
    }
    render(&page)
}

fn fill(page: &mut OutliersPage, out: AccountOutliers) {
    page.range_text = format!(
        "{}: {} – {}",
        out.range_label,
        views::when(Some(out.range.start.as_millisecond())),
        views::when(Some(out.range.end.as_millisecond()))
    );
    page.min_volume = out.min_volume;
    if !out.has_data {
        page.empty = Some("No data is stored for this range.".into());
        return;
    }
    page.chart = chart(&out, 1040, 160, charts::Theme::Css);
    page.chart_narrow = chart(&out, 340, 150, charts::Theme::Css);
    page.too_few = out.too_few;
    match out.ranked {
        None => page.empty = out.not_ranked,
        Some(r) => {
            page.basis = Some(format!(
                "Each account's {} against the median of the {} accounts judged, {} ({}). A robust z-score of ±{} or beyond is out of line.",
                watch::describe::aggregation(out.aggregation),
                r.rows.len(),
                r.median_text,
                r.spread_text,
                out.threshold
            ));
            page.median = r.median_text;
            page.rows = r.rows;
        }
    }
}

/// The strip chart of a ranking, or none when there is no ranking to draw.
pub fn chart(
    out: &AccountOutliers,
    width: u32,
    height: u32,
    theme: charts::Theme,
) -> Option<String> {
    let ranked = out.ranked.as_ref()?;
    let dots: Vec<charts::OutlierDot> = ranked
        .rows
        .iter()
        .map(|r| charts::OutlierDot {
            label: r.account.clone(),
            value: r.value,
            out_of_line: r.out_of_line,
            unfavourable: r.unfavourable,
            title: format!("{}: {} (robust z {})", r.account, r.value_text, r.z_text),
        })
        .collect();
    Some(charts::outliers::outliers(&charts::OutlierChart {
        dots: &dots,
        median: ranked.median,
        band: ranked.band,
        format: &out.format,
        width,
        height,
        theme,
    }))
}

fn range_choices(named: NamedRange) -> Vec<Choice> {
    NamedRange::presets()
        .into_iter()
        .map(|r| Choice {
            value: r.to_string(),
            label: r.label(),
            selected: r == named,
        })
        .collect()
}

/// `GET /api/v1/metrics/{id}/outliers?range=`: the same judgement as the page, with raw values
/// beside the formatted ones.
pub async fn outliers_api(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<RangeParam>,
) -> ApiResult {
    let named = q.named()?;
    let out = state
        .app()
        .account_outliers(MetricId(id), &named, &TimeZone::UTC)
        .await?;
    Ok(Json(json!({
        "range": named.to_string(),
        "from_ms": out.range.start.as_millisecond(),
        "to_ms": out.range.end.as_millisecond(),
        "unit": out.format.unit,
        "outliers": out,
    }))
    .into_response())
}
