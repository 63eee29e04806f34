//! People and API tokens: adding, disabling, roles, deleting, passwords, revoking access,
//! tokens. The guards that must not race (the last enabled Admin, the first Admin) are the
//! store's, in one transaction each; these functions only parse and hash.

use crate::accounts::{
    Accounts, PasswordError, Revoked, Role, TokenInfo, User, hash_password, random_token,
    token_hash, verify_password,
};
use crate::pool::{Pool, on_pool};
use crate::{AppError, AppResult, TokenName, UserName};

/// A role by its name (admin, editor or viewer, any letter case).
pub fn role_named(role: &str) -> AppResult<Role> {
    Role::parse(role).ok_or_else(|| {
        AppError::invalid(
            "role",
            format!("'{}' is not a role: use admin, editor or viewer", role),
        )
    })
}

/// The Argon2id hash of a password that keeps the password rule, or why it does not (on
/// `field`). Argon2 takes a core for tens of milliseconds, so it runs on `pool`.
pub async fn new_password_hash(
    pool: &dyn Pool,
    field: &'static str,
    password: &str,
) -> AppResult<String> {
    let password = password.to_owned();
    on_pool(pool, "hashing a password", move || hash_password(&password))
        .await?
        .map_err(|e| match e {
            PasswordError::TooWeak => AppError::invalid(field, e.to_string()),
            PasswordError::Hash(_) => AppError::Internal(e.to_string()),
        })
}

/// Whether `password` matches the stored Argon2id hash, checked on `pool`. With no hash (no
/// such person) it spends the same time on a hash of its own, so the time taken does not tell
/// which names exist.
pub async fn password_matches(
    pool: &dyn Pool,
    password: &str,
    phc: Option<&str>,
) -> AppResult<bool> {
    let password = password.to_owned();
    let phc = phc.map(str::to_owned);
    on_pool(pool, "checking a password", move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            let _ = hash_password("not-a-real-password-at-all");
            false
        }
    })
    .await
}

pub async fn add_user(
    accounts: &dyn Accounts,
    pool: &dyn Pool,
    name: &UserName,
    role: Role,
    password: &str,
    now_ms: i64,
) -> AppResult<User> {
    let hash = new_password_hash(pool, "password", password).await?;
    Ok(accounts
        .create_user(name.as_str(), role, &hash, now_ms)
        .await?)
}

/// What the setup link says once it cannot create an Admin any more.
pub const SETUP_LINK_DEAD: &str =
    "this setup link is not valid or was already used (an Admin exists); sign in instead";

/// Creates the first Admin: refused (as [`SETUP_LINK_DEAD`]) once any Admin exists, however it
/// was made, and at most one of several at once succeeds.
pub async fn create_first_admin(
    accounts: &dyn Accounts,
    pool: &dyn Pool,
    name: &UserName,
    password: &str,
    now_ms: i64,
) -> AppResult<User> {
    let hash = new_password_hash(pool, "password", password).await?;
    accounts
        .create_first_admin(name.as_str(), &hash, now_ms)
        .await?
        .ok_or_else(|| AppError::NotFound(SETUP_LINK_DEAD.to_owned()))
}

/// The person named `name` (any letter case): how the CLI picks whom to change.
pub async fn user_named(accounts: &dyn Accounts, name: &str) -> AppResult<User> {
    Ok(accounts
        .user_for_login(name)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no user named '{}': `switchboard user list` shows who there is",
                name.trim()
            ))
        })?
        .user)
}

/// Disables (ending their sessions and suspending their API tokens) or enables a person; the
/// last enabled Admin is never disabled.
pub async fn set_disabled(accounts: &dyn Accounts, id: i64, disabled: bool) -> AppResult<User> {
    Ok(accounts.set_disabled(id, disabled).await?)
}

/// Gives a person another role; the last enabled Admin is never demoted.
pub async fn set_role(accounts: &dyn Accounts, id: i64, role: Role) -> AppResult<User> {
    Ok(accounts.set_role(id, role).await?)
}

/// Deletes a person with their sessions and API tokens; never the last enabled Admin.
pub async fn delete_user(accounts: &dyn Accounts, id: i64) -> AppResult<()> {
    Ok(accounts.delete_user(id).await?)
}

/// An Admin sets another person's password; that person's sessions end.
pub async fn reset_password(
    accounts: &dyn Accounts,
    pool: &dyn Pool,
    id: i64,
    password: &str,
) -> AppResult<()> {
    let hash = new_password_hash(pool, "password", password).await?;
    Ok(accounts.set_password_hash(id, &hash).await?)
}

/// Ends every session and deletes every API token of a person (who can still sign in).
pub async fn revoke_access(accounts: &dyn Accounts, id: i64) -> AppResult<Revoked> {
    Ok(accounts.revoke_access(id).await?)
}

/// A new API token for the user: the token itself (shown once) and what is kept of it (its
/// hash).
pub async fn create_token(
    accounts: &dyn Accounts,
    user_id: i64,
    name: &TokenName,
    now_ms: i64,
) -> AppResult<(String, TokenInfo)> {
    let token = format!("sbt_{}", random_token());
    let info = accounts
        .create_token(user_id, name.as_str(), &token_hash(&token), now_ms)
        .await?;
    Ok((token, info))
}

/// Deletes one of the user's own API tokens; a token that is not theirs is as missing as one
/// that does not exist, so nobody learns which ids others hold.
pub async fn delete_own_token(
    accounts: &dyn Accounts,
    user_id: i64,
    token_id: i64,
) -> AppResult<()> {
    if accounts.delete_token(user_id, token_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("you have no token {token_id}")))
    }
}
