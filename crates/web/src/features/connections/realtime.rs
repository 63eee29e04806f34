//! A connection's "Real time" screen (`/connections/{id}/realtime`) and its API: whether an
//! Auth Token is stored (never the token), the form that sets, replaces or removes it, the
//! callback URLs to paste into the Twilio Console, and the last events received.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ConnectionId, Store};

use app::realtime_settings::{self as rt, CallbackPaths, RealtimeInfo};

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::client::Client;
use crate::error::{JsonBody, WebError};
use crate::pages::*;
use crate::state::AppState;

/// One callback URL as the screens show it.
#[derive(Serialize)]
pub struct CallbackUrl {
    /// `messages`, `calls` or `events`.
    pub kind: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// Where Twilio should send this server's callbacks: the public URL when one is configured,
/// else the scheme and `Host` this request came with (what Twilio reaches only if it reaches
/// this address too); `None` without either.
pub fn external_base(state: &AppState, client: &Client, headers: &HeaderMap) -> Option<String> {
    let public = state.config().public_url.as_ref();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty());
    // The same rule the ingest signs with, so the URL shown is the URL verified.
    (public.is_some() || host.is_some())
        .then(|| crate::features::realtime::external_url(public, client.scheme, host, ""))
}

/// The three URLs of a hook, under `base` (or as paths without one).
pub fn callback_urls(paths: &CallbackPaths, base: Option<&str>) -> Vec<CallbackUrl> {
    let kinds = ["messages", "calls", "events"];
    paths
        .labelled()
        .into_iter()
        .zip(kinds)
        .map(|((label, path), kind)| CallbackUrl {
            kind,
            label,
            url: format!("{}{path}", base.unwrap_or("")),
        })
        .collect()
}

struct EventRow {
    when: String,
    kind: String,
    sid: String,
    status: String,
    source: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "connection_realtime.html")]
struct RealtimePage {
    frame: PageFrame,
    id: i64,
    label: String,
    is_admin: bool,
    has_token: bool,
    token_set: Option<String>,
    urls: Vec<CallbackUrl>,
    /// Whether the URLs are absolute (a public URL or the request's Host gave the base).
    absolute: bool,
    public_url_set: bool,
    events: Vec<EventRow>,
    /// This process's counts since it started, in words; `None` before any request.
    since_start: Option<String>,
    /// The last refusal and what to check, in words.
    last_refusal: Option<String>,
}

pub async fn realtime_page(
    State(state): State<AppState>,
    caller: Caller,
    client: Client,
    headers: HeaderMap,
    flash: Flash,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let info = state.app().connection_realtime(conn.id).await?;
    let base = external_base(&state, &client, &headers);
    let urls = info
        .paths()
        .map(|p| callback_urls(&p, base.as_deref()))
        .unwrap_or_default();
    let events = info
        .recent
        .iter()
        .map(|e| EventRow {
            when: crate::views::when(Some(e.received_ms)),
            kind: e.kind.clone(),
            sid: e.sid.clone(),
            status: e.status.clone(),
            source: source_words(&e.source).to_owned(),
            outcome: e.outcome.clone(),
        })
        .collect();
    let (since_start, last_refusal) = ingest_words(&state.realtime().stats(conn.id));
    render(&RealtimePage {
        frame: PageFrame::of(&caller, "connections").flash(flash),
        id,
        label: conn.label,
        is_admin: caller.user.role >= crate::accounts::Role::Admin,
        has_token: info.has_auth_token(),
        token_set: info
            .hook
            .as_ref()
            .and_then(|h| h.auth_token_set_ms)
            .filter(|_| info.has_auth_token())
            .map(|ms| crate::views::when(Some(ms))),
        urls,
        absolute: base.is_some(),
        public_url_set: state.config().public_url.is_some(),
        events,
        since_start,
        last_refusal,
    })
}

/// What this server's ingest counted for the connection, and its last refusal with what to
/// check: a wrong Auth Token or public URL shows here, since a refused request stores nothing.
fn ingest_words(stats: &app::realtime::IngestStats) -> (Option<String>, Option<String>) {
    let refused: u64 = stats.refused.values().sum();
    let total = stats.accepted + stats.duplicates + stats.stale + stats.skipped + refused;
    let since = (total + stats.rate_limited > 0).then(|| {
        format!(
            "Since this server started: {} applied, {} duplicate, {} out of order, {} refused, {} over the rate limit.",
            stats.accepted, stats.duplicates, stats.stale, refused, stats.rate_limited
        )
    });
    let last = stats.last_refusal.map(|(ms, why)| {
        format!(
            "Last refused {}: {why}. Check that the stored Auth Token is this account's primary one and that the URL in the Twilio Console is exactly the one above.",
            crate::views::when(Some(ms))
        )
    });
    (since, last)
}

fn source_words(source: &str) -> &str {
    match source {
        "callback" => "status callback",
        "event_stream" => "Event Streams",
        other => other,
    }
}

/// Write-only: read from the form, never put back into a page.
#[derive(Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    auth_token: String,
}

pub async fn auth_token_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(mut form): Form<TokenForm>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let back = format!("/connections/{id}/realtime");
    let text = domain::Secret::new(std::mem::take(&mut form.auth_token));
    let saved = match rt::parse_auth_token(&text) {
        Ok(token) => {
            state
                .set_connection_auth_token(caller.user.role, conn.id, Some(token))
                .await
        }
        Err(e) => Err(e),
    };
    Ok(match saved {
        Ok(_) => with_flash(
            &back,
            true,
            &format!(
                "Saved the Auth Token of {}: Twilio accepted it, and callbacks signed with it are taken from now on.",
                conn.label
            ),
        ),
        Err(e) => with_flash(&back, false, &format!("Auth Token not saved: {e}.")),
    })
}

pub async fn auth_token_remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    state
        .set_connection_auth_token(caller.user.role, conn.id, None)
        .await?;
    Ok(with_flash(
        &format!("/connections/{id}/realtime"),
        true,
        &format!(
            "Removed the Auth Token of {}: every callback to its URLs is refused until one is set again.",
            conn.label
        ),
    ))
}

// ---------------------------------------------------------------- API

/// The API's answer for a connection's real-time settings: never the token.
fn info_json(id: i64, info: &RealtimeInfo, base: Option<&str>) -> serde_json::Value {
    let urls = info
        .paths()
        .map(|p| callback_urls(&p, base))
        .unwrap_or_default();
    let recent: Vec<serde_json::Value> = info
        .recent
        .iter()
        .map(|e| {
            json!({
                "kind": e.kind, "sid": e.sid, "status": e.status, "source": e.source,
                "outcome": e.outcome, "received_ms": e.received_ms,
            })
        })
        .collect();
    json!({
        "connection": id,
        "hook": info.hook.is_some(),
        "has_auth_token": info.has_auth_token(),
        "auth_token_set_ms": info.hook.as_ref().and_then(|h| h.auth_token_set_ms).filter(|_| info.has_auth_token()),
        "callback_urls": urls,
        "recent_events": recent,
    })
}

pub async fn realtime_api(
    State(state): State<AppState>,
    _caller: Caller,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let info = state.app().connection_realtime(conn.id).await?;
    let base = external_base(&state, &client, &headers);
    Ok(Json(info_json(id, &info, base.as_deref())).into_response())
}

/// Write-only, as the page's form.
#[derive(Deserialize)]
pub struct TokenIn {
    #[serde(default)]
    auth_token: String,
}

pub async fn auth_token_put(
    State(state): State<AppState>,
    caller: Caller,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<TokenIn>,
) -> ApiResult {
    let text = domain::Secret::new(body.auth_token);
    let conn = state.store().connection(ConnectionId(id)).await?;
    let token = rt::parse_auth_token(&text).map_err(WebError::from)?;
    state
        .set_connection_auth_token(caller.user.role, conn.id, Some(token))
        .await?;
    realtime_answer(&state, &client, &headers, id).await
}

pub async fn auth_token_delete(
    State(state): State<AppState>,
    caller: Caller,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    state
        .set_connection_auth_token(caller.user.role, conn.id, None)
        .await?;
    realtime_answer(&state, &client, &headers, id).await
}

async fn realtime_answer(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    id: i64,
) -> ApiResult {
    let info = state.app().connection_realtime(ConnectionId(id)).await?;
    let base = external_base(state, client, headers);
    Ok(Json(info_json(id, &info, base.as_deref())).into_response())
}
