//! Figures counted straight from the simulator's dataset (its `sim dump` JSON), independently of
//! the code under test: what a test expects a page, a block or the API to show.

use serde_json::Value;

use super::shared;

pub const DAY_MS: i64 = 86_400_000;

/// An RFC 2822 date field of a record, as epoch milliseconds.
pub fn rfc2822_ms(v: &Value, field: &str) -> Option<i64> {
    let s = v.get(field)?.as_str()?;
    Some(
        jiff::fmt::rfc2822::parse(s)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// "Messages sent" over `[from, to)`: outbound messages by their send (or creation) date.
pub fn sent_in(from_ms: i64, to_ms: i64) -> usize {
    shared().dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"].as_str() != Some("inbound"))
        .filter_map(|m| rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created")))
        .filter(|&at| from_ms <= at && at < to_ms)
        .count()
}

/// The start of today in UTC, by the real clock the app reads.
pub fn today_utc_ms() -> i64 {
    let now = jiff::Timestamp::now().as_millisecond();
    now.div_euclid(DAY_MS) * DAY_MS
}
