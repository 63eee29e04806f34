//! Live mode (`sim --live`, issue 22): the simulator's clock runs from the dataset's `now` at a
//! speed factor; as it runs, new messages and calls are created in one account, move through
//! their statuses, and are served by the list endpoints like every generated record; each
//! status change is pushed as Twilio pushes it: a signed status callback (form-encoded,
//! `X-Twilio-Signature` under the account's Auth Token) and an Event Streams webhook batch
//! (CloudEvents JSON, the URL carrying `bodySHA256`), with faults on demand (duplicates,
//! reordering, delays, drops).

/// Faults on the pushed side only (polling stays exact).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveFaults {
    /// Percentage of pushes sent twice.
    pub duplicate_pct: u8,
    /// Percentage of pushes held back and sent after the next one of the same resource.
    pub reorder_pct: u8,
    /// Each push waits a random delay up to this (real milliseconds).
    pub max_delay_ms: u64,
    /// Percentage of pushes never sent.
    pub drop_pct: u8,
}

/// What live mode creates and where it pushes.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// Simulated seconds per real second (1.0: real time).
    pub speed: f64,
    /// New outbound messages per simulated minute.
    pub messages_per_minute: f64,
    /// New outbound calls per simulated minute.
    pub calls_per_minute: f64,
    /// The account whose traffic this is (default: the main account).
    pub account: Option<String>,
    /// Where message status callbacks go (each message's `StatusCallback`).
    pub message_callback: Option<String>,
    /// Where call status callbacks go.
    pub call_callback: Option<String>,
    /// An Event Streams webhook sink.
    pub event_sink: Option<String>,
    pub faults: LiveFaults,
    /// Seeds the live traffic (independent of the dataset's seed).
    pub seed: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            speed: 1.0,
            messages_per_minute: 60.0,
            calls_per_minute: 10.0,
            account: None,
            message_callback: None,
            call_callback: None,
            event_sink: None,
            faults: LiveFaults::default(),
            seed: 1,
        }
    }
}

/// Counters of a live run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveStats {
    pub messages_created: u64,
    pub calls_created: u64,
    /// Status changes made (each pushed zero, one or two times).
    pub status_changes: u64,
    pub callbacks_sent: u64,
    pub event_batches_sent: u64,
    pub pushes_failed: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// Why live mode could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    #[error("speed must be above 0 and at most 3600 (simulated seconds per real second), not {0}")]
    BadSpeed(String),
    #[error("{what} must be at least 0 and at most 100000 per simulated minute, not {value}")]
    BadRate { what: &'static str, value: String },
    #[error("the account {0} is not in this simulator")]
    UnknownAccount(String),
    #[error("{what} is not an http(s) URL: {url}")]
    BadUrl { what: &'static str, url: String },
    #[error("live mode is already running")]
    AlreadyRunning,
}

/// A running live mode; dropping it stops the traffic (records already created stay).
pub struct LiveHandle {
    _private: (),
}

impl LiveHandle {
    pub fn stats(&self) -> LiveStats {
        todo!()
    }

    /// Stops creating and changing records, sends what is still due to be pushed (delays
    /// included), and waits for the pushes in flight.
    pub async fn stop(self) -> LiveStats {
        todo!()
    }
}

impl crate::Sim {
    /// Starts live mode on this simulator (it must run inside a tokio runtime).
    pub fn start_live(&self, config: LiveConfig) -> Result<LiveHandle, LiveError> {
        todo!("{config:?}")
    }

    /// The simulator's clock: the dataset's `now` until live mode starts, then running at its
    /// speed.
    pub fn now(&self) -> jiff::Timestamp {
        todo!()
    }
}
