//! One meaning of each named range everywhere: the Metrics screen, a board and the API resolve
//! "Last 7 days" and the others through `metric::range`, so they show the same value; and a
//! range with nothing synced says "no data" rather than zero.

mod support;

use store::{BoardStore as _, MetricId, Store as _};
use support::dataset::{DAY_MS, sent_in};
use support::sync_now;
use support::{TestApp, spawn_app};

/// The value of the first `attr="..."` after `marker` in `body`.
fn attr_after(body: &str, marker: &str, attr: &str) -> Option<String> {
    let rest = &body[body.find(marker)?..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key)? + key.len();
    Some(rest[start..].split('"').next()?.to_owned())
}

/// A UTC board with one Number block of `metric`; returns the board's id.
async fn number_board(app: &TestApp, metric: MetricId, range: &str) -> i64 {
    let store = app.state.store();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: format!("Sent {range}"),
                date_range: range.to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    store
        .add_block(
            board.id,
            &store::NewBlock {
                kind: "number".to_owned(),
                title: "Sent".to_owned(),
                place: store::Place {
                    x: 0,
                    y: 0,
                    w: 3,
                    h: 2,
                },
                settings: format!("{{\"metrics\":[{}]}}", metric.0),
            },
            now_ms,
        )
        .await
        .unwrap();
    board.id.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_screen_a_board_and_the_api_agree_on_each_named_range() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let sent = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    sync_now(&app, sent.id).await;
    let token = app.token(&admin).await;
    let today = jiff::Timestamp::now().as_millisecond().div_euclid(DAY_MS) * DAY_MS;
    // Whole UTC days, counted from the dataset: the rolling 168 hours of old would differ.
    let expected = [
        ("last_7_days", sent_in(today - 7 * DAY_MS, today)),
        ("yesterday", sent_in(today - DAY_MS, today)),
    ];
    for (range, count) in expected {
        let board = number_board(&app, sent.id, range).await;
        let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
        let on_board = attr_after(&page.body, "class=\"number\"", "data-value")
            .unwrap_or_else(|| panic!("no number on the board: {}", page.body));
        let screen = app
            .get(&format!("/metrics/all?range={range}"), Some(&admin))
            .await;
        let on_screen = attr_after(
            &screen.body,
            &format!("id=\"metric-{}\"", sent.id.0),
            "data-value",
        )
        .unwrap_or_else(|| panic!("no row on the Metrics screen: {}", screen.body));
        let api = app
            .api(
                axum::http::Method::GET,
                &format!("/api/v1/metrics/{}?range={range}", sent.id.0),
                Some(&token),
                None,
            )
            .await;
        let from_api = api.json()["summary"]["value"].as_f64();
        let count = count as f64;
        assert_eq!(
            on_board.parse::<f64>().ok(),
            Some(count),
            "{range} on the board"
        );
        assert_eq!(
            on_screen.parse::<f64>().ok(),
            Some(count),
            "{range} on the screen"
        );
        assert_eq!(from_api, Some(count), "{range} from the API: {}", api.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_screen_shows_the_range_it_was_asked_for_in_its_picker() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let page = app
        .get("/metrics/all?range=month_to_date", Some(&admin))
        .await;
    assert!(
        page.body
            .contains("<option value=\"month_to_date\" selected>Month to date</option>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Month to date ("), "the period is named");
    let default = app.get("/metrics/all", Some(&admin)).await;
    assert!(
        default
            .body
            .contains("<option value=\"last_7_days\" selected>Last 7 days</option>")
    );
    let bad = app
        .get("/metrics/all?range=last_5_years", Some(&admin))
        .await;
    assert_eq!(
        bad.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metric_that_has_not_synced_says_no_data_yet_not_zero() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let sent = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    // No sync has run: a count over no bucket would be 0, but nothing is known.
    let screen = app.get("/metrics/all", Some(&admin)).await;
    let row = &screen.body[screen
        .body
        .find(&format!("id=\"metric-{}\"", sent.id.0))
        .unwrap()..];
    let value = &row[row.find("class=\"value\"").unwrap()..];
    let value = &value[value.find('>').unwrap() + 1..value.find("</span>").unwrap()];
    assert_eq!(value, "no data yet");
    let board = number_board(&app, sent.id, "last_7_days").await;
    let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
    let number = &page.body[page.body.find("class=\"number\"").unwrap()..];
    assert!(
        number.contains("data-value=\"\">no data</span>"),
        "{number}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_api_gives_no_value_before_the_first_synced_day() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let sent = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    sync_now(&app, sent.id).await;
    let (first_ms, _) = app.state.store().synced_spans(&[sent.id]).await.unwrap()[&sent.id];
    let token = app.token(&admin).await;
    let today = jiff::Timestamp::now().as_millisecond().div_euclid(DAY_MS) * DAY_MS;
    // Thirty days before the first synced day, then ten after it.
    let day = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    };
    let (from, to) = (day(first_ms - 30 * DAY_MS), day(first_ms + 10 * DAY_MS));
    assert!(
        first_ms + 10 * DAY_MS < today,
        "the range ends in the synced past"
    );
    let reply = app
        .api(
            axum::http::Method::GET,
            &format!(
                "/api/v1/metrics/{}/data?from={from}&to={to}&interval=day",
                sent.id.0
            ),
            Some(&token),
            None,
        )
        .await;
    let body = reply.json();
    let series = body["result"]["series"].as_array().unwrap();
    let coverage = body["coverage"].as_array().unwrap();
    assert_eq!(series.len(), 40, "{body}");
    for (i, (point, c)) in series.iter().zip(coverage).enumerate() {
        if i < 30 {
            assert!(
                point["value"].is_null(),
                "day {i} is before the sync: {point}"
            );
            assert_eq!(c, "no_data");
        } else {
            // Synced days hold what happened, a zero where nothing did.
            assert!(point["value"].is_number(), "day {i}: {point}");
            assert_eq!(c, "full");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_page_states_the_change_against_the_previous_period_from_the_dataset() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let sent = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    sync_now(&app, sent.id).await;
    let today = jiff::Timestamp::now().as_millisecond().div_euclid(DAY_MS) * DAY_MS;
    let now = sent_in(today - 7 * DAY_MS, today) as f64;
    let before = sent_in(today - 14 * DAY_MS, today - 7 * DAY_MS) as f64;
    let page = app
        .get(
            &format!("/metrics/{}?range=last_7_days", sent.id.0),
            Some(&admin),
        )
        .await;
    if before == 0.0 {
        assert!(!page.body.contains("id=\"metric-change\""), "{}", page.body);
    } else {
        let expected = charts::format_change((now - before) / before * 100.0);
        let line = page
            .body
            .split("id=\"metric-change\">")
            .nth(1)
            .unwrap_or_else(|| panic!("no change line: {}", page.body));
        assert!(
            line.starts_with(&format!("{expected} against the previous period")),
            "{expected} in {line}"
        );
        // More messages sent is the favourable way for this metric.
        let verdict = if now == before {
            "unchanged"
        } else if now > before {
            "good"
        } else {
            "bad"
        };
        assert!(
            page.body
                .contains(&format!("class=\"change {verdict}\" id=\"metric-change\"")),
            "{verdict} in {}",
            page.body
        );
    }
}
