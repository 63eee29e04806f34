//! The request log tests read to see what a client did.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

/// One Twilio request as the simulator answered it (admin requests are not logged).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoggedRequest {
    pub host: String,
    pub method: String,
    /// The path as received (still percent-encoded).
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    pub status: u16,
    /// The account the credentials belong to; `None` when authentication failed.
    pub account_sid: Option<String>,
    pub request_id: String,
    /// Wall-clock time the request arrived.
    pub started_at: jiff::Timestamp,
    /// Wall-clock time the response head was ready (a slow body keeps sending after this).
    pub finished_at: jiff::Timestamp,
    pub duration_ms: f64,
}

/// At most this many entries are kept; the oldest go first.
const CAPACITY: usize = 200_000;

#[derive(Default)]
pub(crate) struct RequestLog {
    pub entries: VecDeque<LoggedRequest>,
    pub peak: u32,
    pub peak_by_account: HashMap<String, u32>,
}

impl RequestLog {
    pub fn push(&mut self, entry: LoggedRequest) {
        if self.entries.len() >= CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn saw_concurrency(&mut self, account: &str, count: u32) {
        self.peak = self.peak.max(count);
        let p = self.peak_by_account.entry(account.to_string()).or_default();
        *p = (*p).max(count);
    }
}
