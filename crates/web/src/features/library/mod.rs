//! Library: the JSON API (`api`), the screens (`pages`) and their routes.

pub mod api;
pub mod pages;

use serde::Deserialize;

use crate::features::{EDITOR, GET, POST, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// A search of the library, the same on the screen and the API: words to find, one category.
#[derive(Deserialize, Default)]
pub struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
}

/// The metric library.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/library", VIEWER, pages::library_page)
        .page(POST, "/library/add", EDITOR, pages::library_add)
        .api(GET, "/library", VIEWER, api::library_list)
        .api(POST, "/library/{slug}/add", EDITOR, api::library_add)
}
