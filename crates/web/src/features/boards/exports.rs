//! A board or one block as CSV, and a board as PNG.

use super::*;

pub(super) fn attachment(mut response: Response, file: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn csv_of(c: &Computed, only: Option<BlockId>) -> String {
    let mut out = String::from(render::CSV_HEADER);
    for (row, result) in &c.blocks {
        if only.is_some_and(|b| b != row.id) {
            continue;
        }
        if let Ok((_, data)) = result {
            let title = if row.block.title.is_empty() {
                row.block.kind.clone()
            } else {
                row.block.title.clone()
            };
            render::csv_rows(&title, data, &c.frame.zone, &mut out);
        }
    }
    out
}

/// `body` as a CSV file to download.
fn csv_file(body: String, file: &str) -> Response {
    attachment(
        ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response(),
        file,
    )
}

/// One block of `board` as CSV, behind its link `block-{id}.csv`, signed in or shared.
pub(super) async fn block_csv_of(
    state: &AppState,
    board: BoardRow,
    file: &str,
    q: &ViewQuery,
    requester: &str,
) -> PageResult {
    let bid: i64 = file
        .strip_suffix(".csv")
        .and_then(|b| b.parse().ok())
        .ok_or_else(|| WebError::NotFound(format!("{file} is not a block export")))?;
    app::boards::block(state.store(), board.id, BlockId(bid)).await?;
    let c = compute_viewed(state, board, q, requester).await?;
    Ok(csv_file(
        csv_of(&c, Some(BlockId(bid))),
        &format!("block-{bid}.csv"),
    ))
}

pub async fn board_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let c = compute_viewed(&state, board, &q, &caller.requester()).await?;
    let name = format!("{}.csv", file_stem(&c.board.settings.name));
    Ok(csv_file(csv_of(&c, None), &name))
}

pub async fn block_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(i64, String)>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    block_csv_of(&state, board, &file, &q, &caller.requester()).await
}

pub async fn board_png(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let c = compute_viewed(&state, board, &q, &caller.requester()).await?;
    let svg = board_svg(&c);
    // Rasterising is CPU work of tens of milliseconds: keep it off the async workers.
    let png = state
        .heavy()
        .run("drawing a PNG", move || charts::png(&svg, 1.0))
        .await?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let name = format!("{}.png", file_stem(&c.board.settings.name));
    Ok(attachment(
        ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        &name,
    ))
}
