//! What a simulator is started with: the seed, the fixed clock, the dataset sizes and the faults.

use serde::{Deserialize, Serialize};

use crate::incident::Incident;

/// Everything that determines a simulator: the same `seed`, `now`, `sizes` and `incidents` give
/// the same dataset, byte for byte.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// The fixed clock: data is generated up to this instant, and relative filters
    /// (`-30days`, retention windows, `Today.json`) are computed from it.
    pub now: jiff::Timestamp,
    pub sizes: Sizes,
    pub faults: Faults,
    /// Windows in which the data goes wrong on purpose (see [`Incident`]); records outside
    /// every window are the same as without them.
    pub incidents: Vec<Incident>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            now: jiff::Timestamp::now(),
            sizes: Sizes::default(),
            faults: Faults::default(),
            incidents: Vec::new(),
        }
    }
}

/// The most subaccounts `switchboard sim` generates. Twilio allows 1000 by default, but 1000 at
/// the default volume over 30 days (2 million messages, half a million calls) took 22 s of CPU
/// to generate in a debug build (most of it in the ChaCha stream, unoptimised there), against
/// the ~10 s a test or the demo may wait, so the flag stays at 100. `generate` itself takes any
/// number: a test of paging over 1000 accounts can ask for them at a low volume.
pub const MAX_SUBACCOUNTS: u32 = 100;

/// Dataset size knobs. Per-day figures are averages: the actual count of a day follows a weekly
/// pattern (weekends quieter) and a trend (the last day about 1.5 times the first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sizes {
    pub messages_per_day: u32,
    pub calls_per_day: u32,
    /// Calendar days of history before the day of `now` (the day of `now` is generated up to `now`).
    pub days: u32,
    /// Subaccounts of the main account; each gets its own data at a third of the main volume.
    pub subaccounts: u32,
    pub conferences_per_day: u32,
    pub verify_attempts_per_day: u32,
    /// Incoming phone numbers owned by each account.
    pub phone_numbers: u32,
    /// Messaging services per account.
    pub messaging_services: u32,
    /// Credit in whole USD each account starts with; the balance is this minus the total spend.
    pub starting_credit_usd: u32,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            messages_per_day: 200,
            calls_per_day: 50,
            days: 90,
            subaccounts: 1,
            conferences_per_day: 4,
            verify_attempts_per_day: 20,
            phone_numbers: 4,
            messaging_services: 2,
            starting_credit_usd: 2000,
        }
    }
}

/// Faults the simulator injects on demand. `Faults::default()` injects none. Applies to the
/// Twilio paths only, never to `/__sim/...`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Requests in flight allowed per account; one more gets 429 / 20429 at once. `None` = no limit.
    pub concurrency_limit: Option<u32>,
    /// Share (0..=1) of requests answered 429 / 20429 at random.
    pub rate_429: f64,
    /// Share (0..=1) of requests answered 500 / 20500 at random.
    pub rate_500: f64,
    /// Share (0..=1) of requests answered 503 / 20503 at random.
    pub rate_503: f64,
    /// `Retry-After` seconds sent on every 429; `None` = no `Retry-After` header (Twilio's usual).
    pub retry_after_secs: Option<u64>,
    /// Fixed delay before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Extra random delay, uniform in `0..=jitter_ms`, added to `latency_ms`.
    pub jitter_ms: u64,
    /// Share (0..=1) of successful answers whose JSON body is made syntactically invalid
    /// (status 200, a stray `,` before the closing brace).
    pub malformed_rate: f64,
    /// Share (0..=1) of successful answers whose JSON body is cut to half its length
    /// (status 200, `Content-Length` of the cut body).
    pub truncated_rate: f64,
    /// When set, every successful body is sent in small chunks with a pause between them.
    pub slow_body: Option<SlowBody>,
    /// `Usage/Records/Daily.json` answers 404 / 20404 when the requested
    /// `StartDate..=EndDate` overlaps any of these day ranges (as Twilio does for some accounts).
    pub usage_daily_404: Vec<DayRange>,
    /// Subaccount SIDs the parent's credentials cannot reach: every 2010 resource under
    /// `/Accounts/{sid}` (the Account resource too) answers them 401 / 20003, while the
    /// subaccount still appears in `Accounts.json` and its own credentials work, as an
    /// integrator reported of a parent's API key against some child accounts.
    pub deny_subaccounts: Vec<String>,
}

/// A trickling body: `chunk_bytes` at a time, `interval_ms` apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowBody {
    pub chunk_bytes: usize,
    pub interval_ms: u64,
}

/// An inclusive range of UTC days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayRange {
    pub start: jiff::civil::Date,
    pub end: jiff::civil::Date,
}

impl Faults {
    /// Checks the shares are within 0..=1 and the slow body moves; says which field is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("rate_429", self.rate_429),
            ("rate_500", self.rate_500),
            ("rate_503", self.rate_503),
            ("malformed_rate", self.malformed_rate),
            ("truncated_rate", self.truncated_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        if let Some(slow) = &self.slow_body
            && slow.chunk_bytes == 0
        {
            return Err("slow_body.chunk_bytes must be at least 1".into());
        }
        // Bounded so that no setting can overflow a timer.
        const MAX_DELAY_MS: u64 = 600_000;
        for (name, v) in [
            ("latency_ms", self.latency_ms),
            ("jitter_ms", self.jitter_ms),
        ] {
            if v > MAX_DELAY_MS {
                return Err(format!(
                    "{name} must be at most {MAX_DELAY_MS} (ten minutes), got {v}"
                ));
            }
        }
        if let Some(slow) = &self.slow_body
            && slow.interval_ms > MAX_DELAY_MS
        {
            return Err(format!(
                "slow_body.interval_ms must be at most {MAX_DELAY_MS}, got {}",
                slow.interval_ms
            ));
        }
        if self.concurrency_limit == Some(0) {
            return Err("concurrency_limit must be at least 1 (or null for no limit)".into());
        }
        if let Some(bad) = self.deny_subaccounts.iter().find(|s| !is_account_sid(s)) {
            return Err(format!(
                "deny_subaccounts: {bad:?} is not an Account SID (AC followed by 32 hex digits)"
            ));
        }
        Ok(())
    }
}

/// `^AC[0-9a-fA-F]{32}$`, the spec's pattern of an Account SID.
fn is_account_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("AC") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}
