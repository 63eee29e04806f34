//! The operator endpoints: `/healthz`, `/readyz` and `/metrics` in Prometheus text.

mod support;

use axum::http::{StatusCode, header};
use store::{NewSyncRun, RunCounts, RunStatus, Store as _, SyncRunEnd};
use support::{Reply, TestApp, shared, spawn_app, spawn_app_with};
use web::{Role, WebConfig};

async fn app_with_metric() -> (TestApp, store::MetricId) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let metric = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    (app, metric.id)
}

async fn record_run(
    app: &TestApp,
    metric: store::MetricId,
    status: RunStatus,
    counts: RunCounts,
    finished_ms: i64,
) {
    let store = app.state.store();
    let run = store
        .start_sync_run(&NewSyncRun {
            metric_id: metric,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms: finished_ms - 1_000,
        })
        .await
        .unwrap();
    store
        .finish_sync_run_counted(
            run,
            &SyncRunEnd {
                status,
                ledger: serde_json::json!({}),
                error: None,
                finished_ms,
            },
            &counts,
        )
        .await
        .unwrap();
}

async fn put_in_use(app: &TestApp, metric: store::MetricId) {
    app.state
        .store()
        .set_metric_usage(metric, &["board:1".to_owned()], 1)
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
async fn metrics_counts_sync_runs_and_twilio_figures_as_counters() {
    let (app, metric) = app_with_metric().await;
    // The library add enqueues a backfill, but no worker runs here: the stored runs are ours.
    let counters = [
        ("switchboard_sync_runs_total{outcome=\"succeeded\"}", 2.0),
        ("switchboard_sync_runs_total{outcome=\"failed\"}", 1.0),
        ("switchboard_sync_runs_total{outcome=\"partial\"}", 0.0),
        ("switchboard_twilio_requests_total", 11.0),
        ("switchboard_twilio_throttled_total", 3.0),
        ("switchboard_twilio_retries_total", 4.0),
        ("switchboard_sync_pages_total", 9.0),
        ("switchboard_sync_rows_total", 500.0),
    ];
    let before = scrape(&app).await;
    let runs = [
        (RunStatus::Succeeded, (7, 2, 3, 5, 400)),
        (RunStatus::Succeeded, (3, 0, 0, 3, 100)),
        (RunStatus::Failed, (1, 1, 1, 1, 0)),
    ];
    for (status, (requests, throttled, retries, pages, rows)) in runs {
        let counts = RunCounts {
            twilio_requests: requests,
            twilio_throttled: throttled,
            twilio_retries: retries,
            pages,
            rows,
        };
        record_run(&app, metric, status, counts, 2_000).await;
    }

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
    for family in [
        "switchboard_sync_runs_total",
        "switchboard_twilio_requests_total",
    ] {
        assert!(
            after.body.contains(&format!("# TYPE {family} counter\n")),
            "{family} is a counter"
        );
    }
}

#[tokio::test]
async fn metrics_counters_do_not_fall_when_the_metric_and_its_runs_are_deleted() {
    let (app, metric) = app_with_metric().await;
    let counts = RunCounts {
        twilio_requests: 6,
        ..RunCounts::default()
    };
    record_run(&app, metric, RunStatus::Succeeded, counts, 2_000).await;
    let before = scrape(&app).await.body;
    assert!(app.state.store().delete_metric(metric).await.unwrap());
    let after = scrape(&app).await.body;
    for name in [
        "switchboard_sync_runs_total{outcome=\"succeeded\"}",
        "switchboard_twilio_requests_total",
    ] {
        assert_eq!(sample(&after, name), sample(&before, name), "{name}");
    }
}

#[tokio::test]
async fn metrics_shows_each_metric_in_use_by_id_with_its_last_success_and_state() {
    let (app, metric) = app_with_metric().await;
    put_in_use(&app, metric).await;
    let never = scrape(&app).await.body;
    let id = metric.0;
    assert_eq!(
        sample(
            &never,
            &format!("switchboard_metric_state{{metric_id=\"{id}\",state=\"never_synced\"}}")
        ),
        1.0
    );
    assert!(
        !never.contains(&format!(
            "switchboard_metric_last_success_timestamp_seconds{{metric_id=\"{id}\"}}"
        )),
        "no success yet: no timestamp"
    );

    record_run(
        &app,
        metric,
        RunStatus::Succeeded,
        RunCounts::default(),
        1_700_000_000_000,
    )
    .await;
    record_run(
        &app,
        metric,
        RunStatus::Failed,
        RunCounts::default(),
        1_700_000_600_000,
    )
    .await;
    let body = scrape(&app).await.body;
    assert_eq!(
        sample(
            &body,
            &format!("switchboard_metric_last_success_timestamp_seconds{{metric_id=\"{id}\"}}")
        ),
        1_700_000_000.0,
        "the good run's end, not the failed one's"
    );
    for (state, value) in [("ok", 0.0), ("failing", 1.0), ("never_synced", 0.0)] {
        assert_eq!(
            sample(
                &body,
                &format!("switchboard_metric_state{{metric_id=\"{id}\",state=\"{state}\"}}")
            ),
            value,
            "{state}"
        );
    }
}

#[tokio::test]
async fn metrics_shows_the_jobs_waiting_for_a_worker() {
    let (app, _) = app_with_metric().await;
    // No worker runs here: the library add's backfill waits.
    let pending = app
        .state
        .store()
        .list_jobs(Some(store::JobState::Pending), 100)
        .await
        .unwrap()
        .len();
    assert!(pending > 0, "the library add enqueues a sync");
    let body = scrape(&app).await.body;
    assert_eq!(sample(&body, "switchboard_jobs_waiting"), pending as f64);
    assert_eq!(sample(&body, "switchboard_jobs_running"), 0.0);
}

#[tokio::test]
async fn metrics_shows_build_info_with_the_schema_of_the_newest_migration() {
    let app = spawn_app().await;
    // The schema is the highest migration number in the repository's migrations folder.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/sqlite");
    let newest = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.split('_').next()?.parse::<u32>().ok()
        })
        .max()
        .unwrap();
    let body = scrape(&app).await.body;
    let line = body
        .lines()
        .find(|l| l.starts_with("switchboard_build_info{"))
        .unwrap_or_else(|| panic!("no build_info in:\n{body}"));
    assert!(
        line.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    assert!(line.contains(&format!("schema=\"{newest}\"")), "{line}");
    assert!(line.ends_with("} 1"), "{line}");
}

#[tokio::test]
async fn metrics_shows_the_process_memory_cpu_start_and_files() {
    let app = spawn_app().await;
    let body = scrape(&app).await.body;
    assert!(sample(&body, "process_resident_memory_bytes") > 1_000_000.0);
    assert!(sample(&body, "process_open_fds") >= 3.0);
    assert!(sample(&body, "process_cpu_seconds_total") >= 0.0);
    let now = jiff::Timestamp::now().as_second() as f64;
    let started = sample(&body, "process_start_time_seconds");
    assert!(
        started <= now + 1.0 && started > now - 3_600.0,
        "this test process started within the hour: {started} vs {now}"
    );
}

#[tokio::test]
async fn metrics_needs_the_bearer_token_when_one_is_set() {
    let app = spawn_app_with(WebConfig {
        metrics_token: Some(domain::Secret::new("scrape-me-9f2c")),
        ..WebConfig::default()
    })
    .await;
    let with = |auth: Option<&str>| {
        let mut req = axum::http::Request::get("/metrics");
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        req.body(axum::body::Body::empty()).unwrap()
    };
    let none = app.send(with(None)).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(!none.body.contains("switchboard_"), "{}", none.body);
    let wrong = app.send(with(Some("Bearer scrape-me-9f2d"))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = app.send(with(Some("Bearer scrape-me-9f2c"))).await;
    assert_eq!(right.status, StatusCode::OK);
    assert!(
        right.body.contains("switchboard_build_info"),
        "{}",
        right.body
    );
}

#[tokio::test]
async fn metrics_lists_every_family_the_docs_name() {
    let (app, metric) = app_with_metric().await;
    put_in_use(&app, metric).await;
    record_run(
        &app,
        metric,
        RunStatus::Succeeded,
        RunCounts::default(),
        2_000,
    )
    .await;
    let body = scrape(&app).await.body;
    for family in web::exposition::FAMILIES {
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "{family} missing from:\n{body}"
        );
    }
}

/// The metric names the example alert rules use, from the rules file read as YAML (by
/// Python's `yaml`, as no YAML crate is in the workspace); `None` after a skip without it.
fn names_in_alert_rules() -> Option<Vec<String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/prometheus/switchboard-alerts.yml"
    );
    let script = "import json, sys\ntry:\n    import yaml\nexcept ImportError:\n    sys.exit(3)\n\
                  doc = yaml.safe_load(open(sys.argv[1]))\n\
                  print(json.dumps([r['expr'] for g in doc['groups'] for r in g['rules']]))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, path])
        .output()
        .ok()
        .or_else(|| test_support::skip("the alert rules test", "python3 is not installed"))?;
    if out.status.code() == Some(3) {
        return test_support::skip(
            "the alert rules test",
            "the Python module yaml is missing (pip install pyyaml)",
        );
    }
    assert!(
        out.status.success(),
        "the rules file is not valid YAML with groups of rules: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exprs: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(exprs.len() >= 5, "{exprs:?}");
    let mut names = Vec::new();
    for expr in exprs {
        // Label values and annotations are quoted: drop quoted text before reading names.
        let unquoted: String = expr.split('"').step_by(2).collect::<Vec<_>>().join(" ");
        for token in unquoted.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        {
            if token.starts_with("switchboard_") || token.starts_with("process_") {
                names.push(token.to_owned());
            }
        }
    }
    Some(names)
}

#[tokio::test]
async fn alert_rules_use_only_metrics_that_metrics_exposes() {
    let Some(names) = names_in_alert_rules() else {
        return;
    };
    let (app, metric) = app_with_metric().await;
    put_in_use(&app, metric).await;
    record_run(
        &app,
        metric,
        RunStatus::Succeeded,
        RunCounts::default(),
        2_000,
    )
    .await;
    let body = scrape(&app).await.body;
    assert!(
        names.iter().any(|n| n == "switchboard_metric_state"),
        "{names:?}"
    );
    for name in names {
        assert!(
            body.lines()
                .any(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{"))),
            "the alert rules use {name}, which /metrics does not expose:\n{body}"
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
        page.body
            .contains("# TYPE switchboard_sync_runs_total counter"),
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
