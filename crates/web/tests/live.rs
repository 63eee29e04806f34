//! What the live pages poll: each metric's data version and sync state, signed in
//! (`/api/v1/metrics/versions`) and through a share link (`/shared/{token}/versions`), on
//! SQLite and PostgreSQL. Who may call them is the access test's (`access.rs`).

mod support;

use axum::http::{Method, StatusCode};
use serde_json::Value;
use store::{MetricId, Store as _};
use support::sync_now;
use support::*;

fn entry(versions: &Value, id: MetricId) -> Value {
    versions["metrics"]
        .as_array()
        .expect("a list of metrics")
        .iter()
        .find(|m| m["id"] == id.0)
        .cloned()
        .unwrap_or_else(|| panic!("metric {id} missing from {versions}"))
}

fn ids(versions: &Value) -> Vec<i64> {
    versions["metrics"]
        .as_array()
        .expect("a list of metrics")
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

async fn versions_move_when_a_sync_writes_buckets(app: TestApp) {
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    let before = app
        .api_session(Method::GET, "/api/v1/metrics/versions", &admin, None)
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let before = entry(&before.json(), m.id);
    // Adding from the library queued the backfill; nothing ran yet.
    assert_eq!(before["state"], "queued");
    assert_eq!(before["last_sync_ms"], Value::Null);

    sync_now(&app, m.id).await;
    let after = app
        .api_session(Method::GET, "/api/v1/metrics/versions", &admin, None)
        .await;
    let after = entry(&after.json(), m.id);
    let stored = app.state.store().data_versions(&[m.id]).await.unwrap()[&m.id];
    assert_eq!(after["data_version"], stored);
    assert!(
        after["data_version"].as_i64() > before["data_version"].as_i64(),
        "{before} then {after}"
    );
    let last_run = app.state.store().sync_runs(Some(m.id), 1).await.unwrap()[0]
        .finished_ms
        .expect("a finished run");
    assert_eq!(after["last_sync_ms"], last_run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_move_when_a_sync_writes_buckets_on_sqlite() {
    versions_move_when_a_sync_writes_buckets(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_move_when_a_sync_writes_buckets_on_postgres() {
    let Some((app, _schema)) = spawn_app_pg().await else {
        return;
    };
    versions_move_when_a_sync_writes_buckets(app).await;
}

/// A share link's poll lists the metrics its board shows and no other, and stops with the link.
async fn a_share_link_polls_only_its_boards_metrics(app: TestApp) {
    let admin = app.admin().await;
    let sent = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    let other = app
        .post_form(
            "/library/add",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("slug", "call-minutes"),
                ("connection", "sim"),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER, "{}", other.body);
    let made = app
        .post_form(
            "/boards",
            Some(&admin),
            &[("csrf", &admin.csrf), ("name", "Wall")],
        )
        .await;
    let board: i64 = made
        .location()
        .unwrap()
        .trim_start_matches("/boards/")
        .parse()
        .unwrap();
    let added = app
        .post_form(
            &format!("/boards/{board}/blocks"),
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("kind", "number"),
                ("title", "Sent"),
                ("metric", &sent.id.0.to_string()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let made = app
        .post_form(
            &format!("/boards/{board}/shares"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("label", "wall"), ("days", "7")],
        )
        .await;
    let link = flash(&made).expect("a message with the link").1;
    let link = link.rsplit(' ').next().unwrap().to_owned();

    let polled = app.get(&format!("{link}/versions"), None).await;
    assert_eq!(polled.status, StatusCode::OK, "{}", polled.body);
    assert_eq!(ids(&polled.json()), [sent.id.0]);

    let share_id = {
        use store::BoardStore as _;
        app.state
            .store()
            .shares(store::BoardId(board))
            .await
            .unwrap()[0]
            .id
            .0
    };
    let revoked = app
        .post_form(
            &format!("/boards/{board}/shares/{share_id}/revoke"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let refused = app.get(&format!("{link}/versions"), None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_polls_only_its_boards_metrics_on_sqlite() {
    a_share_link_polls_only_its_boards_metrics(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_polls_only_its_boards_metrics_on_postgres() {
    let Some((app, _schema)) = spawn_app_pg().await else {
        return;
    };
    a_share_link_polls_only_its_boards_metrics(app).await;
}
