//! Databoards: boards of blocks over a date range, compared with another range.
//!
//! - [`model`]: block types and settings (stored as JSON, edited through a form).
//! - [`compute`]: resolve each block's range, read each metric's buckets once for all blocks,
//!   aggregate per block.
//! - [`render`]: a block as HTML, CSV rows, or a panel of the board's PNG.
//! - [`share`]: signed, expiring, revocable read-only links.
//! - `grid` (placement, free spots, arrangement steps), `templates` (starting boards), `forms`
//!   (the block editor), `svg` (the board for the PNG export), `assets` (the generated
//!   stylesheet and the scripts), and [`routes`] with each route's least role; the handlers
//!   stay here.
//!
//! Pages: `/boards` (list, create, rename, duplicate, delete, templates), `/boards/{id}` (the
//! board with its range picker, block editor and arrangement controls), exports (CSV of a block
//! or a board, PNG of a board), `/shared/{token}` (read-only, the range picker still works) and
//! `/tv` (boards in a loop, full screen, refreshing themselves).

mod assets;
mod forms;
mod grid;
mod svg;
mod templates;

pub mod api;
pub mod cache;
pub mod compute;
pub mod model;
pub mod render;
pub mod routes;
pub mod share;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{CompareTo, NamedRange};
use serde::Deserialize;
use store::{
    BlockId, BlockRow, BoardId, BoardRow, BoardSettings, BoardStore, NewBlock, Place, ShareId,
    Store, WatchStore,
};

pub use self::assets::*;
use self::compute::{Frame, Plan};
use self::forms::*;
pub use self::grid::*;
use self::model::{
    BlockForm, BlockKind, BlockSettings, ChangeFormat, TableRows, TableSort, interval_name,
};
use self::render::esc;
pub use self::svg::*;
use self::templates::*;
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};
use crate::pages::{Nav, nav, render};
use crate::state::AppState;

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

// ---------------------------------------------------------------- the list

struct BoardItem {
    id: i64,
    name: String,
    range: String,
    zone: String,
}

#[derive(Template)]
#[template(path = "boards.html")]
struct BoardsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    boards: Vec<BoardItem>,
    templates: Vec<(&'static str, &'static str)>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    flash: crate::flash::Flash,
) -> PageResult {
    let boards = state
        .store()
        .list_boards()
        .await?
        .into_iter()
        .map(|b| BoardItem {
            id: b.id.0,
            range: b
                .settings
                .date_range
                .parse::<NamedRange>()
                .map(|r| r.label())
                .unwrap_or_default(),
            zone: b.settings.zone.clone(),
            name: b.settings.name,
        })
        .collect();
    let (flash, flash_kind) = flash.split();
    render(&BoardsPage {
        nav: nav(&caller),
        active: "boards",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        flash,
        flash_kind,
        boards,
        templates: TEMPLATES.iter().map(|t| (t.slug, t.name)).collect(),
    })
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

fn checked_name(name: &str) -> Result<String, WebError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(WebError::invalid(
            "name",
            "a board name has 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

fn default_settings(name: String) -> BoardSettings {
    BoardSettings {
        name,
        date_range: NamedRange::LastN(30, metric::LastUnit::Days).to_string(),
        comparison: CompareTo::PreviousPeriod.to_string(),
        zone: "UTC".to_owned(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<NameForm>,
) -> PageResult {
    let name = match checked_name(&form.name) {
        Ok(n) => n,
        Err(e) => return Ok(flash_to("/boards", false, &e.to_string())),
    };
    let b = state
        .store()
        .create_board(&default_settings(name), state.clock().now_ms())
        .await?;
    Ok(Redirect::to(&format!("/boards/{}", b.id)).into_response())
}

pub async fn rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<NameForm>,
) -> PageResult {
    let b = state.store().board(BoardId(id)).await?;
    let name = match checked_name(&form.name) {
        Ok(n) => n,
        Err(e) => return Ok(flash_to("/boards", false, &e.to_string())),
    };
    let settings = BoardSettings { name, ..b.settings };
    state
        .store()
        .update_board(b.id, &settings, state.clock().now_ms())
        .await?;
    Ok(flash_to(
        "/boards",
        true,
        &format!("Renamed to {}.", settings.name),
    ))
}

pub async fn duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let b = state.store().board(BoardId(id)).await?;
    let name: String = format!("{} (copy)", b.settings.name)
        .chars()
        .take(200)
        .collect();
    let copy = state
        .store()
        .duplicate_board(b.id, &name, state.clock().now_ms())
        .await?;
    Ok(flash_to(
        &format!("/boards/{}", copy.id),
        true,
        &format!("Duplicated as {name}."),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let b = state.store().board(BoardId(id)).await?;
    state.store().delete_board(b.id).await?;
    Ok(flash_to(
        "/boards",
        true,
        &format!("Deleted {}.", b.settings.name),
    ))
}

pub async fn from_template(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<TemplateForm>,
) -> PageResult {
    let Some(t) = TEMPLATES.iter().find(|t| t.slug == form.template) else {
        return Ok(flash_to("/boards", false, "Unknown template."));
    };
    let store = state.store();
    let Some(connection) = store.list_connections().await?.into_iter().next() else {
        return Ok(flash_to(
            "/boards",
            false,
            "Add a Twilio connection in the Data Manager first.",
        ));
    };
    let now_ms = state.clock().now_ms();
    let board = store
        .create_board(&default_settings(t.name.to_owned()), now_ms)
        .await?;
    let sizes: Vec<(i64, i64)> = t.blocks.iter().map(|b| b.kind.default_size()).collect();
    for (tb, place) in t.blocks.iter().zip(flow(&sizes, 0)) {
        let mut ids = Vec::new();
        for slug in tb.slugs {
            ids.push(library_metric(&state, slug, &connection.label).await?);
        }
        let settings = BlockSettings {
            metrics: ids,
            by_dimension: tb.by_dimension,
            stacked: tb.stacked,
            donut: tb.donut,
            cumulative: tb.cumulative,
            ..BlockSettings::default()
        };
        store
            .add_block(
                board.id,
                &NewBlock {
                    kind: tb.kind.to_string(),
                    title: tb.title.to_owned(),
                    place,
                    settings: settings.to_json(),
                },
                now_ms,
            )
            .await?;
    }
    Ok(flash_to(
        &format!("/boards/{}", board.id),
        true,
        &format!("Created {} from library metrics.", t.name),
    ))
}

/// The id of a library metric on the Metrics screen, adding it (and queueing its backfill)
/// when it is not there yet.
async fn library_metric(state: &AppState, slug: &str, connection: &str) -> Result<i64, WebError> {
    let entry = library::find(slug)
        .map_err(|e| WebError::NotFound(format!("library metric {slug}: {e}")))?;
    if let Some(m) = state
        .store()
        .metric_by_name(&entry.definition.description.name)
        .await?
    {
        return Ok(m.id.0);
    }
    Ok(
        crate::ops::add_library_metric(state.store(), slug, connection)
            .await?
            .id
            .0,
    )
}

// ---------------------------------------------------------------- the board

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

pub struct BlockCard {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub grid: String,
    /// Width and height in grid cells, for dragging.
    pub w: i64,
    pub h: i64,
    pub caption: String,
    /// `partial`, `stale`, `failed`, `never` or `syncing` when a metric of the block is so.
    pub status: Option<&'static str>,
    pub reason: String,
    pub body: String,
    pub text: Vec<String>,
    pub error: Option<String>,
    pub editor: String,
    pub csv: String,
}

/// A block's plan and numbers, or why it could not be computed.
pub type BlockResult = Result<(Plan, compute::BlockData), String>;

/// A board computed for a frame: what the page, the exports and the shared view show.
pub struct Computed {
    pub board: BoardRow,
    pub frame: Frame,
    pub blocks: Vec<(BlockRow, BlockResult)>,
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
    }
    Ok(Computed {
        board,
        frame,
        blocks,
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

/// The worst sync state among a block's metrics, with every reason.
fn block_status(data: &compute::BlockData) -> (Option<&'static str>, String) {
    let rank = |s: &str| match s {
        "failed" => 5,
        "stale" => 4,
        "partial" => 3,
        "never" => 2,
        "syncing" => 1,
        _ => 0,
    };
    let mut worst: Option<&'static str> = None;
    let mut reasons = Vec::new();
    for m in &data.metrics {
        let s = m.info.sync.state;
        if let Some(broken) = &m.info.broken {
            worst = Some("failed");
            reasons.push(format!("{}: {broken}", m.info.name));
            continue;
        }
        if rank(s) > 0 {
            if worst.is_none_or(|w| rank(s) > rank(w)) {
                worst = Some(s);
            }
            let why = m.info.sync.reason.clone().unwrap_or_else(|| match s {
                "never" => "not synced yet".to_owned(),
                "syncing" => "a sync is running".to_owned(),
                other => other.to_owned(),
            });
            reasons.push(format!("{}: {why}", m.info.name));
        }
    }
    (worst, reasons.join("; "))
}

fn cards(
    c: &Computed,
    editor: Option<(&str, &Choices)>,
    base: &str,
    query: &str,
) -> Vec<BlockCard> {
    c.blocks
        .iter()
        .map(|(row, result)| {
            let kind: BlockKind = row.block.kind.parse().unwrap_or(BlockKind::Text);
            let settings = BlockSettings::from_json(&row.block.settings);
            let (body, caption, status, reason, error) = match result {
                Ok((plan, data)) => {
                    let size = render::chart_size(row.block.place.w, row.block.place.h);
                    let (status, reason) = block_status(data);
                    (
                        render::body(
                            plan.kind,
                            &plan.settings,
                            data,
                            &c.frame.zone,
                            size,
                            charts::Theme::Css,
                        ),
                        if kind == BlockKind::Text {
                            String::new()
                        } else {
                            render::range_caption(data, &c.frame.zone)
                        },
                        status,
                        reason,
                        None,
                    )
                }
                Err(e) => (
                    String::new(),
                    String::new(),
                    None,
                    String::new(),
                    Some(e.clone()),
                ),
            };
            BlockCard {
                id: row.id.0,
                kind: kind.as_str(),
                title: if row.block.title.is_empty() {
                    kind.label().to_owned()
                } else {
                    row.block.title.clone()
                },
                grid: grid_classes(row.block.place),
                w: row.block.place.w,
                h: row.block.place.h,
                caption,
                status,
                reason,
                body,
                text: settings.text.lines().map(str::to_owned).collect(),
                error,
                editor: editor
                    .map(|(csrf, choices)| {
                        editor_form(
                            csrf,
                            &format!("/boards/{}/blocks/{}", c.board.id, row.id),
                            Some((kind, &row.block.title, &settings)),
                            choices,
                        )
                    })
                    .unwrap_or_default(),
                csv: format!("{base}/blocks/{}.csv{query}", row.id),
            }
        })
        .collect()
}

pub struct RangeOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "board.html")]
pub struct BoardPage {
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub csrf: String,
    pub can_edit: bool,
    pub flash: Option<String>,
    pub flash_kind: &'static str,
    pub id: i64,
    pub name: String,
    pub zone: String,
    /// Where the date picker submits: the board, or the shared link.
    pub base: String,
    pub query: String,
    pub ranges: Vec<RangeOption>,
    pub compares: Vec<RangeOption>,
    pub from: String,
    pub to: String,
    pub range_label: String,
    pub blocks: Vec<BlockCard>,
    pub new_block: String,
    pub shares: Vec<ShareItem>,
    pub shared: bool,
    /// On a TV: the next board's address and the seconds until it.
    pub tv: Option<(String, u32)>,
    pub default_range: String,
    pub default_compare: String,
}

pub struct ShareItem {
    pub id: i64,
    pub label: String,
    pub url: String,
    /// The same board full screen, refreshing itself, without signing in.
    pub tv_url: String,
    pub state: &'static str,
    pub expires: String,
}

fn picker(frame: &Frame) -> (Vec<RangeOption>, Vec<RangeOption>, String, String) {
    let mut ranges: Vec<RangeOption> = NamedRange::presets()
        .into_iter()
        .map(|r| RangeOption {
            value: r.to_string(),
            label: r.label(),
            selected: r == frame.range,
        })
        .collect();
    let (mut from, mut to) = (String::new(), String::new());
    match frame.range {
        NamedRange::Since(d) => from = d.to_string(),
        NamedRange::Custom { from: f, to: t } => {
            from = f.to_string();
            to = t.to_string();
        }
        _ => {}
    }
    ranges.push(RangeOption {
        value: "since".to_owned(),
        label: "Since a date".to_owned(),
        selected: matches!(frame.range, NamedRange::Since(_)),
    });
    ranges.push(RangeOption {
        value: "custom".to_owned(),
        label: "Custom dates".to_owned(),
        selected: matches!(frame.range, NamedRange::Custom { .. }),
    });
    let compares = CompareTo::ALL
        .into_iter()
        .map(|c| RangeOption {
            value: c.to_string(),
            label: c.label().to_owned(),
            selected: c == frame.compare,
        })
        .collect();
    (ranges, compares, from, to)
}

fn query_of(q: &ViewQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("range", &q.range),
        ("compare", &q.compare),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let enc: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            parts.push(format!("{k}={enc}"));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// What the block editor offers to pick from.
#[derive(Default)]
struct Choices {
    metrics: Vec<(i64, String)>,
    goals: Vec<(i64, String)>,
}

async fn goal_choices(state: &AppState) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .store()
        .list_goals()
        .await?
        .into_iter()
        .map(|g| (g.id.0, g.name))
        .collect())
}

async fn metric_choices(state: &AppState) -> Result<Vec<(i64, String)>, WebError> {
    Ok(state
        .store()
        .list_metrics()
        .await?
        .into_iter()
        .map(|m| (m.id.0, m.name))
        .collect())
}

async fn share_key(state: &AppState) -> Result<Vec<u8>, WebError> {
    let candidate: [u8; 32] = rand::random();
    Ok(state
        .store()
        .signing_key(share::KEY_PURPOSE, &candidate)
        .await?)
}

pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
    flash: crate::flash::Flash,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let can_edit = caller.user.role >= Role::Editor;
    let mut page = board_page(
        &state,
        board,
        &q,
        flash,
        can_edit.then_some(caller.csrf()),
        None,
        &caller.requester(),
    )
    .await?;
    page.nav = nav(&caller);
    page.csrf = caller.csrf().to_owned();
    page.can_edit = can_edit;
    if can_edit {
        let key = share_key(&state).await?;
        let now_ms = state.clock().now_ms();
        page.shares = state
            .store()
            .shares(BoardId(id))
            .await?
            .into_iter()
            .map(|s| {
                let token = share::sign(
                    &key,
                    &share::Claims {
                        share: s.id,
                        board: s.board,
                        expires_ms: s.expires_ms,
                    },
                );
                (s, token)
            })
            .map(|(s, token)| ShareItem {
                id: s.id.0,
                label: s.label.clone(),
                url: format!("/shared/{token}"),
                tv_url: format!("/tv/shared?links={token}"),
                state: if s.revoked_ms.is_some() {
                    "revoked"
                } else if s.is_live(now_ms) {
                    "live"
                } else {
                    "expired"
                },
                expires: crate::views::when(Some(s.expires_ms)),
            })
            .collect();
    }
    render(&page)
}

async fn board_page(
    state: &AppState,
    board: BoardRow,
    q: &ViewQuery,
    flash: crate::flash::Flash,
    editor_csrf: Option<&str>,
    shared_base: Option<String>,
    requester: &str,
) -> Result<BoardPage, WebError> {
    let frame = frame_of(&board, q, state.clock().now())?;
    let (ranges, compares, from, to) = picker(&frame);
    let range_label = format!(
        "{}{}",
        frame.range.label(),
        match frame.compare {
            CompareTo::None => String::new(),
            c => format!(", compared with the {}", c.label().to_lowercase()),
        }
    );
    let id = board.id.0;
    let zone = board.settings.zone.clone();
    let name = board.settings.name.clone();
    let default_range = board.settings.date_range.clone();
    let default_compare = board.settings.comparison.clone();
    let choices = if editor_csrf.is_some() {
        Choices {
            metrics: metric_choices(state).await?,
            goals: goal_choices(state).await?,
        }
    } else {
        Choices::default()
    };
    let computed = compute_board(state, board, frame, requester).await?;
    let base = shared_base
        .clone()
        .unwrap_or_else(|| format!("/boards/{id}"));
    let query = query_of(q);
    // Drawing the charts is CPU work too.
    let editor = editor_csrf.map(str::to_owned);
    let (blocks, new_block) = {
        let (base, query) = (base.clone(), query.clone());
        state
            .heavy()
            .run("drawing a board", move || {
                let editor = editor.as_deref();
                let blocks = cards(&computed, editor.map(|c| (c, &choices)), &base, &query);
                let new_block = editor
                    .map(|c| editor_form(c, &format!("/boards/{id}/blocks"), None, &choices))
                    .unwrap_or_default();
                (blocks, new_block)
            })
            .await?
    };
    let (flash, flash_kind) = flash.split();
    Ok(BoardPage {
        nav: None,
        active: "boards",
        csrf: String::new(),
        can_edit: false,
        flash,
        flash_kind,
        id,
        name,
        zone,
        base,
        query,
        ranges,
        compares,
        from,
        to,
        range_label,
        blocks,
        new_block,
        shares: Vec::new(),
        shared: shared_base.is_some(),
        tv: None,
        default_range,
        default_compare,
    })
}

pub async fn settings(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> PageResult {
    let p = pairs(&raw);
    let board = state.store().board(BoardId(id)).await?;
    let back = format!("/boards/{id}");
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
    let zone = field(&p, "zone").trim();
    if let Err(e) = zone_of(zone) {
        return Ok(flash_to(&back, false, &e.to_string()));
    }
    let name = field(&p, "name");
    let settings = BoardSettings {
        name: if name.trim().is_empty() {
            board.settings.name.clone()
        } else {
            checked_name(name)?
        },
        date_range: range.to_string(),
        comparison: compare.to_string(),
        zone: zone.to_owned(),
    };
    state
        .store()
        .update_board(board.id, &settings, state.clock().now_ms())
        .await?;
    Ok(flash_to(&back, true, "Board saved."))
}

pub async fn block_add(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> PageResult {
    let p = pairs(&raw);
    let board = state.store().board(BoardId(id)).await?;
    let back = format!("/boards/{id}");
    let form = match BlockForm::parse(&p) {
        Ok(f) => f,
        Err((field, e)) => return Ok(flash_to(&back, false, &format!("{field}: {e}"))),
    };
    let form = match resolve_references(&state, form).await? {
        Ok(f) => f,
        Err((field, e)) => return Ok(flash_to(&back, false, &format!("{field}: {e}"))),
    };
    let (w, h) = form.kind.default_size();
    let taken: Vec<Place> = state
        .store()
        .blocks(board.id)
        .await?
        .iter()
        .map(|b| b.block.place)
        .collect();
    let (x, y) = first_free(&taken, w, h);
    state
        .store()
        .add_block(
            board.id,
            &NewBlock {
                kind: form.kind.to_string(),
                title: form.title,
                place: Place { x, y, w, h },
                settings: form.settings.to_json(),
            },
            state.clock().now_ms(),
        )
        .await?;
    Ok(flash_to(&back, true, "Block added."))
}

/// Checks what a block's form refers to against the store: every metric must exist (a stored
/// block naming missing metrics would cost every render a lookup for nothing), and a Progress
/// block that follows a stored goal shows the goal's metric. `Err` names the field and the
/// reference that does not exist.
async fn resolve_references(
    state: &AppState,
    mut form: BlockForm,
) -> Result<Result<BlockForm, (&'static str, String)>, WebError> {
    if let Some(id) = form.settings.goal_id {
        match state.store().goal(store::GoalId(id)).await {
            Ok(goal) => form.settings.metrics = vec![goal.metric_id.0],
            Err(store::StoreError::NotFound { .. }) => {
                return Ok(Err((
                    "goal_id",
                    format!("there is no goal {id}; pick one from the list"),
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !form.settings.metrics.is_empty() {
        let known: std::collections::HashSet<i64> = state
            .store()
            .list_metrics()
            .await?
            .iter()
            .map(|m| m.id.0)
            .collect();
        if let Some(missing) = form.settings.metrics.iter().find(|id| !known.contains(id)) {
            return Ok(Err((
                "metric",
                format!("there is no metric {missing}; pick metrics from the list"),
            )));
        }
    }
    Ok(Ok(form))
}

async fn block_of(state: &AppState, board: BoardId, block: BlockId) -> Result<BlockRow, WebError> {
    state
        .store()
        .blocks(board)
        .await?
        .into_iter()
        .find(|b| b.id == block)
        .ok_or_else(|| WebError::NotFound(format!("block {block} on board {board}")))
}

pub async fn block_edit(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
    RawForm(raw): RawForm,
) -> PageResult {
    let p = pairs(&raw);
    let row = block_of(&state, BoardId(id), BlockId(bid)).await?;
    let back = format!("/boards/{id}");
    let form = match BlockForm::parse(&p) {
        Ok(f) => f,
        Err((field, e)) => return Ok(flash_to(&back, false, &format!("{field}: {e}"))),
    };
    let form = match resolve_references(&state, form).await? {
        Ok(f) => f,
        Err((field, e)) => return Ok(flash_to(&back, false, &format!("{field}: {e}"))),
    };
    state
        .store()
        .update_block(
            row.board,
            row.id,
            &NewBlock {
                kind: form.kind.to_string(),
                title: form.title,
                place: row.block.place,
                settings: form.settings.to_json(),
            },
            state.clock().now_ms(),
        )
        .await?;
    Ok(flash_to(&back, true, "Block saved."))
}

pub async fn block_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, bid)): Path<(i64, i64)>,
) -> PageResult {
    if !state
        .store()
        .delete_block(BoardId(id), BlockId(bid))
        .await?
    {
        return Err(WebError::NotFound(format!("block {bid} on board {id}")).into());
    }
    Ok(flash_to(&format!("/boards/{id}"), true, "Block removed."))
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
    let row = block_of(&state, BoardId(id), BlockId(bid)).await?;
    let place = moved(row.block.place, &form.dir)
        .ok_or_else(|| WebError::invalid("dir", "unknown move"))?;
    state
        .store()
        .arrange_blocks(row.board, &[(row.id, place)], state.clock().now_ms())
        .await?;
    Ok(Redirect::to(&format!("/boards/{id}#block-{bid}")).into_response())
}

#[derive(Deserialize)]
pub struct ArrangeForm {
    /// `id:x,y,w,h;id:x,y,w,h`, as `boards.js` sends after a drag.
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
    for (_, p) in &places {
        if p.x < 0
            || p.w < 1
            || p.x + p.w > GRID_COLUMNS
            || p.y < 0
            || p.y >= GRID_ROWS
            || !(1..=8).contains(&p.h)
        {
            return Err(
                WebError::invalid("layout", "a block must stay inside the 12-column grid").into(),
            );
        }
    }
    state
        .store()
        .arrange_blocks(BoardId(id), &places, state.clock().now_ms())
        .await?;
    Ok(Redirect::to(&format!("/boards/{id}")).into_response())
}

// ---------------------------------------------------------------- exports

fn attachment(mut response: Response, file: &str) -> Response {
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

fn csv_of(c: &Computed, only: Option<BlockId>) -> String {
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

pub async fn board_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let frame = frame_of(&board, &q, state.clock().now())?;
    let c = compute_board(&state, board, frame, &caller.requester()).await?;
    let name = format!("{}.csv", file_stem(&c.board.settings.name));
    Ok(attachment(
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv_of(&c, None),
        )
            .into_response(),
        &name,
    ))
}

pub async fn block_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(i64, String)>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let bid: i64 = file
        .strip_suffix(".csv")
        .and_then(|b| b.parse().ok())
        .ok_or_else(|| WebError::NotFound(format!("{file} is not a block export")))?;
    let board = state.store().board(BoardId(id)).await?;
    block_of(&state, board.id, BlockId(bid)).await?;
    let frame = frame_of(&board, &q, state.clock().now())?;
    let c = compute_board(&state, board, frame, &caller.requester()).await?;
    Ok(attachment(
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv_of(&c, Some(BlockId(bid))),
        )
            .into_response(),
        &format!("block-{bid}.csv"),
    ))
}

pub async fn board_png(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let frame = frame_of(&board, &q, state.clock().now())?;
    let c = compute_board(&state, board, frame, &caller.requester()).await?;
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

// ---------------------------------------------------------------- share links

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
    let board = state.store().board(BoardId(id)).await?;
    let back = format!("/boards/{id}");
    let Some(days) = form
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=365).contains(d))
    else {
        return Ok(flash_to(&back, false, "A link lasts 1 to 365 days."));
    };
    let key = share_key(&state).await?;
    let now_ms = state.clock().now_ms();
    let expires_ms = now_ms + days * crate::views::DAY_MS;
    // The MAC covers the link's id, which the store gives on insert: insert under a
    // placeholder hash first, then sign and record the real one.
    let placeholder = format!("pending:{}", rand::random::<u64>());
    let label = if form.label.trim().is_empty() {
        "link".to_owned()
    } else {
        form.label.trim().chars().take(100).collect()
    };
    let row = state
        .store()
        .create_share(board.id, &placeholder, &label, expires_ms, now_ms)
        .await?;
    let token = share::sign(
        &key,
        &share::Claims {
            share: row.id,
            board: board.id,
            expires_ms,
        },
    );
    state
        .store()
        .set_share_hash(row.id, &share::stored_hash(&token))
        .await?;
    Ok(flash_to(
        &back,
        true,
        &format!("Share link created: /shared/{token}"),
    ))
}

pub async fn share_revoke(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, sid)): Path<(i64, i64)>,
) -> PageResult {
    let done = state
        .store()
        .revoke_share(BoardId(id), ShareId(sid), state.clock().now_ms())
        .await?;
    Ok(flash_to(
        &format!("/boards/{id}"),
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
async fn shared_board(state: &AppState, token: &str) -> Result<BoardRow, WebError> {
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
    )
    .await?;
    let mut response = render(&page)?;
    // The token is the credential: keep it out of Referer headers and caches.
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
    let bid: i64 = file
        .strip_suffix(".csv")
        .and_then(|b| b.parse().ok())
        .ok_or_else(|| WebError::NotFound(format!("{file} is not a block export")))?;
    block_of(&state, board.id, BlockId(bid)).await?;
    let frame = frame_of(&board, &q, state.clock().now())?;
    let c = compute_board(&state, board, frame, &format!("share:{token}")).await?;
    Ok(attachment(
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv_of(&c, Some(BlockId(bid))),
        )
            .into_response(),
        &format!("block-{bid}.csv"),
    ))
}

/// Any change attempted through a share link: refused, whatever it is.
pub async fn shared_refuse() -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        "a shared link is read-only: sign in to change this board\n",
    )
        .into_response()
}

// ---------------------------------------------------------------- TV loop

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
