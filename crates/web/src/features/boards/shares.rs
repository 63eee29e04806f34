//! Share links: creating and revoking them, and what a link opens (read-only, its own range
//! picker still working).

use super::*;

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

pub async fn share_create(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ShareForm>,
) -> PageResult {
    // Share links live in the board's edit mode.
    let back = format!("/boards/{id}?edit=1#shares");
    let days = match app::boards::share_days(&form.days) {
        Ok(d) => d,
        Err(e) => return Ok(flash_to(&back, false, &e.to_string())),
    };
    let key = share_key(&state).await?;
    let board = BoardId(id);
    let (_, token) = state
        .app()
        .create_share(board, &form.label, days, |share, expires_ms| {
            let claims = share::Claims {
                share,
                board,
                expires_ms,
            };
            let token = share::sign(&key, &claims);
            let hash = share::stored_hash(&token);
            (token, hash)
        })
        .await?;
    Ok(flash_to(
        &back,
        true,
        &format!(
            "Share link created: {}",
            state.link(&format!("/shared/{token}"))
        ),
    ))
}

pub async fn share_revoke(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, sid)): Path<(i64, i64)>,
) -> PageResult {
    let done = state.app().revoke_share(BoardId(id), ShareId(sid)).await?;
    Ok(flash_to(
        &format!("/boards/{id}?edit=1#shares"),
        done,
        if done {
            "Link revoked."
        } else {
            "That link was already revoked."
        },
    ))
}

/// The board a live share link opens; `NotFound` for any other token, so a probe learns
/// nothing about which part failed.
pub(super) async fn shared_board(state: &AppState, token: &str) -> Result<BoardRow, WebError> {
    let gone = || {
        WebError::NotFound("this link is not valid: it may have expired or been revoked".to_owned())
    };
    let key = share_key(state).await?;
    let claims = share::verify(&key, token).ok_or_else(gone)?;
    let row = state.store().share(claims.share).await?.ok_or_else(gone)?;
    let same: bool = subtle::ConstantTimeEq::ct_eq(
        row.secret_hash.as_bytes(),
        share::stored_hash(token).as_bytes(),
    )
    .into();
    if !same || row.board != claims.board || !row.is_live(state.clock().now_ms()) {
        return Err(gone());
    }
    Ok(state.store().board(row.board).await?)
}

pub async fn shared(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = shared_board(&state, &token).await?;
    let page = board_page(
        &state,
        board,
        &q,
        crate::flash::Flash::default(),
        None,
        Some(format!("/shared/{token}")),
        &format!("share:{token}"),
        false,
    )
    .await?;
    render_shared(&page)
}

/// A board page reached through a share link. The token in its address is the credential:
/// keep it out of Referer headers and caches.
pub(super) fn render_shared(page: &BoardPage) -> PageResult {
    let mut response = render(page)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn shared_block_csv(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = shared_board(&state, &token).await?;
    block_csv_of(&state, board, &file, &q, &format!("share:{token}")).await
}

/// Any change attempted through a share link: refused, whatever it is.
pub async fn shared_refuse() -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        "a shared link is read-only: sign in to change this board\n",
    )
        .into_response()
}

/// What a shared board's page polls to refresh itself: the versions of its blocks' metrics
/// only, through the link's own token (a revoked or expired link gets the same refusal as its
/// page).
pub async fn shared_versions(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> PageResult {
    let board = shared_board(&state, &token).await?;
    let ids: std::collections::HashSet<i64> = state
        .store()
        .blocks(board.id)
        .await?
        .iter()
        .flat_map(|b| BlockSettings::from_json(&b.block.settings).metrics)
        .collect();
    let versions = crate::features::live::read(&state, Some(&ids)).await?;
    Ok(crate::features::live::fresh_json(&versions))
}
