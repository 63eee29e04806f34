//! `/api/v1/boards`: boards and their computed blocks as JSON, and the same changes the pages
//! make (a board created, renamed or deleted; a block added, changed or deleted) through the
//! same operations in `app::boards`, so both refuse alike.

use app::{AppError, BlockForm, BoardName};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{BlockId, BoardId, BoardRow, BoardStore as _};

use super::{BlockResult, ViewQuery, compute_viewed};
use crate::auth::Caller;
use crate::error::{ApiError, JsonBody, WebError};
use crate::state::AppState;

type ApiResult = Result<Response, ApiError>;

fn board_out(b: &BoardRow) -> Value {
    json!({
        "id": b.id.0, "name": b.settings.name, "range": b.settings.date_range,
        "compare": b.settings.comparison, "zone": b.settings.zone,
        "created_ms": b.created_ms, "updated_ms": b.updated_ms,
    })
}

pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let boards: Vec<Value> = state
        .store()
        .list_boards()
        .await?
        .iter()
        .map(board_out)
        .collect();
    Ok(Json(json!({ "boards": boards })).into_response())
}

fn span(r: &metric::TimeRange) -> Value {
    json!({ "from": r.start.to_string(), "to": r.end.to_string() })
}

fn block_out(row: &store::BlockRow, result: &BlockResult) -> Value {
    let p = row.block.place;
    let mut out = json!({
        "id": row.id.0, "kind": row.block.kind, "title": row.block.title,
        "place": { "x": p.x, "y": p.y, "w": p.w, "h": p.h },
        "error": null, "range": null, "previous": null, "interval": null, "metrics": [],
        "forecast": null, "provisional": false,
    });
    match result {
        Err(e) => out["error"] = json!(e),
        Ok((_, data)) => {
            out["range"] = span(&data.window.current);
            out["previous"] = data
                .window
                .previous
                .as_ref()
                .map(span)
                .unwrap_or(Value::Null);
            out["interval"] = json!(data.window.interval.name());
            let metrics: Vec<Value> = data
                .metrics
                .iter()
                .map(|m| {
                    let c = &m.change;
                    let series: Vec<Value> = data
                        .starts
                        .iter()
                        .zip(&m.series)
                        .map(|(s, v)| json!({ "start": s.to_string(), "value": v }))
                        .collect();
                    let breakdown: Vec<Value> = m
                        .breakdown
                        .iter()
                        .map(|(d, v, _)| json!({ "dimension": d, "value": v }))
                        .collect();
                    json!({
                        "id": m.info.id.0, "name": m.info.name,
                        "current": c.current, "previous": c.previous, "absolute": c.absolute,
                        "percent": c.percent, "ratio": c.ratio, "verdict": c.verdict,
                        "sync": m.info.sync.state, "reason": m.info.sync.reason,
                        "series": series, "breakdown": breakdown,
                    })
                })
                .collect();
            out["metrics"] = json!(metrics);
            out["provisional"] = json!(data.metrics.iter().any(|m| m.provisional));
            out["expected"] = expected_out(data);
            if let Some(f) = &data.forecast {
                out["forecast"] = json!(f);
            }
            if let Some(o) = &data.outliers {
                out["outliers"] = json!(o);
            }
        }
    }
    out
}

/// A Line block's expected band, when it asks for one: per point the expected value and band
/// (null while learning) and whether an hour in it was unusual; or why there is none.
fn expected_out(data: &super::compute::BlockData) -> Value {
    use super::compute::BlockBand;
    match &data.band {
        None => Value::Null,
        Some(BlockBand::Missing(why)) => json!({ "missing": why, "learning": null, "points": [] }),
        Some(BlockBand::Drawn(e)) => {
            let points: Vec<Value> = e
                .points
                .iter()
                .map(|p| {
                    json!({
                        "start": p.start.to_string(),
                        "expected": p.band.map(|b| b.expected),
                        "lower": p.band.map(|b| b.lower),
                        "upper": p.band.map(|b| b.upper),
                        "unusual": p.unusual,
                    })
                })
                .collect();
            json!({
                "missing": null,
                "learning": e.learning.map(|l| l.to_string()),
                "points": points,
            })
        }
    }
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> ApiResult {
    let board = state.store().board(BoardId(id)).await?;
    let out = board_out(&board);
    let c = compute_viewed(&state, board, &q, &caller.requester()).await?;
    let blocks: Vec<Value> = c.blocks.iter().map(|(row, r)| block_out(row, r)).collect();
    Ok(Json(json!({
        "board": out,
        "range": c.frame.range.to_string(),
        "compare": c.frame.compare.to_string(),
        "blocks": blocks,
    }))
    .into_response())
}

/// A board's name, the one field the API changes on a board (its range, comparison and zone
/// are the page's settings form).
#[derive(Deserialize)]
pub struct BoardIn {
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<BoardIn>,
) -> ApiResult {
    let name = BoardName::parse(&body.name).map_err(AppError::from)?;
    let b = state.app().create_board(name).await?;
    crate::api::created(json!({ "board": board_out(&b) }))
}

pub async fn rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<BoardIn>,
) -> ApiResult {
    let name = BoardName::parse(&body.name).map_err(AppError::from)?;
    let b = state.app().rename_board(BoardId(id), name).await?;
    Ok(Json(json!({ "board": board_out(&b) })).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    state.app().delete_board(BoardId(id)).await?;
    Ok(Json(json!({ "deleted": id })).into_response())
}

/// A block's JSON as the editor's form fields, so both read through one parser: `metrics` is
/// a list of metric ids, every other key a text, number or true/false field of the editor
/// (`kind`, `title`, `range`, `top`, `by_dimension`...).
fn block_form(body: &Map<String, Value>) -> Result<BlockForm, WebError> {
    let mut pairs = Vec::new();
    for (key, value) in body {
        match (key.as_str(), value) {
            ("metrics", Value::Array(ids)) => {
                for id in ids {
                    let Some(id) = id.as_i64() else {
                        return Err(WebError::invalid(
                            "metrics",
                            format!("{id} is not a metric id: metrics is a list of ids"),
                        ));
                    };
                    pairs.push(("metric".to_owned(), id.to_string()));
                }
            }
            ("account_filter", Value::Array(sids)) => {
                for sid in sids {
                    let Some(sid) = sid.as_str() else {
                        return Err(WebError::invalid(
                            "account_filter",
                            format!("{sid} is not an account: account_filter is a list of SIDs"),
                        ));
                    };
                    pairs.push(("account".to_owned(), sid.to_owned()));
                }
            }
            ("metrics", _) => {
                return Err(WebError::invalid(
                    "metrics",
                    "metrics is a list of metric ids",
                ));
            }
            ("accounts" | "account_filter", Value::Null) => {}
            ("account_filter", _) => {
                return Err(WebError::invalid(
                    "account_filter",
                    "account_filter is a list of Account SIDs",
                ));
            }
            // Checked here, not only by the block model, which reads a form's empty field as
            // the default: in JSON an empty or boolean view is a mistake to name.
            ("accounts", v) if !matches!(v.as_str(), Some("total" | "by_account")) => {
                return Err(WebError::invalid(
                    "accounts",
                    format!("{v} is not an account view: use total or by_account"),
                ));
            }
            (_, Value::String(v)) => pairs.push((key.clone(), v.clone())),
            (_, Value::Number(n)) => pairs.push((key.clone(), n.to_string())),
            (_, Value::Bool(true)) => pairs.push((key.clone(), "on".to_owned())),
            (_, Value::Bool(false) | Value::Null) => {}
            (_, _) => {
                return Err(WebError::invalid(
                    "body",
                    format!("{key} takes a text, a number or true/false"),
                ));
            }
        }
    }
    BlockForm::parse(&pairs).map_err(|(field, message)| AppError::Invalid { field, message }.into())
}

fn block_row_out(row: &store::BlockRow) -> Value {
    let p = row.block.place;
    let settings: Value = serde_json::from_str(&row.block.settings).unwrap_or(Value::Null);
    json!({
        "id": row.id.0, "board": row.board.0, "kind": row.block.kind, "title": row.block.title,
        "place": { "x": p.x, "y": p.y, "w": p.w, "h": p.h }, "settings": settings,
    })
}

pub async fn block_add(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult {
    let form = block_form(&body)?;
    let row = state.app().add_block(BoardId(id), form).await?;
    crate::api::created(json!({ "block": block_row_out(&row) }))
}

pub async fn block_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult {
    let form = block_form(&body)?;
    let (board, block) = (BoardId(id), BlockId(bid));
    state.app().edit_block(board, block, form).await?;
    let row = app::boards::block(state.store(), board, block).await?;
    Ok(Json(json!({ "block": block_row_out(&row) })).into_response())
}

pub async fn block_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
) -> ApiResult {
    state.app().delete_block(BoardId(id), BlockId(bid)).await?;
    Ok(Json(json!({ "deleted": bid })).into_response())
}

/// `{"blocks": [{"id", "x", "y", "w", "h"}]}`: the places the designer proposes.
#[derive(Deserialize)]
pub struct LayoutIn {
    blocks: Vec<PlaceIn>,
}

#[derive(Deserialize)]
pub struct PlaceIn {
    id: i64,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

fn layout_out(layout: &[(BlockId, store::Place)]) -> Value {
    let blocks: Vec<Value> = layout
        .iter()
        .map(|(id, p)| json!({ "id": id.0, "x": p.x, "y": p.y, "w": p.w, "h": p.h }))
        .collect();
    json!(blocks)
}

/// Stores a proposed layout through the push-down rule and answers every block's place as
/// stored, with what the Undo button now takes back.
pub async fn layout(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<LayoutIn>,
) -> ApiResult {
    let proposed: Vec<(BlockId, store::Place)> = body
        .blocks
        .iter()
        .map(|b| {
            let place = store::Place {
                x: b.x,
                y: b.y,
                w: b.w,
                h: b.h,
            };
            (BlockId(b.id), place)
        })
        .collect();
    let board = BoardId(id);
    let settled = state.app().arrange_blocks(board, &proposed).await?;
    let undo = app::boards::undo_label(state.store(), board).await?;
    Ok(Json(json!({ "blocks": layout_out(&settled), "undo": undo })).into_response())
}

pub async fn block_duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
) -> ApiResult {
    let row = state
        .app()
        .duplicate_block(BoardId(id), BlockId(bid))
        .await?;
    crate::api::created(json!({ "block": block_row_out(&row) }))
}

/// Takes back the last change to the board's blocks.
pub async fn undo(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let board = BoardId(id);
    let undone = state.app().undo_board(board).await?;
    let rows = state.store().blocks(board).await?;
    let layout: Vec<(BlockId, store::Place)> = rows.iter().map(|r| (r.id, r.block.place)).collect();
    Ok(Json(json!({ "undone": undone, "blocks": layout_out(&layout) })).into_response())
}
