//! Goals, alerts, scorecards and channels: the JSON API (`api`), the screens (`pages`) and
//! their routes.

pub mod api;
pub mod pages;

use crate::features::{ADMIN, DELETE, EDITOR, GET, POST, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// Goals, alerts, scorecards and the channels they notify through. Channels hold secrets, so
/// changing them is for Admins; the rest is for Editors.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/goals", VIEWER, pages::goals)
        .page(POST, "/goals", EDITOR, pages::goal_create)
        .page(GET, "/goals/{id}", VIEWER, pages::goal_history)
        .page(GET, "/goals/{id}/edit", EDITOR, pages::goal_edit)
        .page(POST, "/goals/{id}/edit", EDITOR, pages::goal_update)
        .page(POST, "/goals/{id}/delete", EDITOR, pages::delete)
        .page(GET, "/alerts", VIEWER, pages::alerts)
        .page(POST, "/alerts", EDITOR, pages::alert_create)
        // A back-test changes nothing: a Viewer may try a rule.
        .page(POST, "/alerts/backtest", VIEWER, pages::alert_backtest)
        .page(POST, "/alerts/sync", EDITOR, pages::alert_sync_create)
        .page(GET, "/alerts/{id}", VIEWER, pages::alert_history)
        .page(GET, "/alerts/{id}/edit", EDITOR, pages::alert_edit)
        .page(POST, "/alerts/{id}/edit", EDITOR, pages::alert_update)
        .page(POST, "/alerts/{id}/delete", EDITOR, pages::delete)
        .page(GET, "/scorecards", VIEWER, pages::scorecards)
        .page(POST, "/scorecards", EDITOR, pages::scorecard_create)
        .page(GET, "/scorecards/{id}/edit", EDITOR, pages::scorecard_edit)
        .page(
            POST,
            "/scorecards/{id}/edit",
            EDITOR,
            pages::scorecard_update,
        )
        .page(POST, "/scorecards/{id}/delete", EDITOR, pages::delete)
        .page(GET, "/channels", VIEWER, pages::channels)
        .page(POST, "/channels", ADMIN, pages::channel_create)
        .page(GET, "/channels/{id}/edit", ADMIN, pages::channel_edit)
        .page(POST, "/channels/{id}/edit", ADMIN, pages::channel_update)
        .page(POST, "/channels/{id}/test", ADMIN, pages::channel_test)
        .page(POST, "/channels/{id}/delete", ADMIN, pages::delete)
        .api(GET, "/goals", VIEWER, api::goals)
        .api(POST, "/goals", EDITOR, api::goal_create)
        .api(GET, "/goals/{id}", VIEWER, api::goal_get)
        .api(PUT, "/goals/{id}", EDITOR, api::goal_update)
        .api(DELETE, "/goals/{id}", EDITOR, api::goal_delete)
        .api(GET, "/goals/{id}/history", VIEWER, api::goal_history)
        .api(GET, "/alerts", VIEWER, api::alerts)
        .api(POST, "/alerts", EDITOR, api::alert_create)
        .api(POST, "/alerts/backtest", VIEWER, api::alert_backtest)
        .api(GET, "/alerts/{id}", VIEWER, api::alert_get)
        .api(PUT, "/alerts/{id}", EDITOR, api::alert_update)
        .api(DELETE, "/alerts/{id}", EDITOR, api::alert_delete)
        .api(GET, "/alerts/{id}/history", VIEWER, api::alert_history)
        .api(GET, "/channels", VIEWER, api::channels)
        .api(POST, "/channels", ADMIN, api::channel_create)
        .api(GET, "/channels/{id}", VIEWER, api::channel_get)
        .api(PUT, "/channels/{id}", ADMIN, api::channel_update)
        .api(DELETE, "/channels/{id}", ADMIN, api::channel_delete)
        .api(POST, "/channels/{id}/test", ADMIN, api::channel_test)
        .api(GET, "/scorecards", VIEWER, api::scorecards)
        .api(POST, "/scorecards", EDITOR, api::scorecard_create)
        .api(GET, "/scorecards/{id}", VIEWER, api::scorecard_get)
        .api(PUT, "/scorecards/{id}", EDITOR, api::scorecard_update)
        .api(DELETE, "/scorecards/{id}", EDITOR, api::scorecard_delete)
        .api(
            GET,
            "/scorecards/{id}/preview",
            VIEWER,
            api::scorecard_preview,
        )
}
