//! Twilio's pushed events (issue 22): each connection's public hooks, called by Twilio, never by
//! a person: `/hooks/twilio/{hook_key}/messages` and `/calls` (status callbacks, form-encoded)
//! and `/events` (an Event Streams webhook sink, JSON).
//!
//! The routes are public (Twilio holds no session; the `X-Twilio-Signature` under the
//! connection's Auth Token is the credential, checked by [`app::Realtime::ingest`]), and the CSRF
//! layer lets them through as it does any request without a session or an `Origin`. Answers:
//! 204 with no body once the events are stored, 403 with one fixed text whatever was wrong
//! (unknown hook, no Auth Token, missing or wrong signature), 413 over the body limit, 429 with
//! `Retry-After` over the rate, 400 with the reason in words for a signed body that is not a
//! callback, 503 when the store failed (Twilio delivers again). Nothing received is ever echoed,
//! and the request log records these like any route, without bodies or signatures.

use axum::body::Body;
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use app::realtime::{Endpoint, IngestError, Pushed};

use crate::client::{Client, PublicUrl, Scheme};
use crate::features::{POST, PUBLIC};
use crate::routes::Routes;
use crate::state::AppState;

/// The header Twilio signs its requests with.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(POST, "/hooks/twilio/{hook_key}/messages", PUBLIC, messages)
        .page(POST, "/hooks/twilio/{hook_key}/calls", PUBLIC, calls)
        .page(POST, "/hooks/twilio/{hook_key}/events", PUBLIC, events)
}

async fn messages(state: State<AppState>, key: Path<String>, request: Request) -> Response {
    receive(state, key, Endpoint::Messages, request).await
}

async fn calls(state: State<AppState>, key: Path<String>, request: Request) -> Response {
    receive(state, key, Endpoint::Calls, request).await
}

async fn events(state: State<AppState>, key: Path<String>, request: Request) -> Response {
    receive(state, key, Endpoint::Events, request).await
}

async fn receive(
    State(state): State<AppState>,
    Path(hook_key): Path<String>,
    endpoint: Endpoint,
    request: Request,
) -> Response {
    let config = state.realtime().config();
    let limit = if endpoint.is_json() {
        config.max_json_bytes
    } else {
        config.max_form_bytes
    };
    let (parts, body) = request.into_parts();
    // One byte past the limit is enough for `ingest` to refuse the body as too large, and all
    // a sender can make us hold.
    let Some(body) = read_capped(body, limit.saturating_add(1)).await else {
        return plain(StatusCode::BAD_REQUEST, "the body could not be read");
    };
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0)
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let url = external_url(
        state.config().public_url.as_ref(),
        Client::of(&parts.extensions).scheme,
        host,
        &path,
    );
    let signature = parts
        .headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let pushed = Pushed {
        hook_key: &hook_key,
        endpoint,
        url: &url,
        signature,
        body: &body,
    };
    match state.realtime().ingest(pushed).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refusal(&e),
    }
}

/// The answer to a refused request: a status and a short fixed text (the 400's reason names
/// fields only).
pub fn refusal(e: &IngestError) -> Response {
    match e {
        IngestError::TooLarge { limit } => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {limit} bytes"),
        ),
        IngestError::RateLimited { retry_after_s } => {
            let mut r = plain(StatusCode::TOO_MANY_REQUESTS, "too many requests");
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        IngestError::Forbidden => plain(StatusCode::FORBIDDEN, "forbidden"),
        IngestError::BadRequest(why) => plain(StatusCode::BAD_REQUEST, why),
        IngestError::Unavailable(_) => {
            let mut r = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the events could not be stored; try again",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

/// At most `cap` bytes of `body` (less when it is shorter); `None` when reading it failed.
async fn read_capped(body: Body, cap: usize) -> Option<Vec<u8>> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        let room = cap - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    Some(out)
}

/// The URL Twilio requested, which its signature covers: the public URL's base when one is
/// configured (behind a proxy the Host and scheme the app sees are not Twilio's), else the
/// scheme a trusted proxy reported (http otherwise) and the Host header; then the path and
/// query as received.
pub fn external_url(
    public: Option<&PublicUrl>,
    scheme: Scheme,
    host: Option<&str>,
    path_and_query: &str,
) -> String {
    if let Some(base) = public {
        return base.join(path_and_query);
    }
    let scheme = match scheme {
        Scheme::Https => "https",
        Scheme::Http | Scheme::Unknown => "http",
    };
    format!("{scheme}://{}{path_and_query}", host.unwrap_or("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_replaces_the_scheme_host_and_port_seen() {
        let public = PublicUrl::parse("https://hooks.example.com:8443").unwrap();
        assert_eq!(
            external_url(
                Some(&public),
                Scheme::Http,
                Some("10.0.0.5:3000"),
                "/hooks/twilio/k/messages?a=1&b=2"
            ),
            "https://hooks.example.com:8443/hooks/twilio/k/messages?a=1&b=2"
        );
    }

    #[test]
    fn a_public_url_with_a_path_keeps_it_before_the_hook() {
        let public = PublicUrl::parse("https://example.com/switchboard/").unwrap();
        assert_eq!(
            external_url(
                Some(&public),
                Scheme::Unknown,
                None,
                "/hooks/twilio/k/calls"
            ),
            "https://example.com/switchboard/hooks/twilio/k/calls"
        );
    }

    #[test]
    fn without_a_public_url_the_host_header_and_the_proxied_scheme_are_used() {
        assert_eq!(
            external_url(None, Scheme::Https, Some("a.test:444"), "/h?x=1"),
            "https://a.test:444/h?x=1"
        );
        assert_eq!(
            external_url(None, Scheme::Unknown, Some("a.test"), "/h"),
            "http://a.test/h"
        );
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_its_cap_only() {
        let body = Body::from(vec![7u8; 100]);
        assert_eq!(read_capped(body, 11).await.map(|b| b.len()), Some(11));
        let body = Body::from(vec![7u8; 5]);
        assert_eq!(read_capped(body, 11).await, Some(vec![7u8; 5]));
    }

    #[test]
    fn a_rate_limited_answer_says_when_to_retry() {
        let r = refusal(&IngestError::RateLimited { retry_after_s: 3 });
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "3");
    }
}
