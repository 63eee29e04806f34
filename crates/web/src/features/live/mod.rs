//! Live pages: the Metrics screen, boards and TV poll what changed about their metrics (one
//! store read, no buckets) and re-fetch themselves only when a metric's numbers or sync state
//! moved; `assets/live.js` swaps the changed cards and blocks in place. Share links poll through
//! their own token and see only their board's metrics.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::Store;

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::error::WebError;
use crate::features::{GET, PUBLIC, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

const LIVE_JS: &str = include_str!("../../../assets/live.js");

/// The versions every signed-in page polls, and the script.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .api(GET, "/metrics/versions", VIEWER, versions)
        .page(GET, "/assets/live.js", PUBLIC, js)
}

/// One metric as a live page sees it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct MetricVersion {
    pub id: i64,
    /// Grows with every write to the metric's buckets.
    pub data_version: i64,
    /// `syncing` (a run is under way), `queued` (a sync job waits or was just claimed) or
    /// `idle`.
    pub state: &'static str,
    /// When the latest sync run ended, in epoch milliseconds.
    pub last_sync_ms: Option<i64>,
}

#[derive(Serialize)]
pub struct Versions {
    pub metrics: Vec<MetricVersion>,
}

/// Every metric's version and sync state, or only those in `only`.
pub async fn read(state: &AppState, only: Option<&HashSet<i64>>) -> Result<Versions, WebError> {
    let activity = state
        .store()
        .metric_activity(metric_sync::SYNC_JOB, metric_sync::SYNC_JOB_KEY_PREFIX)
        .await?;
    let metrics = activity
        .into_iter()
        .filter(|a| only.is_none_or(|ids| ids.contains(&a.id.0)))
        .map(|a| MetricVersion {
            id: a.id.0,
            data_version: a.data_version,
            state: if a.running {
                "syncing"
            } else if a.queued {
                "queued"
            } else {
                "idle"
            },
            last_sync_ms: a.last_finished_ms,
        })
        .collect();
    Ok(Versions { metrics })
}

/// A JSON answer nobody caches: it is stale in seconds.
pub fn fresh_json(versions: &Versions) -> Response {
    let mut response = Json(versions).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn versions(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    Ok(fresh_json(&read(&state, None).await?))
}

pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        LIVE_JS,
    )
        .into_response()
}
