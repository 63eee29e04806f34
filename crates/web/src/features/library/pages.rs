//! The metric library's screen.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use serde::Deserialize;
use store::Store;

use crate::auth::Caller;
use crate::state::AppState;

use crate::pages::*;

use super::LibraryQuery;

// ---------------------------------------------------------------- library

struct LibRow {
    slug: String,
    name: String,
    summary: String,
    source: String,
    added: bool,
    /// Its request names the account, so it can be read for every account.
    per_account: bool,
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    frame: PageFrame,
    q: String,
    categories: Vec<(String, bool)>,
    connections: Vec<String>,
    groups: Vec<(String, Vec<LibRow>)>,
}

pub async fn library_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<LibraryQuery>,
    flash: Flash,
) -> PageResult {
    let entries = app::metrics::library_matches(&query.q, &query.category)?;
    let existing: Vec<String> = state
        .store()
        .list_metrics()
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let mut groups: Vec<(String, Vec<LibRow>)> = Vec::new();
    for e in entries {
        let label = e.category.label().to_owned();
        let row = LibRow {
            slug: e.slug.clone(),
            name: e.name().to_owned(),
            summary: e.summary().to_owned(),
            source: e.source(),
            added: existing.iter().any(|n| n == e.name()),
            per_account: app::metrics::check_scope(
                &e.definition.request.path,
                &metric::AccountScope::Active,
            )
            .is_ok(),
        };
        match groups.iter_mut().find(|g| g.0 == label) {
            Some(g) => g.1.push(row),
            None => groups.push((label, vec![row])),
        }
    }
    let categories = app::metrics::categories()
        .into_iter()
        .map(|c| {
            let selected = c.eq_ignore_ascii_case(query.category.trim());
            (c, selected)
        })
        .collect();
    let connections = state
        .store()
        .list_connections()
        .await?
        .into_iter()
        .map(|c| c.label)
        .collect();
    render(&LibraryPage {
        frame: PageFrame::of(&caller, "library").flash(flash),
        q: query.q,
        categories,
        connections,
        groups,
    })
}

#[derive(Deserialize)]
pub struct LibraryAddForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    connection: String,
    /// `connection` (this account only) or `active` (every active account).
    #[serde(default)]
    accounts: String,
}

pub async fn library_add(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<LibraryAddForm>,
) -> PageResult {
    let added = match app::metrics::parse_scope(&form.accounts) {
        Ok(scope) => {
            state
                .app()
                .add_library_metric_scoped(&form.slug, &form.connection, &scope)
                .await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(m) => Ok(with_flash(
            METRICS_SCREEN,
            true,
            &format!("Added {}: its history is backfilling now.", m.name),
        )),
        Err(e) => Ok(with_flash("/library", false, &e.to_string())),
    }
}
