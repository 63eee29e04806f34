//! People and access for the web app: users, login sessions, API tokens and failed sign-ins,
//! behind [`AccountStore`] (implemented by both backends and [`crate::AnyStore`]). The store
//! keeps what it is given: hashing passwords and tokens is the caller's job, and roles are the
//! caller's words (`admin`, `editor`, `viewer`).

use std::future::Future;

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::sql_impl::SqlStore;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// An Argon2id PHC string.
    pub password_hash: String,
    /// A disabled person cannot sign in, and their sessions and API tokens are not honoured.
    pub disabled: bool,
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

/// The role word that makes a person an Admin: the one role the store knows, because the
/// last enabled Admin is guarded here.
pub const ADMIN_ROLE: &str = "admin";

/// What a change to a person did. The last enabled Admin is never disabled, deleted or given
/// another role, so someone can always manage people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange<T> {
    Done(T),
    NoUser,
    LastAdmin,
}

/// What revoking a person's access ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    pub sessions: u64,
    pub tokens: u64,
}

/// One limit a sign-in attempt must pass: fewer than `max` attempts kept under `key` within the
/// window. `max` below 1 counts as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit<'a> {
    pub key: &'a str,
    pub max: u32,
}

/// The outcome of [`AccountStore::reserve_login_attempt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptReservation {
    /// The attempt may check its password. These rows (one per key) count it as a failure
    /// until [`AccountStore::release_login_attempts`] forgets them after a success.
    Reserved(Vec<i64>),
    /// A key is at its limit: no attempt is reserved before `until_ms`.
    Blocked { until_ms: i64 },
}

pub trait AccountStore: Send + Sync + 'static {
    fn count_users(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Admins, enabled or not.
    fn count_admins(&self) -> impl Future<Output = Result<u64>> + Send;
    /// `Duplicate` when the name is taken, whatever its letter case.
    fn create_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<UserRow>> + Send;
    /// Creates an Admin only if no Admin exists, in one step however many processes try at once;
    /// `None` when one already exists. What the one-time setup link does.
    fn create_first_admin(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<UserRow>>> + Send;
    /// The user of that name, whatever its letter case.
    fn user_by_name(&self, name: &str) -> impl Future<Output = Result<Option<UserRow>>> + Send;
    fn user_by_id(&self, id: i64) -> impl Future<Output = Result<Option<UserRow>>> + Send;
    fn list_users(&self) -> impl Future<Output = Result<Vec<UserRow>>> + Send;
    /// Disabling also ends the person's sessions; their API tokens are kept but not honoured
    /// while they are disabled.
    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
    ) -> impl Future<Output = Result<UserChange<UserRow>>> + Send;
    fn set_user_role(
        &self,
        id: i64,
        role: &str,
    ) -> impl Future<Output = Result<UserChange<UserRow>>> + Send;
    /// Deletes the person with their sessions and API tokens.
    fn delete_user(&self, id: i64) -> impl Future<Output = Result<UserChange<()>>> + Send;
    /// Replaces the password hash and ends every session of the person; false if no such user.
    fn set_password_hash(
        &self,
        id: i64,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Ends every session and deletes every API token of the person; `None` if no such user.
    fn revoke_user_access(&self, id: i64) -> impl Future<Output = Result<Option<Revoked>>> + Send;
    fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The session if it has not expired at `now_ms` and its person is not disabled.
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
    /// The token's person, unless they are disabled.
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
    /// Counts a sign-in attempt against every limit before its password is checked, in one
    /// step: the attempts kept under each key within `window_ms` before `now_ms` are counted and,
    /// if every key is below its limit, one more is kept under each. Concurrent attempts on the
    /// same key (from any process) take turns, so no more than `max` are ever let through per
    /// window. Attempts older than two windows are dropped on the way.
    fn reserve_login_attempt(
        &self,
        limits: &[AttemptLimit<'_>],
        window_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<AttemptReservation>> + Send;
    /// Forgets reserved attempts (a sign-in that succeeded).
    fn release_login_attempts(&self, ids: &[i64]) -> impl Future<Output = Result<()>> + Send;
    /// Forgets the key's attempts made after `since_ms` (a sign-in that succeeded forgets the
    /// failures of its account at its address).
    fn clear_login_attempts(
        &self,
        key: &str,
        since_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
}

type UserTuple = (i64, String, String, String, bool, i64);

/// A person's columns followed by the session's `csrf` and `expires_ms`.
type SessionTuple = (i64, String, String, String, bool, i64, String, i64);

pub(crate) fn user_of(t: UserTuple) -> UserRow {
    UserRow {
        id: t.0,
        name: t.1,
        role: t.2,
        password_hash: t.3,
        disabled: t.4,
        created_ms: t.5,
    }
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.name, u.role, u.password_hash, u.disabled, u.created_ms";

/// The lock name under which changes that could leave no enabled Admin take turns.
pub(crate) const ADMINS_LOCK: &str = "switchboard:admins";

/// The lock name under which sign-in attempts on one throttle key take turns.
pub(crate) fn attempt_lock(key: &str) -> String {
    format!("switchboard:login:{key}")
}

/// When a blocked key lets an attempt through again: once enough of its kept attempts (oldest
/// first, `times` sorted) have left the window that fewer than `max` remain.
pub(crate) fn blocked_until(times: &[i64], max: u32, window_ms: i64) -> Option<i64> {
    let max = max.max(1) as usize;
    (times.len() >= max).then(|| times[times.len() - max] + window_ms)
}

// The name lock and the last-Admin guard shared by the writing methods of `AccountStore`.
impl<DB: Dialect> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    str: sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB>,
{
    /// Inserts a user on `conn` (a pooled connection or an open transaction); a name taken
    /// case-insensitively is `Duplicate`.
    async fn insert_user(
        conn: &mut DB::Connection,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
        op: &'static str,
    ) -> Result<UserRow> {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (name, name_key, role, password_hash, created_ms) VALUES ($1, $2, \
             $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(role)
        .bind(password_hash)
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::named_write("user", name, op))?;
        Ok(UserRow {
            id,
            name: name.to_owned(),
            role: role.to_owned(),
            password_hash: password_hash.to_owned(),
            disabled: false,
            created_ms: now_ms,
        })
    }

    /// In one transaction under the Admins' lock: reads the person, refuses a change
    /// that would leave no enabled Admin, and applies it otherwise. Answers the person
    /// as changed (as they were, for a deletion).
    async fn change_user(&self, id: i64, edit: UserEdit<'_>) -> Result<UserChange<UserRow>> {
        let op = edit.op();
        let mut tx = self.begin_write(op).await?;
        Self::lock_name(&mut tx, ADMINS_LOCK, op).await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            USER_COLUMNS
        ));
        let Some(mut row) = sqlx::query_as(sql)
            .bind(id)
            .optional(&mut *tx, op)
            .await?
            .map(user_of)
        else {
            return Ok(UserChange::NoUser);
        };
        if row.role == ADMIN_ROLE && !row.disabled && edit.removes_admin() {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = $1 AND NOT disabled AND id <> $2",
            )
            .bind(ADMIN_ROLE)
            .bind(id)
            .one(&mut *tx, op)
            .await?;
            if others == 0 {
                return Ok(UserChange::LastAdmin);
            }
        }
        match edit {
            UserEdit::Disabled(disabled) => {
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(disabled)
                    .bind(id)
                    .changed(&mut *tx, op)
                    .await?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .changed(&mut *tx, op)
                        .await?;
                }
                row.disabled = disabled;
            }
            UserEdit::Role(role) => {
                sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(role)
                    .bind(id)
                    .changed(&mut *tx, op)
                    .await?;
                row.role = role.to_owned();
            }
            UserEdit::Delete => {
                // Sessions and API tokens go with the row (ON DELETE CASCADE).
                sqlx::query("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .changed(&mut *tx, op)
                    .await?;
            }
        }
        crate::exec::commit(tx, op).await?;
        Ok(UserChange::Done(row))
    }
}

impl<DB: Dialect> AccountStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    str: sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB>,
{
    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .one(&self.pool, "count users")
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn count_admins(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
            .bind(ADMIN_ROLE)
            .one(&self.pool, "count admins")
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn create_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<UserRow> {
        const OP: &str = "create a user";
        let mut conn = self.pool.acquire().await.map_err(StoreError::db(OP))?;
        Self::insert_user(&mut conn, name, role, password_hash, now_ms, OP).await
    }

    async fn create_first_admin(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        const OP: &str = "create the first admin";
        let mut tx = self.begin_write(OP).await?;
        Self::lock_name(&mut tx, ADMINS_LOCK, OP).await?;
        let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
            .bind(ADMIN_ROLE)
            .one(&mut *tx, OP)
            .await?;
        if admins > 0 {
            return Ok(None);
        }
        let user = Self::insert_user(&mut tx, name, ADMIN_ROLE, password_hash, now_ms, OP).await?;
        crate::exec::commit(tx, OP).await?;
        Ok(Some(user))
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.name_key = $1",
            USER_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(name.trim().to_lowercase())
            .optional(&self.pool, "read a user")
            .await?
            .map(user_of))
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            USER_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(id)
            .optional(&self.pool, "read a user")
            .await?
            .map(user_of))
    }

    async fn list_users(&self) -> Result<Vec<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u ORDER BY u.name_key",
            USER_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .all(&self.pool, "list users")
            .await?
            .into_iter()
            .map(user_of)
            .collect())
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<UserChange<UserRow>> {
        self.change_user(id, UserEdit::Disabled(disabled)).await
    }

    async fn set_user_role(&self, id: i64, role: &str) -> Result<UserChange<UserRow>> {
        self.change_user(id, UserEdit::Role(role)).await
    }

    async fn delete_user(&self, id: i64) -> Result<UserChange<()>> {
        Ok(match self.change_user(id, UserEdit::Delete).await? {
            UserChange::Done(_) => UserChange::Done(()),
            UserChange::NoUser => UserChange::NoUser,
            UserChange::LastAdmin => UserChange::LastAdmin,
        })
    }

    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<bool> {
        const OP: &str = "set a user's password";
        let mut tx = self.begin_write(OP).await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .changed(&mut *tx, OP)
            .await?;
        if done == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .changed(&mut *tx, OP)
            .await?;
        crate::exec::commit(tx, OP).await?;
        Ok(true)
    }

    async fn revoke_user_access(&self, id: i64) -> Result<Option<Revoked>> {
        const OP: &str = "revoke a user's sessions and tokens";
        let mut tx = self.begin_write(OP).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .optional(&mut *tx, OP)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .changed(&mut *tx, OP)
            .await?;
        let tokens = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
            .bind(id)
            .changed(&mut *tx, OP)
            .await?;
        crate::exec::commit(tx, OP).await?;
        Ok(Some(Revoked { sessions, tokens }))
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, expires_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(expires_ms)
        .changed(&self.pool, "create a session")
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now_ms: i64) -> Result<Option<SessionRow>> {
        sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
            .bind(now_ms)
            .changed(&self.pool, "drop expired sessions")
            .await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {}, s.csrf, s.expires_ms FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND NOT u.disabled",
            USER_COLUMNS
        ));
        let row: Option<SessionTuple> = sqlx::query_as(sql)
            .bind(id_hash)
            .optional(&self.pool, "read a session")
            .await?;
        Ok(row.map(|r| SessionRow {
            user: user_of((r.0, r.1, r.2, r.3, r.4, r.5)),
            csrf: r.6,
            expires_ms: r.7,
        }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .changed(&self.pool, "delete a session")
            .await?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<ApiTokenRow> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_ms) VALUES ($1, $2, $3, \
             $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now_ms)
        .one(&self.pool, "create an API token")
        .await?;
        Ok(ApiTokenRow {
            id,
            user_id,
            name: name.to_owned(),
            created_ms: now_ms,
        })
    }

    async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND NOT u.disabled",
            USER_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(token_hash)
            .optional(&self.pool, "read an API token")
            .await?
            .map(user_of))
    }

    async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT id, user_id, name, created_ms FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .all(&self.pool, "list API tokens")
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ApiTokenRow {
                id: r.0,
                user_id: r.1,
                name: r.2,
                created_ms: r.3,
            })
            .collect())
    }

    async fn delete_api_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                .bind(token_id)
                .bind(user_id)
                .changed(&self.pool, "delete an API token")
                .await?
                > 0,
        )
    }

    async fn reserve_login_attempt(
        &self,
        limits: &[AttemptLimit<'_>],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<AttemptReservation> {
        const OP: &str = "count a sign-in attempt";
        let mut keys: Vec<&str> = limits.iter().map(|l| l.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let reservation = {
            let mut tx = self.begin_write(OP).await?;
            // Locks in one order, so two attempts sharing keys cannot wait on each other.
            for key in &keys {
                Self::lock_name(&mut tx, &attempt_lock(key), OP).await?;
            }
            let mut until_ms: Option<i64> = None;
            for limit in limits {
                let times: Vec<i64> = sqlx::query_scalar(
                    "SELECT at_ms FROM login_attempts WHERE key = $1 AND at_ms > $2 ORDER BY at_ms",
                )
                .bind(limit.key)
                .bind(now_ms - window_ms)
                .all(&mut *tx, OP)
                .await?;
                if let Some(at) = blocked_until(&times, limit.max, window_ms) {
                    until_ms = Some(until_ms.map_or(at, |u| u.max(at)));
                }
            }
            match until_ms {
                Some(until_ms) => AttemptReservation::Blocked { until_ms },
                None => {
                    let mut ids = Vec::with_capacity(keys.len());
                    for key in &keys {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO login_attempts (key, at_ms) VALUES ($1, $2) RETURNING id",
                        )
                        .bind(key)
                        .bind(now_ms)
                        .one(&mut *tx, OP)
                        .await?;
                        ids.push(id);
                    }
                    crate::exec::commit(tx, OP).await?;
                    AttemptReservation::Reserved(ids)
                }
            }
        };
        // Outside the transaction, and only rows two windows old: no live attempt's row
        // is touched, so this never waits on (or for) a sign-in in progress.
        sqlx::query("DELETE FROM login_attempts WHERE at_ms <= $1")
            .bind(now_ms - 2 * window_ms)
            .changed(&self.pool, "drop old sign-in attempts")
            .await?;
        Ok(reservation)
    }

    async fn release_login_attempts(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            sqlx::query("DELETE FROM login_attempts WHERE id = $1")
                .bind(id)
                .changed(&self.pool, "release a sign-in attempt")
                .await?;
        }
        Ok(())
    }

    async fn clear_login_attempts(&self, key: &str, since_ms: i64) -> Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE key = $1 AND at_ms > $2")
            .bind(key)
            .bind(since_ms)
            .changed(&self.pool, "clear failed sign-ins")
            .await?;
        Ok(())
    }
}

/// A change to a person that [`AccountStore`]'s backends apply under the last-Admin guard.
pub(crate) enum UserEdit<'a> {
    Disabled(bool),
    Role(&'a str),
    Delete,
}

impl UserEdit<'_> {
    pub(crate) fn op(&self) -> &'static str {
        match self {
            UserEdit::Disabled(true) => "disable a user",
            UserEdit::Disabled(false) => "enable a user",
            UserEdit::Role(_) => "change a user's role",
            UserEdit::Delete => "delete a user",
        }
    }

    /// Whether an enabled Admin stops being one.
    pub(crate) fn removes_admin(&self) -> bool {
        match self {
            UserEdit::Disabled(disabled) => *disabled,
            UserEdit::Role(role) => *role != ADMIN_ROLE,
            UserEdit::Delete => true,
        }
    }
}

impl AccountStore for crate::AnyStore {
    async fn count_users(&self) -> Result<u64> {
        forward!(self.count_users())
    }
    async fn count_admins(&self) -> Result<u64> {
        forward!(self.count_admins())
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
    async fn create_first_admin(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        forward!(self.create_first_admin(name, password_hash, now_ms))
    }
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        forward!(self.user_by_name(name))
    }
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        forward!(self.user_by_id(id))
    }
    async fn list_users(&self) -> Result<Vec<UserRow>> {
        forward!(self.list_users())
    }
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<UserChange<UserRow>> {
        forward!(self.set_user_disabled(id, disabled))
    }
    async fn set_user_role(&self, id: i64, role: &str) -> Result<UserChange<UserRow>> {
        forward!(self.set_user_role(id, role))
    }
    async fn delete_user(&self, id: i64) -> Result<UserChange<()>> {
        forward!(self.delete_user(id))
    }
    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<bool> {
        forward!(self.set_password_hash(id, password_hash))
    }
    async fn revoke_user_access(&self, id: i64) -> Result<Option<Revoked>> {
        forward!(self.revoke_user_access(id))
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
    async fn reserve_login_attempt(
        &self,
        limits: &[AttemptLimit<'_>],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<AttemptReservation> {
        forward!(self.reserve_login_attempt(limits, window_ms, now_ms))
    }
    async fn release_login_attempts(&self, ids: &[i64]) -> Result<()> {
        forward!(self.release_login_attempts(ids))
    }
    async fn clear_login_attempts(&self, key: &str, since_ms: i64) -> Result<()> {
        forward!(self.clear_login_attempts(key, since_ms))
    }
}
