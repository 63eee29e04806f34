//! Turning the date of a row into a UTC instant.
//!
//! Twilio writes RFC 2822 dates in the 2010 API (`Fri, 24 May 2019 17:44:50 +0000`) and
//! RFC 3339 in the newer ones; users bring dates of their own. Every accepted form becomes a
//! [`jiff::Timestamp`]; a form without an offset is read as UTC.

use jiff::Timestamp;
use serde_json::Value;

/// The accepted forms, as a user-facing sentence.
pub const ACCEPTED_DATE_FORMS: &str = "RFC 2822 (`Fri, 24 May 2019 17:44:50 +0000`), \
RFC 3339 / ISO 8601 with or without offset (`2019-05-24T17:44:50Z`, `2019-05-24T17:44:50`), \
`YYYY-MM-DD`, or epoch seconds or milliseconds";

/// Epoch numbers at or above this are milliseconds: 1e11 seconds is the year 5138, while 1e11
/// milliseconds is March 1973, so no plausible date is ambiguous.
const EPOCH_MILLIS_FROM: f64 = 1e11;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DateError {
    #[error("cannot read {value} as a date; accepted forms: {ACCEPTED_DATE_FORMS}")]
    Unparseable { value: String },
    #[error("the date {value} is outside the supported range (years -9999 to 9999)")]
    OutOfRange { value: String },
}

/// Parses a date given as a JSON value: a string in one of the accepted forms, or a number of
/// epoch seconds or milliseconds.
pub fn parse_date_value(value: &Value) -> Result<Timestamp, DateError> {
    match value {
        Value::String(s) => parse_date(s),
        Value::Number(n) => match n.as_f64() {
            Some(f) => from_epoch(f, &n.to_string()),
            None => Err(DateError::Unparseable {
                value: n.to_string(),
            }),
        },
        other => Err(DateError::Unparseable {
            value: shorten(&other.to_string()),
        }),
    }
}

/// Parses a date string in one of the accepted forms.
pub fn parse_date(text: &str) -> Result<Timestamp, DateError> {
    let s = text.trim();
    let unparseable = || DateError::Unparseable {
        value: format!("{:?}", shorten(text)),
    };
    if s.is_empty() {
        return Err(unparseable());
    }
    if looks_like_epoch(s) {
        let f: f64 = s.parse().map_err(|_| unparseable())?;
        return from_epoch(f, s);
    }
    // RFC 2822 begins with a day or a day number, RFC 3339 with a four-digit year: try the
    // likelier form first, as Twilio's 2010 API sends thousands of RFC 2822 dates per page.
    let rfc2822_first = s.as_bytes().get(2).is_some_and(|b| !b.is_ascii_digit());
    if rfc2822_first && let Ok(zdt) = jiff::fmt::rfc2822::parse(s) {
        return Ok(zdt.timestamp());
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(zdt) = jiff::fmt::rfc2822::parse(s) {
        return Ok(zdt.timestamp());
    }
    // No offset: the date is taken as UTC. `DateTime` also accepts a bare `YYYY-MM-DD`.
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| DateError::OutOfRange {
                value: format!("{s:?}"),
            });
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| DateError::OutOfRange {
                value: format!("{s:?}"),
            });
    }
    Err(unparseable())
}

fn looks_like_epoch(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit())
}

fn from_epoch(f: f64, shown: &str) -> Result<Timestamp, DateError> {
    let out_of_range = || DateError::OutOfRange {
        value: shorten(shown),
    };
    if !f.is_finite() {
        return Err(out_of_range());
    }
    let millis = if f.abs() >= EPOCH_MILLIS_FROM {
        f
    } else {
        f * 1000.0
    };
    // Beyond ±2^53 a float no longer holds whole milliseconds, and jiff's range is far inside.
    if millis.abs() > 9.0e15 {
        return Err(out_of_range());
    }
    Timestamp::from_millisecond(millis.round() as i64).map_err(|_| out_of_range())
}

/// Keeps error messages readable when the offending value is huge.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}
