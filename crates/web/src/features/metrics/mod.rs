//! Metrics: the JSON API (`api`), the screens (`pages`), one metric's page (`metric`), which of
//! its accounts is out of line (`outliers`) and their routes.

pub mod api;
pub mod metric;
pub mod outliers;
pub mod pages;

use crate::features::{DELETE, EDITOR, GET, PATCH, POST, PUBLIC, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// The Metrics screen, a metric's runs and export, and the metric API.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        // `/` only redirects to the home board or the Metrics screen, which ask an anonymous
        // visitor to sign in.
        .page(GET, "/", PUBLIC, crate::features::people::pages::root)
        .page(GET, crate::pages::METRICS_SCREEN, VIEWER, pages::metrics)
        .page(GET, "/metrics/{id}", VIEWER, metric::metric_page)
        .page(
            GET,
            "/metrics/{id}/outliers",
            VIEWER,
            outliers::outliers_page,
        )
        .page(GET, "/metrics/{id}/export", VIEWER, pages::metric_export)
        .page(GET, "/metrics/{id}/runs", VIEWER, pages::metric_runs)
        .page(POST, "/metrics/{id}/sync", EDITOR, pages::metric_sync)
        .page(
            POST,
            "/metrics/{id}/duplicate",
            EDITOR,
            pages::metric_duplicate,
        )
        .page(POST, "/metrics/{id}/delete", EDITOR, pages::metric_delete)
        .page(
            POST,
            "/metrics/{id}/interval",
            EDITOR,
            pages::metric_interval,
        )
        .api(GET, "/metrics", VIEWER, api::metrics)
        .api(POST, "/metrics", EDITOR, api::metric_create)
        .api(POST, "/metrics/preview", EDITOR, api::metric_preview)
        .api(GET, "/metrics/{id}", VIEWER, api::metric)
        .api(PUT, "/metrics/{id}", EDITOR, api::metric_update)
        .api(PATCH, "/metrics/{id}", EDITOR, api::metric_patch)
        .api(DELETE, "/metrics/{id}", EDITOR, api::metric_delete)
        .api(POST, "/metrics/{id}/sync", EDITOR, api::metric_sync)
        .api(
            POST,
            "/metrics/{id}/duplicate",
            EDITOR,
            api::metric_duplicate,
        )
        .api(GET, "/metrics/{id}/runs", VIEWER, api::metric_runs)
        .api(GET, "/metrics/{id}/data", VIEWER, api::metric_data)
        .api(
            GET,
            "/metrics/{id}/outliers",
            VIEWER,
            outliers::outliers_api,
        )
}
