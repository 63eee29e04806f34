//! The string `format`s the fidelity checks care about. Other formats in the specs
//! (`phone-number`, `currency`, `uri-map`, `http-method`, ...) are not checked.

/// Checks `value` against `format`; `Ok(())` when valid or when the format is not checked, else
/// a short statement of what was expected.
pub fn check(format: &str, value: &str) -> Result<(), String> {
    let ok = match format {
        "date-time-rfc-2822" => is_rfc2822(value),
        "date-time" => is_iso8601_date_time(value),
        "date" => is_date(value),
        "uri" => is_uri(value),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("a string of format {format}"))
    }
}

/// RFC 2822 date-time, e.g. `Fri, 24 May 2019 17:44:50 +0000` (any offset: an official
/// Recordings example has `+0100`).
pub fn is_rfc2822(value: &str) -> bool {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .is_ok()
}

/// RFC 2822 in GMT as Twilio writes it, always `+0000` (facts §3: "always `+0000`"; the spec
/// describes these fields as "(in GMT)").
pub fn is_rfc2822_gmt(value: &str) -> bool {
    value.ends_with(" +0000") && is_rfc2822(value)
}

/// ISO 8601 date-time with a UTC offset or `Z`, e.g. `2015-07-30T20:12:31Z`. Twilio always
/// sends an offset, so a floating local time is refused.
pub fn is_iso8601_date_time(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 20 && bytes[10] == b'T' && value.parse::<jiff::Timestamp>().is_ok()
}

/// A full date `YYYY-MM-DD` that exists in the calendar.
pub fn is_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
        && value.parse::<jiff::civil::Date>().is_ok()
}

/// An absolute URI (`scheme:...`) or an absolute-path reference (`/2010-04-01/...`), as Twilio
/// uses both under `format: uri`. No whitespace or control characters anywhere.
pub fn is_uri(value: &str) -> bool {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = value.strip_prefix('/') {
        return !rest.starts_with('/')
            && url::Url::parse("https://example.invalid")
                .and_then(|base| base.join(value))
                .is_ok();
    }
    match url::Url::parse(value) {
        Ok(url) => !url.cannot_be_a_base() || url.scheme() == "mailto",
        Err(_) => false,
    }
}
