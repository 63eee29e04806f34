//! Live mode (`sim --live`, issue 22): the simulator's clock runs from the dataset's `now` at a
//! speed factor; as it runs, new messages and calls are created in one account, move through
//! their statuses, and are served by the list endpoints like every generated record; each
//! status change is pushed as Twilio pushes it: a signed status callback (form-encoded,
//! `X-Twilio-Signature` under the account's Auth Token) and an Event Streams webhook batch
//! (CloudEvents JSON, the URL carrying `bodySHA256`), with faults on demand (duplicates,
//! reordering, delays, drops).
//!
//! Only the order of what happens is reproducible from the seed (which records, which statuses,
//! which pushes are faulted): every choice is drawn in simulated-time order, while the instant a
//! step is taken is real time scaled by the speed. Usage Records do not include live traffic.

mod push;
pub(crate) mod records;
mod sign;
mod traffic;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use crate::Sim;
use records::LiveRecords;

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
    #[error("{what} is a percentage: at most 100, not {value}")]
    BadPercent { what: &'static str, value: u8 },
    #[error("live mode needs a tokio runtime to run in")]
    NoRuntime,
    #[error("could not build the HTTP client that pushes: {0}")]
    Client(String),
}

/// The live side of a `Sim`: the running clock, the live records, the counters.
#[derive(Default)]
pub(crate) struct Shared {
    clock: RwLock<Option<Clock>>,
    running: AtomicBool,
    stats: Mutex<LiveStats>,
    /// The speed of the current (or last) run, for `/__sim/live`.
    speed: Mutex<Option<f64>>,
    pub(crate) records: RwLock<LiveRecords>,
}

/// Simulated time runs from `base_ms` at `speed` from the real instant `started`, until
/// `frozen_ms` is set (live mode stopped).
#[derive(Clone, Copy)]
struct Clock {
    base_ms: i64,
    started: Instant,
    speed: f64,
    frozen_ms: Option<i64>,
}

impl Clock {
    fn now_ms(&self) -> i64 {
        self.frozen_ms.unwrap_or_else(|| {
            let elapsed = self.started.elapsed().as_secs_f64() * self.speed * 1000.0;
            self.base_ms.saturating_add(elapsed as i64)
        })
    }
}

impl Shared {
    pub(crate) fn stats(&self) -> LiveStats {
        match self.stats.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn count(&self, change: impl FnOnce(&mut LiveStats)) {
        match self.stats.lock() {
            Ok(mut s) => change(&mut s),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    pub(crate) fn speed(&self) -> Option<f64> {
        self.speed.lock().map(|s| *s).unwrap_or(None)
    }

    pub(crate) fn read_records(&self) -> std::sync::RwLockReadGuard<'_, LiveRecords> {
        match self.records.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn write_records(&self) -> std::sync::RwLockWriteGuard<'_, LiveRecords> {
        match self.records.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn clock(&self) -> Option<Clock> {
        self.clock.read().map(|c| *c).unwrap_or(None)
    }

    fn set_clock(&self, clock: Option<Clock>) {
        match self.clock.write() {
            Ok(mut c) => *c = clock,
            Err(poisoned) => *poisoned.into_inner() = clock,
        }
    }

    /// Stops the clock where it is.
    fn freeze(&self) {
        if let Some(mut clock) = self.clock()
            && clock.frozen_ms.is_none()
        {
            clock.frozen_ms = Some(clock.now_ms());
            self.set_clock(Some(clock));
        }
    }

    /// Live mode has sent all it had to: another run may start.
    fn finish(&self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

/// A running live mode; dropping it stops the traffic (records already created stay; pushes
/// still due are sent in the background).
pub struct LiveHandle {
    sim: Sim,
    stop: tokio::sync::watch::Sender<bool>,
    driver: Option<tokio::task::JoinHandle<()>>,
}

impl LiveHandle {
    pub fn stats(&self) -> LiveStats {
        self.sim.live().stats()
    }

    /// Stops creating and changing records, sends what is still due to be pushed (delays
    /// included), and waits for the pushes in flight.
    pub async fn stop(mut self) -> LiveStats {
        let _ = self.stop.send(true);
        if let Some(driver) = self.driver.take() {
            // A panicked driver has nothing left to send; its counters stand as they are.
            let _ = driver.await;
        }
        self.sim.live().stats()
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl LiveConfig {
    /// Checks every setting but the account (which needs the dataset): what a CLI can refuse
    /// before it generates any data.
    pub fn validate(&self) -> Result<(), LiveError> {
        if !(self.speed.is_finite() && self.speed > 0.0 && self.speed <= 3600.0) {
            return Err(LiveError::BadSpeed(self.speed.to_string()));
        }
        for (what, value) in [
            ("messages_per_minute", self.messages_per_minute),
            ("calls_per_minute", self.calls_per_minute),
        ] {
            if !(value.is_finite() && (0.0..=100_000.0).contains(&value)) {
                return Err(LiveError::BadRate {
                    what,
                    value: value.to_string(),
                });
            }
        }
        for (what, url) in [
            ("message_callback", &self.message_callback),
            ("call_callback", &self.call_callback),
            ("event_sink", &self.event_sink),
        ] {
            if let Some(url) = url
                && !is_http_url(url)
            {
                return Err(LiveError::BadUrl {
                    what,
                    url: url.clone(),
                });
            }
        }
        let f = &self.faults;
        for (what, value) in [
            ("duplicate_pct", f.duplicate_pct),
            ("reorder_pct", f.reorder_pct),
            ("drop_pct", f.drop_pct),
        ] {
            if value > 100 {
                return Err(LiveError::BadPercent { what, value });
            }
        }
        Ok(())
    }

    /// Every setting checked against `data`; the account's index when they are all right.
    fn check(&self, data: &crate::Dataset) -> Result<usize, LiveError> {
        self.validate()?;
        match &self.account {
            None => Ok(0),
            Some(sid) => data
                .accounts
                .iter()
                .position(|a| a.sid.eq_ignore_ascii_case(sid.trim()))
                .ok_or_else(|| LiveError::UnknownAccount(sid.clone())),
        }
    }
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

impl crate::Sim {
    /// Starts live mode on this simulator (it must run inside a tokio runtime).
    pub fn start_live(&self, config: LiveConfig) -> Result<LiveHandle, LiveError> {
        let account = config.check(self.dataset())?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| LiveError::NoRuntime)?;
        let live = self.live();
        if live
            .running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(LiveError::AlreadyRunning);
        }
        let driver = match traffic::Driver::new(self.clone(), account, config.clone()) {
            Ok(driver) => driver,
            Err(e) => {
                live.finish();
                return Err(e);
            }
        };
        // A second run continues from where the first one stopped the clock.
        live.set_clock(Some(Clock {
            base_ms: self.now_ms(),
            started: Instant::now(),
            speed: config.speed,
            frozen_ms: None,
        }));
        if let Ok(mut s) = live.speed.lock() {
            *s = Some(config.speed);
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let driver = runtime.spawn(driver.run(stopped));
        Ok(LiveHandle {
            sim: self.clone(),
            stop,
            driver: Some(driver),
        })
    }

    /// The simulator's clock: the dataset's `now` until live mode starts, then running at its
    /// speed (and standing still again once live mode stops).
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    pub(crate) fn now_ms(&self) -> i64 {
        match self.live().clock() {
            Some(clock) => clock.now_ms(),
            None => self.dataset().now_ms,
        }
    }

    /// The counters of the current (or last) live run.
    pub fn live_stats(&self) -> LiveStats {
        self.live().stats()
    }
}
