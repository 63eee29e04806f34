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
//! - Access: every handler takes a [`auth::Caller`] and states the [`Role`] it needs; changes
//!   made with a session carry its CSRF token (a form field, or `X-CSRF-Token` on the API).
//! - [`demo`] prepares `serve --demo`.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod accounts;
pub mod api;
pub mod auth;
pub mod boards;
pub mod builder;
pub mod demo;
pub mod error;
pub mod heavy;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod views;
pub mod watch_api;
pub mod watch_pages;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
        let api = Router::new()
            .route("/me", get(api::me))
            .route(
                "/connections",
                get(api::connections).post(api::connection_create),
            )
            .route(
                "/connections/{id}",
                axum::routing::delete(api::connection_delete).patch(api::connection_rename),
            )
            .route("/connections/{id}/test", post(api::connection_test))
            .route("/metrics", get(api::metrics).post(api::metric_create))
            .route("/metrics/preview", post(api::metric_preview))
            .route(
                "/metrics/{id}",
                get(api::metric)
                    .put(api::metric_update)
                    .delete(api::metric_delete),
            )
            .route("/metrics/{id}/sync", post(api::metric_sync))
            .route("/metrics/{id}/duplicate", post(api::metric_duplicate))
            .route("/metrics/{id}/runs", get(api::metric_runs))
            .route("/metrics/{id}/data", get(api::metric_data))
            .route("/boards", get(boards::api::list))
            .route("/boards/{id}", get(boards::api::one))
            .route("/library", get(api::library_list))
            .route("/library/{slug}/add", post(api::library_add))
            .route("/users", get(api::users).post(api::user_create))
            .route(
                "/users/{id}",
                axum::routing::patch(api::user_update).delete(api::user_delete),
            )
            .route(
                "/users/{id}/password",
                axum::routing::put(api::user_password),
            )
            .route("/users/{id}/revoke", post(api::user_revoke))
            .route("/me/password", axum::routing::put(api::me_password))
            .route("/tokens", get(api::tokens).post(api::token_create))
            .route("/tokens/{id}", axum::routing::delete(api::token_delete))
            .route("/catalog", get(builder::catalog))
            .route("/builder/fetch", post(builder::fetch))
            .route("/builder/expression", post(builder::expression))
            .route("/builder/preview", post(builder::preview))
            .route("/builder/save", post(builder::save))
            .route("/goals", get(watch_api::goals).post(watch_api::goal_create))
            .route(
                "/goals/{id}",
                get(watch_api::goal_get)
                    .put(watch_api::goal_update)
                    .delete(watch_api::goal_delete),
            )
            .route("/goals/{id}/history", get(watch_api::goal_history))
            .route(
                "/alerts",
                get(watch_api::alerts).post(watch_api::alert_create),
            )
            .route("/alerts/backtest", post(watch_api::alert_backtest))
            .route(
                "/alerts/{id}",
                get(watch_api::alert_get)
                    .put(watch_api::alert_update)
                    .delete(watch_api::alert_delete),
            )
            .route("/alerts/{id}/history", get(watch_api::alert_history))
            .route(
                "/channels",
                get(watch_api::channels).post(watch_api::channel_create),
            )
            .route(
                "/channels/{id}",
                get(watch_api::channel_get)
                    .put(watch_api::channel_update)
                    .delete(watch_api::channel_delete),
            )
            .route("/channels/{id}/test", post(watch_api::channel_test))
            .route(
                "/scorecards",
                get(watch_api::scorecards).post(watch_api::scorecard_create),
            )
            .route(
                "/scorecards/{id}",
                get(watch_api::scorecard_get)
                    .put(watch_api::scorecard_update)
                    .delete(watch_api::scorecard_delete),
            )
            .route(
                "/scorecards/{id}/preview",
                get(watch_api::scorecard_preview),
            )
            .route("/openapi.json", get(openapi_json))
            .fallback(api::not_found)
            .layer(axum::middleware::from_fn(api::json_errors));
        Router::new()
            .route("/", get(pages::root))
            .route("/login", get(pages::login_form).post(pages::login))
            .route("/logout", post(pages::logout))
            .route("/setup", get(pages::setup_form).post(pages::setup))
            .route("/metrics", get(prometheus))
            .route(pages::METRICS_SCREEN, get(pages::metrics))
            .route("/builder", get(builder::new_page))
            .route("/metrics/{id}/edit", get(builder::edit_page))
            .route("/metrics/{id}/sync", post(pages::metric_sync))
            .route("/metrics/{id}/duplicate", post(pages::metric_duplicate))
            .route("/metrics/{id}/delete", post(pages::metric_delete))
            .route("/metrics/{id}/export", get(pages::metric_export))
            .route("/metrics/{id}/runs", get(pages::metric_runs))
            .route(
                "/connections",
                get(pages::connections).post(pages::connection_add),
            )
            .route("/connections/{id}/test", post(pages::connection_test))
            .route("/connections/{id}/rename", post(pages::connection_rename))
            .route(
                "/connections/{id}/delete",
                get(pages::connection_delete_form).post(pages::connection_delete),
            )
            .route("/boards", get(boards::list).post(boards::create))
            .route("/boards/templates", post(boards::from_template))
            .route("/boards/{id}", get(boards::page))
            .route("/boards/{id}/rename", post(boards::rename))
            .route("/boards/{id}/duplicate", post(boards::duplicate))
            .route("/boards/{id}/delete", post(boards::delete))
            .route("/boards/{id}/settings", post(boards::settings))
            .route("/boards/{id}/arrange", post(boards::arrange))
            .route("/boards/{id}/blocks", post(boards::block_add))
            .route(
                "/boards/{id}/blocks/{file}",
                get(boards::block_csv).post(block_edit_by_id),
            )
            .route("/boards/{id}/blocks/{bid}/move", post(boards::block_move))
            .route(
                "/boards/{id}/blocks/{bid}/delete",
                post(boards::block_delete),
            )
            .route("/boards/{id}/board.csv", get(boards::board_csv))
            .route("/boards/{id}/board.png", get(boards::board_png))
            .route("/boards/{id}/shares", post(boards::share_create))
            .route(
                "/boards/{id}/shares/{sid}/revoke",
                post(boards::share_revoke),
            )
            .route(
                "/shared/{token}",
                get(boards::shared).fallback(boards::shared_refuse),
            )
            .route(
                "/shared/{token}/blocks/{file}",
                get(boards::shared_block_csv).fallback(boards::shared_refuse),
            )
            .route(
                "/shared/{token}/{*rest}",
                axum::routing::any(boards::shared_refuse),
            )
            .route("/tv", get(boards::tv))
            .route("/tv/shared", get(boards::tv_links))
            .route("/assets/boards.css", get(boards::css))
            .route("/assets/boards.js", get(boards::js))
            .route("/assets/tables.js", get(boards::tables_js))
            .route("/library", get(pages::library_page))
            .route("/library/add", post(pages::library_add))
            .route("/users", get(pages::users).post(pages::user_add))
            .route("/users/{id}/disable", post(pages::user_disable))
            .route("/users/{id}/enable", post(pages::user_enable))
            .route("/users/{id}/role", post(pages::user_role))
            .route("/users/{id}/password", post(pages::user_password))
            .route("/users/{id}/revoke", post(pages::user_revoke))
            .route("/users/{id}/delete", post(pages::user_delete))
            .route("/account", get(pages::account))
            .route("/account/password", post(pages::account_password))
            .route("/account/tokens", post(pages::token_create))
            .route("/account/tokens/{id}/delete", post(pages::token_delete))
            .route(
                "/goals",
                get(watch_pages::goals).post(watch_pages::goal_create),
            )
            .route("/goals/{id}", get(watch_pages::goal_history))
            .route("/goals/{id}/delete", post(watch_pages::goal_delete))
            .route(
                "/alerts",
                get(watch_pages::alerts).post(watch_pages::alert_create),
            )
            .route("/alerts/backtest", post(watch_pages::alert_backtest))
            .route("/alerts/sync", post(watch_pages::alert_sync_create))
            .route("/alerts/{id}", get(watch_pages::alert_history))
            .route("/alerts/{id}/delete", post(watch_pages::alert_delete))
            .route(
                "/scorecards",
                get(watch_pages::scorecards).post(watch_pages::scorecard_create),
            )
            .route(
                "/channels",
                get(watch_pages::channels).post(watch_pages::channel_create),
            )
            .route("/channels/{id}/test", post(watch_pages::channel_test))
            .route("/channels/{id}/delete", post(watch_pages::channel_delete))
            .route(
                "/scorecards/{id}/delete",
                post(watch_pages::scorecard_delete),
            )
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/assets/app.css", get(css))
            .route("/assets/app.js", get(js))
            .route("/assets/builder.js", get(builder::js))
            .nest("/api/v1", api)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                telemetry::track,
            ))
            .layer(axum::middleware::from_fn(security_headers))
            .with_state(state)
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
async fn block_edit_by_id(
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
