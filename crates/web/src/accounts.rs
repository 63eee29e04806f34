//! People and access: users with roles, login sessions and API tokens, behind the [`Accounts`]
//! trait so the web app does not depend on where they are kept. [`MemoryAccounts`] keeps them in
//! the process (tests, and `serve` until the store holds accounts).
//!
//! Session ids and API tokens are random 256-bit values; only their SHA-256 is kept, so a leaked
//! table does not log anyone in. Passwords are Argon2id PHC strings.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use futures::future::BoxFuture;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    pub created_ms: i64,
}

/// A user with the password hash, for logging in only.
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
    #[error("the account storage failed: {0}")]
    Storage(String),
}

pub type AccountsResult<T> = Result<T, AccountsError>;

/// Where users, sessions and API tokens are kept. Object-safe so the app holds `Arc<dyn Accounts>`.
pub trait Accounts: Send + Sync + 'static {
    fn count_users(&self) -> BoxFuture<'_, AccountsResult<u64>>;
    fn create_user<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<User>>;
    fn user_for_login<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<UserWithHash>>>;
    fn list_users(&self) -> BoxFuture<'_, AccountsResult<Vec<User>>>;
    fn create_session<'a>(
        &'a self,
        id_hash: &'a str,
        user_id: i64,
        csrf: &'a str,
        expires_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>>;
    /// The live session with this id hash (expired ones are not returned).
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
    fn user_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>>;
    fn list_tokens(&self, user_id: i64) -> BoxFuture<'_, AccountsResult<Vec<TokenInfo>>>;
    /// Deletes the user's token; false if the user has no such token.
    fn delete_token(&self, user_id: i64, token_id: i64) -> BoxFuture<'_, AccountsResult<bool>>;
    fn record_login_failure<'a>(
        &'a self,
        key: &'a str,
        at_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>>;
    /// The key's failures since `since_ms`, oldest first.
    fn login_failures<'a>(
        &'a self,
        key: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Vec<i64>>>;
    fn clear_login_failures<'a>(&'a self, key: &'a str) -> BoxFuture<'a, AccountsResult<()>>;
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

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// An Argon2id PHC string for `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
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

// ---------------------------------------------------------------- in memory

#[derive(Default)]
struct Memory {
    next_id: i64,
    users: Vec<UserWithHash>,
    sessions: HashMap<String, (i64, String, i64)>,
    tokens: HashMap<String, TokenInfo>,
    failures: HashMap<String, Vec<i64>>,
}

/// Accounts kept in the process: they last as long as it runs.
#[derive(Default)]
pub struct MemoryAccounts {
    inner: Mutex<Memory>,
}

impl MemoryAccounts {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> AccountsResult<T>) -> AccountsResult<T> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| AccountsError::Storage("the account table's lock is poisoned".into()))?;
        f(&mut guard)
    }
}

fn user_of(m: &Memory, id: i64) -> Option<User> {
    m.users
        .iter()
        .find(|u| u.user.id == id)
        .map(|u| u.user.clone())
}

impl Accounts for MemoryAccounts {
    fn count_users(&self) -> BoxFuture<'_, AccountsResult<u64>> {
        let r = self.with(|m| Ok(m.users.len() as u64));
        Box::pin(async move { r })
    }

    fn create_user<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<User>> {
        let r = check_user_name(name).and_then(|name| {
            self.with(|m| {
                if m.users
                    .iter()
                    .any(|u| u.user.name.eq_ignore_ascii_case(name))
                {
                    return Err(AccountsError::NameTaken(name.to_owned()));
                }
                m.next_id += 1;
                let user = User {
                    id: m.next_id,
                    name: name.to_owned(),
                    role,
                    created_ms: now_ms,
                };
                m.users.push(UserWithHash {
                    user: user.clone(),
                    password_hash: password_hash.to_owned(),
                });
                Ok(user)
            })
        });
        Box::pin(async move { r })
    }

    fn user_for_login<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<UserWithHash>>> {
        let r = self.with(|m| {
            Ok(m.users
                .iter()
                .find(|u| u.user.name.eq_ignore_ascii_case(name.trim()))
                .cloned())
        });
        Box::pin(async move { r })
    }

    fn list_users(&self) -> BoxFuture<'_, AccountsResult<Vec<User>>> {
        let r = self.with(|m| Ok(m.users.iter().map(|u| u.user.clone()).collect()));
        Box::pin(async move { r })
    }

    fn create_session<'a>(
        &'a self,
        id_hash: &'a str,
        user_id: i64,
        csrf: &'a str,
        expires_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        let r = self.with(|m| {
            if user_of(m, user_id).is_none() {
                return Err(AccountsError::NoUser(user_id));
            }
            m.sessions
                .insert(id_hash.to_owned(), (user_id, csrf.to_owned(), expires_ms));
            Ok(())
        });
        Box::pin(async move { r })
    }

    fn session<'a>(
        &'a self,
        id_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Option<Session>>> {
        let r = self.with(|m| {
            let Some((user_id, csrf, expires_ms)) = m.sessions.get(id_hash).cloned() else {
                return Ok(None);
            };
            if expires_ms <= now_ms {
                m.sessions.remove(id_hash);
                return Ok(None);
            }
            Ok(user_of(m, user_id).map(|user| Session {
                user,
                csrf,
                expires_ms,
            }))
        });
        Box::pin(async move { r })
    }

    fn delete_session<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, AccountsResult<()>> {
        let r = self.with(|m| {
            m.sessions.remove(id_hash);
            Ok(())
        });
        Box::pin(async move { r })
    }

    fn create_token<'a>(
        &'a self,
        user_id: i64,
        name: &'a str,
        token_hash: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<TokenInfo>> {
        let r = self.with(|m| {
            if user_of(m, user_id).is_none() {
                return Err(AccountsError::NoUser(user_id));
            }
            m.next_id += 1;
            let info = TokenInfo {
                id: m.next_id,
                user_id,
                name: name.trim().to_owned(),
                created_ms: now_ms,
            };
            m.tokens.insert(token_hash.to_owned(), info.clone());
            Ok(info)
        });
        Box::pin(async move { r })
    }

    fn user_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<User>>> {
        let r = self.with(|m| Ok(m.tokens.get(token_hash).and_then(|t| user_of(m, t.user_id))));
        Box::pin(async move { r })
    }

    fn list_tokens(&self, user_id: i64) -> BoxFuture<'_, AccountsResult<Vec<TokenInfo>>> {
        let r = self.with(|m| {
            let mut list: Vec<TokenInfo> = m
                .tokens
                .values()
                .filter(|t| t.user_id == user_id)
                .cloned()
                .collect();
            list.sort_by_key(|t| t.id);
            Ok(list)
        });
        Box::pin(async move { r })
    }

    fn delete_token(&self, user_id: i64, token_id: i64) -> BoxFuture<'_, AccountsResult<bool>> {
        let r = self.with(|m| {
            let before = m.tokens.len();
            m.tokens
                .retain(|_, t| !(t.user_id == user_id && t.id == token_id));
            Ok(m.tokens.len() != before)
        });
        Box::pin(async move { r })
    }

    fn record_login_failure<'a>(
        &'a self,
        key: &'a str,
        at_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        let r = self.with(|m| {
            m.failures.entry(key.to_owned()).or_default().push(at_ms);
            Ok(())
        });
        Box::pin(async move { r })
    }

    fn login_failures<'a>(
        &'a self,
        key: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Vec<i64>>> {
        let r = self.with(|m| {
            let list = m.failures.entry(key.to_owned()).or_default();
            list.retain(|&t| t >= since_ms);
            Ok(list.clone())
        });
        Box::pin(async move { r })
    }

    fn clear_login_failures<'a>(&'a self, key: &'a str) -> BoxFuture<'a, AccountsResult<()>> {
        let r = self.with(|m| {
            m.failures.remove(key);
            Ok(())
        });
        Box::pin(async move { r })
    }
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
        created_ms: row.created_ms,
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

impl Accounts for StoreAccounts {
    fn count_users(&self) -> BoxFuture<'_, AccountsResult<u64>> {
        use store::AccountStore as _;
        Box::pin(async move { self.store.count_users().await.map_err(storage) })
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

    fn user_for_login<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, AccountsResult<Option<UserWithHash>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            match self.store.user_by_name(name).await.map_err(storage)? {
                Some(row) => {
                    let password_hash = row.password_hash.clone();
                    Ok(Some(UserWithHash {
                        user: user_from(row)?,
                        password_hash,
                    }))
                }
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

    fn record_login_failure<'a>(
        &'a self,
        key: &'a str,
        at_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .record_login_failure(key, at_ms)
                .await
                .map_err(storage)
        })
    }

    fn login_failures<'a>(
        &'a self,
        key: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AccountsResult<Vec<i64>>> {
        use store::AccountStore as _;
        Box::pin(async move {
            self.store
                .login_failures(key, since_ms)
                .await
                .map_err(storage)
        })
    }

    fn clear_login_failures<'a>(&'a self, key: &'a str) -> BoxFuture<'a, AccountsResult<()>> {
        use store::AccountStore as _;
        Box::pin(async move { self.store.clear_login_failures(key).await.map_err(storage) })
    }
}
