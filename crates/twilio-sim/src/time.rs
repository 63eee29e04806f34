//! Calendar arithmetic and the two timestamp formats Twilio uses, written by hand because
//! rendering dates dominates the cost of a 1000-record page.

use std::fmt;

/// The simulator keeps its own clock constants rather than depend on Switchboard's crates: it
/// stands in for Twilio and must not share code with the client it is testing.
pub const MS_PER_HOUR: i64 = 3_600_000;
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Days since 1970-01-01 to (year, month 1-12, day 1-31). Proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month 1-12, day 1-31) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// 0 = Monday .. 6 = Sunday.
pub fn weekday_mon0(days: i64) -> usize {
    (days + 3).rem_euclid(7) as usize
}

fn two(f: &mut fmt::Formatter<'_>, v: u32) -> fmt::Result {
    let b = [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8];
    f.write_str(std::str::from_utf8(&b).unwrap_or("00"))
}

fn split(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = ms.div_euclid(MS_PER_DAY);
    let secs = (ms.rem_euclid(MS_PER_DAY) / 1000) as u32;
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// `Fri, 24 May 2019 17:44:50 +0000`, as the 2010 API writes every timestamp.
pub struct Rfc2822(pub i64);

impl fmt::Display for Rfc2822 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hh, mm, ss) = split(self.0);
        let wd = WEEKDAYS[self.0.div_euclid(MS_PER_DAY).rem_euclid(7) as usize];
        f.write_str(wd)?;
        f.write_str(", ")?;
        two(f, d)?;
        f.write_str(" ")?;
        f.write_str(MONTHS[(m as usize).saturating_sub(1) % 12])?;
        write!(f, " {y} ")?;
        two(f, hh)?;
        f.write_str(":")?;
        two(f, mm)?;
        f.write_str(":")?;
        two(f, ss)?;
        f.write_str(" +0000")
    }
}

/// `2015-07-30T20:12:31Z`, as the product APIs write timestamps.
pub struct Iso(pub i64);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hh, mm, ss) = split(self.0);
        write!(f, "{y:04}-")?;
        two(f, m)?;
        f.write_str("-")?;
        two(f, d)?;
        f.write_str("T")?;
        two(f, hh)?;
        f.write_str(":")?;
        two(f, mm)?;
        f.write_str(":")?;
        two(f, ss)?;
        f.write_str("Z")
    }
}

/// `2019-06-24T22:32:49+00:00`, the `as_of` form of Usage Records.
pub struct IsoOffset(pub i64);

impl fmt::Display for IsoOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = Iso(self.0).to_string();
        f.write_str(s.trim_end_matches('Z'))?;
        f.write_str("+00:00")
    }
}

/// `2019-06-24` from a day number.
pub struct Ymd(pub i64);

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-")?;
        two(f, m)?;
        f.write_str("-")?;
        two(f, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_and_matches_jiff() {
        for days in [-1000i64, 0, 1, 59, 60, 365, 18_000, 20_000, 20_600] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let date = jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap();
            let ts = date.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
            assert_eq!(ts.as_millisecond() / MS_PER_DAY, days);
        }
    }

    #[test]
    fn rfc2822_matches_twilio_example() {
        let ts: jiff::Timestamp = "2019-05-24T17:44:50Z".parse().unwrap();
        assert_eq!(
            Rfc2822(ts.as_millisecond()).to_string(),
            "Fri, 24 May 2019 17:44:50 +0000"
        );
        assert_eq!(Iso(ts.as_millisecond()).to_string(), "2019-05-24T17:44:50Z");
        assert_eq!(
            IsoOffset(ts.as_millisecond()).to_string(),
            "2019-05-24T17:44:50+00:00"
        );
        let days = ts.as_millisecond() / MS_PER_DAY;
        assert_eq!(Ymd(days).to_string(), "2019-05-24");
        assert_eq!(weekday_mon0(days), 4);
    }
}
