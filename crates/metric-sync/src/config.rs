//! What a sync is run with, kept apart from the running [`crate::Syncer`].

use std::time::Duration;

pub use domain::HOUR_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// How windows are planned and fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// How far back the first sync of a metric reaches (never before what the endpoint keeps).
    pub backfill: Duration,
    /// Later syncs start this long before the end of the last good sync, because statuses and
    /// prices change after the fact.
    pub lookback: Duration,
    /// The length of one window; a whole number of hours (a day by default). Windows start on
    /// multiples of it (UTC), so they line up from run to run.
    pub window: Duration,
    /// Pages per fetch before a window is split in halves; at most the connector's own cap.
    pub max_pages: Option<u32>,
    /// Windows of one metric fetched at the same time. `None`: the connector's in-flight limit,
    /// which also bounds the requests themselves.
    pub parallel_windows: Option<usize>,
    /// The compressed raw pages kept per connection (see [`store::Store::put_raw_pages`]).
    pub raw_pages_cap_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            backfill: Duration::from_secs(90 * 86_400),
            lookback: Duration::from_secs(2 * 86_400),
            window: Duration::from_secs(86_400),
            max_pages: None,
            parallel_windows: None,
            raw_pages_cap_bytes: 64 << 20,
        }
    }
}

impl SyncConfig {
    /// The window length in milliseconds, rounded to whole hours, at least one hour.
    pub(crate) fn window_ms(&self) -> i64 {
        let hours = (self.window.as_secs() / 3600).max(1);
        i64::try_from(hours).unwrap_or(24) * HOUR_MS
    }
}

pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// The start of the UTC hour holding `ms`.
pub fn hour_floor(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// The first whole UTC hour at or after `ms`.
pub fn hour_ceil(ms: i64) -> i64 {
    let floor = hour_floor(ms);
    if floor == ms { ms } else { floor + HOUR_MS }
}
