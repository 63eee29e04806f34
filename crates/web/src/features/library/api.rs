//! The metric library's JSON API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::error::JsonBody;
use crate::features::metrics::api::metric_out;
use crate::state::AppState;

use super::LibraryQuery;

pub async fn library_list(_caller: Caller, Query(q): Query<LibraryQuery>) -> ApiResult {
    let list: Vec<Value> = app::metrics::library_matches(&q.q, &q.category)?
        .into_iter()
        .map(|m| {
            json!({
                "slug": m.slug, "name": m.name(), "summary": m.summary(), "category": m.category.label(),
                "visualization": m.visualization.label(), "source": m.source(),
            })
        })
        .collect();
    Ok(Json(json!({ "metrics": list })).into_response())
}

#[derive(Deserialize)]
pub struct LibraryAddIn {
    #[serde(default)]
    connection: String,
    /// As in a definition: `"connection"` (the default), `"active"` or `{"list": [SIDs]}`.
    #[serde(default)]
    accounts: metric::AccountScope,
}

pub async fn library_add(
    State(state): State<AppState>,
    _caller: Caller,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<LibraryAddIn>,
) -> ApiResult {
    let m = state
        .app()
        .add_library_metric_scoped(&slug, &body.connection, &body.accounts)
        .await?;
    crate::api::created(json!({ "metric": metric_out(&m) }))
}
