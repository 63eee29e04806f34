//! The ledger every sync run writes, and what it says about a metric's freshness.

use serde::{Deserialize, Serialize};
use store::{RunStatus, SyncRun};

use crate::plan::Span;

/// What one sync of one metric did, stored as the run's JSON ledger.
///
/// When several metrics share a fetch ([`crate::Syncer::sync_many`]), the request figures are
/// those of the shared fetch and `shared_with` names the other metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunLedger {
    /// `windowed`, `whole` or `snapshot` (see [`crate::Shape`]).
    pub shape: String,
    /// Windows planned at the start.
    pub windows_planned: u32,
    /// Windows whose buckets were replaced (after splits).
    pub windows_stored: u32,
    pub requests: u32,
    pub pages: u32,
    pub bytes: u64,
    pub retries: u32,
    /// Responses with HTTP 429.
    pub throttled: u32,
    /// Fetches stopped by the page cap.
    pub cap_hits: u32,
    /// Windows split in halves after a cap hit.
    pub splits: u32,
    /// Windows stored although the cap cut them short (a single hour, or a request without
    /// date tokens): their data is incomplete.
    pub partial_windows: Vec<Span>,
    pub rows_stored: u64,
    /// Rows dated outside their window (Twilio's filters are wider than the window, e.g. whole
    /// days): not stored, and not lost, since the window holding them fetches them too.
    pub rows_outside_window: u64,
    /// Rows whose value was null or empty.
    pub rows_skipped: u64,
    pub rows_bad: u64,
    /// The first few bad rows, explained.
    pub bad_examples: Vec<String>,
    pub buckets_stored: u64,
    pub shared_with: Vec<i64>,
    /// What happened to the raw pages of this sync (`stored`, `too_large`, `not_kept`, ...).
    pub raw_pages: String,
    /// Whether this run recomputed stored raw pages instead of calling Twilio.
    pub recomputed: bool,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// A multi-account metric: the accounts requested in this run.
    pub accounts_requested: u32,
    /// A multi-account metric: the accounts whose every window was stored.
    pub accounts_read: u32,
    /// A multi-account metric: the accounts not read, and why (in words).
    pub accounts_skipped: Vec<SkippedAccount>,
    /// A multi-account metric: why the accounts could not be listed again, when they could not
    /// (the recorded ones were used).
    pub accounts_listing: Option<String>,
}

/// An account of a multi-account metric that a run did not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SkippedAccount {
    pub account: String,
    pub reason: String,
}

pub(crate) const BAD_EXAMPLES: usize = 5;

impl RunLedger {
    /// Counts one window whose buckets were stored, keeping the first few bad-row examples.
    pub(crate) fn add_stored_window(&mut self, acc: &crate::window::Acc) {
        self.windows_stored += 1;
        self.rows_stored += acc.rows;
        self.rows_outside_window += acc.outside;
        self.rows_skipped += acc.skipped;
        self.rows_bad += acc.bad;
        self.buckets_stored += acc.buckets.len() as u64;
        let room = BAD_EXAMPLES.saturating_sub(self.bad_examples.len());
        self.bad_examples
            .extend(acc.bad_examples.iter().take(room).cloned());
    }

    pub(crate) fn add_fetch(&mut self, fetch: &connector::Ledger) {
        self.requests += fetch.requests;
        self.pages += fetch.pages;
        self.bytes += fetch.bytes;
        self.retries += fetch.retries;
        self.throttled += fetch.throttled;
        if fetch.cap_hit {
            self.cap_hits += 1;
        }
    }

    /// Partial when a window was cut short by the cap or rows were bad.
    pub fn status(&self) -> RunStatus {
        if self.error.is_some() {
            RunStatus::Failed
        } else if !self.partial_windows.is_empty() || self.rows_bad > 0 {
            RunStatus::Partial
        } else {
            RunStatus::Succeeded
        }
    }

    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }
}

/// How much a metric's stored data can be trusted, from its ledgers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Never synced.
    Never,
    /// The last sync succeeded within two intervals.
    Fresh,
    /// The last good sync was partial: some window hit the page cap in a single hour, or rows
    /// were bad.
    Partial,
    /// No good sync within two intervals, or the latest sync failed.
    Stale,
}

/// Reads freshness from the metric's runs, newest first (as [`store::Store::sync_runs`] gives
/// them).
pub fn freshness(runs: &[SyncRun], interval: std::time::Duration, now_ms: i64) -> Freshness {
    let finished: Vec<&SyncRun> = runs
        .iter()
        .filter(|r| r.status != RunStatus::Running)
        .collect();
    let Some(latest) = finished.first() else {
        return Freshness::Never;
    };
    if latest.status == RunStatus::Failed {
        return Freshness::Stale;
    }
    let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX / 4);
    let at = latest.finished_ms.unwrap_or(latest.started_ms);
    if now_ms - at > 2 * interval_ms {
        return Freshness::Stale;
    }
    if latest.status == RunStatus::Partial {
        Freshness::Partial
    } else {
        Freshness::Fresh
    }
}
