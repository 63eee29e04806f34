//! The outermost layer of every route: decides the request's [`Client`] and request id once,
//! runs the request inside a `request` span carrying the id (so any event during it names the
//! request), answers with `X-Request-Id`, and logs one event per request.
//!
//! The event's fields: `method`, `route` (the route template, `/shared/{token}`, so no share or
//! setup token reaches a log; `unmatched` for a path no route serves, never the raw path),
//! `status`, `duration_ms`, `request_id` and `client`. It is at `info`, except for the probes,
//! the Prometheus scrape and static assets ([`is_quiet`]), which a load balancer or
//! Prometheus asks for every few seconds: those are at `debug` unless they fail with a 5xx; and
//! Twilio's accepted pushes, one per status change of every message and call, at `debug` too
//! (a refused one stays at `info`, where an operator looks for a wrong Auth Token or URL).

use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use crate::client::{self, Scheme};
use crate::state::AppState;

/// The response header (and, from a trusted proxy, the request header) carrying the id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest incoming request id honoured; longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Whether a request to `route` answered `status` is logged at `debug`: the probes, the scrape,
/// the favicon and every `/assets/...` file unless they fail with a 5xx, and the real-time hooks
/// when they accepted the push.
pub fn is_quiet(route: &str, status: u16) -> bool {
    let polled = matches!(
        route,
        "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/favicon.svg"
    ) || route.starts_with("/assets/");
    (polled && status < 500) || (route.starts_with("/hooks/") && status < 300)
}

/// One request's id: a trusted proxy's `X-Request-Id` when it is short and safe, else a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A new id: 16 random bytes in hex, the form nginx's `$request_id` has.
    pub fn generate() -> Self {
        use rand::RngCore as _;
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// An incoming id, if it is 1 to [`MAX_REQUEST_ID_LEN`] letters, digits or `-_.:`: it is
    /// written to logs and echoed in a header, so nothing that could forge a log line or a
    /// header passes.
    pub fn accept(text: &str) -> Option<Self> {
        let safe = !text.is_empty()
            && text.len() <= MAX_REQUEST_ID_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        safe.then(|| Self(text.to_owned()))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The layer (`from_fn_with_state`), outermost in [`crate::App::build`].
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    let config = state.config();
    let client = client::resolve(peer, request.headers(), &config.trusted_proxies);
    let incoming = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|_| client.via_trusted_proxy)
        .and_then(RequestId::accept);
    let id = incoming.unwrap_or_else(RequestId::generate);
    let route = route_of(&request);
    let method = request.method().clone();
    request.extensions_mut().insert(client.clone());
    request.extensions_mut().insert(id.clone());

    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;

    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if client.scheme == Scheme::Https && !config.secure_cookies {
        mark_cookies_secure(&mut response);
    }
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let client = client.addr_text();
    if is_quiet(route, status) {
        tracing::debug!(%method, route, status, duration_ms, request_id = %id, client, "request");
    } else {
        tracing::info!(%method, route, status, duration_ms, request_id = %id, client, "request");
    }
    response
}

/// The route template the request matched, or `unmatched`. A nested router's catch-all (the
/// API's 404) is unmatched too.
fn route_of(request: &Request) -> &'static str {
    let Some(path) = request.extensions().get::<MatchedPath>() else {
        return "unmatched";
    };
    if path.as_str().contains("__private__") {
        return "unmatched";
    }
    // Route templates are the router's own `&'static str`s; interned here so the log event
    // borrows nothing from the request.
    intern(path.as_str())
}

fn intern(path: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "unmatched";
    };
    if let Some(known) = seen.get(path) {
        return known;
    }
    // Bounded by the route table: only templates the router matched get here.
    let leaked: &'static str = Box::leak(path.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// A trusted proxy says the browser used HTTPS: cookies set on the answer get `Secure`, as
/// `--secure-cookies` would do for every request.
fn mark_cookies_secure(response: &mut Response) {
    let cookies: Vec<HeaderValue> = response
        .headers_mut()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if cookies.is_empty() {
        return;
    }
    response.headers_mut().remove(header::SET_COOKIE);
    for cookie in cookies {
        let secure = cookie.to_str().ok().and_then(|text| {
            let has = text
                .split(';')
                .any(|part| part.trim().eq_ignore_ascii_case("secure"));
            if has {
                None
            } else {
                HeaderValue::from_str(&format!("{text}; Secure")).ok()
            }
        });
        response
            .headers_mut()
            .append(header::SET_COOKIE, secure.unwrap_or(cookie));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_pushes_and_healthy_probes_are_quiet_refusals_and_failures_are_not() {
        let hook = "/hooks/twilio/{hook_key}/messages";
        assert!(is_quiet(hook, 204));
        assert!(
            !is_quiet(hook, 403),
            "a refused push is what an operator looks for"
        );
        assert!(!is_quiet(hook, 429));
        assert!(is_quiet("/healthz", 200));
        assert!(is_quiet("/assets/app.css", 404));
        assert!(!is_quiet("/readyz", 503));
        assert!(!is_quiet("/boards/{id}", 200));
    }

    #[test]
    fn an_incoming_request_id_is_accepted_only_short_and_safe() {
        assert_eq!(
            RequestId::accept("abc-123_x.y:z").map(|r| r.0),
            Some("abc-123_x.y:z".to_owned())
        );
        assert!(RequestId::accept("").is_none());
        assert!(RequestId::accept(&"a".repeat(MAX_REQUEST_ID_LEN + 1)).is_none());
        assert!(RequestId::accept(&"a".repeat(MAX_REQUEST_ID_LEN)).is_some());
        for bad in ["a b", "a\"b", "a\nb", "a/b", "é"] {
            assert!(RequestId::accept(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn generated_request_ids_are_32_hex_digits_and_differ() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
