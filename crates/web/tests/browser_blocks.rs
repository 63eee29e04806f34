//! What a Table and a Text block look like in headless Chromium: a table at its narrowest keeps
//! every digit of every number and every column in view, and notes written in Markdown come out
//! as links and lists, never as markup a reader's browser would run.

mod support;

use serde_json::Value;
use store::BoardStore as _;
use support::browser::{Browser, Size, WebApp};
use web::Role;

/// A board in UTC over the last 7 days against the previous period, with the given blocks
/// (kind, title, place, settings JSON), one per row of the grid.
async fn board(app: &WebApp, blocks: &[(&str, &str, store::Place, String)]) -> i64 {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: "Blocks".to_owned(),
                date_range: "last_7_days".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    for (kind, title, place, settings) in blocks {
        store
            .add_block(
                board.id,
                &store::NewBlock {
                    kind: (*kind).to_owned(),
                    title: (*title).to_owned(),
                    place: *place,
                    settings: settings.clone(),
                },
                now_ms,
            )
            .await
            .unwrap();
    }
    board.id.0
}

/// Every cell of the page's table blocks whose text is wider than the cell shows, and whether
/// any table is wider than its block.
async fn cut_cells(b: &Browser) -> Value {
    b.execute(
        r#"const cut = [];
           for (const t of document.querySelectorAll('.block-table')) {
             const body = t.closest('.block-body');
             if (body.scrollWidth > body.clientWidth + 1)
               cut.push({ table: t.closest('section').dataset.block, wider: body.scrollWidth, room: body.clientWidth });
             for (const c of t.querySelectorAll('td.num, td.when, th')) {
               if (c.scrollWidth > c.clientWidth + 1) cut.push({ cell: c.textContent, wants: c.scrollWidth, has: c.clientWidth });
             }
           }
           return cut;"#,
        vec![],
    )
    .await
}

#[tokio::test]
async fn a_narrow_table_block_keeps_every_number_and_column_in_view() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    app.connection("sim").await;
    let spend = app.synced_library_metric("spend-by-category", "sim").await;
    let id = board(
        &app,
        &[
            (
                "table",
                "Spend by category",
                store::Place {
                    x: 0,
                    y: 0,
                    w: 3,
                    h: 3,
                },
                format!("{{\"metrics\":[{}],\"top\":20}}", spend.0),
            ),
            (
                "table",
                "Spend per day",
                store::Place {
                    x: 0,
                    y: 3,
                    w: 3,
                    h: 3,
                },
                format!(
                    "{{\"metrics\":[{}],\"table_rows\":\"by_interval\"}}",
                    spend.0
                ),
            ),
        ],
    )
    .await;
    for size in [Size::Desktop, Size::Phone] {
        let Some(b) = Browser::open(&app, size).await else {
            return;
        };
        b.login("ada").await;
        b.goto(&format!("/boards/{id}")).await;
        b.wait_for(".block-table td.num").await;
        let previous = b.find_all(".block-table th").await.len();
        assert!(
            previous >= 5,
            "both tables show their columns, Previous included"
        );
        b.screenshot("blocks-tables").await;
        let cut = cut_cells(&b).await;
        assert_eq!(cut, Value::Array(vec![]), "{}: cut cells", size.label());
    }
}

#[tokio::test]
async fn a_text_block_renders_its_markdown_and_no_markup() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    let notes = "**Shift** notes for [the runbook](https://example.com/runbook)\n\n- check spend\n- call <b>ops</b>\n\n[bad](javascript:alert(1))";
    let id = board(
        &app,
        &[(
            "text",
            "Notes",
            store::Place {
                x: 0,
                y: 0,
                w: 4,
                h: 2,
            },
            serde_json::json!({ "text": notes }).to_string(),
        )],
    )
    .await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/boards/{id}")).await;
    let seen = b
        .execute(
            r#"const s = document.querySelector('section.block[data-kind="text"] .block-body');
               return { strong: s.querySelector('strong')?.textContent,
                        links: Array.from(s.querySelectorAll('a')).map(a => a.getAttribute('href')),
                        items: Array.from(s.querySelectorAll('li')).map(li => li.textContent),
                        bold: s.querySelectorAll('b').length, text: s.textContent };"#,
            vec![],
        )
        .await;
    assert_eq!(seen["strong"], "Shift", "{seen}");
    assert_eq!(
        seen["links"],
        serde_json::json!(["https://example.com/runbook"]),
        "{seen}"
    );
    assert_eq!(
        seen["items"],
        serde_json::json!(["check spend", "call <b>ops</b>"]),
        "raw HTML is shown as text: {seen}"
    );
    assert_eq!(seen["bold"], 0, "{seen}");
    assert!(seen["text"].as_str().unwrap().contains("bad"), "{seen}");
}
