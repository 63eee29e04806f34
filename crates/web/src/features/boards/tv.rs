//! TV mode: boards in a loop, full screen, refreshing themselves; signed in, or through share
//! links for a screen nobody signs in on.

use super::*;

#[derive(Deserialize)]
pub struct TvQuery {
    /// Board ids, comma-separated; all boards when empty.
    #[serde(default)]
    boards: String,
    #[serde(default)]
    i: usize,
    /// Seconds per board.
    #[serde(default)]
    every: Option<u32>,
}

pub async fn tv(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<TvQuery>,
) -> PageResult {
    let mut ids: Vec<i64> = q
        .boards
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if ids.is_empty() {
        ids = state
            .store()
            .list_boards()
            .await?
            .iter()
            .map(|b| b.id.0)
            .collect();
    }
    if ids.is_empty() {
        return Err(
            WebError::NotFound("there is no board to show: create one first".to_owned()).into(),
        );
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let step = TvStep::new("/tv?boards", &list, q.i, q.every);
    let board = state.store().board(BoardId(ids[step.i])).await?;
    render(&tv_page(&state, board, None, &caller.requester(), step).await?)
}

/// Where a TV loop stands: which of its boards it shows now, for how many seconds, and the
/// address that moves on to the next.
struct TvStep {
    i: usize,
    every: u32,
    next: String,
}

impl TvStep {
    /// The `i`-th of `items` (wrapping; never empty), shown for `every` seconds (a minute unless
    /// asked, 10 to 3600). `list` is the address up to the loop's items: `/tv?boards`.
    fn new(list: &str, items: &[String], i: usize, every: Option<u32>) -> TvStep {
        let every = every.unwrap_or(60).clamp(10, 3600);
        let i = i % items.len();
        let next = format!(
            "{list}={}&i={}&every={every}",
            items.join(","),
            (i + 1) % items.len()
        );
        TvStep { i, every, next }
    }
}

/// `board` full screen, refreshing itself into the loop's next board.
async fn tv_page(
    state: &AppState,
    board: BoardRow,
    shared_base: Option<String>,
    requester: &str,
    step: TvStep,
) -> Result<BoardPage, WebError> {
    let mut page = board_page(
        state,
        board,
        &ViewQuery::default(),
        crate::flash::Flash::default(),
        None,
        shared_base,
        requester,
        true,
    )
    .await?;
    page.tv = Some((step.next, step.every));
    Ok(page)
}

#[derive(Debug, Default, Deserialize)]
pub struct TvLinksQuery {
    /// Share-link tokens (the part after `/shared/`), comma-separated: the boards of the loop.
    #[serde(default)]
    links: String,
    #[serde(default)]
    i: usize,
    /// Seconds per board.
    #[serde(default)]
    every: Option<u32>,
}

/// A loop of shared boards for a screen nobody signs in on: each board is reached through its
/// share link, so the loop is read-only and stops showing a board whose link expires or is
/// revoked.
pub async fn tv_links(State(state): State<AppState>, Query(q): Query<TvLinksQuery>) -> PageResult {
    let tokens: Vec<&str> = q
        .links
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err(WebError::NotFound(
            "a TV loop needs share links: /tv/shared?links=<token>,<token>".to_owned(),
        )
        .into());
    }
    let tokens: Vec<String> = tokens.into_iter().map(str::to_owned).collect();
    let step = TvStep::new("/tv/shared?links", &tokens, q.i, q.every);
    let token = &tokens[step.i];
    let board = shared_board(&state, token).await?;
    let page = tv_page(
        &state,
        board,
        Some(format!("/shared/{token}")),
        &format!("share:{token}"),
        step,
    )
    .await?;
    render_shared(&page)
}
