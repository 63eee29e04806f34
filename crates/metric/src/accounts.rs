//! Metrics over several Twilio accounts (a parent and its subaccounts).
//!
//! A metric's [`AccountScope`] says which accounts its request is made for. A metric over more
//! than its connection's own account stores every row under a *composite* dimension: the
//! account's SID, [`ACCOUNT_SEP`], then the metric's own dimension (empty when it has none), so
//! the account is a second, built-in dimension without a second column in the store. SIDs have
//! a fixed length (34), so the split never depends on what the own dimension holds.
//!
//! Readers choose how to see the account with an [`AccountView`] and [`regroup`]: folded away
//! (the metric as if it had one account: what every screen shows by default), by account, or
//! both. Folding buckets is exact (sums and counts add, min/max/latest combine), so a total over
//! accounts equals the sum of the parts.

use std::collections::{BTreeMap, BTreeSet};

use domain::AccountSid;
use serde::{Deserialize, Serialize};

use crate::bucket::HourBucket;

/// Between the account's SID and the metric's own dimension in a stored dimension.
pub const ACCOUNT_SEP: char = '|';

/// The length of an Account SID: `AC` and 32 hexadecimal characters.
const SID_LEN: usize = 34;

/// The most accounts a chosen list may name (Twilio's default limit of subaccounts).
pub const MAX_LISTED_ACCOUNTS: usize = 1000;

/// Which accounts a metric's request is made for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountScope {
    /// Only the connection's own account (`{AccountSid}` is the connection's SID). Rows keep
    /// their own dimension as it is: a metric made before subaccounts reads as it always did.
    #[default]
    Connection,
    /// Every account the connection's key lists (`/2010-04-01/Accounts.json`: the account and
    /// its subaccounts) that is active and readable, at each sync.
    Active,
    /// These accounts (SIDs), while active and readable.
    List(Vec<String>),
}

impl AccountScope {
    pub fn is_connection(&self) -> bool {
        matches!(self, Self::Connection)
    }

    /// Whether rows carry the account (a composite dimension).
    pub fn is_multi(&self) -> bool {
        !self.is_connection()
    }

    /// Checks a chosen list: at least one SID, each well formed, none twice, at most
    /// [`MAX_LISTED_ACCOUNTS`]. The message names the bad entry.
    pub fn check(&self) -> Result<(), String> {
        let Self::List(sids) = self else {
            return Ok(());
        };
        if sids.is_empty() {
            return Err("choose at least one account, or use \"active\" for every account".into());
        }
        if sids.len() > MAX_LISTED_ACCOUNTS {
            return Err(format!(
                "{} accounts listed; at most {MAX_LISTED_ACCOUNTS}",
                sids.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, sid) in sids.iter().enumerate() {
            AccountSid::parse(sid).map_err(|e| format!("entry {i}: {e}"))?;
            if !seen.insert(sid.as_str()) {
                return Err(format!("entry {i}: {sid} is listed twice"));
            }
        }
        Ok(())
    }

    /// Whether the scope asks for `sid` (the connection's own account included for `Active`).
    pub fn includes(&self, sid: &str, connection_sid: &str) -> bool {
        match self {
            Self::Connection => sid == connection_sid,
            Self::Active => true,
            Self::List(sids) => sids.iter().any(|s| s == sid),
        }
    }
}

/// The stored dimension of a row of account `sid` with own dimension `own`.
pub fn compose(sid: &str, own: Option<&str>) -> String {
    let own = own.unwrap_or("");
    let mut s = String::with_capacity(sid.len() + 1 + own.len());
    s.push_str(sid);
    s.push(ACCOUNT_SEP);
    s.push_str(own);
    s
}

/// The prefix every stored dimension of account `sid` starts with (what a per-account window
/// write replaces).
pub fn prefix(sid: &str) -> String {
    compose(sid, None)
}

/// Splits a composite dimension into the account's SID and the own dimension (`None` when the
/// metric has none). `None` when `dimension` is not composite.
pub fn split(dimension: &str) -> Option<(&str, Option<&str>)> {
    let bytes = dimension.as_bytes();
    if bytes.len() <= SID_LEN
        || bytes[SID_LEN] != ACCOUNT_SEP as u8
        || !dimension.starts_with("AC")
        || !bytes[2..SID_LEN].iter().all(u8::is_ascii_hexdigit)
    {
        return None;
    }
    let own = &dimension[SID_LEN + 1..];
    Some((&dimension[..SID_LEN], (!own.is_empty()).then_some(own)))
}

/// How a reader sees the account of a multi-account metric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountView {
    /// Accounts added together; the dimension is the metric's own.
    #[default]
    Total,
    /// One series per account; the dimension is the account's SID (the metric's own dimension
    /// added together).
    ByAccount,
    /// The composite dimension as stored: account and own dimension.
    Both,
}

/// Which accounts a reader keeps (`None`: all).
pub type AccountFilter = Option<BTreeSet<String>>;

/// Rewrites the dimension of each bucket for `view`, keeping only the accounts in `filter`, and
/// merges buckets that land on the same hour and dimension. Buckets whose dimension is not
/// composite (a single-account metric) pass through unchanged whatever the view, unless a
/// filter is given, which they cannot match.
pub fn regroup(
    buckets: Vec<HourBucket>,
    view: AccountView,
    filter: &AccountFilter,
) -> Vec<HourBucket> {
    if filter.is_none() && view == AccountView::Both {
        return buckets;
    }
    if filter.is_none() && !buckets.iter().any(is_composite) {
        return buckets;
    }
    let mut out: BTreeMap<(i64, Option<String>), HourBucket> = BTreeMap::new();
    for mut b in buckets {
        let dimension = match b.dimension.as_deref().and_then(split) {
            Some((sid, own)) => {
                if filter.as_ref().is_some_and(|f| !f.contains(sid)) {
                    continue;
                }
                match view {
                    AccountView::Total => own.map(str::to_owned),
                    AccountView::ByAccount => Some(sid.to_owned()),
                    AccountView::Both => b.dimension.clone(),
                }
            }
            None if filter.is_some() => continue,
            None => b.dimension.clone(),
        };
        b.dimension = dimension;
        match out.get_mut(&(b.hour, b.dimension.clone())) {
            Some(existing) => existing.merge(&b),
            None => {
                out.insert((b.hour, b.dimension.clone()), b);
            }
        }
    }
    out.into_values().collect()
}

fn is_composite(b: &HourBucket) -> bool {
    b.dimension.as_deref().and_then(split).is_some()
}

/// The accounts present in `buckets`, in SID order.
pub fn accounts_in(buckets: &[HourBucket]) -> BTreeSet<String> {
    buckets
        .iter()
        .filter_map(|b| b.dimension.as_deref().and_then(split))
        .map(|(sid, _)| sid.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "AC00000000000000000000000000000001";
    const B: &str = "AC00000000000000000000000000000002";

    fn bucket(hour: i64, dimension: Option<String>, value: f64) -> HourBucket {
        HourBucket {
            hour,
            dimension,
            sum: value,
            count: 1,
            min: value,
            max: value,
            latest: value,
            latest_at: hour,
        }
    }

    #[test]
    fn split_reads_back_what_compose_wrote() {
        assert_eq!(
            split(&compose(A, Some("delivered"))),
            Some((A, Some("delivered")))
        );
        assert_eq!(split(&compose(A, None)), Some((A, None)));
        assert_eq!(split(&compose(A, Some("x|y"))), Some((A, Some("x|y"))));
    }

    #[test]
    fn split_refuses_a_dimension_that_is_not_composite() {
        assert_eq!(split("delivered"), None);
        assert_eq!(split(A), None);
        assert_eq!(split("ACzz000000000000000000000000000001|x"), None);
    }

    #[test]
    fn total_view_adds_accounts_and_keeps_the_own_dimension() {
        let buckets = vec![
            bucket(0, Some(compose(A, Some("sent"))), 2.0),
            bucket(0, Some(compose(B, Some("sent"))), 3.0),
            bucket(0, Some(compose(B, Some("failed"))), 1.0),
        ];
        let out = regroup(buckets, AccountView::Total, &None);
        let sent = out.iter().find(|b| b.dimension.as_deref() == Some("sent"));
        assert_eq!(sent.map(|b| (b.sum, b.count)), Some((5.0, 2)));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn by_account_view_adds_the_own_dimension_and_filter_keeps_chosen_accounts() {
        let buckets = vec![
            bucket(0, Some(compose(A, Some("sent"))), 2.0),
            bucket(0, Some(compose(A, Some("failed"))), 4.0),
            bucket(0, Some(compose(B, Some("sent"))), 3.0),
        ];
        let out = regroup(buckets.clone(), AccountView::ByAccount, &None);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].dimension.as_deref(), Some(A));
        assert_eq!(out[0].sum, 6.0);
        let only_b = regroup(
            buckets,
            AccountView::Total,
            &Some(BTreeSet::from([B.to_owned()])),
        );
        assert_eq!(only_b.len(), 1);
        assert_eq!(only_b[0].sum, 3.0);
    }

    #[test]
    fn single_account_buckets_pass_through_unchanged() {
        let buckets = vec![bucket(0, Some("sent".into()), 2.0), bucket(0, None, 1.0)];
        assert_eq!(
            regroup(buckets.clone(), AccountView::ByAccount, &None),
            buckets
        );
    }

    #[test]
    fn a_chosen_list_is_checked_entry_by_entry() {
        assert!(AccountScope::List(vec![A.into(), B.into()]).check().is_ok());
        assert!(AccountScope::List(vec![]).check().is_err());
        let twice = AccountScope::List(vec![A.into(), A.into()]).check();
        assert!(twice.is_err_and(|e| e.contains("twice")));
        let bad = AccountScope::List(vec!["AC1".into()]).check();
        assert!(bad.is_err_and(|e| e.contains("entry 0")));
    }
}
