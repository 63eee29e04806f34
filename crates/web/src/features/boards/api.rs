//! `/api/v1/boards`: boards and their computed blocks as JSON, read-only (the pages edit).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::{BoardId, BoardRow, BoardStore as _};

use super::{BlockResult, ViewQuery, compute_board, frame_of};
use crate::auth::Caller;
use crate::error::ApiError;
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
    });
    match result {
        Err(e) => out["error"] = json!(e),
        Ok((_, data)) => {
            out["range"] = span(&data.current);
            out["previous"] = data.previous.as_ref().map(span).unwrap_or(Value::Null);
            out["interval"] = json!(super::model::interval_name(data.interval));
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
        }
    }
    out
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> ApiResult {
    let board = state.store().board(BoardId(id)).await?;
    let frame = frame_of(&board, &q, state.clock().now())?;
    let out = board_out(&board);
    let c = compute_board(&state, board, frame, &caller.requester()).await?;
    let blocks: Vec<Value> = c.blocks.iter().map(|(row, r)| block_out(row, r)).collect();
    Ok(Json(json!({
        "board": out,
        "range": c.frame.range.to_string(),
        "compare": c.frame.compare.to_string(),
        "blocks": blocks,
    }))
    .into_response())
}
