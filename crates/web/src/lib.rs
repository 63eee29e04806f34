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

mod account_picker;
pub mod accounts;
pub mod api;
pub mod auth;
pub mod client;
mod connection;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod features;
pub mod flash;
pub mod heavy;
pub mod openapi;
pub mod pages;
pub mod request_log;
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
            // Outermost: the client and request id every inner layer and handler reads.
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                request_log::layer,
            ))
            .with_state(state)
    }

    /// Every route with the least role it admits, as [`App::build`] mounts them.
    pub fn route_table(state: &AppState) -> Vec<routes::RouteEntry> {
        features::all(state).into_parts().2
    }
}

/// How long a client may take to send a request's headers, from the request's first byte (for
/// a connection's first request, from its opening). A client that sends half a request is
/// dropped after this, instead of holding a connection (and shutdown) for as long as it likes.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a keep-alive connection may sit idle before it is closed, unless
/// [`WebConfig::http_idle_timeout`] says otherwise. Longer than the idle timeout of the usual
/// proxies' upstream pools (nginx's `keepalive_timeout` is 60 s), so the proxy closes first.
pub const DEFAULT_HTTP_IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// How long requests under way may take to finish once shutdown begins; then their
/// connections are dropped.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the app on `listener` until `shutdown` completes, then stops accepting, lets requests
/// under way finish for at most [`DRAIN_TIMEOUT`] and returns. Every request carries the
/// connection's peer address as `ConnectInfo<SocketAddr>` (which [`client`] reads). A
/// connection is closed when a request's headers take longer than [`HEADER_READ_TIMEOUT`] or
/// when it sits idle for the configured idle timeout (see `connection.rs`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let idle = state.config().http_idle_timeout;
    let router = App::build(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    // Our own clocks replace hyper's header-read timer, which would also close idle
    // keep-alive connections after the header timeout.
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(None);
    let (draining, drain_signal) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
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
        while connections.try_join_next().is_some() {}
        let activity = connection::Activity::new();
        let router = router.clone();
        let in_service = std::sync::Arc::clone(&activity);
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                let under_way = in_service.begin();
                let answer = tower::ServiceExt::oneshot(router.clone(), request);
                async move {
                    let answer = answer.await;
                    drop(under_way);
                    answer
                }
            },
        );
        let io = hyper_util::rt::TokioIo::new(connection::Tracked::new(
            stream,
            std::sync::Arc::clone(&activity),
        ));
        let conn = http.serve_connection(io, service);
        let drain_signal = drain_signal.clone();
        connections.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let mut drain_signal = drain_signal;
            let mut draining = false;
            loop {
                let wait = match activity.check(idle) {
                    Ok(wait) => wait,
                    Err(why) => {
                        tracing::debug!(%remote, ?why, "closing a connection");
                        return;
                    }
                };
                tokio::select! {
                    ended = conn.as_mut() => {
                        if let Err(e) = ended {
                            tracing::debug!(error = %e, %remote, "a connection ended with an error");
                        }
                        return;
                    }
                    _ = drain_signal.changed(), if !draining => {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    () = tokio::time::sleep(wait) => {}
                    () = activity.changed() => {}
                }
            }
        });
    }
    drop(listener);
    let _ = draining.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "requests still under way after {} s of shutdown were dropped",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    // Dropping the set aborts what is left.
    drop(connections);
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
