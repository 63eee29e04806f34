//! Every route of the app, one `routes()` per feature, each declaring the least role of its
//! routes where they are registered ([`crate::routes`]). [`all`] is what `App::build` mounts
//! and what the access test walks.

use axum::http::Method;

use crate::accounts::Role;
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::{api, boards, builder, pages, watch_api, watch_pages};

const PUBLIC: Access = Access::Public;
const VIEWER: Access = Access::Least(Role::Viewer);
const EDITOR: Access = Access::Least(Role::Editor);
const ADMIN: Access = Access::Least(Role::Admin);

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

/// Every feature's routes.
pub fn all(state: &AppState) -> Routes {
    ops(state)
        .merge(people(state))
        .merge(connections(state))
        .merge(metrics(state))
        .merge(library(state))
        .merge(builder_routes(state))
        .merge(boards_routes(state))
        .merge(watch(state))
}

/// Health, readiness, Prometheus, the shared assets and the API's description: open to anyone
/// who can reach the port.
pub fn ops(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/healthz", PUBLIC, crate::healthz)
        .page(GET, "/readyz", PUBLIC, crate::readyz)
        .page(GET, "/metrics", PUBLIC, crate::prometheus)
        .page(GET, "/assets/app.css", PUBLIC, crate::css)
        .page(GET, "/assets/app.js", PUBLIC, crate::js)
        .api(GET, "/openapi.json", PUBLIC, crate::openapi_json)
}

/// Sign-in, setup, the People screen, each person's account and tokens.
pub fn people(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/login", PUBLIC, pages::login_form)
        .page(POST, "/login", PUBLIC, pages::login)
        .page(GET, "/setup", PUBLIC, pages::setup_form)
        .page(POST, "/setup", PUBLIC, pages::setup)
        .page(POST, "/logout", VIEWER, pages::logout)
        .page(GET, "/account", VIEWER, pages::account)
        .page(POST, "/account/password", VIEWER, pages::account_password)
        .page(POST, "/account/tokens", VIEWER, pages::token_create)
        .page(
            POST,
            "/account/tokens/{id}/delete",
            VIEWER,
            pages::token_delete,
        )
        .page(GET, "/users", ADMIN, pages::users)
        .page(POST, "/users", ADMIN, pages::user_add)
        .page(POST, "/users/{id}/disable", ADMIN, pages::user_disable)
        .page(POST, "/users/{id}/enable", ADMIN, pages::user_enable)
        .page(POST, "/users/{id}/role", ADMIN, pages::user_role)
        .page(POST, "/users/{id}/password", ADMIN, pages::user_password)
        .page(POST, "/users/{id}/revoke", ADMIN, pages::user_revoke)
        .page(POST, "/users/{id}/delete", ADMIN, pages::user_delete)
        .api(GET, "/me", VIEWER, api::me)
        .api(PUT, "/me/password", VIEWER, api::me_password)
        .api(GET, "/tokens", VIEWER, api::tokens)
        .api(POST, "/tokens", VIEWER, api::token_create)
        .api(DELETE, "/tokens/{id}", VIEWER, api::token_delete)
        .api(GET, "/users", ADMIN, api::users)
        .api(POST, "/users", ADMIN, api::user_create)
        .api(PATCH, "/users/{id}", ADMIN, api::user_update)
        .api(DELETE, "/users/{id}", ADMIN, api::user_delete)
        .api(PUT, "/users/{id}/password", ADMIN, api::user_password)
        .api(POST, "/users/{id}/revoke", ADMIN, api::user_revoke)
}

/// The Data Manager: Twilio connections and their secrets.
pub fn connections(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/connections", ADMIN, pages::connections)
        .page(POST, "/connections", ADMIN, pages::connection_add)
        .page(
            POST,
            "/connections/{id}/test",
            ADMIN,
            pages::connection_test,
        )
        .page(
            POST,
            "/connections/{id}/rename",
            ADMIN,
            pages::connection_rename,
        )
        .page(
            GET,
            "/connections/{id}/delete",
            ADMIN,
            pages::connection_delete_form,
        )
        .page(
            POST,
            "/connections/{id}/delete",
            ADMIN,
            pages::connection_delete,
        )
        // Editors choose a connection for a metric, so they may list them (without secrets).
        .api(GET, "/connections", EDITOR, api::connections)
        .api(POST, "/connections", ADMIN, api::connection_create)
        .api(PATCH, "/connections/{id}", ADMIN, api::connection_rename)
        .api(DELETE, "/connections/{id}", ADMIN, api::connection_delete)
        .api(POST, "/connections/{id}/test", ADMIN, api::connection_test)
}

/// The Metrics screen, a metric's runs and export, and the metric API.
pub fn metrics(state: &AppState) -> Routes {
    Routes::new(state)
        // `/` only redirects to the Metrics screen, which asks an anonymous visitor to sign in.
        .page(GET, "/", PUBLIC, pages::root)
        .page(GET, pages::METRICS_SCREEN, VIEWER, pages::metrics)
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
        .api(GET, "/metrics", VIEWER, api::metrics)
        .api(POST, "/metrics", EDITOR, api::metric_create)
        .api(POST, "/metrics/preview", EDITOR, api::metric_preview)
        .api(GET, "/metrics/{id}", VIEWER, api::metric)
        .api(PUT, "/metrics/{id}", EDITOR, api::metric_update)
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
}

/// The metric library.
pub fn library(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/library", VIEWER, pages::library_page)
        .page(POST, "/library/add", EDITOR, pages::library_add)
        .api(GET, "/library", VIEWER, api::library_list)
        .api(POST, "/library/{slug}/add", EDITOR, api::library_add)
}

/// The Metric Builder wizard.
pub fn builder_routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/builder", EDITOR, builder::new_page)
        .page(GET, "/metrics/{id}/edit", EDITOR, builder::edit_page)
        .page(GET, "/assets/builder.js", PUBLIC, builder::js)
        .api(GET, "/catalog", EDITOR, builder::catalog)
        .api(POST, "/builder/fetch", EDITOR, builder::fetch)
        .api(POST, "/builder/expression", EDITOR, builder::expression)
        .api(POST, "/builder/preview", EDITOR, builder::preview)
        .api(POST, "/builder/save", EDITOR, builder::save)
}

/// Databoards, their exports, share links and TV mode.
pub fn boards_routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/boards", VIEWER, boards::list)
        .page(POST, "/boards", EDITOR, boards::create)
        .page(POST, "/boards/templates", EDITOR, boards::from_template)
        .page(GET, "/boards/{id}", VIEWER, boards::page)
        .page(POST, "/boards/{id}/rename", EDITOR, boards::rename)
        .page(POST, "/boards/{id}/duplicate", EDITOR, boards::duplicate)
        .page(POST, "/boards/{id}/delete", EDITOR, boards::delete)
        .page(POST, "/boards/{id}/settings", EDITOR, boards::settings)
        .page(POST, "/boards/{id}/arrange", EDITOR, boards::arrange)
        .page(POST, "/boards/{id}/blocks", EDITOR, boards::block_add)
        .page(GET, "/boards/{id}/blocks/{file}", VIEWER, boards::block_csv)
        .page(
            POST,
            "/boards/{id}/blocks/{file}",
            EDITOR,
            crate::block_edit_by_id,
        )
        .page(
            POST,
            "/boards/{id}/blocks/{bid}/move",
            EDITOR,
            boards::block_move,
        )
        .page(
            POST,
            "/boards/{id}/blocks/{bid}/delete",
            EDITOR,
            boards::block_delete,
        )
        .page(GET, "/boards/{id}/board.csv", VIEWER, boards::board_csv)
        .page(GET, "/boards/{id}/board.png", VIEWER, boards::board_png)
        .page(POST, "/boards/{id}/shares", EDITOR, boards::share_create)
        .page(
            POST,
            "/boards/{id}/shares/{sid}/revoke",
            EDITOR,
            boards::share_revoke,
        )
        .page(GET, "/tv", VIEWER, boards::tv)
        // Share links carry their own signed token: anyone holding one may read, nothing more.
        .page(GET, "/shared/{token}", PUBLIC, boards::shared)
        .page_other_methods("/shared/{token}", PUBLIC, boards::shared_refuse)
        .page(
            GET,
            "/shared/{token}/blocks/{file}",
            PUBLIC,
            boards::shared_block_csv,
        )
        .page_other_methods(
            "/shared/{token}/blocks/{file}",
            PUBLIC,
            boards::shared_refuse,
        )
        .page_other_methods("/shared/{token}/{*rest}", PUBLIC, boards::shared_refuse)
        .page(GET, "/tv/shared", PUBLIC, boards::tv_links)
        .page(GET, "/assets/boards.css", PUBLIC, boards::css)
        .page(GET, "/assets/boards.js", PUBLIC, boards::js)
        .page(GET, "/assets/tables.js", PUBLIC, boards::tables_js)
        .api(GET, "/boards", VIEWER, boards::api::list)
        .api(GET, "/boards/{id}", VIEWER, boards::api::one)
}

/// Goals, alerts, scorecards and the channels they notify through. Channels hold secrets, so
/// changing them is for Admins; the rest is for Editors.
pub fn watch(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/goals", VIEWER, watch_pages::goals)
        .page(POST, "/goals", EDITOR, watch_pages::goal_create)
        .page(GET, "/goals/{id}", VIEWER, watch_pages::goal_history)
        .page(POST, "/goals/{id}/delete", EDITOR, watch_pages::goal_delete)
        .page(GET, "/alerts", VIEWER, watch_pages::alerts)
        .page(POST, "/alerts", EDITOR, watch_pages::alert_create)
        // A back-test changes nothing: a Viewer may try a rule.
        .page(
            POST,
            "/alerts/backtest",
            VIEWER,
            watch_pages::alert_backtest,
        )
        .page(POST, "/alerts/sync", EDITOR, watch_pages::alert_sync_create)
        .page(GET, "/alerts/{id}", VIEWER, watch_pages::alert_history)
        .page(
            POST,
            "/alerts/{id}/delete",
            EDITOR,
            watch_pages::alert_delete,
        )
        .page(GET, "/scorecards", VIEWER, watch_pages::scorecards)
        .page(POST, "/scorecards", EDITOR, watch_pages::scorecard_create)
        .page(
            POST,
            "/scorecards/{id}/delete",
            EDITOR,
            watch_pages::scorecard_delete,
        )
        .page(GET, "/channels", VIEWER, watch_pages::channels)
        .page(POST, "/channels", ADMIN, watch_pages::channel_create)
        .page(
            POST,
            "/channels/{id}/test",
            ADMIN,
            watch_pages::channel_test,
        )
        .page(
            POST,
            "/channels/{id}/delete",
            ADMIN,
            watch_pages::channel_delete,
        )
        .api(GET, "/goals", VIEWER, watch_api::goals)
        .api(POST, "/goals", EDITOR, watch_api::goal_create)
        .api(GET, "/goals/{id}", VIEWER, watch_api::goal_get)
        .api(PUT, "/goals/{id}", EDITOR, watch_api::goal_update)
        .api(DELETE, "/goals/{id}", EDITOR, watch_api::goal_delete)
        .api(GET, "/goals/{id}/history", VIEWER, watch_api::goal_history)
        .api(GET, "/alerts", VIEWER, watch_api::alerts)
        .api(POST, "/alerts", EDITOR, watch_api::alert_create)
        .api(POST, "/alerts/backtest", VIEWER, watch_api::alert_backtest)
        .api(GET, "/alerts/{id}", VIEWER, watch_api::alert_get)
        .api(PUT, "/alerts/{id}", EDITOR, watch_api::alert_update)
        .api(DELETE, "/alerts/{id}", EDITOR, watch_api::alert_delete)
        .api(
            GET,
            "/alerts/{id}/history",
            VIEWER,
            watch_api::alert_history,
        )
        .api(GET, "/channels", VIEWER, watch_api::channels)
        .api(POST, "/channels", ADMIN, watch_api::channel_create)
        .api(GET, "/channels/{id}", VIEWER, watch_api::channel_get)
        .api(PUT, "/channels/{id}", ADMIN, watch_api::channel_update)
        .api(DELETE, "/channels/{id}", ADMIN, watch_api::channel_delete)
        .api(POST, "/channels/{id}/test", ADMIN, watch_api::channel_test)
        .api(GET, "/scorecards", VIEWER, watch_api::scorecards)
        .api(POST, "/scorecards", EDITOR, watch_api::scorecard_create)
        .api(GET, "/scorecards/{id}", VIEWER, watch_api::scorecard_get)
        .api(PUT, "/scorecards/{id}", EDITOR, watch_api::scorecard_update)
        .api(
            DELETE,
            "/scorecards/{id}",
            EDITOR,
            watch_api::scorecard_delete,
        )
        .api(
            GET,
            "/scorecards/{id}/preview",
            VIEWER,
            watch_api::scorecard_preview,
        )
}
