//! The Prometheus text of `/metrics`, the one rendering `serve` and `worker --metrics-addr`
//! both answer with: this process's figures (HTTP for `serve`, the process's memory, CPU and
//! files) and the store's, shared by every process (counters that only go up, each metric in
//! use's freshness and state, the job queue), read in one query.
//!
//! Metrics appear by id only: their names are what people typed and stay out of scrapes.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Secret;
use store::{AnyStore, OpsFigures, RunStatus, Store as _, counter};

use super::process;
use crate::telemetry::Telemetry;

/// The content type of the text format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The store's counters as Prometheus names, with their one label's name and their help.
const COUNTERS: [(&str, &str, Option<&str>, &str); 6] = [
    (
        counter::SYNC_RUNS,
        "switchboard_sync_runs_total",
        Some("outcome"),
        "Sync runs that ended, by outcome (succeeded, partial, failed).",
    ),
    (
        counter::TWILIO_REQUESTS,
        "switchboard_twilio_requests_total",
        None,
        "HTTP requests sent to Twilio by syncs, retries included.",
    ),
    (
        counter::TWILIO_THROTTLED,
        "switchboard_twilio_throttled_total",
        None,
        "Twilio answers with HTTP 429 (too many requests) to syncs.",
    ),
    (
        counter::TWILIO_RETRIES,
        "switchboard_twilio_retries_total",
        None,
        "Requests to Twilio that were retries of a failed one.",
    ),
    (
        counter::PAGES,
        "switchboard_sync_pages_total",
        None,
        "Pages of Twilio records read by syncs.",
    ),
    (
        counter::ROWS,
        "switchboard_sync_rows_total",
        None,
        "Rows stored into hourly buckets by syncs.",
    ),
];

const OUTCOMES: [RunStatus; 3] = [RunStatus::Succeeded, RunStatus::Partial, RunStatus::Failed];

/// A metric's state in `switchboard_metric_state`.
const STATES: [&str; 3] = ["ok", "failing", "never_synced"];

/// Every metric family `/metrics` can show, for the alert rules' test and the docs.
pub const FAMILIES: &[&str] = &[
    "switchboard_build_info",
    "switchboard_store_up",
    "switchboard_sync_runs_total",
    "switchboard_twilio_requests_total",
    "switchboard_twilio_throttled_total",
    "switchboard_twilio_retries_total",
    "switchboard_sync_pages_total",
    "switchboard_sync_rows_total",
    "switchboard_metric_last_success_timestamp_seconds",
    "switchboard_metric_state",
    "switchboard_jobs_waiting",
    "switchboard_jobs_running",
    "switchboard_jobs_oldest_waiting_age_seconds",
    "switchboard_http_requests_total",
    "switchboard_http_request_duration_seconds",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "process_start_time_seconds",
    "process_open_fds",
];

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// The whole text: build (`commit` the binary's, from its `build.rs`), process, HTTP (when
/// `http` is given: `serve`'s), then the store's figures as of `now_ms`. When the store does not answer, its part is left out and
/// `switchboard_store_up` is 0.
pub async fn render(
    store: &AnyStore,
    commit: &str,
    http: Option<&Telemetry>,
    now_ms: i64,
) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "switchboard_build_info",
        "gauge",
        "Always 1; the labels say which build runs and the schema it writes.",
    );
    let _ = writeln!(
        out,
        "switchboard_build_info{{version=\"{}\",commit=\"{}\",schema=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION")),
        label(commit),
        store::schema_version()
    );
    process::render(&mut out);
    if let Some(http) = http {
        http.render(&mut out);
    }
    let figures = store.ops_figures(now_ms).await;
    family(
        &mut out,
        "switchboard_store_up",
        "gauge",
        "1 when the store answered this scrape, else 0 (and its figures are missing).",
    );
    match figures {
        Ok(figures) => {
            let _ = writeln!(out, "switchboard_store_up 1");
            render_store(&mut out, &figures, now_ms);
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the store's figures for /metrics");
            let _ = writeln!(out, "switchboard_store_up 0");
        }
    }
    out
}

fn render_store(out: &mut String, figures: &OpsFigures, now_ms: i64) {
    let value = |name: &str, label: &str| {
        figures
            .counters
            .iter()
            .find(|c| c.name == name && c.label == label)
            .map_or(0, |c| c.value)
    };
    for (name, exposed, label_name, help) in COUNTERS {
        family(out, exposed, "counter", help);
        match label_name {
            Some(label_name) => {
                for outcome in OUTCOMES {
                    let _ = writeln!(
                        out,
                        "{exposed}{{{label_name}=\"{}\"}} {}",
                        outcome.as_str(),
                        value(name, outcome.as_str())
                    );
                }
            }
            None => {
                let _ = writeln!(out, "{exposed} {}", value(name, ""));
            }
        }
    }

    family(
        out,
        "switchboard_metric_last_success_timestamp_seconds",
        "gauge",
        "When each metric in use last finished a good (succeeded or partial) sync, in Unix \
         seconds; absent for a metric that never did.",
    );
    for m in &figures.metrics {
        if let Some(at) = m.last_good_finished_ms {
            let _ = writeln!(
                out,
                "switchboard_metric_last_success_timestamp_seconds{{metric_id=\"{}\"}} {}",
                m.id,
                seconds(at)
            );
        }
    }
    family(
        out,
        "switchboard_metric_state",
        "gauge",
        "Each metric in use's sync state, 1 for the state it is in: ok (its latest finished \
         sync was good), failing (it failed), never_synced (none finished yet).",
    );
    for m in &figures.metrics {
        let current = match m.last_finished_status {
            None | Some(RunStatus::Running) => "never_synced",
            Some(RunStatus::Failed) => "failing",
            Some(_) => "ok",
        };
        for state in STATES {
            let _ = writeln!(
                out,
                "switchboard_metric_state{{metric_id=\"{}\",state=\"{state}\"}} {}",
                m.id,
                u8::from(state == current)
            );
        }
    }

    let q = &figures.queue;
    family(
        out,
        "switchboard_jobs_waiting",
        "gauge",
        "Jobs due and waiting for a worker (a lapsed lease's job included).",
    );
    let _ = writeln!(out, "switchboard_jobs_waiting {}", q.waiting);
    family(
        out,
        "switchboard_jobs_running",
        "gauge",
        "Jobs a worker holds under a live lease.",
    );
    let _ = writeln!(out, "switchboard_jobs_running {}", q.running);
    family(
        out,
        "switchboard_jobs_oldest_waiting_age_seconds",
        "gauge",
        "How long the longest-waiting due job has waited; 0 when none waits.",
    );
    let age = q
        .oldest_waiting_since_ms
        .map_or(0.0, |since| seconds((now_ms - since).max(0)));
    let _ = writeln!(out, "switchboard_jobs_oldest_waiting_age_seconds {age}");
}

/// Whether a scrape may read `/metrics`: always when no token is set, else only with
/// `Authorization: Bearer <token>` (compared in constant time).
pub fn authorized(headers: &HeaderMap, token: Option<&Secret>) -> bool {
    use sha2::Digest as _;
    use subtle::ConstantTimeEq as _;
    let Some(token) = token else {
        return true;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Digests first, so the comparison's time does not depend on the lengths either.
    let given = sha2::Sha256::digest(given.trim().as_bytes());
    let wanted = sha2::Sha256::digest(token.expose().as_bytes());
    given[..].ct_eq(&wanted[..]).into()
}

/// The answer to a scrape without the token.
pub fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "/metrics needs the metrics token: send Authorization: Bearer <token>\n",
    )
        .into_response()
}

/// The text as a response.
pub fn respond(text: String) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// What a worker's `--metrics-addr` serves.
#[derive(Clone)]
struct WorkerOps {
    store: Arc<AnyStore>,
    token: Option<Secret>,
    commit: String,
    clock: app::Clock,
}

/// `/metrics` and `/healthz` for a process without the web app (`worker --metrics-addr`).
/// Its gauges of age read `clock`.
pub fn worker_router(
    store: Arc<AnyStore>,
    token: Option<Secret>,
    commit: String,
    clock: app::Clock,
) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(worker_metrics))
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .with_state(WorkerOps {
            store,
            token,
            commit,
            clock,
        })
}

async fn worker_metrics(State(ops): State<WorkerOps>, headers: HeaderMap) -> Response {
    if !authorized(&headers, ops.token.as_ref()) {
        return unauthorized();
    }
    let now_ms = ops.clock.now_ms();
    respond(render(&ops.store, &ops.commit, None, now_ms).await)
}

/// Serves [`worker_router`] on `listener` until `shutdown`.
pub async fn serve_worker_ops(
    listener: tokio::net::TcpListener,
    store: Arc<AnyStore>,
    token: Option<Secret>,
    commit: String,
    clock: app::Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, worker_router(store, token, commit, clock))
        .with_graceful_shutdown(shutdown)
        .await
}
