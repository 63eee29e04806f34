//! The forms that change boards and blocks: each reads its fields, calls the operation in
//! `app::boards`, and answers a redirect with a flash. A refusal the person can fix comes back
//! as a flash on the page they came from; anything else is an error page.

use app::{AppError, BlockForm, BoardChange, BoardName};
use axum::Form;
use axum::extract::{Path, RawForm, State};
use axum::response::{IntoResponse, Redirect};
use metric::CompareTo;
use serde::Deserialize;
use store::{BlockId, BoardId};

use super::{PageResult, field, flash_to, pairs, parse_layout, picked_range};
use crate::auth::Caller;
use crate::error::WebError;
use crate::state::AppState;

/// An `Invalid` answer flashed back to `back` (prefixed with its field when `with_field`, as
/// the block editor shows it); any other failure is the error page.
fn refused(back: &str, e: AppError, with_field: bool) -> PageResult {
    match e {
        AppError::Invalid { field, message } if with_field => {
            Ok(flash_to(back, false, &format!("{field}: {message}")))
        }
        AppError::Invalid { message, .. } => Ok(flash_to(back, false, &message)),
        e => Err(WebError::from(e).into()),
    }
}

fn name_of(input: &str) -> Result<BoardName, AppError> {
    Ok(BoardName::parse(input)?)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<NameForm>,
) -> PageResult {
    let name = match name_of(&form.name) {
        Ok(n) => n,
        Err(e) => return refused("/boards", e, false),
    };
    let b = state.app().create_board(name).await?;
    Ok(Redirect::to(&format!("/boards/{}", b.id)).into_response())
}

pub async fn rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<NameForm>,
) -> PageResult {
    let name = match name_of(&form.name) {
        Ok(n) => n,
        Err(e) => return refused("/boards", e, false),
    };
    let b = state.app().rename_board(BoardId(id), name).await?;
    Ok(flash_to(
        "/boards",
        true,
        &format!("Renamed to {}.", b.settings.name),
    ))
}

pub async fn duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let copy = state.app().duplicate_board(BoardId(id)).await?;
    Ok(flash_to(
        &format!("/boards/{}", copy.id),
        true,
        &format!("Duplicated as {}.", copy.settings.name),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let b = state.app().delete_board(BoardId(id)).await?;
    Ok(flash_to(
        "/boards",
        true,
        &format!("Deleted {}.", b.settings.name),
    ))
}

#[derive(Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    template: String,
}

pub async fn from_template(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<TemplateForm>,
) -> PageResult {
    let board = match state.app().board_from_template(&form.template).await {
        Ok(b) => b,
        Err(e) => return refused("/boards", e, false),
    };
    Ok(flash_to(
        &format!("/boards/{}", board.id),
        true,
        &format!("Created {} from library metrics.", board.settings.name),
    ))
}

pub async fn settings(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> PageResult {
    let p = pairs(&raw);
    let back = designer(id);
    let range = match picked_range(
        field(&p, "range"),
        Some(field(&p, "from")),
        Some(field(&p, "to")),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(flash_to(&back, false, &e)),
    };
    let compare: CompareTo = match field(&p, "compare").parse() {
        Ok(c) => c,
        Err(e) => return Ok(flash_to(&back, false, &e.to_string())),
    };
    // An empty name keeps the board's; a bad one is an error page, as before the move.
    let name = field(&p, "name");
    let name = if name.trim().is_empty() {
        None
    } else {
        Some(name_of(name)?)
    };
    let change = BoardChange {
        name,
        range,
        compare,
        zone: field(&p, "zone").to_owned(),
    };
    if let Err(e) = state.app().update_board(BoardId(id), change).await {
        return refused(&back, e, false);
    }
    Ok(flash_to(&back, true, "Board saved."))
}

fn block_form(raw: &[u8]) -> Result<BlockForm, AppError> {
    BlockForm::parse(&pairs(raw)).map_err(|(field, message)| AppError::Invalid { field, message })
}

pub async fn block_add(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> PageResult {
    let back = designer(id);
    let added = match block_form(&raw) {
        Ok(form) => state.app().add_block(BoardId(id), form).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(flash_to(&back, true, "Block added.")),
        Err(e) => refused(&with_draft(&back, "add", None, &raw), e, true),
    }
}

pub async fn block_edit(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
    RawForm(raw): RawForm,
) -> PageResult {
    let back = designer(id);
    let saved = match block_form(&raw) {
        Ok(form) => {
            state
                .app()
                .edit_block(BoardId(id), BlockId(bid), form)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(flash_to(&back, true, "Block saved.")),
        Err(e) => refused(&with_draft(&back, "block", Some(bid), &raw), e, true),
    }
}

pub async fn block_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
) -> PageResult {
    state.app().delete_block(BoardId(id), BlockId(bid)).await?;
    Ok(flash_to(&designer(id), true, "Block removed."))
}

/// The designer with its block panel open again on a refused form's fields (all but the CSRF
/// token), so nothing typed is lost: `panel` is `add` (a new block) or `block` (block `bid`).
fn with_draft(back: &str, panel: &str, bid: Option<i64>, raw: &[u8]) -> String {
    let sent = pairs(raw);
    let kind = field(&sent, "kind");
    let kept: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(sent.iter().filter(|(k, _)| k != "csrf"))
        .finish();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    match bid {
        Some(bid) => query
            .append_pair(panel, &bid.to_string())
            .append_pair("kind", kind),
        None => query.append_pair(panel, kind),
    };
    query.append_pair("draft", &kept);
    format!("{back}&{}", query.finish())
}

/// The board in edit mode, where the designer's forms come back to.
fn designer(id: i64) -> String {
    format!("/boards/{id}?edit=1")
}

pub async fn block_duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
) -> PageResult {
    match state.app().duplicate_block(BoardId(id), BlockId(bid)).await {
        Ok(_) => Ok(flash_to(&designer(id), true, "Block duplicated.")),
        Err(e) => refused(&designer(id), e, false),
    }
}

pub async fn undo(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    match state.app().undo_board(BoardId(id)).await {
        Ok(change) => Ok(flash_to(
            &designer(id),
            true,
            &format!("The last {change} is undone."),
        )),
        Err(e) => refused(&designer(id), e, false),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    dir: String,
}

pub async fn block_move(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    if let Err(e) = state
        .app()
        .move_block(BoardId(id), BlockId(bid), &form.dir)
        .await
    {
        return match e {
            AppError::Invalid {
                field: "layout", ..
            } => refused(&designer(id), e, false),
            e => Err(WebError::from(e).into()),
        };
    }
    Ok(Redirect::to(&format!("/boards/{id}?edit=1#block-{bid}")).into_response())
}

#[derive(Deserialize)]
pub struct ArrangeForm {
    /// `id:x,y,w,h;id:x,y,w,h` (the designer's script uses the API's layout route instead).
    #[serde(default)]
    layout: String,
}

pub async fn arrange(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ArrangeForm>,
) -> PageResult {
    let places = parse_layout(&form.layout).ok_or_else(|| {
        WebError::invalid("layout", "a layout is id:x,y,w,h items separated by ;")
    })?;
    state.app().arrange_blocks(BoardId(id), &places).await?;
    Ok(Redirect::to(&designer(id)).into_response())
}
