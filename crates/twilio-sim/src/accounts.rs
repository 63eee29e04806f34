//! Accounts' live status and friendly names. A test changes them while the simulator runs (a
//! subaccount closed mid-way, one that appears at the next sync, a rename), so they live beside
//! the faults in `Sim`, never in the `Dataset`, whose records stay as generated whatever the
//! status: a closed account keeps its history in the dump and in `Sim::dataset`.
//!
//! How the API answers for each status (Twilio documents the statuses, not every answer):
//!
//! * `active`: as before.
//! * `suspended`: the Account resource and `Accounts.json` show it; its other resources answer
//!   403 / 20005 "Account not active" (Twilio's error 20005: "Your Twilio account is not active";
//!   error 10001 says a suspended account cannot use the API "until it is reactivated"). The
//!   HTTP status 403 is our choice: the error pages do not give one. Its own credentials still
//!   authenticate, so it can read its Account resource and see why.
//! * `closed`: the Account resource and `Accounts.json` show it (Twilio: "your closed subaccount
//!   will still appear in your accounts list"); its other resources answer 401 / 20003
//!   "Authenticate", as integrators report for closed accounts' credentials, and its own
//!   credentials no longer authenticate. Twilio's subaccount guide says history stays readable
//!   until a closed account is deleted (30 days); we refuse at once, the stricter case, so a
//!   client that keeps requesting a closed account learns it in tests.
//! * `absent`: not created yet (a test device, not a Twilio status): missing from
//!   `Accounts.json`, its Account resource and every other resource answer 404 / 20404, and its
//!   credentials do not authenticate. Its records exist in the dataset all along, so when it
//!   becomes active it has the history a newly found account brings (and the parent's usage with
//!   subaccounts counted it all along: usage is generated once).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;

/// An account's status: Twilio's three, and `Absent` for an account not created yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    #[default]
    Active,
    Suspended,
    Closed,
    Absent,
}

impl AccountState {
    pub const ALL: [AccountState; 4] = [
        AccountState::Active,
        AccountState::Suspended,
        AccountState::Closed,
        AccountState::Absent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Suspended => "suspended",
            AccountState::Closed => "closed",
            AccountState::Absent => "absent",
        }
    }

    /// The Account resource's `status`; `None` for an account that does not exist yet.
    pub fn twilio_status(self) -> Option<&'static str> {
        match self {
            AccountState::Absent => None,
            s => Some(s.as_str()),
        }
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountState {
    type Err = AccountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountState::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| AccountError::UnknownState(s.to_string()))
    }
}

/// What `sim --account-state INDEX:STATUS` names: a subaccount by its number (from 1, in the
/// order the simulator lists them) and the status it starts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartState {
    pub subaccount: u32,
    pub state: AccountState,
}

impl FromStr for StartState {
    type Err = AccountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AccountError::BadStartState(s.to_string());
        let (index, state) = s.split_once(':').ok_or_else(bad)?;
        let subaccount: u32 = index.trim().parse().map_err(|_| bad())?;
        if subaccount == 0 {
            return Err(bad());
        }
        Ok(StartState {
            subaccount,
            state: state.parse()?,
        })
    }
}

impl fmt::Display for StartState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.subaccount, self.state)
    }
}

/// Twilio's limit on an account's friendly name.
pub const MAX_FRIENDLY_NAME: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("{0:?} is not an account status: use active, suspended, closed or absent")]
    UnknownState(String),
    #[error(
        "{0:?} is not INDEX:STATUS (a subaccount's number from 1, then its status), e.g. 3:closed"
    )]
    BadStartState(String),
    #[error("subaccount {index} does not exist: there are {count} subaccounts, numbered from 1")]
    NoSuchSubaccount { index: u32, count: usize },
    #[error("no account {0} in the simulator")]
    UnknownAccount(String),
    #[error("the main account {0} cannot be absent: its subaccounts belong to it")]
    MainAbsent(String),
    #[error("a friendly name has 1 to {MAX_FRIENDLY_NAME} characters; {0:?} does not")]
    BadName(String),
}

/// Every account's status and friendly name, by position in `Dataset::accounts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountStates {
    states: Vec<AccountState>,
    names: Vec<String>,
    sids: Vec<String>,
}

impl AccountStates {
    /// Every account active, under its generated name.
    pub fn new(data: &Dataset) -> AccountStates {
        AccountStates {
            states: vec![AccountState::Active; data.accounts.len()],
            names: data
                .accounts
                .iter()
                .map(|a| a.friendly_name.clone())
                .collect(),
            sids: data.accounts.iter().map(|a| a.sid.clone()).collect(),
        }
    }

    /// Every account active except the subaccounts `start` names.
    pub fn starting(data: &Dataset, start: &[StartState]) -> Result<AccountStates, AccountError> {
        let mut states = AccountStates::new(data);
        for s in start {
            let count = data.accounts.len().saturating_sub(1);
            let index = s.subaccount as usize;
            if index == 0 || index > count {
                return Err(AccountError::NoSuchSubaccount {
                    index: s.subaccount,
                    count,
                });
            }
            states.states[index] = s.state;
        }
        Ok(states)
    }

    /// The status of the account at `index` in `Dataset::accounts` (active past the end).
    pub fn state(&self, index: usize) -> AccountState {
        self.states.get(index).copied().unwrap_or_default()
    }

    /// The friendly name of the account at `index` (empty past the end).
    pub fn name(&self, index: usize) -> &str {
        self.names.get(index).map_or("", String::as_str)
    }

    /// The position of the account `sid`.
    pub fn index_of(&self, sid: &str) -> Option<usize> {
        self.sids.iter().position(|s| s == sid)
    }

    /// The status of the account `sid`.
    pub fn state_of(&self, sid: &str) -> Option<AccountState> {
        self.index_of(sid).map(|i| self.state(i))
    }

    /// The friendly name of the account `sid`.
    pub fn name_of(&self, sid: &str) -> Option<&str> {
        self.index_of(sid).map(|i| self.name(i))
    }

    pub(crate) fn set(&mut self, sid: &str, state: AccountState) -> Result<(), AccountError> {
        let i = self
            .index_of(sid)
            .ok_or_else(|| AccountError::UnknownAccount(sid.to_string()))?;
        if i == 0 && state == AccountState::Absent {
            return Err(AccountError::MainAbsent(sid.to_string()));
        }
        self.states[i] = state;
        Ok(())
    }

    pub(crate) fn rename(&mut self, sid: &str, name: &str) -> Result<(), AccountError> {
        let i = self
            .index_of(sid)
            .ok_or_else(|| AccountError::UnknownAccount(sid.to_string()))?;
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_FRIENDLY_NAME || name.trim().is_empty() {
            return Err(AccountError::BadName(name.to_string()));
        }
        self.names[i] = name.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_state_reads_index_and_status() {
        assert_eq!(
            "3:closed".parse::<StartState>(),
            Ok(StartState {
                subaccount: 3,
                state: AccountState::Closed
            })
        );
        assert_eq!(
            "12:absent".parse::<StartState>().map(|s| s.to_string()),
            Ok("12:absent".to_string())
        );
    }

    #[test]
    fn start_state_refuses_index_zero_a_missing_colon_and_an_unknown_status() {
        for bad in ["0:closed", "closed", "x:closed", "-1:closed"] {
            assert_eq!(
                bad.parse::<StartState>(),
                Err(AccountError::BadStartState(bad.to_string())),
                "{bad}"
            );
        }
        assert_eq!(
            "2:gone".parse::<StartState>(),
            Err(AccountError::UnknownState("gone".to_string()))
        );
    }
}
