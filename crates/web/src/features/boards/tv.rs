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
    let every = q.every.unwrap_or(60).clamp(10, 3600);
    let i = q.i % ids.len();
    let board = state.store().board(BoardId(ids[i])).await?;
    let mut page = board_page(
        &state,
        board,
        &ViewQuery::default(),
        crate::flash::Flash::default(),
        None,
        None,
        &caller.requester(),
        true,
    )
    .await?;
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    page.tv = Some((
        format!(
            "/tv?boards={}&i={}&every={every}",
            list.join(","),
            (i + 1) % ids.len()
        ),
        every,
    ));
    render(&page)
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
    let every = q.every.unwrap_or(60).clamp(10, 3600);
    let i = q.i % tokens.len();
    let board = shared_board(&state, tokens[i]).await?;
    let mut page = board_page(
        &state,
        board,
        &ViewQuery::default(),
        crate::flash::Flash::default(),
        None,
        Some(format!("/shared/{}", tokens[i])),
        &format!("share:{}", tokens[i]),
        true,
    )
    .await?;
    page.tv = Some((
        format!(
            "/tv/shared?links={}&i={}&every={every}",
            tokens.join(","),
            (i + 1) % tokens.len()
        ),
        every,
    ));
    let mut response = render(&page)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
