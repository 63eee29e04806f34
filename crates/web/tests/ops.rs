//! The operator endpoints: `/healthz`, `/readyz` and `/metrics` in Prometheus text.

mod support;

use axum::http::{StatusCode, header};
use store::{NewSyncRun, RunStatus, Store as _, SyncRunEnd};
use support::{Reply, TestApp, shared, spawn_app};
use web::Role;

async fn app_with_metric() -> (TestApp, store::MetricId) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let metric = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    (app, metric.id)
}

async fn record_run(app: &TestApp, metric: store::MetricId, status: RunStatus, ledger: &str) {
    let store = app.state.store();
    let run = store
        .start_sync_run(&NewSyncRun {
            metric_id: metric,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms: 1_000,
        })
        .await
        .unwrap();
    store
        .finish_sync_run(
            run,
            &SyncRunEnd {
                status,
                ledger: serde_json::from_str(ledger).unwrap(),
                error: None,
                finished_ms: 2_000,
            },
        )
        .await
        .unwrap();
}

/// The value of the sample line that starts with `name` (labels included).
fn sample(body: &str, name: &str) -> f64 {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in:\n{body}"))
        .parse()
        .unwrap()
}

async fn scrape(app: &TestApp) -> Reply {
    // A scraper sends no cookie and no text/html Accept.
    let req = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn healthz_and_readyz_answer_without_a_login() {
    let app = spawn_app().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready\n")
    );
}

#[tokio::test]
async fn metrics_is_prometheus_text_with_sync_and_twilio_counts() {
    let (app, metric) = app_with_metric().await;
    // The library add enqueues a backfill, but no worker runs here: the stored runs are ours.
    let counters = [
        ("switchboard_sync_runs{status=\"succeeded\"}", 2.0),
        ("switchboard_sync_runs{status=\"failed\"}", 1.0),
        ("switchboard_twilio_requests", 11.0),
        ("switchboard_twilio_throttled", 3.0),
    ];
    let before = scrape(&app).await;

    record_run(
        &app,
        metric,
        RunStatus::Succeeded,
        r#"{"requests": 7, "throttled": 2}"#,
    )
    .await;
    record_run(
        &app,
        metric,
        RunStatus::Succeeded,
        r#"{"requests": 3, "throttled": 0}"#,
    )
    .await;
    record_run(
        &app,
        metric,
        RunStatus::Failed,
        r#"{"requests": 1, "throttled": 1}"#,
    )
    .await;

    let after = scrape(&app).await;
    assert_eq!(after.status, StatusCode::OK);
    let content_type = after.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    for (name, added) in counters {
        assert_eq!(
            sample(&after.body, name) - sample(&before.body, name),
            added,
            "{name}"
        );
    }
}

#[tokio::test]
async fn metrics_counts_http_requests_in_its_latency_histogram() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/healthz", None).await;
    }
    let body = scrape(&app).await.body;
    // Three health checks answered before this scrape; the scrape itself is counted after it.
    assert_eq!(
        sample(&body, "switchboard_http_requests_total{class=\"2xx\"}"),
        3.0
    );
    assert_eq!(
        sample(&body, "switchboard_http_request_duration_seconds_count"),
        3.0
    );
    assert_eq!(
        sample(
            &body,
            "switchboard_http_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        3.0
    );
}

#[tokio::test]
async fn metrics_is_text_even_for_a_signed_in_browser() {
    let app = spawn_app().await;
    app.user("ada", Role::Viewer).await;
    let session = app.login("ada").await;
    let page = app.get("/metrics", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("# TYPE switchboard_sync_runs gauge"),
        "{}",
        page.body
    );
    let screen = app.get("/metrics/all", Some(&session)).await;
    assert_eq!(screen.status, StatusCode::OK);
    assert!(
        screen.body.contains("<html"),
        "the Metrics screen is a page"
    );
}

#[tokio::test]
async fn metrics_holds_no_metric_names_or_secrets() {
    let (app, _) = app_with_metric().await;
    let body = scrape(&app).await.body;
    let sh = shared();
    for secret in [sh.key_secret.as_str(), "Messages sent", "prod"] {
        assert!(!body.contains(secret), "{secret:?} leaked into /metrics");
    }
}
