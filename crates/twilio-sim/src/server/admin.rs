//! `/__sim/...`: read and set faults, read and clear the request log, read the credentials,
//! read and change the accounts' statuses and names. Not behind Twilio auth and answered on
//! any Host.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Sim;
use crate::accounts::{AccountError, AccountState};
use crate::config::Faults;

pub(crate) async fn get_faults(State(sim): State<Sim>) -> Json<Faults> {
    Json(sim.faults())
}

pub(crate) async fn put_faults(State(sim): State<Sim>, body: Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("the body is not a Faults object: {e}")})),
            )
                .into_response();
        }
    };
    if let Err(e) = sim.check_faults(&faults) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response();
    }
    sim.set_faults(faults.clone());
    Json(faults).into_response()
}

pub(crate) async fn get_requests(State(sim): State<Sim>) -> Response {
    Json(json!({
        "requests": sim.request_log(),
        "peak_concurrency": sim.peak_concurrency(),
        "peak_concurrency_by_account": sim.peak_concurrency_by_account(),
    }))
    .into_response()
}

pub(crate) async fn clear_requests(State(sim): State<Sim>) -> StatusCode {
    sim.clear_request_log();
    StatusCode::NO_CONTENT
}

pub(crate) async fn get_credentials(State(sim): State<Sim>) -> Response {
    Json(crate::credentials(sim.dataset())).into_response()
}

/// Every account's SID, live status and friendly name, main account first.
pub(crate) async fn get_accounts(State(sim): State<Sim>) -> Response {
    let states = sim.accounts();
    let list: Vec<serde_json::Value> = sim
        .dataset()
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| account_json(&a.sid, a.is_subaccount, states.state(i), states.name(i)))
        .collect();
    Json(json!({ "accounts": list })).into_response()
}

fn account_json(
    sid: &str,
    is_subaccount: bool,
    state: AccountState,
    name: &str,
) -> serde_json::Value {
    json!({"sid": sid, "is_subaccount": is_subaccount, "status": state, "friendly_name": name})
}

/// The body of `PUT /__sim/accounts/{sid}`: a new status, a new friendly name, or both.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    status: Option<AccountState>,
    friendly_name: Option<String>,
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

pub(crate) async fn put_account(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let change: AccountChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return bad_request(format!(
                "the body is not {{\"status\": \"active\"|\"suspended\"|\"closed\"|\"absent\", \"friendly_name\": \"...\"}}: {e}"
            ));
        }
    };
    if change.status.is_none() && change.friendly_name.is_none() {
        return bad_request("give a status, a friendly_name or both".into());
    }
    // Both checked before either is applied, so a refused body changes nothing.
    let applied = sim.change_account(&sid, change.status, change.friendly_name.as_deref());
    match applied {
        Ok(()) => {
            let states = sim.accounts();
            let i = states.index_of(&sid).unwrap_or_default();
            let is_sub = i > 0;
            Json(account_json(&sid, is_sub, states.state(i), states.name(i))).into_response()
        }
        Err(e @ AccountError::UnknownAccount(_)) => {
            (StatusCode::NOT_FOUND, Json(json!({"error": e.to_string()}))).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}

/// Live mode: whether it runs, the simulator's clock, the speed, the counters and how many live
/// records exist.
pub(crate) async fn get_live(State(sim): State<Sim>) -> Response {
    let live = sim.live();
    let (messages, calls) = live.read_records().counts();
    Json(json!({
        "running": live.running(),
        "now": sim.now().to_string(),
        "speed": live.speed(),
        "stats": live.stats(),
        "live_messages": messages,
        "live_calls": calls,
    }))
    .into_response()
}
