//! The Data Manager's JSON API: list, add, test, rename and remove Twilio connections.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
    let (conn, check) = super::add(
        &state,
        &body.label,
        &body.account_sid,
        &body.api_key_sid,
        domain::Secret::new(body.api_key_secret),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "connection": ConnectionOut::from(&conn), "check": check, "message": check.to_string() })),
    )
        .into_response())
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
    let stopped = state.app().remove_connection(ConnectionId(id)).await?;
    Ok(Json(json!({ "deleted": id, "metrics_stopped": stopped })).into_response())
}
