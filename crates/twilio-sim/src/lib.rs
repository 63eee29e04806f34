//! A faithful simulator of the Twilio REST API (the GET side), for tests, benchmarks and the
//! demo mode.
//!
//! * **Data**: [`generate`] builds a [`Dataset`] deterministically from a seed, a fixed clock
//!   (`now`) and [`Sizes`]. Usage Records are computed from the generated messages, calls,
//!   recordings and phone numbers (see the `usage` module docs for the exact rule) and the
//!   balance is the main account's starting credit minus the spend of it and its subaccounts. The dataset's JSON
//!   (`serde::Serialize`) is the `switchboard sim dump` output: every resource exactly as the API
//!   renders it, grouped per account, with credentials.
//! * **HTTP**: [`spawn`] serves on a loopback port; [`serve`] on a given listener; [`router`]
//!   for in-process tower tests. Clients send `Host: api.twilio.com` (or `messaging.`,
//!   `monitor.`, `verify.`, `insights.`) and HTTP Basic auth.
//! * **Choices where Twilio's behaviour is not documented**: `PageSize` above 1000 is clamped to
//!   1000; another account's SID in a 2010 path answers 401 / 20003 (a parent account's
//!   credentials may read its subaccounts); a 2010 path without `.json` answers 404 / 20404;
//!   Usage lists without `StartDate` start at the first generated day; Usage Records default to
//!   `IncludeSubaccounts=true` as on Twilio (the main account's figures add its subaccounts');
//!   subaccounts bill to their parent and report the parent's balance; messages older than 400 days and alerts older than 30 days are not
//!   served (the dump still holds every generated message).
//! * **Faults** ([`Faults`]) are set at start or at run time through `PUT /__sim/faults`.
//! * **Accounts' statuses** ([`AccountState`]: active, suspended, closed, or absent = not
//!   created yet) and friendly names live in the running [`Sim`], not in the dataset: set at
//!   start (`sim --account-state INDEX:STATUS`, [`Sim::set_start_states`]) or at run time
//!   ([`Sim::set_account_state`], [`Sim::rename_account`], `PUT /__sim/accounts/{sid}`). How
//!   the API answers for each is in the `accounts` module docs; the records never change, so a
//!   closed account keeps its history in the dump.
//! * **Incidents** ([`Incident`], `--incident DATE:KIND[:HOURS]`) bend the data inside chosen
//!   windows (carrier filtering, a voice outage, a traffic drop, a spend spike; see the
//!   `incident` module docs) and leave every record outside them as it would be without; the
//!   dump lists them under `incidents` (absent when there are none, so such a dump is the same
//!   as before incidents existed).
//! * **Live mode** ([`Sim::start_live`], `sim --live`, [`LiveConfig`]): the clock
//!   ([`Sim::now`]) runs from the dataset's `now` at a speed factor; new outbound messages and
//!   calls arrive in one account (Poisson, rates per simulated minute, deterministic order from
//!   their own seed), move through their statuses and are listed in front of the generated
//!   records by `Messages.json` / `Calls.json` (filters and page tokens included) and served by
//!   the single-record GETs, rendered as every record is. Each status change after the first
//!   is pushed as Twilio pushes it: a form status callback and an Event Streams CloudEvent
//!   (batched every 250 ms, the URL carrying `bodySHA256`), both signed with the account's
//!   auth token, with duplicates, reordering, delays and drops on demand ([`LiveFaults`]);
//!   [`LiveHandle::stop`] sends what is still due and returns the counters, also served at
//!   `GET /__sim/live`. Usage Records, alerts and the balance do not include live traffic.

mod accounts;
mod config;
mod dataset;
mod fast;
mod generate;
mod incident;
mod live;
pub mod model;
mod render;
mod server;
mod sid;
mod time;
mod usage;

pub use accounts::{AccountError, AccountState, AccountStates, MAX_FRIENDLY_NAME, StartState};
pub use config::{DayRange, Faults, MAX_SUBACCOUNTS, SimConfig, Sizes, SlowBody};
pub use dataset::{AccountData, Dataset, Dump};
pub use incident::{
    Change, DEFAULT_HOURS, DEFAULT_START_HOUR, Effect, Incident, IncidentError, IncidentKind,
    MAX_HOURS,
};
pub use live::{LiveConfig, LiveError, LiveFaults, LiveHandle, LiveStats};
pub use model::{ApiKeyData, KeyType};
pub use server::{
    ALERT_RETENTION_DAYS, ApiError, LoggedRequest, MESSAGE_RETENTION_DAYS, Sim, SimHandle,
    product_of, router, serve, spawn, spawn_sim,
};
pub use sid::Sid;

/// Builds the dataset of `config` (deterministic from its seed, `now` and sizes).
pub fn generate(config: &SimConfig) -> Dataset {
    generate::generate(config)
}

/// Every account's SID, auth token and API keys (SID, secret, type): what `switchboard sim`
/// prints and `GET /__sim/credentials` returns.
pub fn credentials(data: &Dataset) -> serde_json::Value {
    serde_json::Value::Array(
        data.accounts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "account_sid": a.sid,
                    "auth_token": a.auth_token,
                    "friendly_name": a.friendly_name,
                    "is_subaccount": a.is_subaccount,
                    "keys": a.keys,
                })
            })
            .collect(),
    )
}
