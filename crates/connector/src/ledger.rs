//! What one fetch spent.

use serde::{Serialize, Serializer};
use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// Pages received and handed to the caller.
    pub pages: u32,
    /// Body bytes received (after decompression) in those pages.
    pub bytes: u64,
    /// Attempts that were retries of a failed request.
    pub retries: u32,
    /// Responses with HTTP 429.
    pub throttled: u32,
    /// Time spent waiting between attempts.
    #[serde(rename = "backoff_wait_ms", serialize_with = "millis")]
    pub backoff_wait: Duration,
    /// Whether the page cap stopped the fetch while Twilio still offered a next page. The result
    /// is then incomplete: a caller should narrow the window and fetch again.
    pub cap_hit: bool,
    /// The cap that applied to this fetch.
    pub page_cap: u32,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pages, {} requests, {} bytes, {} retries, {} throttled (429), {} ms backing off, {} ms in all",
            self.pages,
            self.requests,
            self.bytes,
            self.retries,
            self.throttled,
            self.backoff_wait.as_millis(),
            self.duration.as_millis()
        )?;
        if self.cap_hit {
            write!(
                f,
                "; STOPPED at the cap of {} pages with more pages left",
                self.page_cap
            )?;
        }
        Ok(())
    }
}
