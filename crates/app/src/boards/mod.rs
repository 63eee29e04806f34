//! Boards and their blocks: creating, renaming, copying and deleting a board, its range,
//! comparison and zone, its blocks (their settings, references and place on the grid), and its
//! share links' stored rows. The pages and the API parse the input, call these, and render;
//! computing, drawing and signing stay with the web.
//!
//! - [`model`]: what a block is (its type and settings, stored as JSON, read from a form).
//! - [`grid`]: the grid's size, free spots, arrangement steps, posted layouts and the
//!   push-down rule that keeps blocks from overlapping.
//!
//! Every change to a board's blocks (add, duplicate, edit, delete, move, arrange) leaves one
//! undo record for the board (in the store's `meta`), replacing the last one; [`undo`] applies
//! it through the same rules and forgets it.
//! - [`templates`]: the boards a new board can start from.

pub mod grid;
pub mod model;
pub mod templates;

use std::collections::HashSet;

use metric::{CompareTo, LastUnit, NamedRange};
use serde::{Deserialize, Serialize};
use store::{AnyStore, BlockId, BlockRow, BoardId, BoardRow, BoardSettings, BoardStore};
use store::{GoalId, NewBlock, Place, ShareId, ShareRow, Store, StoreError, WatchStore};

use self::model::{BlockForm, BlockSettings};
use self::templates::TEMPLATES;
use crate::{AppError, AppResult, BoardName};

/// The longest a share link lasts, in days.
pub const MAX_SHARE_DAYS: i64 = 365;
/// A share link's label is cut to this many characters.
pub const MAX_SHARE_LABEL: usize = 100;
const DAY_MS: i64 = 86_400_000;

/// A new board's settings: the last 30 days against the period before, in UTC.
pub fn default_settings(name: BoardName) -> BoardSettings {
    BoardSettings {
        name: name.into_string(),
        date_range: NamedRange::LastN(30, LastUnit::Days).to_string(),
        comparison: CompareTo::PreviousPeriod.to_string(),
        zone: "UTC".to_owned(),
    }
}

/// A time zone as boards store it: an IANA name, trimmed.
pub fn zone(name: &str) -> AppResult<String> {
    let name = name.trim();
    jiff::tz::TimeZone::get(name).map_err(|_| {
        AppError::invalid(
            "zone",
            format!("{name:?} is not an IANA time zone, such as Europe/Paris or UTC"),
        )
    })?;
    Ok(name.to_owned())
}

// ---------------------------------------------------------------- boards

pub async fn create(store: &AnyStore, name: BoardName, now_ms: i64) -> AppResult<BoardRow> {
    Ok(store.create_board(&default_settings(name), now_ms).await?)
}

/// The board under its new name.
pub async fn rename(
    store: &AnyStore,
    id: BoardId,
    name: BoardName,
    now_ms: i64,
) -> AppResult<BoardRow> {
    let mut board = store.board(id).await?;
    board.settings.name = name.into_string();
    store.update_board(id, &board.settings, now_ms).await?;
    Ok(board)
}

/// A copy of the board and its blocks (not its share links), named "<name> (copy)" within the
/// name's limit.
pub async fn duplicate(store: &AnyStore, id: BoardId, now_ms: i64) -> AppResult<BoardRow> {
    let board = store.board(id).await?;
    let name: String = format!("{} (copy)", board.settings.name)
        .chars()
        .take(BoardName::MAX)
        .collect();
    Ok(store.duplicate_board(id, &name, now_ms).await?)
}

/// The board deleted, with its blocks and share links.
pub async fn delete(store: &AnyStore, id: BoardId) -> AppResult<BoardRow> {
    let board = store.board(id).await?;
    if !store.delete_board(id).await? {
        return Err(AppError::NotFound(format!("board {id}")));
    }
    store.set_board_undo(id, None).await?;
    Ok(board)
}

/// What the board's settings form changes; `name` `None` keeps the name.
#[derive(Debug, Clone)]
pub struct BoardChange {
    pub name: Option<BoardName>,
    pub range: NamedRange,
    pub compare: CompareTo,
    /// An IANA zone name, checked here.
    pub zone: String,
}

pub async fn update_settings(
    store: &AnyStore,
    id: BoardId,
    change: BoardChange,
    now_ms: i64,
) -> AppResult<BoardRow> {
    let zone = zone(&change.zone)?;
    let mut board = store.board(id).await?;
    board.settings = BoardSettings {
        name: change
            .name
            .map(BoardName::into_string)
            .unwrap_or(board.settings.name),
        date_range: change.range.to_string(),
        comparison: change.compare.to_string(),
        zone,
    };
    store.update_board(id, &board.settings, now_ms).await?;
    Ok(board)
}

/// A board made from the template `slug`, its blocks reading library metrics through the first
/// connection; library metrics not on the Metrics screen yet are added and their backfill
/// queued.
pub async fn from_template(store: &AnyStore, slug: &str, now_ms: i64) -> AppResult<BoardRow> {
    let t = TEMPLATES
        .iter()
        .find(|t| t.slug == slug)
        .ok_or_else(|| AppError::invalid("template", "Unknown template."))?;
    let Some(connection) = store.list_connections().await?.into_iter().next() else {
        return Err(AppError::invalid(
            "connection",
            "Add a Twilio connection in the Data Manager first.",
        ));
    };
    let name = BoardName::parse(t.name)?;
    let board = create(store, name, now_ms).await?;
    let sizes: Vec<(i64, i64)> = t.blocks.iter().map(|b| b.kind.default_size()).collect();
    for (tb, place) in t.blocks.iter().zip(templates::flow(&sizes, 0)) {
        let mut ids = Vec::new();
        for slug in tb.slugs {
            ids.push(library_metric(store, slug, &connection.label, now_ms).await?);
        }
        let settings = BlockSettings {
            metrics: ids,
            by_dimension: tb.by_dimension,
            stacked: tb.stacked,
            donut: tb.donut,
            cumulative: tb.cumulative,
            ..BlockSettings::default()
        };
        let block = NewBlock {
            kind: tb.kind.to_string(),
            title: tb.title.to_owned(),
            place,
            settings: settings.to_json(),
        };
        store.add_block(board.id, &block, now_ms).await?;
    }
    Ok(board)
}

/// Makes `board` the one signing in lands on, or none (the Metrics screen); the board must exist.
pub async fn set_home(store: &AnyStore, board: Option<BoardId>) -> AppResult<()> {
    if let Some(id) = board {
        store.board(id).await?;
    }
    store.set_home_board(board).await?;
    Ok(())
}

/// The id of a library metric on the Metrics screen, adding it (and queueing its backfill)
/// when it is not there yet.
async fn library_metric(
    store: &AnyStore,
    slug: &str,
    connection: &str,
    now_ms: i64,
) -> AppResult<i64> {
    let entry = library::find(slug)
        .map_err(|e| AppError::NotFound(format!("library metric {slug}: {e}")))?;
    if let Some(m) = store
        .metric_by_name(&entry.definition.description.name)
        .await?
    {
        return Ok(m.id.0);
    }
    let m = crate::metrics::add_from_library(store, slug, connection, true, now_ms).await?;
    Ok(m.id.0)
}

// ---------------------------------------------------------------- blocks

/// Checks what a block refers to against the store: every metric must exist (a stored block
/// naming missing metrics would cost every render a lookup for nothing), and a Progress block
/// that follows a stored goal shows the goal's metric.
async fn resolve_references(store: &AnyStore, mut form: BlockForm) -> AppResult<BlockForm> {
    if let Some(id) = form.settings.goal_id {
        match store.goal(GoalId(id)).await {
            Ok(goal) => form.settings.metrics = vec![goal.metric_id.0],
            Err(StoreError::NotFound { .. }) => {
                return Err(AppError::invalid(
                    "goal_id",
                    format!("there is no goal {id}; pick one from the list"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !form.settings.metrics.is_empty() {
        let stored = store.list_metrics().await?;
        let known: HashSet<i64> = stored.iter().map(|m| m.id.0).collect();
        if let Some(missing) = form.settings.metrics.iter().find(|id| !known.contains(id)) {
            return Err(AppError::invalid(
                "metric",
                format!("there is no metric {missing}; pick metrics from the list"),
            ));
        }
        let multi = multi_account_metrics(&stored);
        if form.settings.asks_accounts() && !form.settings.metrics.iter().any(|m| multi.contains(m))
        {
            return Err(AppError::invalid(
                "accounts",
                "these metrics read one account; accounts apply to a metric over several accounts",
            ));
        }
    }
    Ok(form)
}

/// The ids of the metrics whose rows carry their account (scope other than the connection's own).
pub fn multi_account_metrics(stored: &[store::StoredMetric]) -> HashSet<i64> {
    stored
        .iter()
        .filter(|m| {
            metric::MetricDefinition::from_json(&m.definition).is_ok_and(|d| d.accounts.is_multi())
        })
        .map(|m| m.id.0)
        .collect()
}

/// The block `block` of board `board`; `NotFound` when it is on another board or none.
pub async fn block(store: &AnyStore, board: BoardId, block: BlockId) -> AppResult<BlockRow> {
    store
        .blocks(board)
        .await?
        .into_iter()
        .find(|b| b.id == block)
        .ok_or_else(|| AppError::NotFound(format!("block {block} on board {board}")))
}

/// Adds a block at its type's default size, in the first free spot.
pub async fn add_block(
    store: &AnyStore,
    board: BoardId,
    form: BlockForm,
    now_ms: i64,
) -> AppResult<BlockRow> {
    let board = store.board(board).await?;
    let form = resolve_references(store, form).await?;
    let (w, h) = form.kind.default_size();
    let taken: Vec<Place> = store
        .blocks(board.id)
        .await?
        .iter()
        .map(|b| b.block.place)
        .collect();
    let (x, y) = grid::first_free(&taken, w, h);
    if y + h > grid::GRID_ROWS {
        return Err(full_board());
    }
    let block = NewBlock {
        kind: form.kind.to_string(),
        title: form.title,
        place: Place { x, y, w, h },
        settings: form.settings.to_json(),
    };
    let row = store.add_block(board.id, &block, now_ms).await?;
    remember(store, board.id, &Undo::Added { id: row.id.0 }).await?;
    Ok(row)
}

fn full_board() -> AppError {
    AppError::invalid(
        "layout",
        format!(
            "the board is full down to row {}; remove a block first",
            grid::GRID_ROWS
        ),
    )
}

/// A copy of a block placed right under it; the blocks below make room by moving down.
pub async fn duplicate_block(
    store: &AnyStore,
    board: BoardId,
    id: BlockId,
    now_ms: i64,
) -> AppResult<BlockRow> {
    let original = block(store, board, id).await?;
    let rows = store.blocks(board).await?;
    let p = original.block.place;
    let below = Place { y: p.y + p.h, ..p };
    // The copy takes a placeholder id no block has, so the rule can place it first.
    let copy = BlockId(i64::MIN);
    let mut layout = current_layout(&rows);
    layout.push((copy, below));
    let settled = grid::settle(&layout, &[copy]);
    if settled.iter().any(|(_, p)| p.y + p.h > grid::GRID_ROWS) {
        return Err(full_board());
    }
    let others: Vec<(BlockId, Place)> = settled
        .iter()
        .filter(|(b, p)| {
            *b != copy && Some(*p) != rows.iter().find(|r| r.id == *b).map(|r| r.block.place)
        })
        .copied()
        .collect();
    // Room first, then the copy: at no moment do two stored blocks overlap.
    if !others.is_empty() {
        store.arrange_blocks(board, &others, now_ms).await?;
    }
    let new = NewBlock {
        place: below,
        ..original.block.clone()
    };
    let row = store.add_block(board, &new, now_ms).await?;
    remember(store, board, &Undo::Added { id: row.id.0 }).await?;
    Ok(row)
}

fn current_layout(rows: &[BlockRow]) -> Vec<(BlockId, Place)> {
    rows.iter().map(|r| (r.id, r.block.place)).collect()
}

/// Replaces a block's type, title and settings; it keeps its place.
pub async fn edit_block(
    store: &AnyStore,
    board: BoardId,
    id: BlockId,
    form: BlockForm,
    now_ms: i64,
) -> AppResult<()> {
    let row = block(store, board, id).await?;
    let form = resolve_references(store, form).await?;
    let changed = NewBlock {
        kind: form.kind.to_string(),
        title: form.title,
        place: row.block.place,
        settings: form.settings.to_json(),
    };
    store.update_block(board, id, &changed, now_ms).await?;
    let before = Undo::Edited {
        id: id.0,
        kind: row.block.kind,
        title: row.block.title,
        settings: row.block.settings,
    };
    remember(store, board, &before).await
}

pub async fn delete_block(store: &AnyStore, board: BoardId, id: BlockId) -> AppResult<()> {
    let row = block(store, board, id).await?;
    if !store.delete_block(board, id).await? {
        return Err(AppError::NotFound(format!("block {id} on board {board}")));
    }
    let gone = Undo::Deleted {
        kind: row.block.kind,
        title: row.block.title,
        settings: row.block.settings,
        place: row.block.place,
    };
    remember(store, board, &gone).await
}

/// One step of the arrangement controls (`left`, `wider`...), kept inside the grid; blocks in
/// the way move down.
pub async fn move_block(
    store: &AnyStore,
    board: BoardId,
    id: BlockId,
    dir: &str,
    now_ms: i64,
) -> AppResult<Place> {
    let row = block(store, board, id).await?;
    let place = grid::moved(row.block.place, dir)
        .ok_or_else(|| AppError::invalid("dir", "unknown move"))?;
    arrange(store, board, &[(id, place)], now_ms).await?;
    Ok(place)
}

/// Moves and resizes blocks at once (a drag): every block named must be on the board and its
/// place inside the grid, or nothing changes; the blocks that moved keep their new place and
/// any block they would overlap moves down (`grid::arrange`). Answers every block's place as
/// stored.
pub async fn arrange(
    store: &AnyStore,
    board: BoardId,
    places: &[(BlockId, Place)],
    now_ms: i64,
) -> AppResult<Vec<(BlockId, Place)>> {
    // A board with no blocks and one that does not exist list the same: ask for the board.
    store.board(board).await?;
    let rows = store.blocks(board).await?;
    let before = current_layout(&rows);
    let after = grid::arrange(&before, places).map_err(|e| match e {
        grid::LayoutError::Unknown(id) => {
            AppError::NotFound(format!("block {id} on board {board}"))
        }
        e => AppError::invalid("layout", e.to_string()),
    })?;
    let changed: Vec<(BlockId, Place)> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| *a)
        .collect();
    if changed.is_empty() {
        return Ok(after);
    }
    store.arrange_blocks(board, &changed, now_ms).await?;
    let undo = Undo::Layout {
        places: before
            .iter()
            .filter(|(id, _)| changed.iter().any(|(c, _)| c == id))
            .map(|(id, p)| (id.0, *p))
            .collect(),
    };
    remember(store, board, &undo).await?;
    Ok(after)
}

// ---------------------------------------------------------------- undo

/// How to take back the last change to a board's blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "snake_case")]
enum Undo {
    /// Blocks moved or resized: where they stood.
    Layout { places: Vec<(i64, Place)> },
    /// A block edited: its type, title and settings before.
    Edited {
        id: i64,
        kind: String,
        title: String,
        settings: String,
    },
    /// A block deleted: all of it.
    Deleted {
        kind: String,
        title: String,
        settings: String,
        place: Place,
    },
    /// A block added or duplicated: it goes.
    Added { id: i64 },
}

impl Undo {
    /// What the change was: `move`, `edit`, `delete` or `add`.
    fn change(&self) -> &'static str {
        match self {
            Undo::Layout { .. } => "move",
            Undo::Edited { .. } => "edit",
            Undo::Deleted { .. } => "delete",
            Undo::Added { .. } => "add",
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Undo::Layout { .. } => "Undo move",
            Undo::Edited { .. } => "Undo edit",
            Undo::Deleted { .. } => "Undo delete",
            Undo::Added { .. } => "Undo add",
        }
    }
}

async fn remember(store: &AnyStore, board: BoardId, undo: &Undo) -> AppResult<()> {
    let text = serde_json::to_string(undo).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(store.set_board_undo(board, Some(&text)).await?)
}

async fn recorded(store: &AnyStore, board: BoardId) -> AppResult<Option<Undo>> {
    Ok(store
        .board_undo(board)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

/// What the board's Undo button takes back ("Undo move", "Undo delete"...), if anything.
pub async fn undo_label(store: &AnyStore, board: BoardId) -> AppResult<Option<&'static str>> {
    Ok(recorded(store, board).await?.map(|u| u.label()))
}

/// Takes back the last change to the board's blocks, once: blocks moved go back (whatever
/// stands there now moves down), an edited block gets its settings back, a deleted block comes
/// back where it stood (under a new id), an added one goes. Answers the change undone:
/// `move`, `edit`, `delete` or `add`.
pub async fn undo(store: &AnyStore, board: BoardId, now_ms: i64) -> AppResult<&'static str> {
    store.board(board).await?;
    let Some(record) = recorded(store, board).await? else {
        return Err(AppError::invalid("undo", "There is nothing to undo."));
    };
    // Forgotten first: a second click undoes nothing rather than the same change twice.
    store.set_board_undo(board, None).await?;
    let change = record.change();
    match record {
        Undo::Layout { places } => {
            let rows = store.blocks(board).await?;
            let places: Vec<(BlockId, Place)> = places
                .into_iter()
                .map(|(id, p)| (BlockId(id), p))
                .filter(|(id, _)| rows.iter().any(|r| r.id == *id))
                .collect();
            let after = grid::arrange(&current_layout(&rows), &places)
                .map_err(|e| AppError::invalid("layout", e.to_string()))?;
            let changed: Vec<(BlockId, Place)> = after
                .into_iter()
                .filter(|(id, p)| rows.iter().any(|r| r.id == *id && r.block.place != *p))
                .collect();
            if !changed.is_empty() {
                store.arrange_blocks(board, &changed, now_ms).await?;
            }
        }
        Undo::Edited {
            id,
            kind,
            title,
            settings,
        } => {
            let row = block(store, board, BlockId(id)).await?;
            let back = NewBlock {
                kind,
                title,
                settings,
                place: row.block.place,
            };
            store.update_block(board, row.id, &back, now_ms).await?;
        }
        Undo::Deleted {
            kind,
            title,
            settings,
            place,
        } => {
            let rows = store.blocks(board).await?;
            let back = BlockId(i64::MIN);
            let mut layout = current_layout(&rows);
            layout.push((back, place));
            let settled = grid::settle(&layout, &[back]);
            let others: Vec<(BlockId, Place)> = settled
                .into_iter()
                .filter(|(id, p)| rows.iter().any(|r| r.id == *id && r.block.place != *p))
                .collect();
            if others.iter().any(|(_, p)| p.y + p.h > grid::GRID_ROWS) {
                return Err(full_board());
            }
            if !others.is_empty() {
                store.arrange_blocks(board, &others, now_ms).await?;
            }
            let new = NewBlock {
                kind,
                title,
                settings,
                place,
            };
            store.add_block(board, &new, now_ms).await?;
        }
        Undo::Added { id } => {
            store.delete_block(board, BlockId(id)).await?;
        }
    }
    Ok(change)
}

// ---------------------------------------------------------------- share links

/// How long a share link lasts: a whole number of days from 1 to [`MAX_SHARE_DAYS`].
pub fn share_days(input: &str) -> AppResult<i64> {
    input
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_SHARE_DAYS).contains(d))
        .ok_or_else(|| AppError::invalid("days", "A link lasts 1 to 365 days."))
}

/// Records a share link of `board` lasting `days`. The link's token is signed over the id the
/// store gives on insert, so the row goes in under a placeholder and `sign` (the web's, which
/// holds the key) answers the token and its stored hash for the id and expiry; the token is
/// returned with the row.
pub async fn create_share(
    store: &AnyStore,
    board: BoardId,
    label: &str,
    days: i64,
    now_ms: i64,
    sign: impl FnOnce(ShareId, i64) -> (String, String),
) -> AppResult<(ShareRow, String)> {
    let board = store.board(board).await?;
    let expires_ms = now_ms + days * DAY_MS;
    let label = match label.trim() {
        "" => "link".to_owned(),
        l => l.chars().take(MAX_SHARE_LABEL).collect(),
    };
    let placeholder = format!("pending:{}", rand::random::<u64>());
    let mut row = store
        .create_share(board.id, &placeholder, &label, expires_ms, now_ms)
        .await?;
    let (token, hash) = sign(row.id, expires_ms);
    store.set_share_hash(row.id, &hash).await?;
    row.secret_hash = hash;
    Ok((row, token))
}

/// False when the link was revoked already (or is not the board's).
pub async fn revoke_share(
    store: &AnyStore,
    board: BoardId,
    id: ShareId,
    now_ms: i64,
) -> AppResult<bool> {
    Ok(store.revoke_share(board, id, now_ms).await?)
}
