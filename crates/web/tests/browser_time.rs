//! Honest time in headless Chromium: "Last 12 months" over a metric whose syncs cover 90 days
//! draws no point before the first synced day (checked on the SVG by each point's month), the
//! Number block's total is the sum of the chart's points, and the Metrics screen's range picker
//! works. Screenshots of both, desktop, phone and dark.

mod support;

use jiff::ToSpan;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use store::{BoardStore as _, MetricId, Store as _};
use support::browser::{Browser, Size, WebApp};
use web::Role;

/// A UTC board over "Last 12 months" with a Line block and a Number block of `metric`.
async fn year_board(app: &WebApp, metric: MetricId) -> i64 {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: "A year of sends".to_owned(),
                date_range: "last_12_months".to_owned(),
                comparison: "same_period_last_year".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    for (kind, x, w, h) in [("line", 0, 8, 4), ("number", 8, 4, 2)] {
        store
            .add_block(
                board.id,
                &store::NewBlock {
                    kind: kind.to_owned(),
                    title: "Sent".to_owned(),
                    place: store::Place { x, y: 0, w, h },
                    settings: format!("{{\"metrics\":[{}]}}", metric.0),
                },
                now_ms,
            )
            .await
            .unwrap();
    }
    board.id.0
}

/// The line chart as the page holds it: each hover band's box and tooltip, each marker's x,
/// the text of the "no data" mark; and the Number block's value.
async fn read_board(b: &Browser) -> Value {
    b.execute(
        r#"const line = document.querySelector('section.block[data-kind="line"] svg.chart');
           const bands = [...line.querySelectorAll('rect.hit')].map(r => ({
               x: parseFloat(r.getAttribute('x')), w: parseFloat(r.getAttribute('width')),
               title: r.querySelector('title').textContent }));
           const dots = [...line.querySelectorAll('circle')].map(c => parseFloat(c.getAttribute('cx')));
           const mark = line.querySelector('g.no-data');
           const number = document.querySelector('section.block[data-kind="number"] [data-value]');
           return { bands, dots, mark: mark ? mark.textContent : null,
                    number: number ? number.dataset.value : null,
                    numberText: number ? number.textContent : null };"#,
        vec![],
    )
    .await
}

/// The value a tooltip line `Messages sent: 1,234` names, `None` for `—`.
fn tooltip_value(title: &str) -> Option<f64> {
    let line = title.lines().nth(1)?;
    let text = line.split_once(": ")?.1;
    let text = text.split(" (").next()?;
    text.replace(',', "").parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_12_months_draws_nothing_before_the_first_synced_day_and_the_number_agrees() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let sent = app.synced_library_metric("messages-sent", "sim").await;
    let spans = app.state.store().synced_spans(&[sent]).await.unwrap();
    let (first_ms, _) = spans[&sent];
    let board = year_board(&app, sent).await;

    // The twelve whole months before this one, in UTC, and the one the first synced hour is in.
    let now = jiff::Timestamp::now().to_zoned(TimeZone::UTC);
    let this_month = now.date().first_of_month();
    let months: Vec<jiff::civil::Date> = (1..=12i32)
        .rev()
        .map(|k| this_month.checked_sub(k.months()).unwrap())
        .collect();
    let first = jiff::Timestamp::from_millisecond(first_ms)
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .date();
    let first_index = months
        .iter()
        .rposition(|m| *m <= first)
        .expect("the first synced day is inside the last 12 months");

    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto(&format!("/boards/{board}")).await;
    b.wait_for("section.block[data-kind=line] svg.chart").await;
    let page = read_board(&b).await;
    let bands = page["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 12, "{page}");
    let values: Vec<Option<f64>> = bands
        .iter()
        .map(|band| tooltip_value(band["title"].as_str().unwrap()))
        .collect();
    for (i, v) in values.iter().enumerate() {
        if i < first_index {
            assert_eq!(
                *v, None,
                "month {} is before the first synced day",
                months[i]
            );
        } else {
            assert!(v.is_some(), "month {} is synced: {page}", months[i]);
        }
    }
    // Every marker drawn sits in a band at or after the first synced month.
    let dots: Vec<f64> = page["dots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    assert_eq!(dots.len(), 12 - first_index, "{page}");
    for cx in &dots {
        let band = bands
            .iter()
            .position(|b| {
                let (x, w) = (b["x"].as_f64().unwrap(), b["w"].as_f64().unwrap());
                x <= *cx && *cx <= x + w
            })
            .unwrap();
        assert!(
            band >= first_index,
            "a point at x {cx} in month {}",
            months[band]
        );
    }
    if first_index > 0 {
        let mark = page["mark"].as_str().expect("a no-data mark");
        assert!(
            mark.contains(&format!("no data before {}", first.strftime("%-d %b %Y"))),
            "{mark}"
        );
    }
    // The Number block's total is the sum of the chart's points.
    let sum: f64 = values.iter().flatten().sum();
    let number: f64 = page["number"].as_str().unwrap().parse().unwrap();
    assert_eq!(number, sum, "{page}");
    b.screenshot("time-board-gap").await;

    // Same period last year is wholly before the first sync: no earlier value, no dashed zero.
    assert!(
        !b.has("section.block[data-kind=line] path.comparison").await,
        "no comparison line over a range with no data"
    );
    let text = b.text("section.block[data-kind=number]").await;
    assert!(text.contains("no earlier value"), "{text}");

    for (size, dark, name) in [
        (Size::Phone, false, "time-board-gap"),
        (Size::Desktop, true, "time-board-gap-dark"),
    ] {
        let Some(other) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        other.login("ada").await;
        other.goto(&format!("/boards/{board}")).await;
        other
            .wait_for("section.block[data-kind=line] svg.chart")
            .await;
        let wide = other
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth",
                vec![],
            )
            .await;
        assert_eq!(wide, json!(false), "no sideways scroll at {size:?}");
        other.screenshot(name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_screen_picks_a_range_and_names_it() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    app.synced_library_metric("messages-sent", "sim").await;
    for (size, dark, name) in [
        (Size::Desktop, false, "time-metrics-picker"),
        (Size::Phone, false, "time-metrics-picker"),
        (Size::Desktop, true, "time-metrics-picker-dark"),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        b.login("ada").await;
        b.goto("/metrics/all").await;
        b.wait_for("#metrics-range").await;
        assert!(
            b.text("#metrics-period").await.starts_with("Last 7 days ("),
            "the default range is named"
        );
        b.select("#metrics-range select[name=range]", "Month to date")
            .await;
        b.submit("#metrics-range button").await;
        b.wait_for_text("Month to date (").await;
        assert!(b.path().await.contains("range=month_to_date"));
        let wide = b
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth",
                vec![],
            )
            .await;
        assert_eq!(wide, json!(false), "no sideways scroll at {size:?}");
        b.screenshot(name).await;
    }
}
