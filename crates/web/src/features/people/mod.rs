//! People: the JSON API (`api`), the screens (`pages`) and their routes.

pub mod api;
pub mod pages;

use crate::features::{ADMIN, DELETE, GET, PATCH, POST, PUBLIC, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// Sign-in, setup, the People screen, each person's account and tokens.
pub fn routes(state: &AppState) -> Routes {
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
