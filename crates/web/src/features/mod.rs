//! Every route of the app, one `routes()` per feature, each declaring the least role of its
//! routes where they are registered ([`crate::routes`]). [`all`] is what `App::build` mounts
//! and what the access test walks.

use axum::http::Method;

use crate::accounts::Role;
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::{api, pages};

pub mod boards;
pub mod builder;
pub mod ops;
pub mod watch;

pub(crate) const PUBLIC: Access = Access::Public;
pub(crate) const VIEWER: Access = Access::Least(Role::Viewer);
pub(crate) const EDITOR: Access = Access::Least(Role::Editor);
pub(crate) const ADMIN: Access = Access::Least(Role::Admin);

pub(crate) const GET: Method = Method::GET;
pub(crate) const POST: Method = Method::POST;
pub(crate) const PUT: Method = Method::PUT;
pub(crate) const PATCH: Method = Method::PATCH;
pub(crate) const DELETE: Method = Method::DELETE;

/// Every feature's routes.
pub fn all(state: &AppState) -> Routes {
    ops::routes(state)
        .merge(people(state))
        .merge(connections(state))
        .merge(metrics(state))
        .merge(library(state))
        .merge(builder::routes::routes(state))
        .merge(boards::routes::routes(state))
        .merge(watch::routes(state))
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
