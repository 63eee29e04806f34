//! People: the JSON API (`api`), the screens (`pages`) and their routes.

pub mod api;
pub mod pages;

use app::accounts::{TokenInfo, User};
use serde::Deserialize;

use crate::error::WebError;
use crate::features::{ADMIN, DELETE, GET, PATCH, POST, PUBLIC, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

// What a person sends to the operations below, read alike from the API's JSON and from the
// pages' forms, so both surfaces take the same fields with the same defaults.

/// A new user.
#[derive(Deserialize)]
pub struct UserIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// The password an Admin sets for someone. Write-only: never put back into a page.
#[derive(Deserialize)]
pub struct PasswordIn {
    #[serde(default)]
    password: String,
}

/// A person's change of their own password. Both write-only: never put back into a page.
#[derive(Deserialize)]
pub struct OwnPasswordIn {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// A new API token's name.
#[derive(Deserialize)]
pub struct TokenIn {
    #[serde(default)]
    name: String,
}

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

/// Parses a new person's role, then name, and adds them: the page and the API refuse the same
/// fields in the same order.
async fn add_user(
    state: &AppState,
    name: &str,
    role: &str,
    password: &str,
) -> Result<User, WebError> {
    let role = app::people::role_named(role)?;
    let name = app::UserName::parse(name)?;
    Ok(state.app().add_user(&name, role, password).await?)
}

async fn set_role(state: &AppState, id: i64, role: &str) -> Result<User, WebError> {
    let role = app::people::role_named(role)?;
    Ok(state.app().set_user_role(id, role).await?)
}

async fn create_first_admin(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<User, WebError> {
    let name = app::UserName::parse(name)?;
    Ok(state.app().create_first_admin(&name, password).await?)
}

async fn create_token(
    state: &AppState,
    user_id: i64,
    name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let name = app::TokenName::parse(name)?;
    Ok(state.app().create_token(user_id, &name).await?)
}

/// A person changes their own password, giving the current one. The check goes through the
/// sign-in throttle, so a borrowed session cannot guess the password; that throttle is the
/// web's, which is why this stays here rather than in `app`. Every session of the person ends,
/// and the caller starts a new one if it wants to stay signed in.
async fn change_own_password(
    state: &AppState,
    user: &User,
    client: &crate::throttle::ClientAddr,
    current: &str,
    new: &str,
) -> Result<(), WebError> {
    let accounts = state.accounts();
    let hash = state.app().new_password_hash("new_password", new).await?;
    let now = state.clock().now_ms();
    let attempt = crate::throttle::reserve(accounts, &user.name, client, now).await?;
    let stored = accounts
        .user(user.id)
        .await?
        .ok_or(crate::accounts::AccountsError::NoUser(user.id))?;
    let matches = match state
        .app()
        .password_matches(current, Some(&stored.password_hash))
        .await
    {
        Ok(matches) => matches,
        Err(e) => {
            attempt.unchecked(accounts).await?;
            return Err(e.into());
        }
    };
    if !matches {
        return Err(WebError::invalid(
            "current_password",
            "the current password is not right: type the one you sign in with",
        ));
    }
    attempt.succeeded(accounts, now).await?;
    Ok(accounts.set_password_hash(user.id, &hash).await?)
}
