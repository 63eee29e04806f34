//! The Forecast block: added through the API, read back as JSON and drawn on the page and in
//! the PNG from what the store holds, on SQLite and PostgreSQL. The stored hours follow a known
//! weekly rhythm, so the month's projected total is the test's own sum of that rhythm.

mod support;

use app::ManualTime;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use store::{MetricId, NewMetric, Point, Store};
use support::*;
use tower::ServiceExt as _;
use web::WebConfig;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-03-01T00:00:00Z.
const MARCH: i64 = 1_772_323_200_000;
const APRIL: i64 = MARCH + 31 * DAY_MS;
/// Wednesday 18 March 2026, 12:00 UTC: the app's clock.
const NOW: i64 = MARCH + 17 * DAY_MS + 12 * HOUR_MS;

/// Busy weekday working hours, quiet nights and weekends.
fn rhythm(hour_ms: i64) -> f64 {
    let hours = hour_ms.div_euclid(HOUR_MS);
    let hour_of_day = hours.rem_euclid(24);
    let weekday = (hours.div_euclid(24) + 3).rem_euclid(7);
    let busy = (9..18).contains(&hour_of_day) && weekday < 5;
    (if weekday < 5 { 12.0 } else { 3.0 }) + if busy { 40.0 } else { 0.0 }
}

fn sum(from_ms: i64, to_ms: i64) -> f64 {
    (0..(to_ms - from_ms) / HOUR_MS)
        .map(|i| rhythm(from_ms + i * HOUR_MS))
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01 * b.abs().max(1.0)
}

/// The apps to test: SQLite always, PostgreSQL when reachable; each on a clock at [`NOW`].
async fn apps() -> Vec<(&'static str, TestApp, Option<test_support::PgSchema>)> {
    let config = || WebConfig {
        clock: ManualTime::at(NOW).into(),
        ..WebConfig::default()
    };
    let mut out = vec![("sqlite", spawn_app_with(config()).await, None)];
    if let Some((app, schema)) = spawn_app_pg_with(config()).await {
        out.push(("postgres", app, Some(schema)));
    }
    out
}

/// A library metric with the rhythm stored for every hour of `[from_ms, NOW)`, synced over it.
async fn metric_with_rhythm(app: &TestApp, slug: &str, from_ms: i64) -> MetricId {
    let s = app.state.store();
    let entry = library::find(slug).expect("a library metric");
    let m = s
        .create_metric(
            &NewMetric {
                name: format!("{} from {from_ms}", entry.definition.description.name),
                connection_id: None,
                definition: entry.definition.to_json_pretty(),
            },
            from_ms,
        )
        .await
        .unwrap();
    let points: Vec<Point> = (0..(NOW - from_ms) / HOUR_MS)
        .map(|i| Point {
            dimension: String::new(),
            at_ms: from_ms + i * HOUR_MS,
            value: rhythm(from_ms + i * HOUR_MS),
        })
        .collect();
    s.add_points(m.id, &points).await.unwrap();
    support::good_run(s, m.id, from_ms, NOW).await;
    m.id
}

/// A board with one Forecast block of `settings`; returns the board and block ids.
async fn forecast_board(app: &TestApp, token: &str, settings: Value) -> (i64, i64) {
    let board = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(token),
            Some(json!({"name": "Forecasts"})),
        )
        .await;
    assert_eq!(board.status, StatusCode::CREATED, "{}", board.body);
    let id = board.json()["board"]["id"].as_i64().unwrap();
    let mut body = json!({"kind": "forecast", "title": "Month ahead"});
    for (k, v) in settings.as_object().unwrap() {
        body[k] = v.clone();
    }
    let block = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{id}/blocks"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(block.status, StatusCode::CREATED, "{}", block.body);
    (id, block.json()["block"]["id"].as_i64().unwrap())
}

fn block(body: &str, id: i64) -> &str {
    let marker = format!("id=\"block-{id}\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no block {id} in {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

fn attr(text: &str, attr: &str) -> Option<String> {
    let marker = format!("{attr}=\"");
    let start = text.find(&marker)? + marker.len();
    Some(text[start..].split('"').next()?.to_owned())
}

/// A whole number with thousands separators, as a count prints.
fn grouped(v: f64) -> String {
    let digits = format!("{}", v.round() as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn a_forecast_block_shows_the_month_so_far_and_its_projected_end_from_the_store() {
    for (name, app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = metric_with_rhythm(&app, "messages-sent-per-hour", MARCH - 70 * DAY_MS).await;
        let (board, id) = forecast_board(&app, &token, json!({"metrics": [m.0]})).await;
        let so_far = sum(MARCH, NOW);
        let whole = so_far + sum(NOW, APRIL);

        let read = app
            .api(
                Method::GET,
                &format!("/api/v1/boards/{board}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::OK, "{name}: {}", read.body);
        let f = &read.json()["blocks"][0]["forecast"];
        assert_eq!(f["period"], "month", "{name}");
        assert_eq!(f["so_far"].as_f64(), Some(so_far), "{name}: {f}");
        assert_eq!(f["outlook"]["state"], "ready", "{name}");
        let projected = f["outlook"]["total"]["value"].as_f64().unwrap();
        assert!(close(projected, whole), "{name}: {projected} vs {whole}");

        let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let shown = block(&page.body, id);
        assert_eq!(
            attr(shown, "data-so-far").and_then(|v| v.parse::<f64>().ok()),
            Some(so_far),
            "{name}: {shown}"
        );
        let on_page: f64 = attr(shown, "data-projected").unwrap().parse().unwrap();
        assert!(close(on_page, whole), "{name}: {on_page} vs {whole}");
        assert!(
            shown.contains(&format!(">{}<", grouped(so_far))),
            "{name}: the value so far, {}, in the metric's format: {shown}",
            grouped(so_far)
        );
        assert!(
            shown.contains(&format!(">{}<", grouped(on_page))),
            "{name}: the projected value in the metric's format: {shown}"
        );
        assert!(shown.contains("Projected by Mar 31"), "{name}: {shown}");
        assert!(
            shown.contains("class=\"chart forecast\""),
            "{name}: the chart"
        );
    }
}

#[tokio::test]
async fn a_young_metrics_forecast_block_says_it_is_learning() {
    for (name, app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = metric_with_rhythm(
            &app,
            "messages-sent-per-hour",
            NOW - 12 * HOUR_MS - 14 * DAY_MS,
        )
        .await;
        let (board, id) = forecast_board(&app, &token, json!({"metrics": [m.0]})).await;
        let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
        let shown = block(&page.body, id);
        assert!(shown.contains("learning: 14 of 21 days"), "{name}: {shown}");
        assert_eq!(attr(shown, "data-state").as_deref(), Some("learning"));
        assert_eq!(
            attr(shown, "data-projected").as_deref(),
            Some(""),
            "no guess"
        );
        assert!(!shown.contains("Projected by"), "{name}: {shown}");
    }
}

#[tokio::test]
async fn a_spend_forecast_with_a_budget_says_when_it_is_reached_and_the_usage_trigger_to_set() {
    for (name, app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = metric_with_rhythm(&app, "messaging-spend", MARCH - 70 * DAY_MS).await;
        // A budget reached halfway through what the rest of the month adds: on the day the
        // rhythm's running total passes it.
        let budget = ((sum(MARCH, NOW) + sum(NOW, APRIL) / 2.0) * 100.0).round() / 100.0;
        let mut hour = MARCH;
        let mut total = 0.0;
        while total < budget {
            total += rhythm(hour);
            hour += HOUR_MS;
        }
        let day = jiff::Timestamp::from_millisecond(hour - 1)
            .unwrap()
            .strftime("%b %-d")
            .to_string();
        let (board, id) =
            forecast_board(&app, &token, json!({"metrics": [m.0], "budget": budget})).await;
        let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
        let shown = block(&page.body, id);
        assert!(
            shown.contains("Projected to reach the budget of")
                && shown.contains(&format!("on {day}")),
            "{name}: reached on {day}: {shown}"
        );
        for words in [
            "Usage category: Total Price (API: totalprice)",
            "Trigger by: Price (API: price)",
            &format!("Trigger value: {budget:.2} (USD)"),
            "Recurring: Monthly (Twilio&#39;s months run in GMT)",
        ] {
            assert!(shown.contains(words), "{name}: {words:?} in {shown}");
        }
        let read = app
            .api(
                Method::GET,
                &format!("/api/v1/boards/{board}"),
                Some(&token),
                None,
            )
            .await;
        let trigger = &read.json()["blocks"][0]["forecast"]["budget"]["trigger"];
        assert_eq!(trigger["usage_category"], "totalprice", "{name}");
        assert_eq!(trigger["trigger_by"], "price");
        assert_eq!(trigger["trigger_value"], format!("{budget:.2}"));
        assert_eq!(trigger["recurring"], "monthly");
    }
}

#[tokio::test]
async fn a_forecast_block_refuses_an_average_metric_in_words() {
    let app = spawn_app_with(WebConfig {
        clock: ManualTime::at(NOW).into(),
        ..WebConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = metric_with_rhythm(&app, "average-call-duration", MARCH - 70 * DAY_MS).await;
    let (board, id) = forecast_board(&app, &token, json!({"metrics": [m.0]})).await;
    let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
    let shown = block(&page.body, id);
    assert!(
        shown.contains("only a sum or a count adds up to a period")
            && !shown.contains("data-projected"),
        "{shown}"
    );
    let bad = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{board}/blocks"),
            Some(&token),
            Some(json!({"kind": "forecast", "metrics": [m.0], "forecast_period": "year"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("week, month or quarter"), "{}", bad.body);
}

#[tokio::test]
async fn the_png_of_a_board_with_a_forecast_block_decodes() {
    let app = spawn_app_with(WebConfig {
        clock: ManualTime::at(NOW).into(),
        ..WebConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = metric_with_rhythm(&app, "messaging-spend", MARCH - 70 * DAY_MS).await;
    let (board, _) = forecast_board(&app, &token, json!({"metrics": [m.0], "budget": 5000})).await;
    let reply = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/boards/{board}/board.png"))
                .header("cookie", format!("sb_session={}", admin.cookie))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(reply.into_body(), 16 << 20)
        .await
        .unwrap();
    // Kept beside the browser screenshots, to look at.
    let dir = support::browser::screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("forecast-board-export.png"), &bytes).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a whole PNG frame");
    assert!(info.width >= 1000 && info.height > 100, "{info:?}");
    // Not blank: the chart and the text put more than one colour on it.
    let first = &pixels[..4];
    assert!(pixels.chunks(4).any(|p| p != first), "a blank picture");
}

/// A monthly goal to reach `target` of the metric's sum, from March 2026.
fn monthly_goal(name: &str, metric: i64, target: f64) -> Value {
    json!({"name": name, "metric_id": metric, "spec": {
        "goal": {"target": target, "criterion": "reach", "trend": "up",
                 "period": {"kind": "calendar", "unit": "month", "start": "2026-03-01", "repeat": true}},
        "aggregation": "sum", "zone": "UTC"}})
}

#[tokio::test]
async fn the_goal_screen_and_history_say_whether_a_projection_is_a_forecast_or_the_pace() {
    for (name, app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let ready = metric_with_rhythm(&app, "messages-sent-per-hour", MARCH - 70 * DAY_MS).await;
        let young = metric_with_rhythm(
            &app,
            "messages-sent-per-hour",
            NOW - 12 * HOUR_MS - 14 * DAY_MS,
        )
        .await;
        let whole = sum(MARCH, APRIL);
        let mut ids = Vec::new();
        for (goal, metric) in [("Seasonal", ready), ("Young", young)] {
            let created = app
                .api(
                    Method::POST,
                    "/api/v1/goals",
                    Some(&token),
                    Some(monthly_goal(goal, metric.0, whole)),
                )
                .await;
            assert_eq!(
                created.status,
                StatusCode::CREATED,
                "{name}: {}",
                created.body
            );
            let g = created.json()["goal"].clone();
            ids.push(g["id"].as_i64().unwrap());
            let basis = g["progress"]["basis"].as_str().unwrap().to_owned();
            assert_eq!(
                basis,
                if metric == ready { "forecast" } else { "pace" },
                "{name}: {goal}"
            );
        }
        let page = app.get("/goals", Some(&admin)).await;
        let row = |goal: &str| {
            let at = page.body.find(&format!(">{goal}</a>")).unwrap();
            page.body[at..].split("</tr>").next().unwrap().to_owned()
        };
        assert!(
            row("Seasonal").contains("projection-basis\">forecast<"),
            "{name}: {}",
            row("Seasonal")
        );
        assert!(
            row("Young").contains("projection-basis\">at the current pace<"),
            "{name}: {}",
            row("Young")
        );
        let history = app.get(&format!("/goals/{}", ids[0]), Some(&admin)).await;
        let running = history
            .body
            .split("id=\"goal-running\">")
            .nth(1)
            .and_then(|r| r.split("</p>").next())
            .unwrap_or_else(|| panic!("{name}: no running period in {}", history.body));
        assert!(
            running.contains("Mar 1") || running.contains("2026-03-01"),
            "{name}: {running}"
        );
        assert!(running.contains(" forecast ("), "{name}: {running}");
        let history = app.get(&format!("/goals/{}", ids[1]), Some(&admin)).await;
        assert!(
            history.body.contains("at the current pace"),
            "{name}: {}",
            history.body
        );
    }
}
