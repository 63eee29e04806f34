//! The boards' routes and the least role of each.

use axum::extract::State;
use axum::response::Response;

use crate::auth;
use crate::error::{PageError, WebError};
use crate::features::{DELETE, EDITOR, GET, POST, PUBLIC, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// Databoards, their exports, share links and TV mode.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/boards", VIEWER, super::list)
        .page(POST, "/boards", EDITOR, super::create)
        .page(POST, "/boards/templates", EDITOR, super::from_template)
        .page(GET, "/boards/{id}", VIEWER, super::page)
        .page(POST, "/boards/{id}/rename", EDITOR, super::rename)
        .page(POST, "/boards/{id}/duplicate", EDITOR, super::duplicate)
        .page(POST, "/boards/{id}/delete", EDITOR, super::delete)
        .page(POST, "/boards/{id}/settings", EDITOR, super::settings)
        .page(POST, "/boards/{id}/arrange", EDITOR, super::arrange)
        .page(POST, "/boards/{id}/blocks", EDITOR, super::block_add)
        .page(GET, "/boards/{id}/blocks/{file}", VIEWER, super::block_csv)
        .page(POST, "/boards/{id}/blocks/{file}", EDITOR, block_edit_by_id)
        .page(
            POST,
            "/boards/{id}/blocks/{bid}/move",
            EDITOR,
            super::block_move,
        )
        .page(
            POST,
            "/boards/{id}/blocks/{bid}/delete",
            EDITOR,
            super::block_delete,
        )
        .page(
            POST,
            "/boards/{id}/blocks/{bid}/duplicate",
            EDITOR,
            super::block_duplicate,
        )
        .page(POST, "/boards/{id}/undo", EDITOR, super::undo)
        .page(GET, "/boards/{id}/board.csv", VIEWER, super::board_csv)
        .page(GET, "/boards/{id}/board.png", VIEWER, super::board_png)
        .page(POST, "/boards/{id}/shares", EDITOR, super::share_create)
        .page(
            POST,
            "/boards/{id}/shares/{sid}/revoke",
            EDITOR,
            super::share_revoke,
        )
        .page(GET, "/tv", VIEWER, super::tv)
        // Share links carry their own signed token: anyone holding one may read, nothing more.
        .page(GET, "/shared/{token}", PUBLIC, super::shared)
        .page_other_methods("/shared/{token}", PUBLIC, super::shared_refuse)
        .page(
            GET,
            "/shared/{token}/blocks/{file}",
            PUBLIC,
            super::shared_block_csv,
        )
        .page_other_methods(
            "/shared/{token}/blocks/{file}",
            PUBLIC,
            super::shared_refuse,
        )
        .page(
            GET,
            "/shared/{token}/versions",
            PUBLIC,
            super::shared_versions,
        )
        .page_other_methods("/shared/{token}/versions", PUBLIC, super::shared_refuse)
        .page_other_methods("/shared/{token}/{*rest}", PUBLIC, super::shared_refuse)
        .page(GET, "/tv/shared", PUBLIC, super::tv_links)
        .page(GET, "/assets/boards.css", PUBLIC, super::css)
        .page(GET, "/assets/boards.js", PUBLIC, super::js)
        .page(GET, "/assets/tables.js", PUBLIC, super::tables_js)
        .api(GET, "/boards", VIEWER, super::api::list)
        .api(POST, "/boards", EDITOR, super::api::create)
        .api(GET, "/boards/{id}", VIEWER, super::api::one)
        .api(PUT, "/boards/{id}", EDITOR, super::api::rename)
        .api(DELETE, "/boards/{id}", EDITOR, super::api::delete)
        .api(POST, "/boards/{id}/blocks", EDITOR, super::api::block_add)
        .api(
            PUT,
            "/boards/{id}/blocks/{bid}",
            EDITOR,
            super::api::block_update,
        )
        .api(
            DELETE,
            "/boards/{id}/blocks/{bid}",
            EDITOR,
            super::api::block_delete,
        )
        .api(
            POST,
            "/boards/{id}/blocks/{bid}/duplicate",
            EDITOR,
            super::api::block_duplicate,
        )
        .api(PUT, "/boards/{id}/layout", EDITOR, super::api::layout)
        .api(POST, "/boards/{id}/undo", EDITOR, super::api::undo)
}

/// `POST /boards/{id}/blocks/{bid}` saves the block; its `GET` twin is `{bid}.csv`, the
/// export, and axum allows one parameter name per path segment.
async fn block_edit_by_id(
    state: State<AppState>,
    caller: auth::Caller,
    axum::extract::Path((id, bid)): axum::extract::Path<(i64, String)>,
    form: axum::extract::RawForm,
) -> Result<Response, PageError> {
    let bid: i64 = bid
        .parse()
        .map_err(|_| WebError::NotFound(format!("block {bid}")))?;
    super::block_edit(state, caller, axum::extract::Path((id, bid)), form).await
}
