//! The Twilio accounts of the connections (each connection's own account and its subaccounts):
//! discovering them, listing them, and the one way every surface names an account (its friendly
//! name, stable across renames because buckets keep the SID).

use std::collections::BTreeMap;

use connector::Connector;
use metric::accounts::split;
use metric_sync::{Discovery, DiscoveryError};
use store::{AccountStatus, AnyStore, ConnectionId, Store, TwilioAccount, TwilioAccountStore};

use crate::error::{AppError, AppResult};

/// Lists `connection`'s accounts on Twilio and records them (on save, at each sync, and when a
/// person asks). A Standard key records the connection's own account alone and says why.
pub async fn discover(
    store: &AnyStore,
    connector: &Connector,
    connection: ConnectionId,
    now_ms: i64,
) -> AppResult<Discovery> {
    let connection = store.connection(connection).await?;
    metric_sync::discover(store, connector, &connection, now_ms)
        .await
        .map_err(|e| match e {
            DiscoveryError::Store(e) => AppError::Store(e),
            DiscoveryError::Secret { .. } => AppError::Conflict(e.to_string()),
            DiscoveryError::Fetch { .. } => AppError::Refused {
                field: "connection",
                message: e.to_string(),
            },
        })
}

/// What listing a connection's accounts found, in the words shown beside its check. A discovery
/// that failed leaves the connection as it was saved: it is only reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountsFound {
    /// The key listed its accounts.
    Listed { accounts: usize, subaccounts: usize },
    /// The key may not list accounts (a Standard key): only its own account is kept.
    NotListable { reason: String },
    /// The listing failed (Twilio unreachable, a page that does not read).
    Failed { reason: String },
}

impl AccountsFound {
    /// A discovery's outcome, an error included.
    pub fn of(result: &AppResult<Discovery>) -> Self {
        match result {
            Ok(d @ Discovery::Listed { accounts, .. }) => Self::Listed {
                accounts: accounts.len(),
                subaccounts: d.subaccounts(),
            },
            Ok(Discovery::NotListable { reason }) => Self::NotListable {
                reason: reason.clone(),
            },
            Err(e) => Self::Failed {
                reason: e.to_string(),
            },
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

impl std::fmt::Display for AccountsFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Listed { subaccounts: 0, .. } => f.write_str("no subaccounts found"),
            Self::Listed { subaccounts: 1, .. } => f.write_str("1 subaccount found"),
            Self::Listed { subaccounts, .. } => write!(f, "{subaccounts} subaccounts found"),
            Self::NotListable { reason } => f.write_str(reason),
            Self::Failed { reason } => write!(
                f,
                "its accounts could not be listed ({reason}); the connection is saved: use \"Discover now\" on its accounts page to retry"
            ),
        }
    }
}

/// `connection`'s accounts as last discovered: its own first, then by name.
pub async fn list(store: &AnyStore, connection: ConnectionId) -> AppResult<Vec<TwilioAccount>> {
    Ok(store.twilio_accounts(connection).await?)
}

/// What a person should know of an account beyond its status, in words: why its resources
/// cannot be read, or that a suspended, closed or gone account keeps its history but is no
/// longer requested. `None` for an active, readable account.
pub fn note(account: &TwilioAccount) -> Option<String> {
    let kept = "kept: its history stays, no longer requested";
    match (&account.access_problem, account.status) {
        (Some(problem), AccountStatus::Active) => Some(format!("{problem}; not requested")),
        (Some(problem), _) => Some(format!("{kept}; {problem}")),
        (None, AccountStatus::Active) => None,
        (None, _) => Some(kept.to_owned()),
    }
}

/// How an account is named on every screen, email and export.
#[derive(Debug, Clone, Default)]
pub struct AccountNames {
    by_sid: BTreeMap<String, (String, AccountStatus)>,
}

impl AccountNames {
    /// Every connection's accounts.
    pub async fn load(store: &AnyStore) -> AppResult<Self> {
        Ok(Self::read(store).await?)
    }

    /// [`AccountNames::load`] from any store (the evaluator's).
    pub async fn read<S: Store>(store: &S) -> Result<Self, store::StoreError> {
        let mut by_sid = BTreeMap::new();
        for connection in store.list_connections().await? {
            for account in store.twilio_accounts(connection.id).await? {
                by_sid.insert(
                    account.sid.to_string(),
                    (account.friendly_name, account.status),
                );
            }
        }
        Ok(Self { by_sid })
    }

    /// The friendly name of `sid` (its SID when no discovery named it), marked when the account
    /// is no longer active: "Brand B (closed)".
    pub fn name(&self, sid: &str) -> String {
        match self.by_sid.get(sid) {
            Some((name, AccountStatus::Active)) => name.clone(),
            Some((name, status)) => format!("{name} ({})", status.as_str()),
            None => sid.to_owned(),
        }
    }

    /// A dimension as shown: a composite one as "account · own dimension" (or the account
    /// alone), any other as it is.
    pub fn dimension(&self, dimension: &str) -> String {
        match split(dimension) {
            Some((sid, Some(own))) => format!("{} · {own}", self.name(sid)),
            Some((sid, None)) => self.name(sid),
            None if self.by_sid.contains_key(dimension) => self.name(dimension),
            None => dimension.to_owned(),
        }
    }
}
