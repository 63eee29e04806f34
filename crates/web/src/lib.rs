//! Switchboard's web app and REST API, served from the one binary.
//!
//! - [`App::build`] gives the whole app as an axum `Router` (test it in-process with
//!   `tower::ServiceExt::oneshot`); [`serve`] runs it on a listener until `shutdown` resolves.
//! - [`AppState`] holds the store, the connector, the [`Accounts`] (users, sessions, API tokens)
//!   and the [`WebConfig`].
//! - Pages are server-rendered (askama templates under `templates/`), with one CSS file and one
//!   small JavaScript module of ours embedded in the binary: no CDN, no build step.
//! - `/api/v1` is the JSON API ([`openapi::document`] describes it); `/healthz`, `/readyz`, and
//!   `/metrics` (Prometheus text) are for operators; the Metrics screen is [`pages::METRICS_SCREEN`].
//! - Access: every route declares the least [`Role`] it admits where it is registered
//!   ([`features`], [`routes`]), and [`App::route_table`] lists them for the access test;
//!   changes are checked against cross-site forgery once, for the whole app ([`csrf`]).
//! - [`demo`] prepares `serve --demo`.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod accounts;
pub mod api;
pub mod auth;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod features;
pub mod flash;
pub mod heavy;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod views;

// The features' folders, under the names the rest of the crate has used for them.
pub use features::watch::{api as watch_api, pages as watch_pages};
pub use features::{boards, builder};

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use store::Store;

pub use accounts::{Accounts, Role, StoreAccounts, User};
pub use error::{ApiError, PageError, WebError};
pub use state::{AppState, WebConfig};

const APP_CSS: &str = include_str!("../assets/app.css");
const APP_JS: &str = include_str!("../assets/app.js");

/// The app's routes.
pub struct App;

impl App {
    pub fn build(state: AppState) -> Router {
        let (pages, api, _) = features::all(&state).into_parts();
        let api = api
            .fallback(api::not_found)
            .layer(axum::middleware::from_fn(api::json_errors));
        pages
            .nest(routes::API_PREFIX, api)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                flash::carry,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                csrf::protect,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                telemetry::track,
            ))
            .layer(axum::middleware::from_fn(security_headers))
            .with_state(state)
    }

    /// Every route with the least role it admits, as [`App::build`] mounts them.
    pub fn route_table(state: &AppState) -> Vec<routes::RouteEntry> {
        features::all(state).into_parts().2
    }
}

/// Serves the app on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        App::build(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // Everything the pages load is ours: no inline script, no third party.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `POST /boards/{id}/blocks/{bid}` saves the block; its `GET` twin is `{bid}.csv`, the
/// export, and axum allows one parameter name per path segment.
pub(crate) async fn block_edit_by_id(
    state: State<AppState>,
    caller: auth::Caller,
    axum::extract::Path((id, bid)): axum::extract::Path<(i64, String)>,
    form: axum::extract::RawForm,
) -> Result<Response, PageError> {
    let bid: i64 = bid
        .parse()
        .map_err(|_| WebError::NotFound(format!("block {bid}")))?;
    boards::block_edit(state, caller, axum::extract::Path((id, bid)), form).await
}

pub(crate) async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

pub(crate) async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

pub(crate) async fn openapi_json() -> Response {
    axum::Json(openapi::document()).into_response()
}

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the store answers.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
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
pub(crate) async fn prometheus(State(state): State<AppState>) -> Response {
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
