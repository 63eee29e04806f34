//! Every route of the app, one `routes()` per feature, each declaring the least role of its
//! routes where they are registered ([`crate::routes`]). [`all`] is what `App::build` mounts
//! and what the access test walks.

use axum::http::Method;

use crate::accounts::Role;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub mod boards;
pub mod builder;
pub mod connections;
pub mod library;
pub mod live;
pub mod metrics;
pub mod ops;
pub mod people;
pub mod realtime;
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
        .merge(people::routes(state))
        .merge(connections::routes(state))
        .merge(metrics::routes(state))
        .merge(library::routes(state))
        .merge(builder::routes::routes(state))
        .merge(boards::routes::routes(state))
        .merge(watch::routes(state))
        .merge(live::routes(state))
        .merge(realtime::routes(state))
}
