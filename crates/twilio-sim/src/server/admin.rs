//! `/__sim/...`: read and set faults, read and clear the request log, read the credentials.
//! Not behind Twilio auth and answered on any Host.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Sim;
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
    if let Err(e) = faults.validate() {
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
