//! The Twilio accounts a connection reaches (its own and its subaccounts), how far each account
//! of a multi-account metric is synced, and the per-account window write, behind
//! [`TwilioAccountStore`] (implemented by both backends and [`crate::AnyStore`]).
//!
//! The store does not know how a dimension names an account: a per-account window write is
//! given the prefix that every dimension of that account starts with, and replaces only those.

use std::future::Future;

use domain::AccountSid;

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::ids::{ConnectionId, MetricId};
use crate::rows::{BucketRow, Lease, WindowReplaced};
use crate::sql_impl::SqlStore;

/// An account's status as Twilio lists it, or `Gone` once Twilio no longer lists it (closed
/// accounts are deleted 30 days after closing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
    Gone,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
            Self::Gone => "gone",
        }
    }

    /// Twilio's `status` field (`active`, `suspended`, `closed`), or our `gone`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "closed" => Some(Self::Closed),
            "gone" => Some(Self::Gone),
            _ => None,
        }
    }
}

/// One account of a listing (`/2010-04-01/Accounts.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAccount {
    pub sid: AccountSid,
    pub friendly_name: String,
    pub status: AccountStatus,
    /// The connection's own account (the others are its subaccounts).
    pub is_parent: bool,
}

/// An account as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioAccount {
    pub connection: ConnectionId,
    pub sid: AccountSid,
    pub friendly_name: String,
    pub status: AccountStatus,
    pub is_parent: bool,
    /// Why the connection's key cannot read the account's resources, in words.
    pub access_problem: Option<String>,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub status_changed_ms: i64,
}

impl TwilioAccount {
    /// Whether a sync should request this account: active and readable.
    pub fn is_requested(&self) -> bool {
        self.status == AccountStatus::Active && self.access_problem.is_none()
    }
}

/// What a listing changed, for the log and the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingChanges {
    /// Accounts seen for the first time.
    pub joined: Vec<AccountSid>,
    /// Accounts whose status changed, with the new status (`Gone` for those no longer listed).
    pub status_changed: Vec<(AccountSid, AccountStatus)>,
    /// Accounts whose friendly name changed.
    pub renamed: Vec<AccountSid>,
}

/// How far one account of a metric is synced: `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpan {
    pub account: AccountSid,
    pub from_ms: i64,
    pub to_ms: i64,
}

pub trait TwilioAccountStore: Send + Sync + 'static {
    /// Records one complete listing of the connection's accounts in one transaction: new
    /// accounts are added, known ones take the listed name and status (the status change's
    /// instant kept), and known accounts missing from the listing become `Gone`. Their rows stay,
    /// so history keeps its names.
    fn record_account_listing(
        &self,
        connection: ConnectionId,
        listed: &[ListedAccount],
        now_ms: i64,
    ) -> impl Future<Output = Result<ListingChanges>> + Send;

    /// The connection's accounts: its own first, then by friendly name.
    fn twilio_accounts(
        &self,
        connection: ConnectionId,
    ) -> impl Future<Output = Result<Vec<TwilioAccount>>> + Send;

    /// Records whether the connection's key can read `account`'s resources (`None`: it can).
    fn set_account_access(
        &self,
        connection: ConnectionId,
        account: &AccountSid,
        problem: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// How far each account of `metric` is synced.
    fn metric_account_spans(
        &self,
        metric: MetricId,
    ) -> impl Future<Output = Result<Vec<AccountSpan>>> + Send;

    /// Widens the synced span of `account` of `metric` to cover `[from_ms, to_ms)` (the caller
    /// only records spans that touch the one recorded), fenced by `lease` like a window write.
    fn extend_metric_account_span(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        account: &AccountSid,
        from_ms: i64,
        to_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Forgets every account span of `metric` (its scope or request changed: all backfill).
    fn clear_metric_account_spans(
        &self,
        metric: MetricId,
    ) -> impl Future<Output = Result<()>> + Send;

    /// [`crate::Store::replace_window_under`] for the buckets whose dimension starts with
    /// `prefix` only (one account of a multi-account metric): the others in the window stay.
    /// Every bucket given must carry the prefix.
    fn replace_prefix_window_under(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        prefix: &str,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> impl Future<Output = Result<WindowReplaced>> + Send;
}

fn decode_status(text: &str) -> std::result::Result<AccountStatus, sqlx::Error> {
    AccountStatus::parse(text).ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown account status {text:?} in twilio_accounts").into())
    })
}

fn decode_sid(text: &str) -> std::result::Result<AccountSid, sqlx::Error> {
    AccountSid::parse(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl<DB: Dialect> TwilioAccountStore for SqlStore<DB>
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
    for<'q> Option<String>: sqlx::Decode<'q, DB>,
{
    async fn record_account_listing(
        &self,
        connection: ConnectionId,
        listed: &[ListedAccount],
        now_ms: i64,
    ) -> Result<ListingChanges> {
        let mut tx = self.begin_write("record a listing of accounts").await?;
        let known: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT sid, friendly_name, status FROM twilio_accounts WHERE connection_id = $1",
        )
        .bind(connection.0)
        .all(&mut *tx, "read a connection's accounts")
        .await?;
        let mut changes = ListingChanges::default();
        for account in listed {
            let before = known.iter().find(|(sid, _, _)| sid == account.sid.as_str());
            match before {
                None => changes.joined.push(account.sid.clone()),
                Some((_, name, status)) => {
                    if status != account.status.as_str() {
                        changes
                            .status_changed
                            .push((account.sid.clone(), account.status));
                    }
                    if name != &account.friendly_name {
                        changes.renamed.push(account.sid.clone());
                    }
                }
            }
            sqlx::query(
                "INSERT INTO twilio_accounts (connection_id, sid, friendly_name, status, \
                 is_parent, first_seen_ms, last_seen_ms, status_changed_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $6) \
                 ON CONFLICT (connection_id, sid) DO UPDATE SET \
                 friendly_name = excluded.friendly_name, \
                 is_parent = excluded.is_parent, \
                 last_seen_ms = excluded.last_seen_ms, \
                 status_changed_ms = CASE WHEN twilio_accounts.status = excluded.status \
                   THEN twilio_accounts.status_changed_ms ELSE excluded.status_changed_ms END, \
                 status = excluded.status",
            )
            .bind(connection.0)
            .bind(account.sid.as_str())
            .bind(account.friendly_name.as_str())
            .bind(account.status.as_str())
            .bind(account.is_parent)
            .bind(now_ms)
            .changed(&mut *tx, "record an account")
            .await?;
        }
        for (sid, _, status) in &known {
            let listed_now = listed.iter().any(|a| a.sid.as_str() == sid);
            if listed_now || status == AccountStatus::Gone.as_str() {
                continue;
            }
            sqlx::query(
                "UPDATE twilio_accounts SET status = $1, status_changed_ms = $2 \
                 WHERE connection_id = $3 AND sid = $4",
            )
            .bind(AccountStatus::Gone.as_str())
            .bind(now_ms)
            .bind(connection.0)
            .bind(sid.as_str())
            .changed(&mut *tx, "mark an account gone")
            .await?;
            if let Ok(sid) = AccountSid::parse(sid) {
                changes.status_changed.push((sid, AccountStatus::Gone));
            }
        }
        crate::exec::commit(tx, "commit a listing of accounts").await?;
        Ok(changes)
    }

    async fn twilio_accounts(&self, connection: ConnectionId) -> Result<Vec<TwilioAccount>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT sid, friendly_name, status, is_parent, access_problem, first_seen_ms, \
             last_seen_ms, status_changed_ms FROM twilio_accounts WHERE connection_id = $1 \
             ORDER BY is_parent DESC, friendly_name, sid",
        )
        .bind(connection.0)
        .all(&self.pool, "list a connection's accounts")
        .await?;
        crate::exec::decode_all(&rows, "read a connection's accounts", |row| {
            Ok(TwilioAccount {
                connection,
                sid: decode_sid(row.try_get::<String, _>("sid")?.as_str())?,
                friendly_name: row.try_get("friendly_name")?,
                status: decode_status(row.try_get::<String, _>("status")?.as_str())?,
                is_parent: row.try_get("is_parent")?,
                access_problem: row.try_get("access_problem")?,
                first_seen_ms: row.try_get("first_seen_ms")?,
                last_seen_ms: row.try_get("last_seen_ms")?,
                status_changed_ms: row.try_get("status_changed_ms")?,
            })
        })
    }

    async fn set_account_access(
        &self,
        connection: ConnectionId,
        account: &AccountSid,
        problem: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE twilio_accounts SET access_problem = $1 WHERE connection_id = $2 AND sid = $3",
        )
        .bind(problem)
        .bind(connection.0)
        .bind(account.as_str())
        .changed_one(&self.pool, "record an account's access", || {
            StoreError::not_found("account of the connection", account)
        })
        .await
    }

    async fn metric_account_spans(&self, metric: MetricId) -> Result<Vec<AccountSpan>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT account_sid, from_ms, to_ms FROM metric_account_spans WHERE metric_id = $1 \
             ORDER BY account_sid",
        )
        .bind(metric.0)
        .all(&self.pool, "read a metric's account spans")
        .await?;
        rows.into_iter()
            .map(|(sid, from_ms, to_ms)| {
                Ok(AccountSpan {
                    account: decode_sid(&sid)?,
                    from_ms,
                    to_ms,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .map_err(StoreError::db("read a metric's account spans"))
    }

    async fn extend_metric_account_span(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        account: &AccountSid,
        from_ms: i64,
        to_ms: i64,
        now_ms: i64,
    ) -> Result<()> {
        if from_ms >= to_ms {
            return Err(StoreError::Invalid {
                what: "account span",
                reason: format!("the start {from_ms} is not before the end {to_ms}"),
            });
        }
        let mut tx = self.begin_write("record an account's synced span").await?;
        Self::check_fence(&mut tx, lease).await?;
        sqlx::query(
            "INSERT INTO metric_account_spans (metric_id, account_sid, from_ms, to_ms, \
             updated_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (metric_id, account_sid) DO UPDATE SET \
             from_ms = CASE WHEN excluded.from_ms < metric_account_spans.from_ms \
               THEN excluded.from_ms ELSE metric_account_spans.from_ms END, \
             to_ms = CASE WHEN excluded.to_ms > metric_account_spans.to_ms \
               THEN excluded.to_ms ELSE metric_account_spans.to_ms END, \
             updated_ms = excluded.updated_ms",
        )
        .bind(metric.0)
        .bind(account.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .bind(now_ms)
        .changed(&mut *tx, "record an account's synced span")
        .await?;
        crate::exec::commit(tx, "commit an account's synced span").await
    }

    async fn clear_metric_account_spans(&self, metric: MetricId) -> Result<()> {
        sqlx::query("DELETE FROM metric_account_spans WHERE metric_id = $1")
            .bind(metric.0)
            .changed(&self.pool, "forget a metric's account spans")
            .await?;
        Ok(())
    }

    async fn replace_prefix_window_under(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        prefix: &str,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> Result<WindowReplaced> {
        if prefix.is_empty() {
            return Err(StoreError::Invalid {
                what: "window prefix",
                reason: "an empty prefix would replace every dimension; use replace_window"
                    .to_owned(),
            });
        }
        if let Some(b) = buckets.iter().find(|b| !b.dimension.starts_with(prefix)) {
            return Err(StoreError::BadWindow {
                metric,
                from_ms,
                to_ms,
                reason: format!(
                    "bucket at {} has dimension '{}', which does not start with '{prefix}'",
                    b.hour_ms, b.dimension
                ),
            });
        }
        self.replace_window_scoped(lease, metric, Some(prefix), from_ms, to_ms, buckets)
            .await
    }
}

impl TwilioAccountStore for crate::AnyStore {
    async fn record_account_listing(
        &self,
        connection: ConnectionId,
        listed: &[ListedAccount],
        now_ms: i64,
    ) -> Result<ListingChanges> {
        forward!(self.record_account_listing(connection, listed, now_ms))
    }
    async fn twilio_accounts(&self, connection: ConnectionId) -> Result<Vec<TwilioAccount>> {
        forward!(self.twilio_accounts(connection))
    }
    async fn set_account_access(
        &self,
        connection: ConnectionId,
        account: &AccountSid,
        problem: Option<&str>,
    ) -> Result<()> {
        forward!(self.set_account_access(connection, account, problem))
    }
    async fn metric_account_spans(&self, metric: MetricId) -> Result<Vec<AccountSpan>> {
        forward!(self.metric_account_spans(metric))
    }
    async fn extend_metric_account_span(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        account: &AccountSid,
        from_ms: i64,
        to_ms: i64,
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.extend_metric_account_span(lease, metric, account, from_ms, to_ms, now_ms))
    }
    async fn clear_metric_account_spans(&self, metric: MetricId) -> Result<()> {
        forward!(self.clear_metric_account_spans(metric))
    }
    async fn replace_prefix_window_under(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        prefix: &str,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> Result<WindowReplaced> {
        forward!(self.replace_prefix_window_under(lease, metric, prefix, from_ms, to_ms, buckets))
    }
}
