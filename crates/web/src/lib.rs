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
pub mod pages;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod views;

pub use features::{boards, builder};

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;

pub use accounts::{Accounts, Role, StoreAccounts, User};
pub use error::{ApiError, PageError, WebError};
pub use state::{AppState, WebConfig};

/// The app's routes.
pub struct App;

impl App {
    pub fn build(state: AppState) -> Router {
        let (pages, api, _) = features::all(&state).into_parts();
        let api = api
            .fallback(api::not_found)
            .layer(axum::middleware::from_fn(api::json_errors));
        pages
            .fallback(pages::not_found)
            .nest(routes::API_PREFIX, api)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                pages::error_pages,
            ))
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
