//! Running a statement and naming its failure, once for every query of the store: each store
//! method then reads as its SQL, its binds and what its failure is called.
//!
//! These are traits on sqlx's query builders (not functions taking a query) so a statement keeps
//! reading top to bottom: `sqlx::query("...").bind(a).changed(&self.pool, "op")`. Their futures
//! are declared `Send` because the store traits hand out `Send` futures for any dialect.

// Written as `fn ... -> impl Future + Send` with `async move` bodies, not `async fn`: the
// `async fn` form cannot be shown `Send` inside the generic store impls (rust-lang/rust#100013).
#![allow(clippy::manual_async_fn)]

use std::future::Future;

use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Executor, FromRow, IntoArguments};

use crate::dialect::Dialect;
use crate::error::{Result, StoreError};

/// A statement run for what it changed.
pub(crate) trait Change<'q, DB: Dialect>: Sized + Send {
    /// Runs the statement; how many rows it changed, or its failure as `fail` names it (a write
    /// of a unique name tells a taken name from other failures).
    fn changed_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>;

    /// Runs the statement; how many rows it changed.
    fn changed<'c, E>(self, on: E, op: &'static str) -> impl Future<Output = Result<u64>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        self.changed_or(on, StoreError::db(op))
    }

    /// Runs a statement that names one row, its failure as `fail` names it: `missing` when there
    /// is no such row.
    fn changed_one_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
        missing: impl FnOnce() -> StoreError + Send,
    ) -> impl Future<Output = Result<()>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move {
            match self.changed_or(on, fail).await? {
                0 => Err(missing()),
                _ => Ok(()),
            }
        }
    }

    /// Runs a statement that names one row: `missing` when there is no such row.
    fn changed_one<'c, E>(
        self,
        on: E,
        op: &'static str,
        missing: impl FnOnce() -> StoreError + Send,
    ) -> impl Future<Output = Result<()>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        self.changed_one_or(on, StoreError::db(op), missing)
    }
}

impl<'q, DB: Dialect> Change<'q, DB> for Query<'q, DB, DB::Arguments>
where
    DB::Arguments: IntoArguments<DB>,
{
    fn changed_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move {
            self.execute(on)
                .await
                .map(|done| DB::rows_affected(&done))
                .map_err(fail)
        }
    }
}

/// A statement run for what it reads: rows, typed rows or single values.
pub(crate) trait Fetch<'q, DB: Dialect>: Sized + Send {
    /// What one row reads as.
    type Out: Send;

    /// The one row the statement answers, or its failure as `fail` names it (an insert of a
    /// unique name tells a taken name from other failures).
    fn one_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<Self::Out>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>;

    /// The one row the statement answers.
    fn one<'c, E>(self, on: E, op: &'static str) -> impl Future<Output = Result<Self::Out>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        self.one_or(on, StoreError::db(op))
    }

    /// The row the statement answers, if any.
    fn optional<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Option<Self::Out>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>;

    /// Every row the statement answers.
    fn all<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Vec<Self::Out>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>;

    /// The row a lookup by id answers: `missing` when there is none.
    fn found<'c, E>(
        self,
        on: E,
        op: &'static str,
        missing: impl FnOnce() -> StoreError + Send,
    ) -> impl Future<Output = Result<Self::Out>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.optional(on, op).await?.ok_or_else(missing) }
    }
}

impl<'q, DB: Dialect> Fetch<'q, DB> for Query<'q, DB, DB::Arguments>
where
    DB::Arguments: IntoArguments<DB>,
{
    type Out = DB::Row;

    fn one_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<DB::Row>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_one(on).await.map_err(fail) }
    }

    fn optional<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Option<DB::Row>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_optional(on).await.map_err(StoreError::db(op)) }
    }

    fn all<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Vec<DB::Row>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_all(on).await.map_err(StoreError::db(op)) }
    }
}

impl<'q, DB: Dialect, O> Fetch<'q, DB> for QueryAs<'q, DB, O, DB::Arguments>
where
    DB::Arguments: IntoArguments<DB>,
    O: Send + Unpin + for<'r> FromRow<'r, DB::Row>,
{
    type Out = O;

    fn one_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<O>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_one(on).await.map_err(fail) }
    }

    fn optional<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Option<O>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_optional(on).await.map_err(StoreError::db(op)) }
    }

    fn all<'c, E>(self, on: E, op: &'static str) -> impl Future<Output = Result<Vec<O>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_all(on).await.map_err(StoreError::db(op)) }
    }
}

impl<'q, DB: Dialect, O> Fetch<'q, DB> for QueryScalar<'q, DB, O, DB::Arguments>
where
    DB::Arguments: IntoArguments<DB>,
    O: Send + Unpin,
    (O,): for<'r> FromRow<'r, DB::Row>,
{
    type Out = O;

    fn one_or<'c, E>(
        self,
        on: E,
        fail: impl FnOnce(sqlx::Error) -> StoreError + Send,
    ) -> impl Future<Output = Result<O>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_one(on).await.map_err(fail) }
    }

    fn optional<'c, E>(
        self,
        on: E,
        op: &'static str,
    ) -> impl Future<Output = Result<Option<O>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_optional(on).await.map_err(StoreError::db(op)) }
    }

    fn all<'c, E>(self, on: E, op: &'static str) -> impl Future<Output = Result<Vec<O>>> + Send
    where
        'q: 'c,
        E: 'c + Executor<'c, Database = DB>,
    {
        async move { self.fetch_all(on).await.map_err(StoreError::db(op)) }
    }
}

/// Commits a write transaction, naming the operation its failure belongs to.
pub(crate) async fn commit<DB: Dialect>(
    tx: sqlx::Transaction<'static, DB>,
    op: &'static str,
) -> Result<()> {
    tx.commit().await.map_err(StoreError::db(op))
}

/// Decodes every row with `decode`, naming the operation a column that does not read belongs to.
pub(crate) fn decode_all<R, T>(
    rows: &[R],
    op: &'static str,
    decode: impl Fn(&R) -> std::result::Result<T, sqlx::Error>,
) -> Result<Vec<T>> {
    rows.iter()
        .map(decode)
        .collect::<std::result::Result<_, _>>()
        .map_err(StoreError::db(op))
}
