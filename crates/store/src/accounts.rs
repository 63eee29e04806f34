//! People and access for the web app: users, login sessions, API tokens and failed sign-ins,
//! behind [`AccountStore`] (implemented by both backends and [`crate::AnyStore`]). The store
//! keeps what it is given: hashing passwords and tokens is the caller's job, and roles are the
//! caller's words (`admin`, `editor`, `viewer`).

use std::future::Future;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// An Argon2id PHC string.
    pub password_hash: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user: UserRow,
    pub csrf: String,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_ms: i64,
}

pub trait AccountStore: Send + Sync + 'static {
    fn count_users(&self) -> impl Future<Output = Result<u64>> + Send;
    /// `Duplicate` when the name is taken, whatever its letter case.
    fn create_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<UserRow>> + Send;
    /// The user of that name, whatever its letter case.
    fn user_by_name(&self, name: &str) -> impl Future<Output = Result<Option<UserRow>>> + Send;
    fn list_users(&self) -> impl Future<Output = Result<Vec<UserRow>>> + Send;
    fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The session if it has not expired at `now_ms`.
    fn session(
        &self,
        id_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<SessionRow>>> + Send;
    fn delete_session(&self, id_hash: &str) -> impl Future<Output = Result<()>> + Send;
    fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<ApiTokenRow>> + Send;
    fn user_by_api_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<UserRow>>> + Send;
    fn list_api_tokens(
        &self,
        user_id: i64,
    ) -> impl Future<Output = Result<Vec<ApiTokenRow>>> + Send;
    /// False if the user has no such token.
    fn delete_api_token(
        &self,
        user_id: i64,
        token_id: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn record_login_failure(
        &self,
        key: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The instants of the key's failures since `since_ms`, oldest first; older ones are dropped.
    fn login_failures(
        &self,
        key: &str,
        since_ms: i64,
    ) -> impl Future<Output = Result<Vec<i64>>> + Send;
    fn clear_login_failures(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

type UserTuple = (i64, String, String, String, i64);

pub(crate) fn user_of(t: UserTuple) -> UserRow {
    UserRow {
        id: t.0,
        name: t.1,
        role: t.2,
        password_hash: t.3,
        created_ms: t.4,
    }
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.name, u.role, u.password_hash, u.created_ms";

/// Implements [`AccountStore`] for a backend whose struct has a `pool` field; invoked in the
/// backend's module so the private field is in reach.
macro_rules! account_store {
    ($ty:ident) => {
        impl $crate::accounts::AccountStore for $ty {
            async fn count_users(&self) -> $crate::Result<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("count users"))?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn create_user(
                &self,
                name: &str,
                role: &str,
                password_hash: &str,
                now_ms: i64,
            ) -> $crate::Result<$crate::accounts::UserRow> {
                let inserted = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO users (name, name_key, role, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(name)
                .bind(name.to_lowercase())
                .bind(role)
                .bind(password_hash)
                .bind(now_ms)
                .fetch_one(&self.pool)
                .await;
                match inserted {
                    Ok(id) => Ok($crate::accounts::UserRow {
                        id,
                        name: name.to_owned(),
                        role: role.to_owned(),
                        password_hash: password_hash.to_owned(),
                        created_ms: now_ms,
                    }),
                    Err(e) if $crate::error::is_unique_violation(&e) => Err($crate::StoreError::Duplicate {
                        what: "user",
                        value: name.to_owned(),
                    }),
                    Err(e) => Err($crate::StoreError::db("create a user")(e)),
                }
            }

            async fn user_by_name(&self, name: &str) -> $crate::Result<Option<$crate::accounts::UserRow>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM users u WHERE u.name_key = $1",
                    $crate::accounts::USER_COLUMNS
                ));
                Ok(sqlx::query_as(sql)
                    .bind(name.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("read a user"))?
                    .map($crate::accounts::user_of))
            }

            async fn list_users(&self) -> $crate::Result<Vec<$crate::accounts::UserRow>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM users u ORDER BY u.name_key",
                    $crate::accounts::USER_COLUMNS
                ));
                Ok(sqlx::query_as(sql)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("list users"))?
                    .into_iter()
                    .map($crate::accounts::user_of)
                    .collect())
            }

            async fn create_session(
                &self,
                id_hash: &str,
                user_id: i64,
                csrf: &str,
                expires_ms: i64,
            ) -> $crate::Result<()> {
                sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, expires_ms) VALUES ($1, $2, $3, $4)")
                    .bind(id_hash)
                    .bind(user_id)
                    .bind(csrf)
                    .bind(expires_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("create a session"))?;
                Ok(())
            }

            async fn session(
                &self,
                id_hash: &str,
                now_ms: i64,
            ) -> $crate::Result<Option<$crate::accounts::SessionRow>> {
                sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("drop expired sessions"))?;
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {}, s.csrf, s.expires_ms FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
                    $crate::accounts::USER_COLUMNS
                ));
                let row: Option<(i64, String, String, String, i64, String, i64)> = sqlx::query_as(sql)
                    .bind(id_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("read a session"))?;
                Ok(row.map(|r| $crate::accounts::SessionRow {
                    user: $crate::accounts::user_of((r.0, r.1, r.2, r.3, r.4)),
                    csrf: r.5,
                    expires_ms: r.6,
                }))
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("delete a session"))?;
                Ok(())
            }

            async fn create_api_token(
                &self,
                user_id: i64,
                name: &str,
                token_hash: &str,
                now_ms: i64,
            ) -> $crate::Result<$crate::accounts::ApiTokenRow> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(user_id)
                .bind(name)
                .bind(token_hash)
                .bind(now_ms)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::StoreError::db("create an API token"))?;
                Ok($crate::accounts::ApiTokenRow {
                    id,
                    user_id,
                    name: name.to_owned(),
                    created_ms: now_ms,
                })
            }

            async fn user_by_api_token(&self, token_hash: &str) -> $crate::Result<Option<$crate::accounts::UserRow>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
                    $crate::accounts::USER_COLUMNS
                ));
                Ok(sqlx::query_as(sql)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("read an API token"))?
                    .map($crate::accounts::user_of))
            }

            async fn list_api_tokens(&self, user_id: i64) -> $crate::Result<Vec<$crate::accounts::ApiTokenRow>> {
                let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                    "SELECT id, user_id, name, created_ms FROM api_tokens WHERE user_id = $1 ORDER BY id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::StoreError::db("list API tokens"))?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::accounts::ApiTokenRow {
                        id: r.0,
                        user_id: r.1,
                        name: r.2,
                        created_ms: r.3,
                    })
                    .collect())
            }

            async fn delete_api_token(&self, user_id: i64, token_id: i64) -> $crate::Result<bool> {
                let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(token_id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("delete an API token"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn record_login_failure(&self, key: &str, at_ms: i64) -> $crate::Result<()> {
                sqlx::query("INSERT INTO login_failures (key, at_ms) VALUES ($1, $2)")
                    .bind(key)
                    .bind(at_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("record a failed sign-in"))?;
                Ok(())
            }

            async fn login_failures(&self, key: &str, since_ms: i64) -> $crate::Result<Vec<i64>> {
                sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at_ms < $2")
                    .bind(key)
                    .bind(since_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("drop old failed sign-ins"))?;
                sqlx::query_scalar("SELECT at_ms FROM login_failures WHERE key = $1 ORDER BY at_ms")
                    .bind(key)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("read failed sign-ins"))
            }

            async fn clear_login_failures(&self, key: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM login_failures WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::StoreError::db("clear failed sign-ins"))?;
                Ok(())
            }
        }
    };
}
pub(crate) use account_store;

macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            crate::AnyStore::Sqlite(s) => s.$method($($arg),*).await,
            crate::AnyStore::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}

impl AccountStore for crate::AnyStore {
    async fn count_users(&self) -> Result<u64> {
        forward!(self.count_users())
    }
    async fn create_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<UserRow> {
        forward!(self.create_user(name, role, password_hash, now_ms))
    }
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        forward!(self.user_by_name(name))
    }
    async fn list_users(&self) -> Result<Vec<UserRow>> {
        forward!(self.list_users())
    }
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        forward!(self.create_session(id_hash, user_id, csrf, expires_ms))
    }
    async fn session(&self, id_hash: &str, now_ms: i64) -> Result<Option<SessionRow>> {
        forward!(self.session(id_hash, now_ms))
    }
    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        forward!(self.delete_session(id_hash))
    }
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<ApiTokenRow> {
        forward!(self.create_api_token(user_id, name, token_hash, now_ms))
    }
    async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<UserRow>> {
        forward!(self.user_by_api_token(token_hash))
    }
    async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        forward!(self.list_api_tokens(user_id))
    }
    async fn delete_api_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        forward!(self.delete_api_token(user_id, token_id))
    }
    async fn record_login_failure(&self, key: &str, at_ms: i64) -> Result<()> {
        forward!(self.record_login_failure(key, at_ms))
    }
    async fn login_failures(&self, key: &str, since_ms: i64) -> Result<Vec<i64>> {
        forward!(self.login_failures(key, since_ms))
    }
    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        forward!(self.clear_login_failures(key))
    }
}
