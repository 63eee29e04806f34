//! The expected band on the metric page and on Line blocks: drawn behind the chart, the unusual
//! hour ringed and explained by the dimension value that moved, "learning" while the history is
//! short, and the block setting through the API on both backends and in the PNG export.
//!
//! The hours are the generator's of `support::seasonal` (a known rhythm and one spike in
//! dimension value "30007"), written to the metric's store with the app's clock set just after.

mod support;

use app::ManualTime;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::seasonal::{self, NOW, SPIKE_HOUR, T0};
use support::*;
use web::WebConfig;

async fn app_at_now() -> TestApp {
    spawn_app_with(WebConfig {
        clock: ManualTime::at(NOW).into(),
        ..WebConfig::default()
    })
    .await
}

/// "Messages sent" (a sum) with `days` of the generator's hours before NOW.
async fn seeded_metric(app: &TestApp, admin: &Session, days: i64) -> store::StoredMetric {
    let m = app
        .add_connection_and_library_metric(admin, "sim", "messages-sent")
        .await;
    seasonal::seed(app.state.store(), m.id, T0 - days * seasonal::DAY_MS).await;
    m
}

#[tokio::test]
async fn the_metric_page_draws_the_band_and_explains_the_unusual_hour() {
    let app = app_at_now().await;
    let admin = app.admin().await;
    let m = seeded_metric(&app, &admin, 35).await;
    let page = app
        .get(
            &format!("/metrics/{}?range=last_7_days&interval=day", m.id),
            Some(&admin),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let chart = page.body.split("id=\"metric-chart\"").nth(1).unwrap();
    assert!(chart.contains("class=\"band\""), "the band is drawn");
    assert_eq!(
        chart.matches("class=\"unusual\"").count(),
        1,
        "only the spike's day is ringed"
    );
    assert!(chart.contains("The shaded area is the expected range"));
    let unusual = page
        .body
        .split("id=\"metric-unusual\"")
        .nth(1)
        .expect("the unusual hours are listed");
    let listed = unusual.split("</section>").next().unwrap();
    assert_eq!(listed.matches("<li>").count(), 1, "{listed}");
    assert!(listed.contains("2026-02-28 10:00 UTC"), "{listed}");
    assert!(
        listed.contains(&format!("{} observed", seasonal::observed(SPIKE_HOUR))),
        "{listed}"
    );
    assert!(listed.contains("“30007” explains "), "{listed}");
}

#[tokio::test]
async fn the_band_can_be_hidden() {
    let app = app_at_now().await;
    let admin = app.admin().await;
    let m = seeded_metric(&app, &admin, 35).await;
    let page = app
        .get(
            &format!("/metrics/{}?range=last_7_days&interval=day&band=off", m.id),
            Some(&admin),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("class=\"band\""));
    assert!(!page.body.contains("id=\"metric-unusual\""));
    assert!(page.body.contains(&format!(
        "href=\"/metrics/{}?range=last_7_days&#38;interval=day&#38;band=on\" id=\"band-toggle\">Show the expected band",
        m.id
    )));
}

#[tokio::test]
async fn two_weeks_of_history_says_learning_and_draws_no_band() {
    let app = app_at_now().await;
    let admin = app.admin().await;
    let m = seeded_metric(&app, &admin, 14).await;
    let page = app
        .get(
            &format!("/metrics/{}?range=last_7_days", m.id),
            Some(&admin),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("class=\"band\""));
    // The range's last day, the day before T0, has the thirteen days of hours before it.
    assert!(
        page.body.contains("learning: 13 of 21 days"),
        "{}",
        page.body
    );
}

/// Adds a Line block of `metric` to a new board through the API; its stored JSON.
async fn line_block(app: &TestApp, token: &str, metric: i64, extra: Value) -> (i64, Value) {
    let board = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(token),
            Some(json!({"name": "Bands"})),
        )
        .await;
    assert_eq!(board.status, StatusCode::CREATED, "{}", board.body);
    let id = board.json()["board"]["id"].as_i64().unwrap();
    let mut body = json!({"kind": "line", "title": "Sent", "metrics": [metric], "range": "last_7_days", "interval": "day"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let added = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{id}/blocks"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    (id, added.json()["block"].clone())
}

async fn the_band_setting_round_trips(app: &TestApp, backend: &str) {
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    let (board, block) = line_block(app, &token, m.id.0, json!({"band": true})).await;
    assert_eq!(block["settings"]["band"], true, "{backend}: {block}");
    let bid = block["id"].as_i64().unwrap();
    let changed = app
        .api(
            Method::PUT,
            &format!("/api/v1/boards/{board}/blocks/{bid}"),
            Some(&token),
            Some(json!({"kind": "line", "metrics": [m.id.0], "band": false})),
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::OK,
        "{backend}: {}",
        changed.body
    );
    assert_eq!(
        changed.json()["block"]["settings"]["band"],
        false,
        "{backend}"
    );
    // A block made without the field, as before it existed, has no band.
    let (_, plain) = line_block(app, &token, m.id.0, json!({})).await;
    assert_eq!(plain["settings"]["band"], false, "{backend}: {plain}");
    // Only a Line block draws one.
    let (_, bar) = line_block(app, &token, m.id.0, json!({"kind": "bar", "band": true})).await;
    assert_eq!(bar["settings"]["band"], false, "{backend}: {bar}");
}

#[tokio::test]
async fn the_band_setting_round_trips_through_the_api_on_sqlite() {
    let app = spawn_app().await;
    the_band_setting_round_trips(&app, "sqlite").await;
}

#[tokio::test]
async fn the_band_setting_round_trips_through_the_api_on_postgres() {
    let Some((app, _schema)) = spawn_app_pg().await else {
        return;
    };
    the_band_setting_round_trips(&app, "postgres").await;
}

/// Pixels of a PNG within `tolerance` of `rgb` in every channel.
fn pixels_near(png: &[u8], rgb: [u8; 3], tolerance: u8) -> usize {
    let mut reader = png::Decoder::new(png).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame that decodes");
    buf[..info.buffer_size()]
        .chunks(info.color_type.samples())
        .filter(|p| (0..3).all(|c| p[c].abs_diff(rgb[c]) <= tolerance))
        .count()
}

#[tokio::test]
async fn a_board_with_the_band_draws_it_on_the_page_and_in_its_png() {
    let app = app_at_now().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = seeded_metric(&app, &admin, 35).await;
    let (with, _) = line_block(&app, &token, m.id.0, json!({"band": true})).await;
    let (without, _) = line_block(&app, &token, m.id.0, json!({})).await;

    let page = app.get(&format!("/boards/{with}"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("class=\"band\""), "{}", page.body);
    assert_eq!(page.body.matches("class=\"unusual\"").count(), 1);
    let tv = app.get(&format!("/tv?boards={with}"), Some(&admin)).await;
    assert_eq!(tv.status, StatusCode::OK, "{}", tv.body);
    assert!(tv.body.contains("class=\"band\""), "TV mode draws it too");
    let api = app
        .api(
            Method::GET,
            &format!("/api/v1/boards/{with}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let expected = &api.json()["blocks"][0]["expected"];
    let points = expected["points"].as_array().expect("the band's points");
    assert_eq!(points.len(), 7, "{expected}");
    assert!(
        points.iter().all(|p| p["expected"].is_number()),
        "{expected}"
    );
    let ringed: Vec<&str> = points
        .iter()
        .filter(|p| p["unusual"] == true)
        .filter_map(|p| p["start"].as_str())
        .collect();
    assert_eq!(ringed, ["2026-02-28T00:00:00Z"], "{expected}");
    let plain = app.get(&format!("/boards/{without}"), Some(&admin)).await;
    assert!(!plain.body.contains("class=\"band\""));

    let png_of = |id: i64| {
        let app = &app;
        let admin = &admin;
        async move {
            let r = app
                .get(&format!("/boards/{id}/board.png"), Some(admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.bytes
        }
    };
    let (banded, unbanded) = (png_of(with).await, png_of(without).await);
    // The light theme's band: #2563eb at 14 % over the white chart background.
    let tint = [224, 233, 252];
    let (a, b) = (
        pixels_near(&banded, tint, 6),
        pixels_near(&unbanded, tint, 6),
    );
    assert!(
        a > b + 1000,
        "the PNG shades the band: {a} tinted pixels against {b}"
    );
}

#[tokio::test]
async fn the_designer_offers_the_band_on_line_blocks_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let board = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(&token),
            Some(json!({"name": "Designer"})),
        )
        .await
        .json()["board"]["id"]
        .as_i64()
        .unwrap();
    let panel = |kind: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let r = app
                .get(&format!("/boards/{board}?edit=1&add={kind}"), Some(admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body
        }
    };
    let line = panel("line").await;
    assert!(
        line.contains("<input type=\"checkbox\" name=\"band\"> Show expected band"),
        "{line}"
    );
    for kind in ["bar", "number", "table", "pie"] {
        assert!(!panel(kind).await.contains("name=\"band\""), "{kind}");
    }
}
