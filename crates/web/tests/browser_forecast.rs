//! What a Forecast block looks like in headless Chromium, on a desktop, a phone and in the dark
//! theme: the value so far, the projected end with its band and chart inside the block, the
//! budget sentence and its Usage Trigger, and a young metric's "learning" note.

mod support;

use serde_json::Value;
use store::{BoardStore as _, NewMetric, Point, Store as _};
use support::browser::{Browser, Size, WebApp};
use web::Role;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Busy weekday working hours, quiet nights and weekends, in cents of a dollar a message.
fn rhythm(hour_ms: i64) -> f64 {
    let hours = hour_ms.div_euclid(HOUR_MS);
    let hour_of_day = hours.rem_euclid(24);
    let weekday = (hours.div_euclid(24) + 3).rem_euclid(7);
    let busy = (9..18).contains(&hour_of_day) && weekday < 5;
    (if weekday < 5 { 1.2 } else { 0.3 }) + if busy { 4.0 } else { 0.0 }
}

/// A library metric with `days` of the rhythm up to the current hour, synced over them.
async fn metric(app: &WebApp, slug: &str, name: &str, days: i64) -> i64 {
    let s = app.state.store();
    let now = jiff::Timestamp::now().as_millisecond().div_euclid(HOUR_MS) * HOUR_MS;
    let from = now - days * DAY_MS;
    let mut definition = library::find(slug).unwrap().definition.clone();
    definition.description.name = name.to_owned();
    let m = s
        .create_metric(
            &NewMetric {
                name: name.to_owned(),
                connection_id: None,
                definition: definition.to_json_pretty(),
            },
            from,
        )
        .await
        .unwrap();
    let points: Vec<Point> = (0..days * 24)
        .map(|i| Point {
            dimension: String::new(),
            at_ms: from + i * HOUR_MS,
            value: rhythm(from + i * HOUR_MS),
        })
        .collect();
    s.add_points(m.id, &points).await.unwrap();
    support::good_run(s, m.id, from, now).await;
    m.id.0
}

async fn board(app: &WebApp, spend: i64, young: i64) -> i64 {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: "Month ahead".to_owned(),
                date_range: "this_month".to_owned(),
                comparison: "none".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    for (title, place, settings) in [
        (
            "Spend this month",
            store::Place {
                x: 0,
                y: 0,
                w: 6,
                h: 4,
            },
            serde_json::json!({"metrics": [spend], "forecast_period": "month", "budget": 1500}),
        ),
        (
            "New metric",
            store::Place {
                x: 6,
                y: 0,
                w: 4,
                h: 3,
            },
            serde_json::json!({"metrics": [young], "forecast_period": "week"}),
        ),
    ] {
        store
            .add_block(
                board.id,
                &store::NewBlock {
                    kind: "forecast".to_owned(),
                    title: title.to_owned(),
                    place,
                    settings: settings.to_string(),
                },
                now_ms,
            )
            .await
            .unwrap();
    }
    board.id.0
}

/// Whatever of a Forecast block spills out of it: its figures, chart or sentences.
async fn spills(b: &Browser) -> Value {
    b.execute(
        r#"const out = [];
           for (const f of document.querySelectorAll('.forecast-block')) {
             const body = f.closest('.block-body');
             const room = body.getBoundingClientRect();
             if (body.scrollWidth > body.clientWidth + 1)
               out.push({ block: f.closest('section').dataset.block, wider: body.scrollWidth, room: body.clientWidth });
             for (const e of f.querySelectorAll('svg, .big, p, summary')) {
               const r = e.getBoundingClientRect();
               if (r.right > room.right + 1 || r.left < room.left - 1)
                 out.push({ what: e.className.baseVal ?? e.className, left: r.left, right: r.right, room: [room.left, room.right] });
             }
           }
           return out;"#,
        vec![],
    )
    .await
}

#[tokio::test]
async fn a_forecast_block_shows_its_projection_chart_budget_and_learning_note_on_every_screen() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    let spend = metric(&app, "messaging-spend", "Messaging spend", 70).await;
    let young = metric(&app, "messages-sent-per-hour", "Messages sent", 10).await;
    let id = board(&app, spend, young).await;
    for (size, dark) in [
        (Size::Desktop, false),
        (Size::Phone, false),
        (Size::Desktop, true),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        b.login("ada").await;
        b.goto(&format!("/boards/{id}")).await;
        b.wait_for(".forecast-block[data-state=\"ready\"] .projected")
            .await;
        assert!(b.has(".forecast-block svg.forecast").await, "the chart");
        let text = b.body_text().await;
        // The model of today learns from the whole days before it.
        let now = jiff::Timestamp::now().as_millisecond();
        let whole_days = (now.div_euclid(DAY_MS) * DAY_MS
            - (now.div_euclid(HOUR_MS) * HOUR_MS - 10 * DAY_MS))
            / DAY_MS;
        assert!(
            text.contains(&format!("learning: {whole_days} of 21 days")),
            "{text}"
        );
        assert!(text.contains("budget of $1,500.00"), "{text}");
        b.click("details.usage-trigger summary").await;
        assert!(
            b.text(".trigger-words")
                .await
                .contains("Trigger value: 1500.00 (USD)"),
            "the trigger's words show when opened"
        );
        let name = if dark {
            "forecast-block-dark"
        } else {
            "forecast-block"
        };
        b.screenshot(name).await;
        assert_eq!(spills(&b).await, Value::Array(vec![]), "{}", size.label());
    }
}
