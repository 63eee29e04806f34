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
    /// The sealed raw pages kept per connection (see [`store::Store::put_raw_pages`]).
    pub raw_pages_cap_bytes: u64,
    /// Whether raw pages are kept at all.
    pub raw_pages: RawPagesSetting,
}

/// Whether syncs keep their raw pages (pruned to the fields their metrics read, sealed), so an
/// edited expression is recomputed without calling Twilio. Off: nothing is kept, and every
/// recompute fetches again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RawPagesSetting {
    #[default]
    On,
    Off,
}

impl std::str::FromStr for RawPagesSetting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "on" => Ok(RawPagesSetting::On),
            "off" => Ok(RawPagesSetting::Off),
            other => Err(format!(
                "'{other}' is not a raw pages setting: give 'on' (keep pruned, sealed pages to \
                 recompute from) or 'off' (keep none)"
            )),
        }
    }
}

impl std::fmt::Display for RawPagesSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RawPagesSetting::On => "on",
            RawPagesSetting::Off => "off",
        })
    }
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
            raw_pages: RawPagesSetting::On,
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
