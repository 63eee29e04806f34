//! Databoards: boards of blocks over a date range, compared with another range.
//!
//! The operations that change a board (create, rename, copy, delete, settings, templates,
//! blocks, arrangement, share links' rows) are `app::boards`'; this feature reads input,
//! calls them, computes and renders.
//!
//! - [`model`]: block types and settings (`app`'s, re-exported for the templates).
//! - [`compute`]: resolve each block's range, read each metric's buckets once for all blocks,
//!   aggregate per block.
//! - [`render`]: a block as HTML, CSV rows, or a panel of the board's PNG.
//! - [`share`]: signed, expiring, revocable read-only links.
//! - `pages` (the list, a board), `tv` (the loops), `edit` (the forms that change boards and blocks),
//!   `shares` (share links and what they open), `exports` (CSV and PNG), `grid` (placement
//!   classes), `forms` (the designer's block panel), `svg` (the board for the PNG export), `assets`
//!   (the generated stylesheet and the scripts), and [`routes`] with each route's least role.
//!
//! Pages: `/boards` (list, create, rename, duplicate, delete, templates), `/boards/{id}` (the
//! board with its range picker; `?edit=1` the designer: blocks to drag, resize, duplicate and
//! delete, the block panel, undo, settings and share links), exports (CSV of a block
//! or a board, PNG of a board), `/shared/{token}` (read-only, the range picker still works) and
//! `/tv` (boards in a loop, full screen, refreshing themselves).

mod assets;
mod edit;
mod exports;
mod forms;
mod grid;
mod markdown;
mod pages;
mod shares;
mod svg;
mod tv;

pub mod api;
pub mod cache;
pub mod compute;
pub mod model;
pub mod render;
pub mod routes;
pub mod share;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{CompareTo, NamedRange};
use serde::Deserialize;
use store::{BlockId, BlockRow, BoardId, BoardRow, BoardStore, ShareId, WatchStore};

pub use self::assets::*;
use self::compute::{Frame, Plan};
pub use self::edit::*;
pub use self::exports::*;
use self::forms::*;
pub use self::grid::*;
use self::model::{BlockKind, BlockSettings, ChangeFormat, TableRows, TableSort};
pub use self::pages::*;
use self::render::esc;
pub use self::shares::*;
pub use self::svg::*;
pub use self::tv::*;
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};
use crate::pages::render;
use crate::state::AppState;
pub use app::boards::templates::TEMPLATES;

type PageResult = Result<Response, PageError>;

fn flash_to(path: &str, ok: bool, text: &str) -> Response {
    crate::flash::redirect(path, ok, text)
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn zone_of(name: &str) -> Result<TimeZone, WebError> {
    TimeZone::get(name.trim()).map_err(|_| {
        WebError::invalid(
            "zone",
            format!("{name:?} is not an IANA time zone, such as Europe/Paris or UTC"),
        )
    })
}

/// `?range=&compare=&from=&to=` on a board's address: the date picker.
#[derive(Deserialize, Default, Clone)]
pub struct ViewQuery {
    #[serde(default)]
    range: Option<String>,
    #[serde(default)]
    compare: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The range named by the picker: a preset, or `since`/`custom` with their dates.
fn picked_range(range: &str, from: Option<&str>, to: Option<&str>) -> Result<NamedRange, String> {
    let date = |d: Option<&str>, what: &str| {
        d.filter(|d| !d.is_empty())
            .ok_or_else(|| format!("{what} needs a date"))
            .and_then(|d| {
                d.parse::<jiff::civil::Date>()
                    .map_err(|_| format!("{d:?} is not a date"))
            })
    };
    match range {
        "since" => Ok(NamedRange::Since(date(from, "Since")?)),
        "custom" => {
            let (from, to) = (date(from, "A custom range")?, date(to, "A custom range")?);
            format!("custom:{from}..{to}")
                .parse()
                .map_err(|e: metric::RangeError| e.to_string())
        }
        other => other.parse().map_err(|e: metric::RangeError| e.to_string()),
    }
}

fn frame_of(board: &BoardRow, q: &ViewQuery, now: Timestamp) -> Result<Frame, WebError> {
    let zone = zone_of(&board.settings.zone)?;
    let range = match q.range.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => picked_range(r, q.from.as_deref(), q.to.as_deref())
            .map_err(|e| WebError::invalid("range", e))?,
        None => board
            .settings
            .date_range
            .parse()
            .unwrap_or(NamedRange::LastN(30, metric::LastUnit::Days)),
    };
    let compare = match q.compare.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c
            .parse()
            .map_err(|e: metric::RangeError| WebError::invalid("compare", e.to_string()))?,
        None => board.settings.comparison.parse().unwrap_or_default(),
    };
    Ok(Frame {
        range,
        compare,
        zone,
        now,
    })
}

/// A block's plan and numbers, or why it could not be computed.
pub type BlockResult = Result<(Plan, compute::BlockData), String>;

/// A board computed for a frame: what the page, the exports and the shared view show.
pub struct Computed {
    pub board: BoardRow,
    pub frame: Frame,
    pub blocks: Vec<(BlockRow, BlockResult)>,
}

impl Computed {
    /// How far down the grid its blocks reach, in rows (at least one).
    pub fn rows(&self) -> i64 {
        self.blocks
            .iter()
            .map(|(b, _)| b.block.place.y + b.block.place.h)
            .max()
            .unwrap_or(1)
            .max(1)
    }
}

/// `board` computed over the range its view asks for, or over its own range when it asks none.
pub(super) async fn compute_viewed(
    state: &AppState,
    board: BoardRow,
    q: &ViewQuery,
    requester: &str,
) -> Result<Computed, WebError> {
    let frame = frame_of(&board, q, state.clock().now())?;
    compute_board(state, board, frame, requester).await
}

/// Reads and aggregates every block of a board for one requester (`share:<token>` or
/// `user:<id>`, see [`crate::heavy::Heavy::admit`]); the aggregation runs on the heavy-work
/// pool.
pub async fn compute_board(
    state: &AppState,
    board: BoardRow,
    frame: Frame,
    requester: &str,
) -> Result<Computed, WebError> {
    let _admitted = state.heavy().admit(requester.to_owned())?;
    let rows = state.store().blocks(board.id).await?;
    let plans: Vec<Result<Plan, String>> = rows.iter().map(|b| compute::plan(b, &frame)).collect();
    let ok: Vec<&Plan> = plans.iter().filter_map(|p| p.as_ref().ok()).collect();
    let pre = compute::prefetch(
        state.store(),
        state.bucket_cache(),
        &ok,
        &frame.zone,
        state.config().board_rollups,
        frame.now.as_millisecond(),
    )
    .await?;
    let zone = frame.zone.clone();
    let mut blocks = state
        .heavy()
        .run("drawing a board", move || {
            rows.into_iter()
                .zip(plans)
                .map(|(row, plan)| {
                    let result = plan.and_then(|p| {
                        let data = compute::compute(&p, &pre, &zone)?;
                        Ok((p, data))
                    });
                    (row, result)
                })
                .collect::<Vec<_>>()
        })
        .await?;
    for (_, result) in &mut blocks {
        if let Ok((p, data)) = result
            && p.kind == BlockKind::Progress
            && let Some(goal_id) = p.settings.goal_id
        {
            match followed_goal(state, goal_id, frame.now).await? {
                Ok(shown) => data.goal = Some(shown),
                Err(e) => *result = Err(e),
            }
        }
        if let Ok((p, data)) = result
            && p.kind == BlockKind::Forecast
            && let Some(&metric) = p.settings.metrics.first()
        {
            let forecast = app::forecast::period_forecast(
                state.store().as_ref(),
                store::MetricId(metric),
                p.settings.dimension.as_deref(),
                p.settings.forecast_period,
                p.settings.budget,
                &frame.zone,
                frame.now.as_millisecond(),
            )
            .await;
            match forecast {
                Ok(f) => data.forecast = Some(f),
                Err(app::AppError::Invalid { message, .. }) => *result = Err(message),
                Err(e) => return Err(e.into()),
            }
        }
    }
    for (_, result) in &mut blocks {
        if let Ok((p, data)) = result
            && p.kind == BlockKind::Outliers
            && let Some(refused) = block_outliers(state, p, data, &frame).await?
        {
            *result = Err(refused);
        }
    }
    for (_, result) in &mut blocks {
        if let Ok((p, data)) = result
            && p.kind == BlockKind::Line
            && p.settings.band
        {
            data.band = Some(block_band(state, p, data, &frame).await?);
        }
    }
    Ok(Computed {
        board,
        frame,
        blocks,
    })
}

/// The expected band of a Line block's first metric, or why it has none: a chart by dimension
/// or of running totals draws other series than the metric's own, and some aggregations have
/// no band.
/// Fills an Account outliers block's judgement of its metric's accounts over the block's
/// range; answers the refusal in words (a metric of one account) to show in its place.
async fn block_outliers(
    state: &AppState,
    plan: &Plan,
    data: &mut compute::BlockData,
    frame: &Frame,
) -> Result<Option<String>, WebError> {
    let Some(&metric) = plan.settings.metrics.first() else {
        return Ok(Some("pick the metric whose accounts to compare".to_owned()));
    };
    let judged = app::outliers::account_outliers(
        state.store().as_ref(),
        store::MetricId(metric),
        &plan.window.range,
        &frame.zone,
        frame.now.as_millisecond(),
    )
    .await;
    match judged {
        Ok(out) => {
            data.outliers = Some(out);
            Ok(None)
        }
        Err(app::AppError::Invalid { message, .. }) => Ok(Some(message)),
        Err(e) => Err(e.into()),
    }
}

async fn block_band(
    state: &AppState,
    plan: &Plan,
    data: &compute::BlockData,
    frame: &Frame,
) -> Result<compute::BlockBand, WebError> {
    use compute::BlockBand::{Drawn, Missing};
    let Some(first) = data.metrics.first() else {
        return Ok(Missing("no metric to draw a band for".to_owned()));
    };
    if first.info.multi_account
        && (plan.settings.asks_accounts() || plan.settings.dimension.is_some())
    {
        return Ok(Missing(
            "no expected band for chosen accounts or a dimension of a metric over several accounts"
                .to_owned(),
        ));
    }
    if plan.settings.breaks_down() {
        return Ok(Missing(
            "no expected band on a chart by dimension".to_owned(),
        ));
    }
    if plan.settings.cumulative {
        return Ok(Missing("no expected band on running totals".to_owned()));
    }
    let q = app::seasonal::BandQuery {
        metric: first.info.id,
        aggregation: first.info.aggregation,
        dimension: plan.settings.dimension.clone(),
        range: plan.window.current,
        interval: plan.window.interval,
        zone: frame.zone.clone(),
        sensitivity: seasonal::Sensitivity::Medium,
    };
    Ok(match state.app().expected(&q).await? {
        Ok(e) => Drawn(e),
        Err(no) => Missing(no.to_string()),
    })
}

/// How the goal a Progress block follows is going now, or why it cannot be shown.
async fn followed_goal(
    state: &AppState,
    id: i64,
    now: Timestamp,
) -> Result<Result<compute::GoalShown, String>, WebError> {
    let goal = match state.store().goal(store::GoalId(id)).await {
        Ok(g) => g,
        Err(store::StoreError::NotFound { .. }) => {
            return Ok(Err(format!(
                "the goal this block follows (id {id}) was deleted; pick another in the editor"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let period = match goal.spec.goal.period.at(now, goal.spec.zone.tz()) {
        Ok(p) => p,
        Err(e) => return Ok(Err(format!("goal {:?}: {e}", goal.name))),
    };
    let progress =
        app::evaluate::goal_progress(state.store().as_ref(), &goal, period, now.as_millisecond())
            .await?;
    Ok(Ok(compute::GoalShown {
        id,
        name: goal.name,
        progress,
    }))
}

async fn share_key(state: &AppState) -> Result<Vec<u8>, WebError> {
    let candidate: [u8; 32] = rand::random();
    Ok(state
        .store()
        .signing_key(share::KEY_PURPOSE, &candidate)
        .await?)
}
