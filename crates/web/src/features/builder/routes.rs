//! The Metric Builder's routes and the least role of each.

use crate::features::{EDITOR, GET, POST, PUBLIC};
use crate::routes::Routes;
use crate::state::AppState;

/// The Metric Builder wizard.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/builder", EDITOR, super::new_page)
        .page(GET, "/metrics/{id}/edit", EDITOR, super::edit_page)
        .page(GET, "/assets/builder.js", PUBLIC, super::js)
        .api(GET, "/catalog", EDITOR, super::catalog)
        .api(POST, "/builder/fetch", EDITOR, super::fetch)
        .api(POST, "/builder/expression", EDITOR, super::expression)
        .api(POST, "/builder/preview", EDITOR, super::preview)
        .api(POST, "/builder/save", EDITOR, super::save)
}
