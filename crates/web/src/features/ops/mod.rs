//! For operators and every page: `/healthz`, `/readyz`, `/metrics` (Prometheus text), the
//! shared stylesheet and script, and the API's OpenAPI document.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use store::Store;

use crate::features::{GET, PUBLIC};
use crate::openapi;
use crate::routes::Routes;
use crate::state::AppState;

const APP_CSS: &str = include_str!("../../../assets/app.css");
const APP_JS: &str = include_str!("../../../assets/app.js");
const FAVICON: &str = include_str!("../../../assets/favicon.svg");

/// Health, readiness, Prometheus, the shared assets and the API's description: open to anyone
/// who can reach the port.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/healthz", PUBLIC, healthz)
        .page(GET, "/readyz", PUBLIC, readyz)
        .page(GET, "/metrics", PUBLIC, prometheus)
        .page(GET, "/assets/app.css", PUBLIC, css)
        .page(GET, "/assets/app.js", PUBLIC, js)
        // Browsers ask for `/favicon.ico` on their own, whatever the page links to.
        .page(GET, "/favicon.svg", PUBLIC, favicon)
        .page(GET, "/favicon.ico", PUBLIC, favicon)
        .api(GET, "/openapi.json", PUBLIC, openapi_json)
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

async fn openapi_json() -> Response {
    axum::Json(openapi::document()).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the store answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store().ping().await {
        Ok(_) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n",
            )
                .into_response()
        }
    }
}

/// Prometheus text for scrapers: open to anyone who can reach the port, like `/healthz`; it
/// holds counts only, never names, values or secrets.
async fn prometheus(State(state): State<AppState>) -> Response {
    use std::fmt::Write as _;
    let mut out = String::new();
    state.telemetry().render(&mut out);
    match state.store().sync_runs(None, 10_000).await {
        Ok(runs) => {
            let mut by_status = std::collections::BTreeMap::new();
            let (mut requests, mut throttled) = (0u64, 0u64);
            for r in &runs {
                *by_status.entry(r.status.as_str()).or_insert(0u64) += 1;
                if let Some(l) = metric_sync::RunLedger::from_json(&r.ledger) {
                    requests += u64::from(l.requests);
                    throttled += u64::from(l.throttled);
                }
            }
            let _ = writeln!(
                out,
                "# HELP switchboard_sync_runs Recorded sync runs (the latest 10000), by status."
            );
            let _ = writeln!(out, "# TYPE switchboard_sync_runs gauge");
            for status in ["running", "succeeded", "partial", "failed"] {
                let n = by_status.get(status).copied().unwrap_or(0);
                let _ = writeln!(out, "switchboard_sync_runs{{status=\"{status}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "# HELP switchboard_twilio_requests Requests to Twilio made by the recorded sync runs."
            );
            let _ = writeln!(out, "# TYPE switchboard_twilio_requests gauge");
            let _ = writeln!(out, "switchboard_twilio_requests {requests}");
            let _ = writeln!(
                out,
                "# HELP switchboard_twilio_throttled Twilio answers with HTTP 429 in the recorded sync runs."
            );
            let _ = writeln!(out, "# TYPE switchboard_twilio_throttled gauge");
            let _ = writeln!(out, "switchboard_twilio_throttled {throttled}");
        }
        Err(e) => tracing::warn!(error = %e, "could not read sync runs for /metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
