//! HTTP Basic as Twilio takes it: an API Key SID + secret, or the Account SID + auth token.

use axum::http::HeaderMap;
use base64::Engine;

use super::error::ApiError;
use crate::accounts::{AccountState, AccountStates};
use crate::config::Faults;
use crate::dataset::Dataset;
use crate::model::KeyType;

/// Who is asking: the account the credentials belong to, and whether they may read the
/// Account and Key resources (auth token or Main key; a Standard key may not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub account: usize,
    pub full_access: bool,
}

/// Constant-time-ish comparison, so the simulator does not teach clients timing habits.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The credentials' account, unless it is closed or not created yet (see `accounts`).
pub fn authenticate(
    data: &Dataset,
    accounts: &AccountStates,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let p = credentials(data, headers)?;
    match accounts.state(p.account) {
        AccountState::Closed | AccountState::Absent => Err(ApiError::unauthenticated()),
        AccountState::Active | AccountState::Suspended => Ok(p),
    }
}

fn credentials(data: &Dataset, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(ApiError::no_credentials());
    };
    let value = value.to_str().map_err(|_| ApiError::unauthenticated())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(ApiError::unauthenticated());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::unauthenticated())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiError::unauthenticated())?;
    let (user, pass) = decoded
        .split_once(':')
        .ok_or_else(ApiError::unauthenticated)?;
    if user.starts_with("AC") {
        for (i, a) in data.accounts.iter().enumerate() {
            if a.sid == user && same(&a.auth_token, pass) {
                return Ok(Principal {
                    account: i,
                    full_access: true,
                });
            }
        }
    } else if user.starts_with("SK") {
        for (i, a) in data.accounts.iter().enumerate() {
            for k in &a.keys {
                if k.sid == user && same(&k.secret, pass) {
                    return Ok(Principal {
                        account: i,
                        full_access: k.key_type == KeyType::Main,
                    });
                }
            }
        }
    }
    Err(ApiError::unauthenticated())
}

/// Whether `principal` may read account `target`: its own, or a subaccount of it (Twilio lets a
/// parent's credentials reach its subaccounts on the 2010 API).
pub fn may_access(data: &Dataset, principal: Principal, target: usize) -> bool {
    if principal.account == target {
        return true;
    }
    match (
        data.accounts.get(principal.account),
        data.accounts.get(target),
    ) {
        (Some(p), Some(t)) => t.is_subaccount && t.owner_account_sid == p.sid,
        _ => false,
    }
}

/// How the resources of an account in `state` are refused, if they are (`accounts` says why).
pub fn state_refusal(state: AccountState, path: &str) -> Option<ApiError> {
    match state {
        AccountState::Active => None,
        AccountState::Suspended => Some(ApiError::new(403, 20005, "Account not active")),
        AccountState::Closed => Some(ApiError::unauthenticated()),
        AccountState::Absent => Some(ApiError::not_found(path)),
    }
}

/// Whether the `deny_subaccounts` fault keeps `principal` out of account `target`: only a
/// parent's credentials are kept out, never the subaccount's own.
pub fn denied(data: &Dataset, faults: &Faults, principal: Principal, target: usize) -> bool {
    principal.account != target
        && data.accounts.get(target).is_some_and(|t| {
            faults
                .deny_subaccounts
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&t.sid))
        })
}
