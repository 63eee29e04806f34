//! Named date ranges ("Last month", "Quarter to date", "Last 7 days"...) and what they are
//! compared with, resolved for a given `now` in a display zone into UTC instants.
//!
//! The clock is a parameter, never read here. Calendar units follow the zone's civil calendar
//! (a day on a DST change lasts 23 or 25 hours); weeks start on Monday, as in
//! [`crate::aggregate`].

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::aggregate::{Interval, QueryError, TimeRange, interval_start, next_interval_start};
use crate::compare::{Comparison, comparison_ranges};

/// A calendar period a range can be named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    fn interval(self) -> Interval {
        match self {
            Period::Week => Interval::Week,
            Period::Month => Interval::Month,
            Period::Quarter => Interval::Quarter,
            Period::Year => Interval::Year,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];
}

/// A unit for "Last N ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LastUnit {
    Days,
    Weeks,
    Months,
}

/// A date range as a person names it. Its text form (`last_month`, `last_7_days`,
/// `since:2026-01-01`, `custom:2026-01-01..2026-01-31`) is what boards store and URLs carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedRange {
    Today,
    Yesterday,
    /// The whole current period, including the part still to come.
    This(Period),
    /// The whole period before the current one.
    Last(Period),
    /// From the start of the current period up to now.
    ToDate(Period),
    /// The `n` whole days, weeks or months before the current one (today is left out: it is
    /// not over).
    LastN(u16, LastUnit),
    /// From the start of that day up to now.
    Since(Date),
    /// Whole days, both ends included.
    Custom {
        from: Date,
        to: Date,
    },
}

/// What a range is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompareTo {
    /// The period before: the previous calendar period for a calendar range, the same elapsed
    /// part of the previous period for a period-to-date range, the same length just before
    /// otherwise.
    #[default]
    PreviousPeriod,
    /// The same dates a year earlier (for a period-to-date range, the same elapsed part).
    SamePeriodLastYear,
    None,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RangeError {
    #[error("unknown date range {0:?}")]
    Unknown(String),
    #[error("a custom range ends ({to}) before it starts ({from})")]
    Backwards { from: Date, to: Date },
    #[error("\"last N\" needs N between 1 and 1000, not {0}")]
    BadCount(u32),
    #[error("{0} starts after now")]
    InTheFuture(String),
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A resolved range and its comparison, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub current: TimeRange,
    pub previous: Option<TimeRange>,
}

impl NamedRange {
    /// The ranges offered in pickers, in order (Since and Custom need a date and come apart).
    pub fn presets() -> Vec<NamedRange> {
        let mut all = vec![NamedRange::Today, NamedRange::Yesterday];
        for p in Period::ALL {
            all.push(NamedRange::This(p));
            all.push(NamedRange::Last(p));
        }
        for p in Period::ALL {
            all.push(NamedRange::ToDate(p));
        }
        all.extend([
            NamedRange::LastN(7, LastUnit::Days),
            NamedRange::LastN(30, LastUnit::Days),
            NamedRange::LastN(90, LastUnit::Days),
            NamedRange::LastN(4, LastUnit::Weeks),
            NamedRange::LastN(12, LastUnit::Months),
        ]);
        all
    }

    /// A person's name for it: "Last 7 days", "Quarter to date".
    pub fn label(&self) -> String {
        let cap = |w: &str| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        match self {
            NamedRange::Today => "Today".to_owned(),
            NamedRange::Yesterday => "Yesterday".to_owned(),
            NamedRange::This(p) => format!("This {}", p.word()),
            NamedRange::Last(p) => format!("Last {}", p.word()),
            NamedRange::ToDate(p) => format!("{} to date", cap(p.word())),
            NamedRange::LastN(n, u) => format!("Last {n} {}", unit_word(*u)),
            NamedRange::Since(d) => format!("Since {d}"),
            NamedRange::Custom { from, to } => format!("{from} to {to}"),
        }
    }

    /// The interval a chart of this range reads best in, when the block names none.
    pub fn natural_interval(&self) -> Interval {
        match self {
            NamedRange::Today | NamedRange::Yesterday => Interval::Hour,
            NamedRange::This(p) | NamedRange::Last(p) | NamedRange::ToDate(p) => match p {
                Period::Week | Period::Month => Interval::Day,
                Period::Quarter => Interval::Week,
                Period::Year => Interval::Month,
            },
            NamedRange::LastN(n, LastUnit::Days) if *n <= 2 => Interval::Hour,
            NamedRange::LastN(n, LastUnit::Days) if *n <= 92 => Interval::Day,
            NamedRange::LastN(n, LastUnit::Weeks) if *n <= 26 => Interval::Week,
            NamedRange::LastN(..) => Interval::Month,
            NamedRange::Since(_) | NamedRange::Custom { .. } => Interval::Day,
        }
    }

    /// The range in UTC for `now` in `zone`.
    pub fn resolve(&self, now: Timestamp, zone: &TimeZone) -> Result<TimeRange, RangeError> {
        let day = |d: Date| day_start(d, zone);
        let today = now.to_zoned(zone.clone()).date();
        let period_of = |p: Period, at: Timestamp| -> Result<TimeRange, RangeError> {
            let start = interval_start(at, p.interval(), zone)?;
            let end = next_interval_start(start, p.interval(), zone)?;
            Ok(TimeRange::new(start, end)?)
        };
        Ok(match *self {
            NamedRange::Today => TimeRange::new(day(today)?, day(next_day(today)?)?)?,
            NamedRange::Yesterday => TimeRange::new(day(prev_day(today)?)?, day(today)?)?,
            NamedRange::This(p) => period_of(p, now)?,
            NamedRange::Last(p) => {
                let this = period_of(p, now)?;
                period_of(p, before(this.start)?)?
            }
            NamedRange::ToDate(p) => TimeRange::new(interval_start(now, p.interval(), zone)?, now)?,
            NamedRange::LastN(n, unit) => {
                if n == 0 || n > 1000 {
                    return Err(RangeError::BadCount(u32::from(n)));
                }
                let interval = match unit {
                    LastUnit::Days => Interval::Day,
                    LastUnit::Weeks => Interval::Week,
                    LastUnit::Months => Interval::Month,
                };
                let end = interval_start(now, interval, zone)?;
                let mut start = end;
                for _ in 0..n {
                    start = interval_start(before(start)?, interval, zone)?;
                }
                TimeRange::new(start, end)?
            }
            NamedRange::Since(d) => {
                let start = day(d)?;
                if start > now {
                    return Err(RangeError::InTheFuture(self.label()));
                }
                TimeRange::new(start, now)?
            }
            NamedRange::Custom { from, to } => {
                if to < from {
                    return Err(RangeError::Backwards { from, to });
                }
                TimeRange::new(day(from)?, day(next_day(to)?)?)?
            }
        })
    }

    /// The range and its comparison for `now` in `zone`.
    pub fn resolve_with(
        &self,
        compare: CompareTo,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Resolved, RangeError> {
        let current = self.resolve(now, zone)?;
        let previous = match (compare, self) {
            (CompareTo::None, _) => None,
            (CompareTo::PreviousPeriod, NamedRange::ToDate(p)) => {
                let (_, previous) = comparison_ranges(
                    &current,
                    Comparison::PeriodToDate {
                        period: p.interval(),
                        now,
                    },
                    zone,
                )?;
                Some(previous)
            }
            (CompareTo::PreviousPeriod, NamedRange::Today | NamedRange::Yesterday) => {
                let start =
                    day_start(prev_day(current.start.to_zoned(zone.clone()).date())?, zone)?;
                Some(TimeRange::new(start, current.start)?)
            }
            (CompareTo::PreviousPeriod, NamedRange::This(p) | NamedRange::Last(p)) => {
                let start = interval_start(before(current.start)?, p.interval(), zone)?;
                Some(TimeRange::new(start, current.start)?)
            }
            (CompareTo::PreviousPeriod, _) => {
                Some(comparison_ranges(&current, Comparison::PreviousPeriod, zone)?.1)
            }
            (CompareTo::SamePeriodLastYear, _) => {
                Some(comparison_ranges(&current, Comparison::SamePeriodLastYear, zone)?.1)
            }
        };
        Ok(Resolved { current, previous })
    }
}

fn unit_word(u: LastUnit) -> &'static str {
    match u {
        LastUnit::Days => "days",
        LastUnit::Weeks => "weeks",
        LastUnit::Months => "months",
    }
}

fn day_start(d: Date, zone: &TimeZone) -> Result<Timestamp, RangeError> {
    d.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|_| RangeError::Unknown(d.to_string()))
}

fn next_day(d: Date) -> Result<Date, RangeError> {
    d.checked_add(1.day())
        .map_err(|_| RangeError::Unknown(d.to_string()))
}

fn prev_day(d: Date) -> Result<Date, RangeError> {
    d.checked_sub(1.day())
        .map_err(|_| RangeError::Unknown(d.to_string()))
}

/// The last millisecond before `t`: an instant inside the preceding period.
fn before(t: Timestamp) -> Result<Timestamp, RangeError> {
    Ok(t.checked_sub(jiff::SignedDuration::from_millis(1))
        .map_err(|_| QueryError::OutOfRange { at: t })?)
}

impl fmt::Display for NamedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamedRange::Today => f.write_str("today"),
            NamedRange::Yesterday => f.write_str("yesterday"),
            NamedRange::This(p) => write!(f, "this_{}", p.word()),
            NamedRange::Last(p) => write!(f, "last_{}", p.word()),
            NamedRange::ToDate(p) => write!(f, "{}_to_date", p.word()),
            NamedRange::LastN(n, u) => write!(f, "last_{n}_{}", unit_word(*u)),
            NamedRange::Since(d) => write!(f, "since:{d}"),
            NamedRange::Custom { from, to } => write!(f, "custom:{from}..{to}"),
        }
    }
}

impl FromStr for NamedRange {
    type Err = RangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || RangeError::Unknown(s.to_owned());
        let date = |t: &str| t.parse::<Date>().map_err(|_| unknown());
        let period = |w: &str| Period::ALL.into_iter().find(|p| p.word() == w);
        if let Some(d) = s.strip_prefix("since:") {
            return Ok(NamedRange::Since(date(d)?));
        }
        if let Some(rest) = s.strip_prefix("custom:") {
            let (from, to) = rest.split_once("..").ok_or_else(unknown)?;
            let (from, to) = (date(from)?, date(to)?);
            if to < from {
                return Err(RangeError::Backwards { from, to });
            }
            return Ok(NamedRange::Custom { from, to });
        }
        match s {
            "today" => return Ok(NamedRange::Today),
            "yesterday" => return Ok(NamedRange::Yesterday),
            _ => {}
        }
        if let Some(p) = s.strip_prefix("this_").and_then(period) {
            return Ok(NamedRange::This(p));
        }
        if let Some(p) = s.strip_suffix("_to_date").and_then(period) {
            return Ok(NamedRange::ToDate(p));
        }
        if let Some(rest) = s.strip_prefix("last_") {
            if let Some(p) = period(rest) {
                return Ok(NamedRange::Last(p));
            }
            let (n, unit) = rest.split_once('_').ok_or_else(unknown)?;
            let n: u32 = n.parse().map_err(|_| unknown())?;
            let unit = match unit {
                "days" => LastUnit::Days,
                "weeks" => LastUnit::Weeks,
                "months" => LastUnit::Months,
                _ => return Err(unknown()),
            };
            if n == 0 || n > 1000 {
                return Err(RangeError::BadCount(n));
            }
            return Ok(NamedRange::LastN(n as u16, unit));
        }
        Err(unknown())
    }
}

impl fmt::Display for CompareTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareTo::PreviousPeriod => "previous_period",
            CompareTo::SamePeriodLastYear => "same_period_last_year",
            CompareTo::None => "none",
        })
    }
}

impl FromStr for CompareTo {
    type Err = RangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "previous_period" => Ok(CompareTo::PreviousPeriod),
            "same_period_last_year" => Ok(CompareTo::SamePeriodLastYear),
            "none" => Ok(CompareTo::None),
            _ => Err(RangeError::Unknown(s.to_owned())),
        }
    }
}

impl CompareTo {
    pub const ALL: [CompareTo; 3] = [
        CompareTo::PreviousPeriod,
        CompareTo::SamePeriodLastYear,
        CompareTo::None,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CompareTo::PreviousPeriod => "Previous period",
            CompareTo::SamePeriodLastYear => "Same period last year",
            CompareTo::None => "No comparison",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(ts(a), ts(b)).unwrap()
    }

    fn r(s: &str) -> NamedRange {
        s.parse().unwrap()
    }

    /// Wednesday 2026-05-13 14:30 UTC (16:30 in Paris, summer time).
    const NOW: &str = "2026-05-13T14:30:00Z";

    #[test]
    fn calendar_ranges_in_utc() {
        let now = ts(NOW);
        let utc = TimeZone::UTC;
        let cases = [
            ("today", "2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z"),
            ("yesterday", "2026-05-12T00:00:00Z", "2026-05-13T00:00:00Z"),
            ("this_week", "2026-05-11T00:00:00Z", "2026-05-18T00:00:00Z"),
            ("last_week", "2026-05-04T00:00:00Z", "2026-05-11T00:00:00Z"),
            ("this_month", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"),
            ("last_month", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"),
            (
                "this_quarter",
                "2026-04-01T00:00:00Z",
                "2026-07-01T00:00:00Z",
            ),
            (
                "last_quarter",
                "2026-01-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
            ),
            ("this_year", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("last_year", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            ("week_to_date", "2026-05-11T00:00:00Z", NOW),
            ("month_to_date", "2026-05-01T00:00:00Z", NOW),
            ("quarter_to_date", "2026-04-01T00:00:00Z", NOW),
            ("year_to_date", "2026-01-01T00:00:00Z", NOW),
            (
                "last_7_days",
                "2026-05-06T00:00:00Z",
                "2026-05-13T00:00:00Z",
            ),
            (
                "last_2_weeks",
                "2026-04-27T00:00:00Z",
                "2026-05-11T00:00:00Z",
            ),
            (
                "last_3_months",
                "2026-02-01T00:00:00Z",
                "2026-05-01T00:00:00Z",
            ),
            ("since:2026-05-01", "2026-05-01T00:00:00Z", NOW),
            (
                "custom:2026-02-27..2026-03-02",
                "2026-02-27T00:00:00Z",
                "2026-03-03T00:00:00Z",
            ),
        ];
        for (name, start, end) in cases {
            assert_eq!(
                r(name).resolve(now, &utc).unwrap(),
                range(start, end),
                "{name}"
            );
            assert_eq!(r(name).to_string(), name, "text form round-trips");
        }
    }

    #[test]
    fn ranges_follow_the_zone_across_dst() {
        // Paris moved to summer time on 2026-03-29 (02:00 CET → 03:00 CEST): March starts at
        // 23:00 UTC the day before, April at 22:00 UTC.
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let now = ts("2026-04-10T08:00:00Z");
        assert_eq!(
            r("last_month").resolve(now, &paris).unwrap(),
            range("2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z")
        );
        // The day of the change lasts 23 hours.
        let dst_day = NamedRange::Custom {
            from: jiff::civil::date(2026, 3, 29),
            to: jiff::civil::date(2026, 3, 29),
        };
        let day = dst_day.resolve(now, &paris).unwrap();
        assert_eq!(day, range("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"));
        assert_eq!(day.end.duration_since(day.start).as_hours(), 23);
        // New York: "Today" at 03:00 UTC is still the previous evening there (EDT, -4).
        let ny = TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            r("today").resolve(ts("2026-05-13T03:00:00Z"), &ny).unwrap(),
            range("2026-05-12T04:00:00Z", "2026-05-13T04:00:00Z")
        );
    }

    #[test]
    fn previous_period_of_calendar_ranges_is_the_previous_calendar_period() {
        let now = ts(NOW);
        let utc = TimeZone::UTC;
        let prev = |name: &str| {
            r(name)
                .resolve_with(CompareTo::PreviousPeriod, now, &utc)
                .unwrap()
                .previous
                .unwrap()
        };
        // April has 30 days and March 31: a month is compared with the whole month before.
        assert_eq!(
            prev("last_month"),
            range("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
        );
        assert_eq!(
            prev("yesterday"),
            range("2026-05-11T00:00:00Z", "2026-05-12T00:00:00Z")
        );
        assert_eq!(
            prev("this_quarter"),
            range("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
        );
        assert_eq!(
            prev("last_7_days"),
            range("2026-04-29T00:00:00Z", "2026-05-06T00:00:00Z")
        );
        assert_eq!(
            prev("custom:2026-02-27..2026-03-02"),
            range("2026-02-23T00:00:00Z", "2026-02-27T00:00:00Z")
        );
    }

    #[test]
    fn period_to_date_compares_the_same_elapsed_part() {
        let now = ts(NOW);
        let utc = TimeZone::UTC;
        // 12 days 14.5 hours into May → the same into April.
        let mtd = r("month_to_date")
            .resolve_with(CompareTo::PreviousPeriod, now, &utc)
            .unwrap();
        assert_eq!(
            mtd.previous.unwrap(),
            range("2026-04-01T00:00:00Z", "2026-04-13T14:30:00Z")
        );
        // Against last year: the same elapsed part of May 2025.
        let ly = r("month_to_date")
            .resolve_with(CompareTo::SamePeriodLastYear, now, &utc)
            .unwrap();
        assert_eq!(
            ly.previous.unwrap(),
            range("2025-05-01T00:00:00Z", "2025-05-13T14:30:00Z")
        );
        // On 31 March, month to date is compared with the whole of February, no more.
        let end_of_march = ts("2026-03-31T12:00:00Z");
        let mtd = r("month_to_date")
            .resolve_with(CompareTo::PreviousPeriod, end_of_march, &utc)
            .unwrap();
        assert_eq!(
            mtd.previous.unwrap(),
            range("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
        );
        // Year to date across a DST change in Paris: elapsed time, not wall-clock time.
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let ytd = r("year_to_date")
            .resolve_with(CompareTo::PreviousPeriod, now, &paris)
            .unwrap();
        assert_eq!(ytd.current, range("2025-12-31T23:00:00Z", NOW));
        assert_eq!(
            ytd.previous.unwrap(),
            range("2024-12-31T23:00:00Z", "2025-05-13T14:30:00Z")
        );
        assert_eq!(
            r("week_to_date")
                .resolve_with(CompareTo::None, now, &utc)
                .unwrap()
                .previous,
            None
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "",
            "last_0_days",
            "last_5_years",
            "custom:2026-03-02..2026-03-01",
            "since:x",
            "this_decade",
        ] {
            assert!(bad.parse::<NamedRange>().is_err(), "{bad}");
        }
        assert!(
            r("since:2027-01-01")
                .resolve(ts(NOW), &TimeZone::UTC)
                .is_err()
        );
        assert_eq!(
            "same_period_last_year".parse::<CompareTo>(),
            Ok(CompareTo::SamePeriodLastYear)
        );
        assert_eq!(NamedRange::presets().len(), 19);
        assert_eq!(r("quarter_to_date").label(), "Quarter to date");
    }
}
