//! For operators and every page: `/healthz`, `/readyz`, `/metrics` (Prometheus text), the
//! shared stylesheet and script, and the API's OpenAPI document.

pub mod exposition;
mod process;

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

/// Prometheus text for scrapers (see [`exposition`]): open to anyone who can reach the port,
/// like `/healthz`, unless a metrics token is set; it holds ids and counts only, never names,
/// values or secrets.
async fn prometheus(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if !exposition::authorized(&headers, state.config().metrics_token.as_ref()) {
        return exposition::unauthorized();
    }
    let now_ms = state.clock().now_ms();
    exposition::respond(
        exposition::render(
            state.store(),
            &state.config().build_commit,
            Some(state.telemetry()),
            now_ms,
        )
        .await,
    )
}
