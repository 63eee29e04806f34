//! Discovering a connection's accounts: `GET /2010-04-01/Accounts.json`, every page, lists the
//! connection's own account and its subaccounts with their friendly names and statuses. The
//! listing is recorded in the store ([`store::TwilioAccountStore::record_account_listing`]); a
//! key that may not list accounts (a Standard key) keeps the connection to its own account, and
//! says so in words.
//!
//! Every page comes through [`connector::Connector::fetch`], so each account's `auth_token` is
//! redacted before anything here reads the page.

use connector::{Connector, Credentials, FetchError, FetchOptions};
use domain::AccountSid;
use serde_json::Value;
use store::{AccountStatus, Connection, ListedAccount, ListingChanges, Store};
use twilio_request::{Pagination, Param, RequestSpec};

use crate::error::SyncError;

/// The most accounts one page of the listing holds (Twilio's largest `PageSize`).
const PAGE_SIZE: &str = "1000";

/// What one discovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// The listing was read and recorded.
    Listed {
        accounts: Vec<ListedAccount>,
        changes: ListingChanges,
    },
    /// The key may not list accounts: only the connection's own account is recorded (as
    /// active), and `reason` says why and what to do.
    NotListable { reason: String },
}

impl Discovery {
    /// How many subaccounts were listed.
    pub fn subaccounts(&self) -> usize {
        match self {
            Self::Listed { accounts, .. } => accounts.iter().filter(|a| !a.is_parent).count(),
            Self::NotListable { .. } => 0,
        }
    }
}

/// Why a discovery could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("listing the accounts of connection '{connection}': {source}")]
    Fetch {
        connection: String,
        #[source]
        source: Box<connector::FetchFailed<ListingError>>,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("connection '{connection}': {source}")]
    Secret {
        connection: String,
        #[source]
        source: store::SecretUnavailable,
    },
}

impl From<DiscoveryError> for SyncError {
    fn from(error: DiscoveryError) -> Self {
        match error {
            DiscoveryError::Store(e) => SyncError::Store(e),
            other => SyncError::Store(store::StoreError::Invalid {
                what: "account discovery",
                reason: other.to_string(),
            }),
        }
    }
}

/// A page of the listing that does not read as one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the accounts page {page} is not a listing of accounts: {reason}")]
pub struct ListingError {
    pub page: u32,
    pub reason: String,
}

/// The request that lists a key's accounts.
pub fn listing_request() -> RequestSpec {
    RequestSpec {
        host: "api.twilio.com".into(),
        path: "/2010-04-01/Accounts.json".into(),
        params: vec![Param {
            key: "PageSize".into(),
            value: PAGE_SIZE.into(),
        }],
        headers: vec![],
        pagination: Pagination::NextPage,
    }
}

/// Lists the accounts `credentials` reach, every page (at most the connector's page cap).
pub async fn list_accounts(
    connector: &Connector,
    credentials: &Credentials,
) -> Result<Vec<ListedAccount>, connector::FetchFailed<ListingError>> {
    let mut accounts = Vec::new();
    connector
        .fetch_with(
            credentials,
            &listing_request(),
            None,
            &FetchOptions::default(),
            |page| {
                read_page(
                    page.number,
                    &page.value,
                    &credentials.account_sid,
                    &mut accounts,
                )
            },
        )
        .await?;
    Ok(accounts)
}

fn read_page(
    page: u32,
    value: &Value,
    parent: &AccountSid,
    out: &mut Vec<ListedAccount>,
) -> Result<(), ListingError> {
    let bad = |reason: String| ListingError { page, reason };
    let list = value
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("it has no \"accounts\" list".into()))?;
    for (i, item) in list.iter().enumerate() {
        let text = |key: &str| item.get(key).and_then(Value::as_str);
        let sid = text("sid")
            .ok_or_else(|| bad(format!("account {i} has no \"sid\"")))
            .and_then(|s| AccountSid::parse(s).map_err(|e| bad(format!("account {i}: {e}"))))?;
        let status = text("status")
            .and_then(AccountStatus::parse)
            .filter(|s| *s != AccountStatus::Gone)
            .ok_or_else(|| {
                bad(format!(
                    "account {sid} has status {:?}, expected active, suspended or closed",
                    item.get("status")
                ))
            })?;
        let is_parent = &sid == parent;
        out.push(ListedAccount {
            friendly_name: text("friendly_name")
                .map(str::to_owned)
                .unwrap_or_else(|| sid.to_string()),
            sid,
            status,
            is_parent,
        });
    }
    Ok(())
}

/// Lists `connection`'s accounts and records the listing. A key Twilio refuses the listing to
/// (401 or 403: a Standard key) records the connection's own account alone.
pub async fn discover<S: Store>(
    store: &S,
    connector: &Connector,
    connection: &Connection,
    now_ms: i64,
) -> Result<Discovery, DiscoveryError> {
    let credentials = credentials_of(connection).map_err(|source| DiscoveryError::Secret {
        connection: connection.label.clone(),
        source,
    })?;
    match list_accounts(connector, &credentials).await {
        Ok(mut accounts) => {
            if !accounts.iter().any(|a| a.is_parent) {
                // A key of a subaccount lists only itself; a parent always lists itself too.
                accounts.push(own_account(connection));
            }
            let changes = store
                .record_account_listing(connection.id, &accounts, now_ms)
                .await?;
            Ok(Discovery::Listed { accounts, changes })
        }
        Err(failed) if is_refusal(&failed.error) => {
            let own = [own_account(connection)];
            store
                .record_account_listing(connection.id, &own, now_ms)
                .await?;
            Ok(Discovery::NotListable {
                reason: format!(
                    "Twilio refused to list the accounts of connection '{}' ({}); a Standard API \
                     key cannot list subaccounts: to sync subaccounts, connect with a Main key \
                     of the parent account",
                    connection.label, failed.error
                ),
            })
        }
        Err(failed) => Err(DiscoveryError::Fetch {
            connection: connection.label.clone(),
            source: Box::new(failed),
        }),
    }
}

/// The credentials of `connection`, or why its secret cannot be opened.
pub(crate) fn credentials_of(
    connection: &Connection,
) -> Result<Credentials, store::SecretUnavailable> {
    Ok(Credentials {
        account_sid: connection.account_sid.clone(),
        api_key_sid: connection.api_key_sid.clone(),
        secret: connection.secret()?.clone(),
    })
}

fn own_account(connection: &Connection) -> ListedAccount {
    ListedAccount {
        sid: connection.account_sid.clone(),
        friendly_name: connection.label.clone(),
        status: AccountStatus::Active,
        is_parent: true,
    }
}

fn is_refusal<E: std::error::Error + 'static>(error: &FetchError<E>) -> bool {
    matches!(error, FetchError::Http { error, .. } if matches!(error.status(), Some(401 | 403)))
}
