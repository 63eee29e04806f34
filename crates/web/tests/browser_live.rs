//! Live pages and TV mode in headless Chromium: a board block and a Metrics screen card that
//! change after a sync without a reload (and a share link's TV loop with them), "Syncing…" while
//! a sync runs, and TV mode filling a 1080p and a 4K screen (no app chrome, the whole board
//! visible, large text), light and dark.

mod support;

use serde_json::{Value, json};
use store::{BoardStore as _, MetricId, NewSyncRun, RunStatus, Store as _, SyncRunEnd};
use support::browser::{Browser, Size, WebApp};
use support::dataset::{DAY_MS, sent_in, today_utc_ms};
use web::Role;

/// A board over the last 30 days in UTC with a Number block of `metric`; its id.
async fn board_with_number(app: &WebApp, metric: MetricId) -> i64 {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: "Live".to_owned(),
                date_range: "last_30_days".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    let settings = app::boards::model::BlockSettings {
        metrics: vec![metric.0],
        ..Default::default()
    };
    store
        .add_block(
            board.id,
            &store::NewBlock {
                kind: "number".to_owned(),
                title: "Messages sent".to_owned(),
                place: store::Place {
                    x: 0,
                    y: 0,
                    w: 3,
                    h: 2,
                },
                settings: settings.to_json(),
            },
            now_ms,
        )
        .await
        .unwrap();
    board.id.0
}

/// The `data-value` of the first element `css` selects, or null.
async fn data_value(b: &Browser, css: &str) -> Value {
    let script =
        format!("const v = document.querySelector('{css}'); return v ? v.dataset.value : null");
    b.execute(&script, vec![]).await
}

/// Waits until the page's live script has read the versions once.
async fn live_ready(b: &Browser) {
    b.wait_until(
        "the live script's first poll",
        "return document.querySelector('[data-live-ready]') !== null",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_block_and_a_metric_card_update_after_a_sync_without_a_reload() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let m = app
        .state
        .app()
        .add_library_metric_unsynced("messages-sent", "sim")
        .await
        .unwrap();
    let board = board_with_number(&app, m.id).await;

    let Some(on_board) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    let Some(on_metrics) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    on_board.login("ada").await;
    // Share links are made in the board's edit mode.
    on_board.goto(&format!("/boards/{board}?edit=1")).await;
    // A share link's TV loop, opened by nobody signed in, refreshes through the link.
    on_board.fill("share-form input[name=label]", "lobby").await;
    on_board.submit("#share-form button").await;
    let shared = on_board
        .execute(
            "return document.querySelector('.share-list a.tv-link').getAttribute('href')",
            vec![],
        )
        .await;
    let shared = shared.as_str().expect("a TV link").to_owned();
    on_board.goto(&format!("/boards/{board}")).await;
    let Some(on_tv) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    on_tv.goto(&shared).await;
    live_ready(&on_tv).await;
    on_metrics.login("ada").await;
    on_metrics.goto("/metrics/all").await;
    live_ready(&on_board).await;
    live_ready(&on_metrics).await;
    // Nothing synced yet: neither page shows the number the sync will bring.
    let today = today_utc_ms();
    let expected_block = sent_in(today - 30 * DAY_MS, today).to_string();
    let block = "section.block[data-kind=number]";
    let card = format!("#metric-{}", m.id.0);
    assert_ne!(
        data_value(&on_board, &format!("{block} [data-value]")).await,
        json!(expected_block)
    );
    let card_before = data_value(&on_metrics, &format!("{card} .value")).await;
    // Marks both documents: a reload would lose the mark.
    for b in [&on_board, &on_metrics, &on_tv] {
        b.execute("window.notReloaded = true; return true", vec![])
            .await;
    }

    // A sync under way shows on the card and the block.
    let run = app
        .state
        .store()
        .start_sync_run(&NewSyncRun {
            metric_id: m.id,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms: jiff::Timestamp::now().as_millisecond(),
        })
        .await
        .unwrap();
    on_board
        .wait_until(
            "Syncing… on the block",
            &format!(
                "return document.querySelector('{block} .live-sync')?.textContent === 'Syncing…'"
            ),
        )
        .await;
    on_metrics
        .wait_until(
            "Syncing… on the card",
            &format!(
                "return document.querySelector('{card} .live-sync')?.textContent === 'Syncing…'"
            ),
        )
        .await;
    on_metrics.screenshot("live-metrics-syncing").await;
    app.state
        .store()
        .finish_sync_run(
            run,
            &SyncRunEnd {
                status: RunStatus::Failed,
                ledger: json!({}),
                error: Some("stopped by the test".to_owned()),
                finished_ms: jiff::Timestamp::now().as_millisecond(),
            },
        )
        .await
        .unwrap();

    // The real sync, through the worker.
    app.state.app().enqueue_sync(m.id).await.unwrap();
    on_board
        .wait_until(
            "the block's new number",
            &format!(
                "const v = document.querySelector('{block} [data-value]'); \
                 return v && v.dataset.value === '{expected_block}' && !document.querySelector('{block} .live-sync')"
            ),
        )
        .await;
    on_tv
        .wait_until(
            "the shared TV block's new number",
            &format!(
                "const v = document.querySelector('{block} [data-value]'); \
                 return v && v.dataset.value === '{expected_block}'"
            ),
        )
        .await;
    let period = on_metrics
        .execute(
            &format!(
                "const li = document.querySelector('{card}'); return [Number(li.dataset.from), Number(li.dataset.to)]"
            ),
            vec![],
        )
        .await;
    let expected_card = sent_in(period[0].as_i64().unwrap(), period[1].as_i64().unwrap());
    assert!(expected_card > 0, "the simulator sent messages this week");
    assert_ne!(card_before, json!(expected_card.to_string()));
    on_metrics
        .wait_until(
            "the card's new number",
            &format!(
                "return document.querySelector('{card} .value').dataset.value === '{expected_card}'"
            ),
        )
        .await;
    for b in [&on_board, &on_metrics, &on_tv] {
        assert_eq!(
            b.execute("return window.notReloaded === true", vec![])
                .await,
            json!(true),
            "the page was not reloaded"
        );
    }
    on_board.screenshot("live-board-after-sync").await;
    on_metrics.screenshot("live-metrics-after-sync").await;
}

/// TV mode at 1080p and 4K, light and dark: no app chrome, nothing below the fold or beside
/// it, axis labels at least 16 px at 1080p (and twice that at 4K), a clock in the corner; on a
/// phone, no sideways scroll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tv_mode_fills_a_1080p_and_a_4k_screen_with_the_whole_board() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let board = app
        .state
        .app()
        .board_from_template("messaging")
        .await
        .unwrap();
    let ids: Vec<MetricId> = app
        .state
        .store()
        .list_metrics()
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    // The template queued each metric's backfill; the worker takes them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    for id in &ids {
        while app
            .state
            .store()
            .last_good_sync(*id)
            .await
            .unwrap()
            .is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "metric {id} never synced"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    for (size, dark, least_label_px) in [
        (Size::Tv, false, 16.0),
        (Size::Tv, true, 16.0),
        (Size::Tv4k, false, 32.0),
        (Size::Tv4k, true, 32.0),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        b.login("ada").await;
        b.goto(&format!("/tv?boards={}", board.id.0)).await;
        b.wait_until(
            "the clock",
            "return document.getElementById('tv-clock')?.textContent.length > 0",
        )
        .await;
        let seen = b
            .execute(
                r#"const top = document.querySelector('header.top');
                   const blocks = [...document.querySelectorAll('section.block')];
                   const labels = [...document.querySelectorAll('section.block svg.chart text')]
                     .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a);
                   return {
                     chrome: top ? top.getBoundingClientRect().height : 0,
                     scroll_h: document.documentElement.scrollHeight,
                     scroll_w: document.documentElement.scrollWidth,
                     inner_h: innerHeight, inner_w: innerWidth,
                     blocks: blocks.length,
                     lowest: Math.max(...blocks.map((s) => s.getBoundingClientRect().bottom)),
                     labels: labels.length,
                     smallest_label: Math.min(...labels),
                   };"#,
                vec![],
            )
            .await;
        let label = format!("{size:?} dark={dark}: {seen}");
        assert_eq!(seen["chrome"], json!(0), "no app header: {label}");
        assert_eq!(seen["blocks"], json!(8), "{label}");
        assert!(
            seen["scroll_h"].as_f64() <= seen["inner_h"].as_f64(),
            "{label}"
        );
        assert!(
            seen["scroll_w"].as_f64() <= seen["inner_w"].as_f64(),
            "{label}"
        );
        assert!(
            seen["lowest"].as_f64() <= seen["inner_h"].as_f64(),
            "{label}"
        );
        assert!(seen["labels"].as_u64() > Some(0), "{label}");
        assert!(
            seen["smallest_label"].as_f64().unwrap() >= least_label_px,
            "{label}"
        );
        b.screenshot(&format!("tv{}", if dark { "-dark" } else { "" }))
            .await;
    }
    // On a phone the board stacks and scrolls down, never sideways.
    let Some(b) = Browser::open(&app, Size::Phone).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/tv?boards={}", board.id.0)).await;
    let wide = b
        .execute(
            "return document.documentElement.scrollWidth <= innerWidth",
            vec![],
        )
        .await;
    assert_eq!(wide, json!(true), "no sideways scroll on a phone");
    b.screenshot("tv").await;
}
