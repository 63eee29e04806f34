//! "Which account is out of line" through the API and the page, on SQLite and PostgreSQL, over
//! 100 accounts' stored hours whose out-of-line account the test planted
//! (`support::outliers`).

mod support;

use axum::http::{Method, StatusCode};
use metric::accounts::AccountScope;
use support::outliers::{PLANTED, TINY, judged_median, rate_metric, sid};
use support::*;

async fn apps() -> Vec<(TestApp, Option<test_support::PgSchema>)> {
    let mut out = vec![(spawn_app().await, None)];
    if let Some((app, schema)) = spawn_app_pg().await {
        out.push((app, Some(schema)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_ranks_the_planted_account_first_and_flags_it() {
    for (app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = rate_metric(app.state.store(), "Delivery rate", AccountScope::Active).await;
        let reply = app
            .api(
                Method::GET,
                &format!("/api/v1/metrics/{}/outliers?range=last_7_days", m.id.0),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let body = reply.json();
        let out = &body["outliers"];
        assert_eq!(out["has_data"], true);
        let ranked = &out["ranked"];
        let median = ranked["median"].as_f64().unwrap();
        assert!((median - judged_median()).abs() < 1e-9, "{median}");
        let first = &ranked["rows"][0];
        assert_eq!(first["account_sid"], sid(PLANTED));
        assert_eq!(first["out_of_line"], true);
        assert_eq!(first["unfavourable"], true);
        assert_eq!(first["value_text"], "70.0%");
        let flagged = ranked["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["out_of_line"] == true)
            .count();
        assert_eq!(flagged, 1);
        assert_eq!(out["too_few"][0]["account_sid"], sid(TINY));
        assert_eq!(body["unit"], "percent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_a_metric_of_one_account_in_words() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = rate_metric(app.state.store(), "One account", AccountScope::Connection).await;
    let reply = app
        .api(
            Method::GET,
            &format!("/api/v1/metrics/{}/outliers", m.id.0),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("reads only its connection's own account")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_ranking_the_chart_and_the_too_few_list() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = rate_metric(app.state.store(), "Delivery rate", AccountScope::Active).await;
    let page = app
        .get(&format!("/metrics/{}/outliers", m.id.0), Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Which account is out of line"));
    let first_row = body
        .find("<tr data-account=")
        .map(|i| &body[i..i + 60])
        .unwrap_or_default();
    assert!(first_row.contains(&sid(PLANTED)), "{first_row}");
    assert!(body.contains("id=\"outliers-chart\""));
    assert!(body.contains("id=\"outliers-too-few\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_of_a_metric_of_one_account_says_why_there_is_nothing_to_rank() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = rate_metric(app.state.store(), "One account", AccountScope::Connection).await;
    let page = app
        .get(&format!("/metrics/{}/outliers", m.id.0), Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("reads only its connection&#39;s own account"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"outliers-chart\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_outliers_block_shows_the_planted_account_on_the_board_the_api_and_the_png() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = rate_metric(app.state.store(), "Delivery rate", AccountScope::Active).await;
    let board = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(&token),
            Some(serde_json::json!({"name": "Accounts"})),
        )
        .await;
    assert_eq!(board.status, StatusCode::CREATED, "{}", board.body);
    let id = board.json()["board"]["id"].as_i64().unwrap();
    let block = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{id}/blocks"),
            Some(&token),
            Some(
                serde_json::json!({"kind": "outliers", "title": "Out of line",
                "metrics": [m.id.0], "range": "last_7_days", "top": "3"}),
            ),
        )
        .await;
    assert_eq!(block.status, StatusCode::CREATED, "{}", block.body);

    let read = app
        .api(
            Method::GET,
            &format!("/api/v1/boards/{id}"),
            Some(&token),
            None,
        )
        .await;
    let blocks = read.json()["blocks"].clone();
    let shown = blocks
        .as_array()
        .and_then(|b| b.iter().find(|b| b["kind"] == "outliers"))
        .cloned()
        .expect("the outliers block");
    assert_eq!(
        shown["outliers"]["ranked"]["rows"][0]["account_sid"],
        sid(PLANTED)
    );

    let page = app.get(&format!("/boards/{id}"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("class=\"outliers-block\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-flagged=\"1\""));
    let png = app
        .get(&format!("/boards/{id}/board.png"), Some(&admin))
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert!(png.bytes.starts_with(b"\x89PNG"));
}
