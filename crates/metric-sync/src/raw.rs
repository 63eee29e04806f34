//! The raw pages of a request's last sync, as this crate hands them to the store.
//!
//! What is kept: of each page, only the fields the expressions of the metrics sharing the fetch
//! can read ([`metric::fields_read`], the engine's analysis; an expression it cannot follow,
//! such as one with a wildcard or `$keys`, keeps whole pages), so a message body or a phone
//! number no metric reads is never stored. The pages of one request are stored once per
//! connection, for all the metrics reading them, and the store seals them with the master key.
//!
//! Each stored page is gzip over `{"from_ms": F, "to_ms": T, "page": PAGE}`: the page keeps the
//! window it was fetched for, because a recompute must keep only the rows inside it, exactly as
//! the sync did. Compressing each page as it arrives keeps a long backfill's memory small; this
//! is the only compression (the store frames the pages and seals them).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Deserialize;
use serde_json::Value;

use crate::config::RawPagesSetting;
use crate::plan::Span;

/// One stored page with its window.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredPage {
    pub from_ms: i64,
    pub to_ms: i64,
    pub page: Value,
}

impl StoredPage {
    pub fn span(&self) -> Span {
        Span {
            from_ms: self.from_ms,
            to_ms: self.to_ms,
        }
    }
}

pub(crate) fn encode(span: Span, page: &Value) -> std::io::Result<Vec<u8>> {
    // Serialized first and compressed in one write: flate2 zeroes its output's spare capacity on
    // every write, which made many small writes cost more than the whole sync.
    let mut text = format!(
        "{{\"from_ms\":{},\"to_ms\":{},\"page\":",
        span.from_ms, span.to_ms
    )
    .into_bytes();
    serde_json::to_writer(&mut text, page)?;
    text.push(b'}');
    let mut gz = GzEncoder::new(Vec::with_capacity(text.len() / 4), Compression::fast());
    gz.write_all(&text)?;
    gz.finish()
}

/// Applies the raw pages setting when a process starts: off deletes every stored raw page (a
/// cache of Twilio: nothing is lost that a sync cannot fetch again). Returns how many sets of
/// pages were deleted.
pub async fn apply_setting<S: store::Store>(
    store: &S,
    setting: RawPagesSetting,
) -> Result<u64, store::StoreError> {
    match setting {
        RawPagesSetting::On => Ok(0),
        RawPagesSetting::Off => store.delete_all_raw_pages().await,
    }
}

/// Reads one stored page; the error says what is wrong with it.
pub fn decode(bytes: &[u8]) -> Result<StoredPage, String> {
    let mut text = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|e| format!("not gzip: {e}"))?;
    serde_json::from_slice(&text).map_err(|e| format!("not a stored page: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_comes_back_with_its_window() {
        let page = json!({"messages": [{"sid": "SM1", "price": "-0.0075"}], "next_page_uri": null});
        let span = Span {
            from_ms: 3_600_000,
            to_ms: 7_200_000,
        };
        let stored = decode(&encode(span, &page).unwrap()).unwrap();
        assert_eq!(stored.span(), span);
        assert_eq!(stored.page, page);
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        assert!(decode(b"nope").unwrap_err().contains("gzip"));
    }
}
