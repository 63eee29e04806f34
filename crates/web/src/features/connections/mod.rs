//! Connections: the JSON API (`api`), the screens (`pages`) and their routes.

pub mod api;
pub mod pages;
pub mod realtime;

use domain::Secret;
use store::{Connection, ConnectionId};

use crate::error::WebError;
use crate::features::{ADMIN, DELETE, EDITOR, GET, PATCH, POST, PUT};
use crate::routes::Routes;
use crate::state::AppState;

/// The Data Manager: Twilio connections and their secrets.
pub fn routes(state: &AppState) -> Routes {
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
        // Editors choose the accounts of a metric, so they see them and may list them again.
        .page(
            GET,
            "/connections/{id}/accounts",
            EDITOR,
            pages::connection_accounts,
        )
        .page(
            POST,
            "/connections/{id}/accounts/discover",
            EDITOR,
            pages::accounts_discover,
        )
        // Real time: Editors see the callback URLs and the last events received; only Admins set
        // or remove the Auth Token, which (like the connection's API key) opens the whole
        // account, and is never shown again.
        .page(
            GET,
            "/connections/{id}/realtime",
            EDITOR,
            realtime::realtime_page,
        )
        .page(
            POST,
            "/connections/{id}/realtime/auth-token",
            ADMIN,
            realtime::auth_token_set,
        )
        .page(
            POST,
            "/connections/{id}/realtime/auth-token/remove",
            ADMIN,
            realtime::auth_token_remove,
        )
        .api(
            GET,
            "/connections/{id}/realtime",
            EDITOR,
            realtime::realtime_api,
        )
        .api(
            PUT,
            "/connections/{id}/auth-token",
            ADMIN,
            realtime::auth_token_put,
        )
        .api(
            DELETE,
            "/connections/{id}/auth-token",
            ADMIN,
            realtime::auth_token_delete,
        )
        .api(GET, "/connections/{id}/accounts", EDITOR, api::accounts)
        .api(
            POST,
            "/connections/{id}/accounts/discover",
            EDITOR,
            api::accounts_discover,
        )
        // Editors choose a connection for a metric, so they may list them (without secrets).
        .api(GET, "/connections", EDITOR, api::connections)
        .api(POST, "/connections", ADMIN, api::connection_create)
        .api(PATCH, "/connections/{id}", ADMIN, api::connection_rename)
        .api(DELETE, "/connections/{id}", ADMIN, api::connection_delete)
        .api(POST, "/connections/{id}/test", ADMIN, api::connection_test)
}

/// Parses a new connection's fields, the label first, and adds it: the page and the API refuse
/// the same fields in the same order.
async fn add(
    state: &AppState,
    label: &str,
    account_sid: &str,
    api_key_sid: &str,
    secret: Secret,
) -> Result<app::connections::Added, WebError> {
    let label = app::Label::parse(label)?;
    let creds = app::connections::parse_credentials(account_sid, api_key_sid, secret)?;
    Ok(state.app().add_connection(&label, creds).await?)
}

async fn rename(state: &AppState, id: ConnectionId, label: &str) -> Result<Connection, WebError> {
    let label = app::Label::parse(label)?;
    Ok(state.app().rename_connection(id, &label).await?)
}
