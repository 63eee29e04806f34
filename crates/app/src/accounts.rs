//! People and access: users with roles, login sessions and API tokens, behind the [`Accounts`]
//! trait so the operations do not depend on where they are kept ([`StoreAccounts`]: the
//! Switchboard store, SQLite or PostgreSQL). The password rule ([`check_password`]) lives here,
//! for the pages, the API and the CLI alike (moved from `web::accounts`, which re-exports it).
//!
//! Session ids and API tokens are random 256-bit values; only their SHA-256 is kept, so a leaked
//! table does not log anyone in. Passwords are Argon2id PHC strings.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use futures::future::BoxFuture;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use store::{AttemptLimit, AttemptReservation, Revoked};

/// What a person may do. Admin ⊃ Editor ⊃ Viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read only.
    Viewer,
    /// Metrics, boards, goals, alerts and scorecards.
    Editor,
    /// Everything, users and connections included.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Editor => "Editor",
            Role::Admin => "Admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// A disabled person cannot sign in; their sessions ended and their tokens are not honoured.
    pub disabled: bool,
    pub created_ms: i64,
}

/// A user with the password hash, for checking a password only.
#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The CSRF token every state-changing request of this session must carry.
    pub csrf: String,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    #[error("a user named '{0}' already exists: choose another name")]
    NameTaken(String),
    #[error("a user name must be 1 to 64 letters, digits, '.', '-', '_' or '@'; '{0}' is not")]
    BadName(String),
    #[error("no user with id {0}")]
    NoUser(i64),
    #[error(
        "'{0}' is the last enabled Admin: make another person Admin (or enable one) first, so someone can still manage people"
    )]
    LastAdmin(String),
    #[error("the account storage failed: {0}")]
    Storage(String),
}

pub type AccountsResult<T> = Result<T, AccountsError>;

/// Where users, sessions and API tokens are kept. Object-safe so the app holds `Arc<dyn Accounts>`.
///
/// The changes that must not race (the first Admin, the last enabled Admin, the sign-in
/// throttle's count) are single operations here, made atomic by the storage underneath.
pub trait Accounts: Send + Sync + 'static {
    fn count_users(&self) -> BoxFuture<'_, AccountsResult<u64>>;
    /// Admins, enabled or not.
    fn count_admins(&self) -> BoxFuture<'_, AccountsResult<u64>>;
    fn create_user<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<User>>;
    /// Creates an Admin only while no Admin exists (in one step, whoever else tries at once);
    /// `None` once one does.
    fn create_first_admin<'a>(
        &'a self,
        name: &'a str,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>>;
    /// The user of that name (any letter case) with the password hash, disabled or not.
    fn user_for_login<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<UserWithHash>>>;
    fn user(&self, id: i64) -> BoxFuture<'_, AccountsResult<Option<UserWithHash>>>;
    fn list_users(&self) -> BoxFuture<'_, AccountsResult<Vec<User>>>;
    /// Disabling ends the person's sessions and suspends their tokens. `LastAdmin` for the last
    /// enabled Admin.
    fn set_disabled(&self, id: i64, disabled: bool) -> BoxFuture<'_, AccountsResult<User>>;
    /// `LastAdmin` when this would demote the last enabled Admin.
    fn set_role(&self, id: i64, role: Role) -> BoxFuture<'_, AccountsResult<User>>;
    /// Deletes the person with their sessions and tokens; `LastAdmin` for the last enabled Admin.
    fn delete_user(&self, id: i64) -> BoxFuture<'_, AccountsResult<()>>;
    /// Replaces the password hash and ends every session of the person.
    fn set_password_hash<'a>(
        &'a self,
        id: i64,
        password_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<()>>;
    /// Ends every session and deletes every API token of the person.
    fn revoke_access(&self, id: i64) -> BoxFuture<'_, AccountsResult<Revoked>>;
    fn create_session<'a>(
        &'a self,
        id_hash: &'a str,
        user_id: i64,
        csrf: &'a str,
        expires_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>>;
    /// The live session with this id hash (expired ones, and a disabled person's, are not
    /// returned).
    fn session<'a>(
        &'a self,
        id_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Option<Session>>>;
    fn delete_session<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, AccountsResult<()>>;
    fn create_token<'a>(
        &'a self,
        user_id: i64,
        name: &'a str,
        token_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<TokenInfo>>;
    /// The token's person, unless they are disabled.
    fn user_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>>;
    fn list_tokens(&self, user_id: i64) -> BoxFuture<'_, AccountsResult<Vec<TokenInfo>>>;
    /// Deletes the user's token; false if the user has no such token.
    fn delete_token(&self, user_id: i64, token_id: i64) -> BoxFuture<'_, AccountsResult<bool>>;
    /// Counts a password check against every limit before it happens, atomically (see
    /// [`store::AccountStore::reserve_login_attempt`]).
    fn reserve_login_attempt<'a>(
        &'a self,
        limits: &'a [AttemptLimit<'a>],
        window_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<AttemptReservation>>;
    fn release_login_attempts<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, AccountsResult<()>>;
    fn clear_login_attempts<'a>(
        &'a self,
        key: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>>;
}

/// Checks a user name's form: what may appear in a URL and a log line without escaping.
pub fn check_user_name(name: &str) -> AccountsResult<&str> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(name)
    } else {
        Err(AccountsError::BadName(name.to_owned()))
    }
}

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "the password must have at least {MIN_PASSWORD_LEN} characters, not all of them spaces; a few unrelated words make a good one"
    )]
    TooWeak,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// The password rule, for every way a password is set (setup, People, API, CLI, one's own
/// change): at least [`MIN_PASSWORD_LEN`] characters, not all whitespace.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.trim().is_empty() {
        return Err(PasswordError::TooWeak);
    }
    Ok(())
}

/// An Argon2id PHC string for `password`, with a random salt; refuses a password that breaks
/// [`check_password`].
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check_password(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A random 256-bit value, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a session id or an API token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------- in the store

/// Accounts kept in the Switchboard store (SQLite or PostgreSQL): they survive restarts and
/// are shared by every process on the same database.
pub struct StoreAccounts {
    store: std::sync::Arc<store::AnyStore>,
}

impl StoreAccounts {
    pub fn new(store: std::sync::Arc<store::AnyStore>) -> Self {
        Self { store }
    }
}

fn storage(e: store::StoreError) -> AccountsError {
    match e {
        store::StoreError::Duplicate { value, .. } => AccountsError::NameTaken(value),
        other => AccountsError::Storage(other.to_string()),
    }
}

fn user_from(row: store::UserRow) -> AccountsResult<User> {
    let role = Role::parse(&row.role).ok_or_else(|| {
        AccountsError::Storage(format!(
            "user {} has an unknown role '{}'",
            row.id, row.role
        ))
    })?;
    Ok(User {
        id: row.id,
        name: row.name,
        role,
        disabled: row.disabled,
        created_ms: row.created_ms,
    })
}

fn with_hash(row: store::UserRow) -> AccountsResult<UserWithHash> {
    let password_hash = row.password_hash.clone();
    Ok(UserWithHash {
        user: user_from(row)?,
        password_hash,
    })
}

fn token_from(row: store::ApiTokenRow) -> TokenInfo {
    TokenInfo {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        created_ms: row.created_ms,
    }
}

/// A guarded change's outcome as the accounts speak of it, naming the last Admin it protected.
async fn changed<T>(
    accounts: &StoreAccounts,
    id: i64,
    change: store::Result<store::UserChange<T>>,
) -> AccountsResult<T> {
    use store::AccountStore as _;
    match change.map_err(storage)? {
        store::UserChange::Done(out) => Ok(out),
        store::UserChange::NoUser => Err(AccountsError::NoUser(id)),
        store::UserChange::LastAdmin => {
            let name = accounts
                .store
                .user_by_id(id)
                .await
                .map_err(storage)?
                .map_or_else(|| format!("user {id}"), |u| u.name);
            Err(AccountsError::LastAdmin(name))
        }
    }
}

impl Accounts for StoreAccounts {
    fn count_users(&self) -> BoxFuture<'_, AccountsResult<u64>> {
        use store::AccountStore as _;
        Box::pin(async move { self.store.count_users().await.map_err(storage) })
    }

    fn count_admins(&self) -> BoxFuture<'_, AccountsResult<u64>> {
        use store::AccountStore as _;
        Box::pin(async move { self.store.count_admins().await.map_err(storage) })
    }

    fn create_user<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<User>> {
        use store::AccountStore as _;
        Box::pin(async move {
            let name = check_user_name(name)?;
            let row = self
                .store
                .create_user(name, role.as_str(), password_hash, now_ms)
                .await
                .map_err(storage)?;
            user_from(row)
        })
    }

    fn create_first_admin<'a>(
        &'a self,
        name: &'a str,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            let name = check_user_name(name)?;
            match self
                .store
                .create_first_admin(name, password_hash, now_ms)
                .await
                .map_err(storage)?
            {
                Some(row) => Ok(Some(user_from(row)?)),
                None => Ok(None),
            }
        })
    }

    fn user_for_login<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<UserWithHash>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            match self.store.user_by_name(name).await.map_err(storage)? {
                Some(row) => Ok(Some(with_hash(row)?)),
                None => Ok(None),
            }
        })
    }

    fn user(&self, id: i64) -> BoxFuture<'_, AccountsResult<Option<UserWithHash>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            match self.store.user_by_id(id).await.map_err(storage)? {
                Some(row) => Ok(Some(with_hash(row)?)),
                None => Ok(None),
            }
        })
    }

    fn list_users(&self) -> BoxFuture<'_, AccountsResult<Vec<User>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .list_users()
                .await
                .map_err(storage)?
                .into_iter()
                .map(user_from)
                .collect()
        })
    }

    fn set_disabled(&self, id: i64, disabled: bool) -> BoxFuture<'_, AccountsResult<User>> {
        use store::AccountStore as _;
        Box::pin(async move {
            let change = self.store.set_user_disabled(id, disabled).await;
            user_from(changed(self, id, change).await?)
        })
    }

    fn set_role(&self, id: i64, role: Role) -> BoxFuture<'_, AccountsResult<User>> {
        use store::AccountStore as _;
        Box::pin(async move {
            let change = self.store.set_user_role(id, role.as_str()).await;
            user_from(changed(self, id, change).await?)
        })
    }

    fn delete_user(&self, id: i64) -> BoxFuture<'_, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            let change = self.store.delete_user(id).await;
            changed(self, id, change).await
        })
    }

    fn set_password_hash<'a>(
        &'a self,
        id: i64,
        password_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            if self
                .store
                .set_password_hash(id, password_hash)
                .await
                .map_err(storage)?
            {
                Ok(())
            } else {
                Err(AccountsError::NoUser(id))
            }
        })
    }

    fn revoke_access(&self, id: i64) -> BoxFuture<'_, AccountsResult<Revoked>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .revoke_user_access(id)
                .await
                .map_err(storage)?
                .ok_or(AccountsError::NoUser(id))
        })
    }

    fn create_session<'a>(
        &'a self,
        id_hash: &'a str,
        user_id: i64,
        csrf: &'a str,
        expires_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .create_session(id_hash, user_id, csrf, expires_ms)
                .await
                .map_err(storage)
        })
    }

    fn session<'a>(
        &'a self,
        id_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Option<Session>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            match self.store.session(id_hash, now_ms).await.map_err(storage)? {
                Some(row) => Ok(Some(Session {
                    user: user_from(row.user)?,
                    csrf: row.csrf,
                    expires_ms: row.expires_ms,
                })),
                None => Ok(None),
            }
        })
    }

    fn delete_session<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move { self.store.delete_session(id_hash).await.map_err(storage) })
    }

    fn create_token<'a>(
        &'a self,
        user_id: i64,
        name: &'a str,
        token_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<TokenInfo>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .create_api_token(user_id, name.trim(), token_hash, now_ms)
                .await
                .map(token_from)
                .map_err(storage)
        })
    }

    fn user_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            match self
                .store
                .user_by_api_token(token_hash)
                .await
                .map_err(storage)?
            {
                Some(row) => Ok(Some(user_from(row)?)),
                None => Ok(None),
            }
        })
    }

    fn list_tokens(&self, user_id: i64) -> BoxFuture<'_, AccountsResult<Vec<TokenInfo>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            Ok(self
                .store
                .list_api_tokens(user_id)
                .await
                .map_err(storage)?
                .into_iter()
                .map(token_from)
                .collect())
        })
    }

    fn delete_token(&self, user_id: i64, token_id: i64) -> BoxFuture<'_, AccountsResult<bool>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .delete_api_token(user_id, token_id)
                .await
                .map_err(storage)
        })
    }

    fn reserve_login_attempt<'a>(
        &'a self,
        limits: &'a [AttemptLimit<'a>],
        window_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<AttemptReservation>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .reserve_login_attempt(limits, window_ms, now_ms)
                .await
                .map_err(storage)
        })
    }

    fn release_login_attempts<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .release_login_attempts(ids)
                .await
                .map_err(storage)
        })
    }

    fn clear_login_attempts<'a>(
        &'a self,
        key: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .clear_login_attempts(key, since_ms)
                .await
                .map_err(storage)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rule_wants_twelve_characters_not_all_whitespace() {
        for bad in [
            "",
            "          ",
            "            ",
            "\t\t\t\t\t\t\t\t\t\t\t\t\t",
            "elevenchars",
        ] {
            assert_eq!(check_password(bad), Err(PasswordError::TooWeak), "{bad:?}");
        }
        for good in ["twelve chars", "  padded  ok  ", "ünïcödé wörds"] {
            assert_eq!(check_password(good), Ok(()), "{good:?}");
        }
    }
}
