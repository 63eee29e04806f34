//! The generated dataset, and its JSON form (what `switchboard sim dump` writes).

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::accounts::{AccountState, AccountStates};
use crate::config::Sizes;
use crate::incident::{Incident, IncidentJson};
use crate::model::*;
use crate::render;
use crate::sid::Sid;
use crate::time::{Iso, MS_PER_DAY, Ymd};

/// Everything the simulator serves. Its JSON (`Serialize`) is the dump: every account with its
/// credentials and every resource exactly as the API renders its records.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub seed: u64,
    /// The fixed clock, epoch milliseconds.
    pub now_ms: i64,
    pub sizes: Sizes,
    /// The first day (days since 1970-01-01) with generated records.
    pub first_day: i64,
    /// The main account first, then its subaccounts.
    pub accounts: Vec<AccountData>,
    /// The incidents the data holds, as configured.
    pub incidents: Vec<Incident>,
}

impl Dataset {
    /// The first (parent) account.
    pub fn main_account(&self) -> &AccountData {
        // `generate` always creates the main account; an empty dataset cannot be built.
        &self.accounts[0]
    }

    pub fn account(&self, sid: &str) -> Option<&AccountData> {
        self.accounts.iter().find(|a| a.sid == sid)
    }

    /// The main account's subaccounts, in the order `Accounts.json` lists them (subaccount 1
    /// first, as `sim --account-state INDEX:STATUS` numbers them).
    pub fn subaccounts(&self) -> impl ExactSizeIterator<Item = &AccountData> {
        self.accounts.iter().skip(1)
    }

    /// The dump with each account's status and friendly name taken from `accounts` (the
    /// `Serialize` of the dataset itself has every account active under its generated name).
    pub fn dump<'a>(&'a self, accounts: &'a AccountStates) -> Dump<'a> {
        Dump {
            data: self,
            accounts,
        }
    }

    pub fn today(&self) -> i64 {
        self.now_ms.div_euclid(MS_PER_DAY)
    }

    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

/// One account: its credentials and its records (each list newest first). Every list holds
/// this account's own records only, never a subaccount's: the records the API serves under
/// `/2010-04-01/Accounts/{sid}/...` for this SID (before retention windows and filters).
#[derive(Clone, Debug)]
pub struct AccountData {
    pub sid: String,
    pub auth_token: String,
    pub friendly_name: String,
    pub owner_account_sid: String,
    /// One Main and one Standard key.
    pub keys: Vec<ApiKeyData>,
    pub date_created: i64,
    pub date_updated: i64,
    pub is_subaccount: bool,
    /// `Messages.json` of this account (newest `date_sent` first; older than
    /// `MESSAGE_RETENTION_DAYS` are kept here but not served).
    pub messages: Vec<Message>,
    /// `Calls.json` of this account (newest `start_time` first).
    pub calls: Vec<Call>,
    pub conferences: Vec<Conference>,
    pub recordings: Vec<Recording>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub messaging_services: Vec<MessagingService>,
    /// Only the last 30 days exist, as on Twilio.
    pub alerts: Vec<Alert>,
    pub verify_service: Sid,
    pub verify_attempts: Vec<VerifyAttempt>,
    /// This account's own usage (`IncludeSubaccounts=false`), computed from its own records:
    /// one entry per day, oldest first, from `Dataset::first_day` to the day of `now`, values
    /// in the order of `model::CATEGORIES`.
    pub usage_days: Vec<UsageDay>,
    /// The usage the API serves by default (`IncludeSubaccounts=true`), same days and order.
    /// For the main account, per day and category, the sum of `usage_days` over every account
    /// of the dataset (itself and each subaccount, whatever its live status): what a roll-up
    /// must not add to its subaccounts' own usage again. For a subaccount, the same as
    /// `usage_days`.
    pub usage_days_total: Vec<UsageDay>,
    /// The family's balance: the main account's starting credit minus the main account's total
    /// spend including subaccounts (`totalprice` of `usage_days_total`), 0.00001 USD. Subaccounts
    /// bill to their parent and report the same balance.
    pub balance: Micros5,
    pub(crate) sid_typed: Sid,
    pub(crate) message_index: HashMap<Sid, u32>,
    pub(crate) call_index: HashMap<Sid, u32>,
    pub(crate) _private: (),
}

impl AccountData {
    pub fn main_key(&self) -> Option<&ApiKeyData> {
        self.keys.iter().find(|k| k.key_type == KeyType::Main)
    }
    pub fn standard_key(&self) -> Option<&ApiKeyData> {
        self.keys.iter().find(|k| k.key_type == KeyType::Standard)
    }
    pub fn account_sid(&self) -> Sid {
        self.sid_typed
    }
}

struct DumpAccount<'a> {
    a: &'a AccountData,
    state: AccountState,
    name: &'a str,
    now_ms: i64,
}

fn seq<'a, S: Serializer, T, I: Serialize>(
    s: S,
    items: &'a [T],
    f: impl Fn(&'a T) -> I,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&f(item))?;
    }
    seq.end()
}

struct With<'a, T, F>(&'a [T], F);

impl<'a, T, I: Serialize, F: Fn(&'a T) -> I> Serialize for With<'a, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, &self.1)
    }
}

impl Serialize for DumpAccount<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.a;
        let now = self.now_ms;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("sid", &a.sid)?;
        map.serialize_entry("auth_token", &a.auth_token)?;
        map.serialize_entry("friendly_name", self.name)?;
        map.serialize_entry("owner_account_sid", &a.owner_account_sid)?;
        map.serialize_entry("is_subaccount", &a.is_subaccount)?;
        // Only for an account not created yet, so a dump without one is what it always was;
        // its `account` shows the status it will have once created.
        if self.state == AccountState::Absent {
            map.serialize_entry("absent", &true)?;
        }
        map.serialize_entry("keys", &a.keys)?;
        let status = self.state.twilio_status().unwrap_or("active");
        map.serialize_entry("account", &render::account(a, status, self.name))?;
        map.serialize_entry("balance", &render::balance(a))?;
        map.serialize_entry(
            "messages",
            &With(&a.messages, |m| render::MessageJson { m, a }),
        )?;
        map.serialize_entry("calls", &With(&a.calls, |c| render::CallJson { c, a }))?;
        map.serialize_entry(
            "conferences",
            &With(&a.conferences, |c| render::conference(c, a)),
        )?;
        map.serialize_entry(
            "recordings",
            &With(&a.recordings, |r| render::recording(r, a)),
        )?;
        map.serialize_entry(
            "incoming_phone_numbers",
            &With(&a.phone_numbers, |p| render::phone_number(p, a)),
        )?;
        map.serialize_entry(
            "messaging_services",
            &With(&a.messaging_services, |m| render::messaging_service(m, a)),
        )?;
        map.serialize_entry("alerts", &With(&a.alerts, |x| render::alert(x, a)))?;
        map.serialize_entry(
            "verify_attempts",
            &With(&a.verify_attempts, |v| render::verify_attempt(v, a)),
        )?;
        map.serialize_entry(
            "call_summaries",
            &With(&a.calls, |c| render::call_summary(c, a)),
        )?;
        // Daily usage, newest day first, categories in a fixed order: as Daily.json serves it
        // by default (with subaccounts), and with `IncludeSubaccounts=false`.
        let daily = |days: &[UsageDay]| {
            let mut out = Vec::with_capacity(days.len() * CATEGORIES.len());
            for d in days.iter().rev() {
                for (cat, v) in CATEGORIES.iter().zip(d.values.iter()) {
                    out.push(render::usage_record(a, now, cat, v, d.day, d.day, "/Daily"));
                }
            }
            out
        };
        map.serialize_entry("usage_records_daily", &daily(&a.usage_days_total))?;
        map.serialize_entry("usage_records_daily_own", &daily(&a.usage_days))?;
        map.end()
    }
}

impl Serialize for Dataset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.dump(&AccountStates::new(self)).serialize(s)
    }
}

/// The dump of a dataset with accounts' statuses and names (`Dataset::dump`).
pub struct Dump<'a> {
    data: &'a Dataset,
    accounts: &'a AccountStates,
}

impl Serialize for Dump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.data;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("seed", &d.seed)?;
        map.serialize_entry("now", &render::Disp(Iso(d.now_ms)))?;
        map.serialize_entry("first_day", &render::Disp(Ymd(d.first_day)))?;
        map.serialize_entry("sizes", &d.sizes)?;
        map.serialize_entry(
            "retention",
            &serde_json::json!({"messages_days": crate::server::MESSAGE_RETENTION_DAYS, "alerts_days": 30}),
        )?;
        // Only when there are any, so a dump without incidents is byte for byte what it was
        // before they existed.
        if !d.incidents.is_empty() {
            map.serialize_entry("incidents", &With(&d.incidents, IncidentJson::from))?;
        }
        map.serialize_entry(
            "accounts",
            &Accounts {
                list: &d.accounts,
                states: self.accounts,
                now_ms: d.now_ms,
            },
        )?;
        map.end()
    }
}

struct Accounts<'a> {
    list: &'a [AccountData],
    states: &'a AccountStates,
    now_ms: i64,
}

impl Serialize for Accounts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.list.len()))?;
        for (i, a) in self.list.iter().enumerate() {
            seq.serialize_element(&DumpAccount {
                a,
                state: self.states.state(i),
                name: self.states.name(i),
                now_ms: self.now_ms,
            })?;
        }
        seq.end()
    }
}
