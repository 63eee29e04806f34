//! Query strings as Twilio reads them: form-encoded pairs whose names may end in `<` or `>`
//! (raw or percent-encoded), and the date values its filters accept.

use url::form_urlencoded;

use super::error::ApiError;
use crate::time::{MS_PER_DAY, days_from_civil};

#[derive(Clone, Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// The first value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The filters among `known`, in the order the client sent them, form-encoded as Twilio
    /// echoes them in page links (`+` → `%2B`, `>` → `%3E`, space → `+`). `normalise` may
    /// rewrite a value (monitor echoes dates as full instants).
    pub fn echo(&self, known: &[&str], normalise: impl Fn(&str, &str) -> Option<String>) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if known.contains(&k.as_str()) {
                match normalise(k, v) {
                    Some(n) => ser.append_pair(k, &n),
                    None => ser.append_pair(k, v),
                };
            }
        }
        ser.finish()
    }
}

/// A date filter value: a whole UTC day or an instant (epoch ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateValue {
    Day(i64),
    Instant(i64),
}

impl DateValue {
    pub fn start_ms(self) -> i64 {
        match self {
            DateValue::Day(d) => d * MS_PER_DAY,
            DateValue::Instant(t) => t,
        }
    }
}

fn parse_ymd(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    // Let jiff reject 2021-02-30 and friends.
    jiff::civil::Date::new(y as i16, m as i8, d as i8).ok()?;
    Some(days_from_civil(y, m, d))
}

/// US zone abbreviations seen in Twilio's own examples (`06/11/2019 22:05:25 MST`).
fn zone_offset_hours(abbr: &str) -> Option<i64> {
    Some(match abbr {
        "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    })
}

fn parse_us_format(s: &str) -> Option<i64> {
    // MM/DD/YYYY HH:MM:SS [ZONE]
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let mut d = date.split('/');
    let m: i8 = d.next()?.parse().ok()?;
    let day: i8 = d.next()?.parse().ok()?;
    let y: i16 = d.next()?.parse().ok()?;
    let t: jiff::civil::Time = time.parse().ok()?;
    let dt = jiff::civil::Date::new(y, m, day).ok()?.to_datetime(t);
    let offset = match zone {
        Some(z) => zone_offset_hours(z)?,
        None => 0,
    };
    let utc = dt
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_millisecond();
    Some(utc - offset * 3_600_000)
}

/// Every date format Twilio's examples and SDKs use for date filters.
pub fn parse_date_value(s: &str) -> Option<DateValue> {
    let s = s.trim();
    if let Some(day) = parse_ymd(s) {
        return Some(DateValue::Day(day));
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(DateValue::Instant(ts.as_millisecond()));
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Some(DateValue::Instant(z.timestamp().as_millisecond()));
    }
    if let Ok(z) = jiff::fmt::rfc2822::parse(s) {
        return Some(DateValue::Instant(z.timestamp().as_millisecond()));
    }
    parse_us_format(s).map(DateValue::Instant)
}

/// The `[lo, hi)` instant window (ms) selected by `name`, `name<` and `name>`.
/// `name<` is "on or before", `name>` "on or after"; a date-only value covers its whole UTC day,
/// an instant compares exactly. `None` bounds mean open.
pub fn date_window(q: &Query, name: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let parse = |key: &str, v: &str| {
        parse_date_value(v).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid value '{v}' for {key}: use a date like 2026-01-31 or an instant like 2026-01-31T12:00:00Z"
            ))
        })
    };
    let tighten_lo = |lo: &mut Option<i64>, v: i64| *lo = Some(lo.map_or(v, |x| x.max(v)));
    let tighten_hi = |hi: &mut Option<i64>, v: i64| *hi = Some(hi.map_or(v, |x| x.min(v)));
    if let Some(v) = q.get(name) {
        let (a, b) = match parse(name, v)? {
            DateValue::Day(d) => (d * MS_PER_DAY, (d + 1) * MS_PER_DAY),
            DateValue::Instant(t) => {
                let d = t.div_euclid(MS_PER_DAY);
                (d * MS_PER_DAY, (d + 1) * MS_PER_DAY)
            }
        };
        tighten_lo(&mut lo, a);
        tighten_hi(&mut hi, b);
    }
    let gt = format!("{name}>");
    if let Some(v) = q.get(&gt) {
        tighten_lo(&mut lo, parse(&gt, v)?.start_ms());
    }
    let lt = format!("{name}<");
    if let Some(v) = q.get(&lt) {
        let end = match parse(&lt, v)? {
            DateValue::Day(d) => (d + 1) * MS_PER_DAY,
            DateValue::Instant(t) => t + 1,
        };
        tighten_hi(&mut hi, end);
    }
    Ok((lo, hi))
}

/// A Usage `StartDate`/`EndDate`: `YYYY-MM-DD` or an offset from today like `-30days`.
pub fn parse_usage_day(s: &str, today: i64) -> Option<i64> {
    if let Some(d) = parse_ymd(s.trim()) {
        return Some(d);
    }
    let t = s.trim();
    let body = t.strip_suffix("days").or_else(|| t.strip_suffix("day"))?;
    let n: i64 = body.parse().ok()?;
    if !(-100_000..=100_000).contains(&n) {
        return None;
    }
    Some(today + n)
}

/// An ISO 8601 instant or date as the product APIs take them (`StartDate`, `DateCreatedAfter`).
pub fn parse_product_instant(s: &str) -> Option<i64> {
    parse_date_value(s).map(DateValue::start_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_angle_brackets_parse_raw_and_encoded() {
        let q = Query::parse(Some(
            "DateSent%3E=2026-01-01&DateSent<=2026-01-05&To=%2B1415",
        ));
        assert_eq!(q.get("DateSent>"), Some("2026-01-01"));
        assert_eq!(q.get("DateSent<"), Some("2026-01-05"));
        assert_eq!(q.get("To"), Some("+1415"));
        assert_eq!(
            q.echo(&["To", "DateSent>"], |_, _| None),
            "DateSent%3E=2026-01-01&To=%2B1415"
        );
    }

    #[test]
    fn twilio_example_date_formats_parse() {
        let d = days_from_civil(2019, 6, 11);
        assert_eq!(parse_date_value("2019-06-11"), Some(DateValue::Day(d)));
        let at = d * MS_PER_DAY + (22 * 3600 + 5 * 60 + 25) * 1000;
        assert_eq!(
            parse_date_value("2019-06-11T22:05:25Z"),
            Some(DateValue::Instant(at))
        );
        assert_eq!(
            parse_date_value("2019-06-11 22:05:25.000"),
            Some(DateValue::Instant(at))
        );
        assert_eq!(
            parse_date_value("06/11/2019 22:05:25 MST"),
            Some(DateValue::Instant(at + 7 * 3_600_000))
        );
        assert!(matches!(
            parse_date_value("Wed, 19 Jun 2019 22:04:00 -0000"),
            Some(DateValue::Instant(_))
        ));
        assert_eq!(parse_date_value("2019-02-30"), None);
        assert_eq!(parse_date_value("yesterday"), None);
    }

    #[test]
    fn usage_relative_days() {
        assert_eq!(parse_usage_day("-30days", 100), Some(70));
        assert_eq!(parse_usage_day("+1days", 100), Some(101));
        assert_eq!(parse_usage_day("30", 100), None);
    }
}
