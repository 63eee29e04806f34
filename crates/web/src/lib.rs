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

/// The Prometheus text both `serve` and `worker --metrics-addr` answer with.
pub use features::ops::exposition;
pub use features::{boards, builder};

use std::future::Future;
use std::time::Duration;

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

/// How long a client may take to send a request's headers. A client that opens a connection
/// and sends half a request is dropped after this, instead of holding a connection (and
/// shutdown) for as long as it likes.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests under way may take to finish once shutdown begins; then their
/// connections are dropped.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the app on `listener` until `shutdown` completes, then stops accepting, lets requests
/// under way finish for at most [`DRAIN_TIMEOUT`] and returns. Every request carries the
/// client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = App::build(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                tower::ServiceExt::oneshot(router.clone(), request)
            },
        );
        let connection =
            graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %remote, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still under way after {} s of shutdown were dropped",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    Ok(())
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
