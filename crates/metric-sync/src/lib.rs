//! Keeps every metric in use fresh and exact.
//!
//! The flow of one sync is request → pages → rows → buckets:
//!
//! 1. [`plan`] chooses UTC windows `[from, to)` on whole hours: the first sync backfills
//!    (90 days by default, never earlier than the endpoint keeps), later ones start a look-back
//!    (2 days) before the end of the last good sync, up to now.
//! 2. [`Syncer`] fetches the windows in parallel through the [`connector::Connector`] (whose
//!    per-account in-flight limit bounds the requests), evaluates each metric's expression on
//!    each page as it arrives, keeps the rows dated inside the window, folds them into hourly
//!    buckets and replaces the window's buckets in one transaction. A window that hits the page
//!    cap is split in halves and fetched again; a single hour still capped is stored and marked
//!    partial. Metrics whose requests are the same fetch once per run (the shared fetch plan).
//! 3. Every run writes a ledger ([`RunLedger`]), from which [`freshness`] tells fresh, partial
//!    and stale apart; the raw pages of the last sync of each request are kept once for the
//!    metrics sharing it, pruned to the fields their expressions read, compressed and sealed
//!    ([`raw`]), so a changed expression can be recomputed
//!    ([`Syncer::recompute_from_raw_pages`]) or previewed ([`preview_stored`]) without calling
//!    Twilio; an expression reading a field the pages lack is recomputed by fetching again.
//! 4. [`Scheduler::tick`] enqueues the metrics in use that are due; [`Worker::try_execute_job`]
//!    takes one job with a lease and does it; [`run_worker`] loops over that.
//!
//! 5. [`redact_stored_credentials`] is a one-time upgrade step for stores written before the
//!    connector redacted credentials (run by the binary when it opens a store).
//!
//! [`accounts`] discovers a connection's accounts (its own and its subaccounts) and records them.
//!
//! [`presence`] records which `serve` and `worker` processes use the store.
//!
//! Time is always passed in (`now`), or read from a [`Clock`], so tests decide what now is.

pub mod accounts;
mod buckets;
mod config;
mod error;
mod ledger;
mod per_account;
mod plan;
pub mod presence;
pub mod raw;
mod recompute;
mod retention;
mod run;
mod schedule;
mod target;
mod upgrade;
mod window;
mod worker;

pub use accounts::{Discovery, DiscoveryError, discover};
pub use buckets::{buckets, buckets_viewed, to_hour_bucket, to_row};
pub use config::{DAY_MS, HOUR_MS, RawPagesSetting, SyncConfig, hour_ceil, hour_floor};
pub use error::{PageError, PageProblem, SyncError};
pub use ledger::{Freshness, RunLedger, SkippedAccount, freshness};
pub use plan::{Plan, Shape, Span, has_date_tokens, plan, plan_range};
pub use raw::{StoredPage, decode as decode_raw_page};
pub use recompute::{preview_stored, stored_pages};
pub use retention::retention_of;
pub use run::{Progress, ProgressEvent, SyncOptions, SyncReport, Syncer};
pub use schedule::{
    DEFAULT_INTERVAL, Due, MIN_INTERVAL, SYNC_JOB, SYNC_JOB_KEY_PREFIX, Schedule, Scheduler,
    SyncJob, Tick, interval_or, share_groups,
};
pub use target::uses_sync_time;
pub use upgrade::{CredentialScrub, REDACT_CREDENTIALS_STEP, redact_stored_credentials};
pub use worker::{Clock, Outcome, SCHEDULE_EVERY, SystemClock, Worker, WorkerConfig, run_worker};
