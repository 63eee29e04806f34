//! Databoards in headless Chromium: a board built through the UI with one block of each type
//! over synced simulator data, numbers checked against the simulator's dataset, the range
//! picker, a shared link opened without signing in, and screenshots of the full board.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::{BoardStore as _, MetricId, Store as _};
use support::browser::{Browser, Size, WebApp};
use support::shared;
use web::Role;

const DAY_MS: i64 = 86_400_000;

fn rfc2822_ms(v: &Value, field: &str) -> Option<i64> {
    let s = v.get(field)?.as_str()?;
    Some(
        jiff::fmt::rfc2822::parse(s)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// "Messages sent" over `[from, to)` counted from the dump.
fn sent_in(from_ms: i64, to_ms: i64) -> usize {
    shared().dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"].as_str() != Some("inbound"))
        .filter_map(|m| rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created")))
        .filter(|&at| from_ms <= at && at < to_ms)
        .count()
}

fn today_utc_ms() -> i64 {
    let now = jiff::Timestamp::now().as_millisecond();
    now.div_euclid(DAY_MS) * DAY_MS
}

/// Adds library metrics (the worker backfills them) and waits until each has synced.
async fn synced_metrics(app: &WebApp, slugs: &[&str]) -> Vec<MetricId> {
    app.connection("sim").await;
    let mut ids = Vec::new();
    for slug in slugs {
        let m = app
            .state
            .app()
            .add_library_metric(slug, "sim")
            .await
            .unwrap();
        ids.push(m.id);
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    for id in &ids {
        while app
            .state
            .store()
            .last_good_sync(*id)
            .await
            .unwrap()
            .is_none()
        {
            assert!(Instant::now() < deadline, "metric {id} never synced");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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

    // One block of each type, through the "Add a block" form.
    let kinds = [
        ("Number", "Messages sent"),
        ("Line chart", "Messages sent"),
        ("Bar chart", "Messages by status"),
        ("Table", "Messages by status"),
        ("Pie or donut", "Messages by status"),
        ("Progress to a goal", "Messages sent"),
        ("Text", ""),
    ];
    for (kind, metric) in kinds {
        let form = "form.block-editor[action$='/blocks']";
        b.select(&format!("{form} select[name=kind]"), kind).await;
        if !metric.is_empty() {
            b.select(&format!("{form} select[name=metric]"), metric)
                .await;
        }
        if kind == "Progress to a goal" {
            let goal = b.find(&format!("{form} input[name=goal]")).await;
            goal.send_keys("500").await.unwrap();
        }
        if kind == "Bar chart" {
            b.click(&format!("{form} input[name=by_dimension]")).await;
            b.click(&format!("{form} input[name=stacked]")).await;
        }
        if kind == "Text" {
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
    b.goto(&format!("/boards/{}", board.id)).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_dragged_and_resized_in_the_browser_keeps_its_place() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let ids = synced_metrics(&app, &["messages-sent"]).await;
    let store = app.state.store();
    let (board, block) = board_with_block(
        &app,
        ("Arranged", "last_7_days", "none"),
        ("number", "Sent", 3, 2),
        format!("{{\"metrics\":[{}]}}", ids[0].0),
    )
    .await;
    let place = || async { store.blocks(board.id).await.unwrap()[0].block.place };
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/boards/{}", board.id)).await;

    // Wider, with the button (no JavaScript needed).
    b.click(&format!(
        "section.block[data-block=\"{}\"] button[value=wider]",
        block.id
    ))
    .await;
    b.wait_for(&format!(
        "section.block[data-block=\"{}\"][data-w=\"4\"]",
        block.id
    ))
    .await;
    assert_eq!((place().await.w, place().await.h), (4, 2));

    // Dragged by its header onto the grid cell of column 7 (index 6), row 2 (index 1): the
    // drop is dispatched where a person's mouse would release it.
    b.execute(
        r#"const grid = document.getElementById('board-grid');
           const block = grid.querySelector('section.block');
           const box = grid.getBoundingClientRect();
           const style = getComputedStyle(grid);
           const columns = style.gridTemplateColumns.split(' ').length;
           const gap = parseFloat(style.columnGap) || 0;
           const colWidth = (box.width - gap * (columns - 1)) / columns;
           const rowHeight = parseFloat(style.gridAutoRows) || 110;
           const data = new DataTransfer();
           block.querySelector('.block-head').dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
           grid.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data,
             clientX: box.left + 6 * (colWidth + gap) + colWidth / 2,
             clientY: box.top + 1 * (rowHeight + gap) + rowHeight / 2}));"#,
        vec![],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while (place().await.x, place().await.y) != (6, 1) {
        assert!(
            Instant::now() < deadline,
            "the drop was not saved: {:?}",
            place().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // After the reload the page draws it there, still four cells wide.
    b.goto(&format!("/boards/{}", board.id)).await;
    let classes = b
        .execute(
            "return document.querySelector('section.block').className",
            vec![],
        )
        .await;
    let classes = classes.as_str().unwrap();
    for class in ["gx6", "gy1", "gw4", "gh2"] {
        assert!(
            classes.split_whitespace().any(|c| c == class),
            "{class} in {classes}"
        );
    }
}
