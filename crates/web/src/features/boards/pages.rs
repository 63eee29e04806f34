//! The boards' screens: the list, and a board with its date picker; for Editors the board's
//! edit mode (the designer: blocks to drag, resize, duplicate and delete, the block panel, undo,
//! settings and share links).

use super::*;
use crate::account_picker::AccountChoices;
use crate::pages::{Choice, PageFrame, choices};

struct BoardItem {
    id: i64,
    name: String,
    range: String,
    zone: String,
}

#[derive(Template)]
#[template(path = "boards.html")]
struct BoardsPage {
    frame: PageFrame,
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
        frame: PageFrame::of(&caller, "boards").message((flash, flash_kind)),
        boards,
        templates: TEMPLATES.iter().map(|t| (t.slug, t.name)).collect(),
    })
}

pub struct BlockCard {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub grid: String,
    /// Place and size in grid cells, for the designer's script and tests.
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub caption: String,
    /// `partial`, `stale`, `failed`, `never` or `syncing` when a metric of the block is so.
    pub status: Option<&'static str>,
    pub reason: String,
    pub body: String,
    pub error: Option<String>,
    pub csv: String,
    /// The ids of the metrics the block shows, comma-separated: what the live script watches.
    pub metrics: String,
    /// The block's metrics (id, name), each linking to its metric page.
    pub links: Vec<(i64, String)>,
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

fn cards(c: &Computed, base: &str, query: &str, tv_rows: Option<i64>) -> Vec<BlockCard> {
    c.blocks
        .iter()
        .map(|(row, result)| {
            let kind: BlockKind = row.block.kind.parse().unwrap_or(BlockKind::Text);
            let settings = BlockSettings::from_json(&row.block.settings);
            let (body, caption, status, reason, error) = match result {
                Ok((plan, data)) => {
                    let size = match tv_rows {
                        Some(rows) => {
                            render::tv_chart_size(row.block.place.w, row.block.place.h, rows)
                        }
                        None => render::chart_size(row.block.place.w, row.block.place.h),
                    };
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
                x: row.block.place.x,
                y: row.block.place.y,
                w: row.block.place.w,
                h: row.block.place.h,
                caption,
                status,
                reason,
                body,
                error,
                csv: format!("{base}/blocks/{}.csv{query}", row.id),
                metrics: settings
                    .metrics
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                links: match result {
                    Ok((_, data)) => data
                        .metrics
                        .iter()
                        .map(|m| (m.info.id.0, m.info.name.clone()))
                        .collect(),
                    Err(_) => Vec::new(),
                },
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
    pub frame: PageFrame,
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
    /// The designer (edit mode) is on.
    pub editing: bool,
    /// The designer's block panel (type picker and the chosen type's fields), when open.
    pub panel: String,
    /// What the Undo button takes back, when there is something.
    pub undo: Option<&'static str>,
    pub shares: Vec<ShareItem>,
    pub shared: bool,
    /// On a TV: the next board's address and the seconds until it.
    pub tv: Option<(String, u32)>,
    /// What the live script polls for the versions of the board's metrics.
    pub live: String,
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
pub(super) struct Choices {
    pub(super) metrics: Vec<(i64, String)>,
    pub(super) goals: Vec<(i64, String)>,
    /// The metrics over several accounts and every account a block may keep.
    pub(super) accounts: AccountChoices,
}

/// `?edit=1` turns the designer on; `add` (a block type, or empty to pick one) or `block` (an
/// id, with `kind` to switch its type) opens the block panel.
#[derive(Deserialize, Default)]
pub struct DesignQuery {
    #[serde(default)]
    edit: Option<String>,
    #[serde(default)]
    add: Option<String>,
    #[serde(default)]
    block: Option<i64>,
    #[serde(default)]
    kind: Option<String>,
    /// A refused block form's fields, sent back to fill the panel again.
    #[serde(default)]
    draft: Option<String>,
}

/// The block panel for `d` (empty when closed): the type first, then that type's fields.
async fn panel(
    state: &AppState,
    board: i64,
    d: &DesignQuery,
    csrf: &str,
) -> Result<String, WebError> {
    let kind_of = |k: Option<&str>| k.and_then(|k| k.parse::<BlockKind>().ok());
    let (heading, kind, current, action, link): (
        _,
        _,
        _,
        _,
        Box<dyn Fn(BlockKind) -> String + Send + Sync>,
    ) = if let Some(bid) = d.block {
        let row = app::boards::block(state.store(), BoardId(board), BlockId(bid)).await?;
        let kind = kind_of(d.kind.as_deref())
            .or_else(|| row.block.kind.parse().ok())
            .unwrap_or(BlockKind::Text);
        (
            "Edit block",
            Some(kind),
            Some((
                row.block.title.clone(),
                BlockSettings::from_json(&row.block.settings),
            )),
            format!("/boards/{board}/blocks/{bid}"),
            Box::new(move |k| format!("/boards/{board}?edit=1&block={bid}&kind={k}")),
        )
    } else if let Some(add) = &d.add {
        (
            "Add a block",
            kind_of(Some(add)),
            None,
            format!("/boards/{board}/blocks"),
            Box::new(move |k| format!("/boards/{board}?edit=1&add={k}")),
        )
    } else {
        return Ok(String::new());
    };
    let mut html = format!(
        "<div class=\"panel-head\"><h2>{heading}</h2><a class=\"button secondary\" href=\"/boards/{board}?edit=1\" id=\"panel-close\">Close</a></div><p class=\"small muted\">Type</p>"
    );
    html.push_str(&type_picker(kind, &*link));
    match kind {
        Some(kind) => {
            let choices = Choices {
                metrics: choices(state, Choice::Metrics).await?,
                goals: choices(state, Choice::Goals).await?,
                accounts: AccountChoices::load(state).await?,
            };
            let current = match &d.draft {
                Some(sent) => Some(draft(&pairs(sent.as_bytes()))),
                None => current,
            };
            let current = current.as_ref().map(|(t, s)| (t.as_str(), s));
            html.push_str(&editor_form(csrf, &action, kind, current, &choices));
        }
        None => html.push_str("<p class=\"muted\">Pick the block's type; its settings follow.</p>"),
    }
    Ok(html)
}

pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
    Query(design): Query<DesignQuery>,
    flash: crate::flash::Flash,
) -> PageResult {
    let board = state.store().board(BoardId(id)).await?;
    let can_edit = caller.user.role >= Role::Editor;
    let editing =
        can_edit && (design.edit.is_some() || design.add.is_some() || design.block.is_some());
    let mut page = board_page(
        &state,
        board,
        &q,
        flash,
        can_edit.then_some(caller.csrf()),
        None,
        &caller.requester(),
        false,
    )
    .await?;
    // Drawn as for anyone with the link, then framed for the signed-in reader.
    page.frame =
        PageFrame::of(&caller, "boards").message((page.frame.flash.take(), page.frame.flash_kind));
    if editing {
        page.editing = true;
        page.panel = panel(&state, id, &design, caller.csrf()).await?;
        page.undo = app::boards::undo_label(state.store(), BoardId(id)).await?;
    }
    if editing {
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
                url: state.link(&format!("/shared/{token}")),
                tv_url: state.link(&format!("/tv/shared?links={token}")),
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

// Each argument is one independent choice of the four callers (board, shared, two TV loops).
#[allow(clippy::too_many_arguments)]
pub(super) async fn board_page(
    state: &AppState,
    board: BoardRow,
    q: &ViewQuery,
    flash: crate::flash::Flash,
    editor_csrf: Option<&str>,
    shared_base: Option<String>,
    requester: &str,
    tv: bool,
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
    let computed = compute_board(state, board, frame, requester).await?;
    // On a TV the board's rows share the screen's height, so charts are drawn for that.
    let tv_rows = computed.rows();
    let base = shared_base
        .clone()
        .unwrap_or_else(|| format!("/boards/{id}"));
    let query = query_of(q);
    // Drawing the charts is CPU work too.
    let blocks = {
        let (base, query) = (base.clone(), query.clone());
        state
            .heavy()
            .run("drawing a board", move || {
                cards(&computed, &base, &query, tv.then_some(tv_rows))
            })
            .await?
    };
    Ok(BoardPage {
        frame: PageFrame::anonymous("boards", editor_csrf.unwrap_or_default().to_owned())
            .flash(flash),
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
        editing: false,
        panel: String::new(),
        undo: None,
        shares: Vec::new(),
        shared: shared_base.is_some(),
        tv: None,
        live: match &shared_base {
            Some(shared) => format!("{shared}/versions"),
            None => "/api/v1/metrics/versions".to_owned(),
        },
        default_range,
        default_compare,
    })
}
