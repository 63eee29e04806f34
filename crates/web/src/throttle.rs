//! Password-guessing limits, for every check of a password (signing in, changing one's own).
//!
//! A check reserves its place before the password is verified, in one atomic step of the
//! [`Accounts`] (shared by every process on the database): at most [`MAX_FAILURES`] checks of
//! one account from one client address, and [`MAX_ADDRESS_FAILURES`] from one address across
//! all names, within [`WINDOW_MS`]. A reservation stays as a failure unless the password
//! matched. Locking (account, address) rather than the account means a client flooding a real
//! user's name locks only itself out; the per-address limit bounds guessing across names.

use axum::http::Extensions;

use crate::accounts::{Accounts, AttemptLimit, AttemptReservation, token_hash};
use crate::error::WebError;

/// Checks of one account's password from one client address within the window.
pub const MAX_FAILURES: usize = 5;
/// Checks from one client address, whatever the names, within the window.
pub const MAX_ADDRESS_FAILURES: usize = 20;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Where a request came from, as the throttle counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(String);

impl ClientAddr {
    /// The request's client as [`crate::client`] decided it (behind a trusted proxy, the
    /// address it forwarded for); a request without a peer (in-process tests) counts as one
    /// unknown client.
    pub fn of(extensions: &Extensions) -> Self {
        ClientAddr(crate::client::Client::of(extensions).addr_text())
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

/// The key of one account's checks from one address. The name is hashed so a made-up name of
/// any length is stored as a fixed-size key.
fn account_key(name: &str, client: &ClientAddr) -> String {
    format!(
        "account:{}:{}",
        client.0,
        token_hash(&name.trim().to_lowercase())
    )
}

fn address_key(client: &ClientAddr) -> String {
    format!("address:{}", client.0)
}

/// A password check that passed the limits; it counts as a failure unless [`Self::succeeded`].
#[must_use = "an attempt counts as a failure unless it is marked as succeeded"]
pub struct Attempt {
    ids: Vec<i64>,
    account_key: String,
}

/// Reserves a check of `name`'s password from `client`, or says how long to wait.
pub async fn reserve(
    accounts: &dyn Accounts,
    name: &str,
    client: &ClientAddr,
    now_ms: i64,
) -> Result<Attempt, WebError> {
    let account_key = account_key(name, client);
    let address_key = address_key(client);
    let limits = [
        AttemptLimit {
            key: &account_key,
            max: MAX_FAILURES as u32,
        },
        AttemptLimit {
            key: &address_key,
            max: MAX_ADDRESS_FAILURES as u32,
        },
    ];
    match accounts
        .reserve_login_attempt(&limits, WINDOW_MS, now_ms)
        .await?
    {
        AttemptReservation::Reserved(ids) => Ok(Attempt { ids, account_key }),
        AttemptReservation::Blocked { until_ms } => {
            let secs = u64::try_from(until_ms - now_ms).unwrap_or(0).div_ceil(1000);
            Err(WebError::Throttled(secs.max(1)))
        }
    }
}

impl Attempt {
    /// The password was never checked (the server was too busy to): the attempt does not count.
    pub async fn unchecked(self, accounts: &dyn Accounts) -> Result<(), WebError> {
        accounts.release_login_attempts(&self.ids).await?;
        Ok(())
    }

    /// The password matched: forget this check, and the account's failures from this address
    /// (not the address's failures on other names).
    pub async fn succeeded(self, accounts: &dyn Accounts, now_ms: i64) -> Result<(), WebError> {
        accounts.release_login_attempts(&self.ids).await?;
        accounts
            .clear_login_attempts(&self.account_key, now_ms - WINDOW_MS)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_accounts_and_addresses_whatever_the_names_case_or_length() {
        let a = ClientAddr("192.0.2.1".to_owned());
        let b = ClientAddr("192.0.2.2".to_owned());
        assert_eq!(account_key("Ada", &a), account_key(" ada ", &a));
        assert_ne!(account_key("ada", &a), account_key("ada", &b));
        assert_ne!(account_key("ada", &a), account_key("bob", &a));
        assert_eq!(
            account_key(&"x".repeat(100_000), &a).len(),
            account_key("x", &a).len()
        );
        assert_ne!(address_key(&a), address_key(&b));
    }
}
