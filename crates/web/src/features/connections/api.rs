//! The Data Manager's JSON API: list, add, test, rename and remove Twilio connections.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ConnectionId, Store};

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::error::JsonBody;
use crate::state::AppState;

/// A connection as the API shows it: never the secret.
#[derive(Serialize)]
pub struct ConnectionOut {
    pub id: i64,
    pub label: String,
    pub account_sid: String,
    pub api_key_sid: String,
    pub created_ms: i64,
    /// `available` or `unavailable` (never the secret itself).
    pub secret: &'static str,
}

impl From<&store::Connection> for ConnectionOut {
    fn from(c: &store::Connection) -> Self {
        Self {
            id: c.id.0,
            label: c.label.clone(),
            account_sid: c.account_sid.to_string(),
            api_key_sid: c.api_key_sid.to_string(),
            created_ms: c.created_ms,
            secret: if c.secret.is_ok() {
                "available"
            } else {
                "unavailable"
            },
        }
    }
}

pub async fn connections(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let list: Vec<ConnectionOut> = state
        .store()
        .list_connections()
        .await?
        .iter()
        .map(ConnectionOut::from)
        .collect();
    Ok(Json(json!({ "connections": list })).into_response())
}

#[derive(Deserialize)]
pub struct ConnectionIn {
    #[serde(default)]
    label: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    api_key_sid: String,
    #[serde(default)]
    api_key_secret: String,
}

pub async fn connection_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<ConnectionIn>,
) -> ApiResult {
    let added = super::add(
        &state,
        &body.label,
        &body.account_sid,
        &body.api_key_sid,
        domain::Secret::new(body.api_key_secret),
    )
    .await?;
    crate::api::created(json!({
        "connection": ConnectionOut::from(&added.connection),
        "check": added.check,
        "accounts": found_out(&added.accounts),
        "message": added.message(),
    }))
}

pub async fn connection_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let check = state.app().check_connection(&conn).await?;
    Ok(Json(json!({ "check": check, "message": check.to_string() })).into_response())
}

#[derive(Deserialize)]
pub struct ConnectionPatch {
    pub label: String,
}

pub async fn connection_rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(patch): JsonBody<ConnectionPatch>,
) -> ApiResult {
    let conn = super::rename(&state, ConnectionId(id), &patch.label).await?;
    Ok(Json(ConnectionOut::from(&conn)).into_response())
}

pub async fn connection_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let stopped = state.remove_connection(ConnectionId(id)).await?;
    Ok(Json(json!({ "deleted": id, "metrics_stopped": stopped })).into_response())
}

/// One Twilio account of a connection as the API shows it.
#[derive(Serialize)]
pub struct AccountOut {
    pub sid: String,
    pub friendly_name: String,
    /// `active`, `suspended`, `closed` or `gone` (no longer listed by Twilio).
    pub status: &'static str,
    /// The connection's own account (the others are its subaccounts).
    pub is_parent: bool,
    /// Whether syncs request it: active and readable.
    pub requested: bool,
    pub access_problem: Option<String>,
    /// Why it is not requested, or what became of it, in words.
    pub note: Option<String>,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub status_changed_ms: i64,
}

impl From<&store::TwilioAccount> for AccountOut {
    fn from(a: &store::TwilioAccount) -> Self {
        Self {
            sid: a.sid.to_string(),
            friendly_name: a.friendly_name.clone(),
            status: a.status.as_str(),
            is_parent: a.is_parent,
            requested: a.is_requested(),
            access_problem: a.access_problem.clone(),
            note: app::twilio_accounts::note(a),
            first_seen_ms: a.first_seen_ms,
            last_seen_ms: a.last_seen_ms,
            status_changed_ms: a.status_changed_ms,
        }
    }
}

/// What a discovery found, for the API: whether the key listed its accounts, how many
/// subaccounts, and the reason in words when it did not.
pub fn found_out(found: &app::twilio_accounts::AccountsFound) -> serde_json::Value {
    use app::twilio_accounts::AccountsFound as F;
    match found {
        F::Listed {
            accounts,
            subaccounts,
        } => {
            json!({ "outcome": "listed", "accounts": accounts, "subaccounts": subaccounts, "message": found.to_string() })
        }
        F::NotListable { reason } => {
            json!({ "outcome": "not_listable", "reason": reason, "message": found.to_string() })
        }
        F::Failed { reason } => {
            json!({ "outcome": "failed", "reason": reason, "message": found.to_string() })
        }
    }
}

async fn accounts_json(
    state: &AppState,
    id: ConnectionId,
) -> Result<Vec<AccountOut>, crate::error::WebError> {
    Ok(state
        .app()
        .twilio_accounts(id)
        .await?
        .iter()
        .map(AccountOut::from)
        .collect())
}

pub async fn accounts(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let accounts = accounts_json(&state, ConnectionId(id)).await?;
    Ok(Json(json!({ "accounts": accounts })).into_response())
}

/// Lists the accounts on Twilio now. A key that may not list them is an answer (the reason
/// in `discovery`), not an error; Twilio failing to answer is refused.
pub async fn accounts_discover(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let discovery = state.app().discover_accounts(ConnectionId(id)).await?;
    let (joined, status_changed, renamed) = match &discovery {
        metric_sync::Discovery::Listed { changes, .. } => (
            changes.joined.iter().map(ToString::to_string).collect(),
            changes
                .status_changed
                .iter()
                .map(|(sid, status)| json!({ "sid": sid.to_string(), "status": status.as_str() }))
                .collect(),
            changes.renamed.iter().map(ToString::to_string).collect(),
        ),
        metric_sync::Discovery::NotListable { .. } => (Vec::new(), Vec::new(), Vec::new()),
    };
    let joined: Vec<String> = joined;
    let status_changed: Vec<serde_json::Value> = status_changed;
    let renamed: Vec<String> = renamed;
    let found = app::twilio_accounts::AccountsFound::of(&Ok(discovery));
    let accounts = accounts_json(&state, ConnectionId(id)).await?;
    Ok(Json(json!({
        "discovery": found_out(&found),
        "joined": joined,
        "status_changed": status_changed,
        "renamed": renamed,
        "accounts": accounts,
    }))
    .into_response())
}
