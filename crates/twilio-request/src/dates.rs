//! Dynamic date tokens: `{{date_from}}` and `{{date_to}}`, each with an optional format after a
//! bar (`{{date_from|iso}}`), rendered for a UTC window passed in by the caller (this crate never
//! reads the clock).

use jiff::{Timestamp, Zoned, tz::TimeZone};
use thiserror::Error;

/// A UTC time window, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Window {
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Self, DateTokenError> {
        let window = Self { from, to };
        window.check()?;
        Ok(window)
    }

    fn check(&self) -> Result<(), DateTokenError> {
        if self.from > self.to {
            return Err(DateTokenError::BackwardsWindow {
                from: self.from,
                to: self.to,
            });
        }
        Ok(())
    }
}

/// A strftime pattern longer than this is surely a mistake; the bound keeps rendering cheap.
pub const MAX_PATTERN_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateTokenError {
    #[error(
        "unknown token {{{{{0}}}}}: the known tokens are {{{{date_from}}}} and {{{{date_to}}}}"
    )]
    UnknownToken(String),
    #[error(
        "unknown date format {0} in a date token: use date, iso, unix, unix_ms, rfc2822 or a strftime pattern starting with '%'"
    )]
    UnknownFormat(String),
    #[error("the date format {format} cannot be rendered: {reason}")]
    BadPattern { format: String, reason: String },
    #[error("a '{{{{' is not closed by '}}}}'")]
    Unclosed,
    #[error("the token {{{{{0}}}}} needs a date window, and none was given")]
    NoWindow(String),
    #[error("the date window starts ({from}) after it ends ({to})")]
    BackwardsWindow { from: Timestamp, to: Timestamp },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    From,
    To,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    Date,
    Iso,
    Unix,
    UnixMs,
    Rfc2822,
    Pattern(String),
}

fn parse_token(inner: &str) -> Result<(Edge, Format), DateTokenError> {
    let (name, format) = match inner.split_once('|') {
        Some((name, format)) => (name.trim(), Some(format.trim())),
        None => (inner.trim(), None),
    };
    let edge = match name {
        "date_from" => Edge::From,
        "date_to" => Edge::To,
        _ => {
            return Err(DateTokenError::UnknownToken(
                crate::show::show(inner).trim_matches('"').to_owned(),
            ));
        }
    };
    let format = match format {
        None | Some("") | Some("date") => Format::Date,
        Some("iso") => Format::Iso,
        Some("unix") => Format::Unix,
        Some("unix_ms") => Format::UnixMs,
        Some("rfc2822") => Format::Rfc2822,
        Some(pattern) if pattern.starts_with('%') && pattern.len() <= MAX_PATTERN_LEN => {
            Format::Pattern(pattern.to_owned())
        }
        Some(other) => return Err(DateTokenError::UnknownFormat(crate::show::show(other))),
    };
    Ok((edge, format))
}

fn format_instant(at: Timestamp, format: &Format) -> Result<String, DateTokenError> {
    let utc: Zoned = at.to_zoned(TimeZone::UTC);
    let failed = |format: &str, err: jiff::Error| DateTokenError::BadPattern {
        format: crate::show::show(format),
        reason: err.to_string(),
    };
    Ok(match format {
        Format::Date => utc.strftime("%Y-%m-%d").to_string(),
        Format::Iso => utc.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Format::Unix => at.as_second().to_string(),
        Format::UnixMs => at.as_millisecond().to_string(),
        Format::Rfc2822 => jiff::fmt::rfc2822::to_string(&utc).map_err(|e| failed("rfc2822", e))?,
        Format::Pattern(pattern) => {
            jiff::fmt::strtime::format(pattern.as_bytes(), &utc).map_err(|e| failed(pattern, e))?
        }
    })
}

/// Whether `text` contains a `{{` token opener.
pub fn has_tokens(text: &str) -> bool {
    text.contains("{{")
}

/// Replaces every date token in `text`. Text without `{{` comes back unchanged, with or without a
/// window; a token without a window, an unknown token or format, or an unclosed `{{` is an error.
pub fn render_tokens(text: &str, window: Option<&Window>) -> Result<String, DateTokenError> {
    if let Some(window) = window {
        window.check()?;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let (before, after_open) = (&rest[..open], &rest[open + 2..]);
        out.push_str(before);
        let close = after_open.find("}}").ok_or(DateTokenError::Unclosed)?;
        let inner = &after_open[..close];
        let (edge, format) = parse_token(inner)?;
        let window = window.ok_or_else(|| DateTokenError::NoWindow(inner.trim().to_owned()))?;
        let at = match edge {
            Edge::From => window.from,
            Edge::To => window.to,
        };
        out.push_str(&format_instant(at, &format)?);
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}
