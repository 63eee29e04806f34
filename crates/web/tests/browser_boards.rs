//! Databoards in headless Chromium: a board built through the UI with one block of each type
//! over synced simulator data, numbers checked against the simulator's dataset, the range
//! picker, a shared link opened without signing in, and screenshots of the full board.

mod support;

use serde_json::{Value, json};
use store::{BoardStore as _, MetricId};
use support::browser::{Browser, Size, WebApp};
use support::dataset::{DAY_MS, rfc2822_ms, sent_in, today_utc_ms};
use support::shared;
use web::Role;

/// Adds library metrics (the worker backfills them) and waits until each has synced.
async fn synced_metrics(app: &WebApp, slugs: &[&str]) -> Vec<MetricId> {
    app.connection("sim").await;
    let mut ids = Vec::new();
    for slug in slugs {
        ids.push(app.synced_library_metric(slug, "sim").await);
    }
    ids
}

/// A board in UTC (name, range, comparison) with one block at the top left (kind, title,
/// width, height, settings JSON).
async fn board_with_block(
    app: &WebApp,
    (name, range, compare): (&str, &str, &str),
    (kind, title, w, h): (&str, &str, i64, i64),
    settings: String,
) -> (store::BoardRow, store::BlockRow) {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: name.to_owned(),
                date_range: range.to_owned(),
                comparison: compare.to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    let block = store
        .add_block(
            board.id,
            &store::NewBlock {
                kind: kind.to_owned(),
                title: title.to_owned(),
                place: store::Place { x: 0, y: 0, w, h },
                settings,
            },
            now_ms,
        )
        .await
        .unwrap();
    (board, block)
}

/// What the page shows in the block of type `kind`.
async fn block_of_kind(b: &Browser, kind: &str) -> Value {
    b.execute(
        r#"const s = document.querySelector(`section.block[data-kind="${arguments[0]}"]`);
           if (!s) return null;
           const v = s.querySelector('[data-value]');
           const c = s.querySelector('[data-previous]');
           return { value: v ? v.dataset.value : null, previous: c ? c.dataset.previous : null,
                    svg: s.querySelectorAll('svg.chart').length, text: s.textContent };"#,
        vec![json!(kind)],
    )
    .await
}

/// In the designer: "Add a block", the type `kind`, then (unless `filter` is empty) the one
/// metric left after typing `filter` in the metric picker's filter box, ticked.
async fn open_panel_for(b: &Browser, kind: &str, filter: &str) {
    b.submit("#add-block").await;
    b.submit(&format!("#block-panel .type-picker a[data-kind={kind}]"))
        .await;
    if filter.is_empty() {
        return;
    }
    let search = b.find("#block-panel .metric-filter").await;
    search.send_keys(filter).await.unwrap();
    let visible = b
        .execute(
            "return Array.from(document.querySelectorAll('#block-panel .metric-option'))
               .filter(o => !o.hidden).map(o => o.textContent.trim());",
            vec![],
        )
        .await;
    let visible: Vec<String> = serde_json::from_value(visible).unwrap();
    assert_eq!(
        visible.len(),
        1,
        "typing {filter:?} leaves one metric: {visible:?}"
    );
    assert!(
        visible[0].to_lowercase().contains(filter),
        "{filter:?} shows {visible:?}"
    );
    b.click("#block-panel .metric-option:not([hidden]) input")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_built_in_the_browser_shows_the_simulators_numbers() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    synced_metrics(&app, &["messages-sent", "messages-by-status"]).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/boards").await;
    b.fill("new-board input[name=name]", "Operations").await;
    b.submit("#new-board button").await;
    assert!(b.path().await.starts_with("/boards/"), "{}", b.path().await);

    // One block of each type, through the designer's block panel.
    b.submit("#edit-board").await;
    let kinds = [
        ("number", "sent"),
        ("line", "sent"),
        ("bar", "status"),
        ("table", "status"),
        ("pie", "status"),
        ("progress", "sent"),
        ("text", ""),
    ];
    for (kind, metric) in kinds {
        open_panel_for(&b, kind, metric).await;
        let form = "#block-panel form.block-editor";
        if kind == "progress" {
            let goal = b.find(&format!("{form} input[name=goal]")).await;
            goal.send_keys("500").await.unwrap();
        }
        if kind == "bar" {
            b.click(&format!("{form} input[name=by_dimension]")).await;
            b.click(&format!("{form} input[name=stacked]")).await;
        }
        if kind == "text" {
            let t = b.find(&format!("{form} textarea[name=text]")).await;
            t.send_keys("Numbers from the simulator.").await.unwrap();
        }
        b.submit(&format!("{form} button")).await;
        assert!(
            b.has("#flash").await && b.text("#flash").await.contains("Block added"),
            "{kind}: {}",
            b.body_text().await
        );
    }
    b.submit("#edit-done").await;
    assert_eq!(b.find_all("section.block").await.len(), 7);

    // The board's default: last 30 days against the 30 before, in UTC.
    let today = today_utc_ms();
    let number = block_of_kind(&b, "number").await;
    assert_eq!(
        number["value"],
        sent_in(today - 30 * DAY_MS, today).to_string(),
        "{number}"
    );
    assert_eq!(
        number["previous"],
        sent_in(today - 60 * DAY_MS, today - 30 * DAY_MS).to_string()
    );
    for kind in ["line", "bar", "pie"] {
        assert_eq!(
            block_of_kind(&b, kind).await["svg"],
            1,
            "{kind} draws a chart"
        );
    }
    assert!(b.text("#board-range").await.contains("times in UTC"));
    b.screenshot("board").await;

    // The range picker: last 7 days against the same period last year.
    b.select("#range-picker select[name=range]", "Last 7 days")
        .await;
    b.select(
        "#range-picker select[name=compare]",
        "Same period last year",
    )
    .await;
    b.submit("#range-picker button").await;
    let number = block_of_kind(&b, "number").await;
    assert_eq!(
        number["value"],
        sent_in(today - 7 * DAY_MS, today).to_string(),
        "{number}"
    );
    assert_eq!(
        number["previous"], "",
        "nothing had synced a year ago: no earlier value, not a zero (issue 17)"
    );
    assert!(b.path().await.contains("range=last_7_days"));
    b.screenshot("board-last-7-days").await;
    let board_path = b.path().await;
    drop(b);

    // The same board in a dark theme, for the CI artifacts: charts take the dark palette.
    let Some(dark) = Browser::open_with(&app, Size::Desktop, true).await else {
        return;
    };
    dark.login("ada").await;
    dark.goto(&board_path).await;
    // A block's card is dark: the mean of its background's RGB channels is below half.
    let card = dark
        .execute(
            "return getComputedStyle(document.querySelector('section.block')).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)",
            vec![],
        )
        .await;
    let rgb: Vec<f64> = serde_json::from_value(card.clone()).unwrap();
    assert!(
        rgb.iter().sum::<f64>() / 3.0 < 128.0,
        "the board follows the dark preference: {card}"
    );
    dark.screenshot("board-dark").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_link_opens_without_login_and_a_revoked_one_is_refused() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let ids = synced_metrics(&app, &["messages-sent"]).await;
    let store = app.state.store();
    let (board, _) = board_with_block(
        &app,
        ("Wall", "last_7_days", "previous_period"),
        ("number", "Sent", 3, 2),
        format!("{{\"metrics\":[{}]}}", ids[0].0),
    )
    .await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/boards/{}?edit=1", board.id)).await;
    b.fill("share-form input[name=label]", "lobby").await;
    b.submit("#share-form button").await;
    let link: String = b
        .execute(
            "return document.querySelector('.share-list li.live a').getAttribute('href')",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .to_owned();
    drop(b);

    // A fresh browser, never signed in.
    let Some(guest) = Browser::open(&app, Size::Phone).await else {
        return;
    };
    guest.goto(&link).await;
    assert!(guest.has("#read-only").await, "{}", guest.body_text().await);
    assert!(
        !guest.has("form[method=post]").await,
        "no form that changes anything"
    );
    let today = today_utc_ms();
    let number = block_of_kind(&guest, "number").await;
    assert_eq!(
        number["value"],
        sent_in(today - 7 * DAY_MS, today).to_string()
    );
    guest
        .select("#range-picker select[name=range]", "Yesterday")
        .await;
    guest.submit("#range-picker button").await;
    let number = block_of_kind(&guest, "number").await;
    assert_eq!(
        number["value"],
        sent_in(today - DAY_MS, today).to_string(),
        "the picker works on a shared link"
    );
    guest.screenshot("board-shared").await;

    // An edit through the link is refused, and so is the link once revoked.
    let refused = guest
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(location.pathname, {method: 'POST', body: 'name=x', headers: {'content-type': 'application/x-www-form-urlencoded'}})
               .then(r => done(r.status));",
            vec![],
        )
        .await;
    assert_eq!(refused, 403);
    let share = store.shares(board.id).await.unwrap()[0].clone();
    store
        .revoke_share(board.id, share.id, jiff::Timestamp::now().as_millisecond())
        .await
        .unwrap();
    guest.goto(&link).await;
    assert!(!guest.has("#read-only").await);
    assert!(
        guest.body_text().await.contains("not valid"),
        "{}",
        guest.body_text().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_block_sorts_by_the_column_clicked() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Viewer).await;
    let ids = synced_metrics(&app, &["messages-by-status"]).await;
    let (board, _) = board_with_block(
        &app,
        ("Statuses", "last_7_days", "previous_period"),
        ("table", "By status", 6, 4),
        format!("{{\"metrics\":[{}],\"top\":20}}", ids[0].0),
    )
    .await;
    // The counts per status over the last 7 days, from the dump.
    let today = today_utc_ms();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for m in shared().dump["accounts"][0]["messages"].as_array().unwrap() {
        let at = rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created"));
        if at.is_some_and(|at| today - 7 * DAY_MS <= at && at < today) {
            *counts
                .entry(m["status"].as_str().unwrap_or("").to_owned())
                .or_default() += 1;
        }
    }
    assert!(counts.len() >= 3, "several statuses to sort: {counts:?}");

    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/boards/{}", board.id)).await;
    let rows = || async {
        let got = b
            .execute(
                "return Array.from(document.querySelectorAll('section.block[data-kind=table] tbody tr'))
                   .map(r => [r.cells[0].textContent.trim(), Number(r.cells[1].dataset.value)]);",
                vec![],
            )
            .await;
        serde_json::from_value::<Vec<(String, f64)>>(got).unwrap()
    };
    let shown: std::collections::BTreeMap<String, usize> = rows()
        .await
        .into_iter()
        .map(|(s, v)| (s, v as usize))
        .collect();
    assert_eq!(shown, counts, "every status with its count");

    // Largest first, then smallest first on a second click.
    let mut descending: Vec<usize> = counts.values().copied().collect();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    let values = |r: Vec<(String, f64)>| r.into_iter().map(|(_, v)| v as usize).collect::<Vec<_>>();
    b.click("section.block[data-kind=table] thead th:nth-child(2) button.sort")
        .await;
    assert_eq!(values(rows().await), descending);
    b.click("section.block[data-kind=table] thead th:nth-child(2) button.sort")
        .await;
    let ascending: Vec<usize> = descending.iter().rev().copied().collect();
    assert_eq!(values(rows().await), ascending);
    let arrow = b
        .execute(
            "return document.querySelector('section.block[data-kind=table] thead th:nth-child(2)').getAttribute('aria-sort')",
            vec![],
        )
        .await;
    assert_eq!(arrow, "ascending");
}

/// A block's place in grid cells: (x, y, w, h).
type Cells = (i64, i64, i64, i64);

/// Every block's place as the page draws it (its data attributes), by block id.
async fn page_layout(b: &Browser) -> std::collections::BTreeMap<i64, Cells> {
    let v = b
        .execute(
            "return Array.from(document.querySelectorAll('section.block')).map(s =>
               [Number(s.dataset.block), Number(s.dataset.x), Number(s.dataset.y),
                Number(s.dataset.w), Number(s.dataset.h)]);",
            vec![],
        )
        .await;
    let rows: Vec<(i64, i64, i64, i64, i64)> = serde_json::from_value(v).unwrap();
    rows.into_iter()
        .map(|(id, x, y, w, h)| (id, (x, y, w, h)))
        .collect()
}

/// Every block's place as `/api/v1/boards/{id}` answers it, fetched by the signed-in page.
async fn api_layout(b: &Browser, board: i64) -> std::collections::BTreeMap<i64, Cells> {
    let v = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(`/api/v1/boards/${arguments[0]}`).then(r => r.json())
               .then(j => done(j.blocks.map(k => [k.id, k.place.x, k.place.y, k.place.w, k.place.h])));",
            vec![json!(board)],
        )
        .await;
    let rows: Vec<(i64, i64, i64, i64, i64)> =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("the API's blocks: {e}: {v}"));
    rows.into_iter()
        .map(|(id, x, y, w, h)| (id, (x, y, w, h)))
        .collect()
}

/// Whether two placements share a cell (computed here, not by the code under test).
fn cells_overlap(a: Cells, b: Cells) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// The page's layout and the API's agree, and no two blocks share a cell; answers it.
async fn checked_layout(b: &Browser, board: i64) -> std::collections::BTreeMap<i64, Cells> {
    let shown = page_layout(b).await;
    assert_eq!(
        shown,
        api_layout(b, board).await,
        "the page shows what is stored"
    );
    let all: Vec<(&i64, &Cells)> = shown.iter().collect();
    for (i, (a, pa)) in all.iter().enumerate() {
        for (c, pc) in &all[i + 1..] {
            assert!(
                !cells_overlap(**pa, **pc),
                "blocks {a} {pa:?} and {c} {pc:?} overlap"
            );
        }
    }
    shown
}

/// The viewport point at `(dx, dy)` pixels inside grid cell (`col`, `row`), from the grid's
/// laid-out tracks.
async fn cell_point(b: &Browser, col: i64, row: i64, dx: f64, dy: f64) -> (f64, f64) {
    let v = b
        .execute(
            "const g = document.getElementById('board-grid');
             const s = getComputedStyle(g), box = g.getBoundingClientRect();
             const sizes = t => t.split(' ').map(parseFloat);
             const cols = sizes(s.gridTemplateColumns), rows = sizes(s.gridTemplateRows);
             const cg = parseFloat(s.columnGap) || 0, rg = parseFloat(s.rowGap) || 0;
             let x = box.left, y = box.top;
             for (let i = 0; i < arguments[0]; i++) x += cols[i] + cg;
             for (let i = 0; i < arguments[1]; i++) y += (rows[i] || 110) + rg;
             return [x, y];",
            vec![json!(col), json!(row)],
        )
        .await;
    let (x, y): (f64, f64) = serde_json::from_value(v).unwrap();
    (x + dx, y + dy)
}

/// Presses the mouse at `from`, moves in two steps (the page reflows as the block follows)
/// to `to`, and releases it there; then waits for the designer to save. Both points are
/// measured when they are used: charts settle their height after a layout changes.
async fn mouse_drag(
    b: &Browser,
    from: impl AsyncFn() -> (f64, f64),
    to: impl AsyncFn() -> (f64, f64),
) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    b.execute(
        "document.getElementById('designer-status').textContent = ''",
        vec![],
    )
    .await;
    let from = from().await;
    let press = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveTo {
            duration: None,
            x: from.0,
            y: from.1,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: None,
            x: 8.0,
            y: 8.0,
        });
    b.client.perform_actions(press).await.unwrap();
    let first = to().await;
    let halfway = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveTo {
        duration: None,
        x: first.0,
        y: first.1,
    });
    b.client.perform_actions(halfway).await.unwrap();
    // The block now stands (about) there; the target is measured again on the new layout.
    let target = to().await;
    let release = MouseActions::new("mouse".to_owned())
        .then(PointerAction::MoveTo {
            duration: None,
            x: target.0,
            y: target.1,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    b.client.perform_actions(release).await.unwrap();
    b.client.release_actions().await.unwrap();
    b.wait_until(
        "the designer to answer",
        "const s = document.getElementById('designer-status').textContent; return !!s && !s.startsWith('Saving');",
    )
    .await;
    assert_eq!(status_text(b).await, "Saved.");
}

async fn status_text(b: &Browser) -> String {
    b.execute(
        "return document.getElementById('designer-status').textContent",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Where a block's title bar starts, in the viewport: a point 10 px into its first cell.
async fn head_point(b: &Browser, id: i64) -> (f64, f64) {
    let v = b
        .execute(
            "const r = document.querySelector(`#block-${arguments[0]} .block-head`).getBoundingClientRect();
             return [r.left + 10, r.top + 6];",
            vec![json!(id)],
        )
        .await;
    serde_json::from_value(v).unwrap()
}

/// How far into its block's top-left cell a point of the title bar sits.
async fn head_offset(b: &Browser, id: i64) -> (f64, f64) {
    let v = b
        .execute(
            "const s = document.getElementById(`block-${arguments[0]}`).getBoundingClientRect();
             const r = document.querySelector(`#block-${arguments[0]} .block-head`).getBoundingClientRect();
             return [r.left + 10 - s.left, r.top + 6 - s.top];",
            vec![json!(id)],
        )
        .await;
    serde_json::from_value(v).unwrap()
}

fn id_of_kind(layout: &Value, kind: &str) -> i64 {
    layout
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .and_then(|k| k["id"].as_i64())
        .unwrap_or_else(|| panic!("no {kind} block in {layout}"))
}

async fn kinds_on_page(b: &Browser) -> Value {
    b.execute(
        "return Array.from(document.querySelectorAll('section.block')).map(s => ({id: Number(s.dataset.block), kind: s.dataset.kind}));",
        vec![],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_designer_builds_a_board_with_the_mouse_and_never_overlaps_blocks() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    synced_metrics(&app, &["messages-sent", "messages-by-status"]).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/boards").await;
    b.fill("new-board input[name=name]", "Designed").await;
    b.submit("#new-board button").await;
    let board: i64 = b.path().await["/boards/".len()..].parse().unwrap();
    assert!(
        !b.has(".block-tools").await,
        "the view mode shows no block buttons"
    );
    b.submit("#edit-board").await;

    // Three blocks through the panel: each type shows only its own fields.
    for (kind, metric) in [("number", "sent"), ("line", "status"), ("bar", "sent")] {
        open_panel_for(&b, kind, metric).await;
        let fields = b
            .execute(
                "return Array.from(document.querySelectorAll('#block-panel form [name]')).map(f => f.name);",
                vec![],
            )
            .await;
        let fields: Vec<String> = serde_json::from_value(fields).unwrap();
        assert_eq!(
            fields.iter().any(|f| f == "stacked"),
            kind == "bar",
            "{kind}: {fields:?}"
        );
        assert_eq!(fields.iter().any(|f| f == "change"), kind == "number");
        assert!(!fields.iter().any(|f| f == "goal" || f == "text"), "{kind}");
        b.submit("#block-panel form.block-editor button").await;
        assert!(b.text("#flash").await.contains("Block added"));
        checked_layout(&b, board).await;
    }
    // A refused block keeps every field: a Progress block needs a goal or a target.
    open_panel_for(&b, "progress", "sent").await;
    b.find("#block-panel input[name=title]")
        .await
        .send_keys("Aim")
        .await
        .unwrap();
    b.submit("#block-panel form.block-editor button").await;
    assert!(
        b.text("#flash").await.starts_with("goal:"),
        "{}",
        b.text("#flash").await
    );
    let kept = b
        .execute(
            "return [document.querySelector('#block-panel input[name=title]').value,
                     Array.from(document.querySelectorAll('#block-panel input[name=metric]:checked'))
                       .map(c => c.closest('label').textContent.trim())];",
            vec![],
        )
        .await;
    assert_eq!(kept, json!(["Aim", ["Messages sent"]]));
    assert_eq!(page_layout(&b).await.len(), 3, "nothing was added");

    let kinds = kinds_on_page(&b).await;
    let (number, line, bar) = (
        id_of_kind(&kinds, "number"),
        id_of_kind(&kinds, "line"),
        id_of_kind(&kinds, "bar"),
    );
    // Free spots, top to bottom, left to right: 3×2, 6×3 beside it, 6×3 under both.
    let start = checked_layout(&b, board).await;
    assert_eq!(start[&number], (0, 0, 3, 2));
    assert_eq!(start[&line], (3, 0, 6, 3));
    assert_eq!(start[&bar], (0, 3, 6, 3));

    // The number block dragged by its title bar onto the line block's place: it lands there
    // and the line block moves down out of its way.
    let grab = head_offset(&b, number).await;
    mouse_drag(
        &b,
        async || head_point(&b, number).await,
        async || cell_point(&b, 4, 0, grab.0, grab.1).await,
    )
    .await;
    let after = checked_layout(&b, board).await;
    assert_eq!(after[&number], (4, 0, 3, 2), "dropped where released");
    assert_eq!(
        after[&line].1, 2,
        "pushed under the dropped block: {after:?}"
    );
    assert_eq!((after[&line].0, after[&line].2), (3, 6), "only down");

    // Undo puts all three back.
    b.submit("#undo").await;
    assert_eq!(checked_layout(&b, board).await, start);

    // The same drop again, then the number block resized by its corner to 5×3.
    mouse_drag(
        &b,
        async || head_point(&b, number).await,
        async || cell_point(&b, 4, 0, grab.0, grab.1).await,
    )
    .await;
    let corner = async || {
        let at = b
            .execute(
                "const r = document.querySelector(`#block-${arguments[0]} .resize-handle`).getBoundingClientRect();
                 return [r.left + r.width / 2, r.top + r.height / 2];",
                vec![json!(number)],
            )
            .await;
        serde_json::from_value::<(f64, f64)>(at).unwrap()
    };
    mouse_drag(&b, corner, async || cell_point(&b, 8, 2, 20.0, 20.0).await).await;
    let resized = checked_layout(&b, board).await;
    assert_eq!(resized[&number], (4, 0, 5, 3), "{resized:?}");
    assert!(
        resized[&line].1 >= 3,
        "the line block made room: {resized:?}"
    );
    b.screenshot("designer-dragged").await;

    // The keyboard does the same: a focused block moves with the arrows, Shift resizes.
    let el = b.find(&format!("#block-{number}")).await;
    el.send_keys("\u{E012}").await.unwrap(); // ArrowLeft
    b.wait_until(
        "the move to be saved",
        "return document.getElementById('designer-status').textContent === 'Saved.'",
    )
    .await;
    let keyed = checked_layout(&b, board).await;
    assert_eq!(keyed[&number], (3, 0, 5, 3), "{keyed:?}");
    let focused = b
        .execute(
            "return document.activeElement && document.activeElement.id",
            vec![],
        )
        .await;
    assert_eq!(focused, json!(format!("block-{number}")), "focus stays");

    // Duplicate the bar block: the copy sits right under it, blocks below move down.
    b.goto(&format!("/boards/{board}?edit=1")).await;
    let before = checked_layout(&b, board).await;
    b.submit(&format!("#block-{bar} .duplicate-block")).await;
    let duplicated = checked_layout(&b, board).await;
    assert_eq!(duplicated.len(), 4);
    let copy = *duplicated
        .keys()
        .find(|id| !before.contains_key(id))
        .unwrap();
    let (x, y, w, h) = before[&bar];
    assert_eq!(duplicated[&copy], (x, y + h, w, h));

    // Delete the copy, then undo: it comes back where it was.
    b.submit(&format!("#block-{copy} .delete-block")).await;
    assert!(b.text("#flash").await.contains("Block removed"));
    assert_eq!(checked_layout(&b, board).await.len(), 3);
    assert_eq!(b.text("#undo").await, "Undo delete");
    b.submit("#undo").await;
    let restored = checked_layout(&b, board).await;
    assert_eq!(restored.len(), 4);
    let back = *restored.keys().find(|id| !before.contains_key(id)).unwrap();
    assert_eq!(restored[&back], (x, y + h, w, h));
    assert_eq!(
        b.execute("return document.getElementById('undo-form').hidden", vec![])
            .await,
        json!(true),
        "one undo, then nothing left to take back"
    );

    // The designer with a block's panel open, for the eyes.
    let panel = format!("/boards/{board}?edit=1&block={line}");
    b.goto(&panel).await;
    assert!(!b.has("#block-panel input[name=stacked]").await);
    b.screenshot("designer").await;
    drop(b);
    for (size, dark, name) in [
        (Size::Desktop, true, "designer-dark"),
        (Size::Phone, false, "designer"),
        (Size::Phone, true, "designer-dark"),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        b.login("ada").await;
        b.goto(&panel).await;
        let wide = b
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await;
        assert!(
            wide.as_f64().unwrap() <= 0.0,
            "{name} {size:?}: no sideways scroll ({wide})"
        );
        b.screenshot(name).await;
    }
}
