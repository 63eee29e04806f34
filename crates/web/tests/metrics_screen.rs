//! Actions of the Metrics screen that the other test files do not cover.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::Value;
use store::Store as _;
use support::spawn_app;

#[tokio::test]
async fn duplicate_copies_the_metric_under_a_free_name_and_backfills_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let original = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;

    let first = app
        .post_form(
            &format!("/metrics/{}/duplicate", original.id.0),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let token = app.token(&admin).await;
    let second = app
        .api(
            Method::POST,
            &format!("/api/v1/metrics/{}/duplicate", original.id.0),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(second.json()["metric"]["name"], "Messages sent (copy 2)");

    let copy = app
        .state
        .store()
        .metric_by_name("Messages sent (copy)")
        .await
        .unwrap()
        .expect("the first copy");
    let (a, b): (Value, Value) = (
        serde_json::from_str(&original.definition).unwrap(),
        serde_json::from_str(&copy.definition).unwrap(),
    );
    assert_eq!(b["description"]["name"], "Messages sent (copy)");
    assert_eq!(a["request"], b["request"]);
    assert_eq!(a["extraction"], b["extraction"]);
    assert_eq!(copy.connection_id, original.connection_id);
    assert_eq!(copy.used_by, vec![library::METRICS_SCREEN.to_owned()]);
    let queued = app.state.store().list_jobs(None, 100).await.unwrap();
    assert!(
        queued
            .iter()
            .any(|j| j.payload["metrics"] == serde_json::json!([copy.id.0])),
        "a backfill job for the copy: {queued:?}"
    );
}

#[tokio::test]
async fn duplicating_a_missing_metric_is_a_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let reply = app
        .api(
            Method::POST,
            "/api/v1/metrics/4242/duplicate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "not_found");
}
