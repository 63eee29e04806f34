//! When a scorecard digest goes out, at a local time in its zone, and which period it reports.
//!
//! Plain jiff arithmetic rather than a cron parser: the three frequencies are all a scorecard
//! offers, and a day-by-day walk in the zone handles DST gaps and folds the same way every
//! other zone computation here does (jiff's "compatible" disambiguation: a time that does not
//! exist moves forward by the gap, a time that exists twice takes the first).

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use metric::aggregate::interval_start;
use metric::{Interval, TimeRange};
use serde::{Deserialize, Serialize};

use crate::WatchError;

/// A day of the week, by name (jiff's own type does not serialize).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Day {
    pub fn weekday(self) -> Weekday {
        match self {
            Day::Monday => Weekday::Monday,
            Day::Tuesday => Weekday::Tuesday,
            Day::Wednesday => Weekday::Wednesday,
            Day::Thursday => Weekday::Thursday,
            Day::Friday => Weekday::Friday,
            Day::Saturday => Weekday::Saturday,
            Day::Sunday => Weekday::Sunday,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frequency {
    /// Every day, reporting the day before.
    Daily,
    /// Every week on `day`, reporting the previous Monday-to-Sunday week.
    Weekly { day: Day },
    /// Every month on `day` (the month's last day when it is shorter), reporting the previous
    /// calendar month.
    Monthly { day: u8 },
}

impl Frequency {
    /// The interval a report covers, and the interval of its small chart's points.
    pub fn intervals(self) -> (Interval, Interval) {
        match self {
            Frequency::Daily => (Interval::Day, Interval::Hour),
            Frequency::Weekly { .. } => (Interval::Week, Interval::Day),
            Frequency::Monthly { .. } => (Interval::Month, Interval::Day),
        }
    }

    fn matches(self, date: Date) -> bool {
        match self {
            Frequency::Daily => true,
            Frequency::Weekly { day } => date.weekday() == day.weekday(),
            Frequency::Monthly { day } => {
                date.day() == i8::try_from(day).unwrap_or(31).min(date.days_in_month())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub frequency: Frequency,
    /// Local time of day in the scorecard's zone.
    pub at: Time,
}

impl Schedule {
    pub fn validate(&self) -> Result<(), WatchError> {
        if let Frequency::Monthly { day } = self.frequency
            && !(1..=31).contains(&day)
        {
            return Err(WatchError::Invalid(
                "a monthly scorecard's day is 1 to 31".into(),
            ));
        }
        Ok(())
    }

    /// The first run strictly after `after`.
    pub fn next_run(&self, after: Timestamp, zone: &TimeZone) -> Result<Timestamp, WatchError> {
        self.validate()?;
        let oor = || WatchError::OutOfRange {
            what: "the next run",
        };
        let mut date = after.to_zoned(zone.clone()).date();
        // Two months of days always contain a match of any frequency.
        for _ in 0..64 {
            if self.frequency.matches(date) {
                let at = date
                    .to_datetime(self.at)
                    .to_zoned(zone.clone())
                    .map_err(|_| oor())?
                    .timestamp();
                if at > after {
                    return Ok(at);
                }
            }
            date = date.checked_add(1.day()).map_err(|_| oor())?;
        }
        Err(oor())
    }

    /// The complete period a run at `run_at` reports: the day, week or month before the one
    /// the run falls in.
    pub fn report_period(
        &self,
        run_at: Timestamp,
        zone: &TimeZone,
    ) -> Result<TimeRange, WatchError> {
        let (period, _) = self.frequency.intervals();
        previous_period(run_at, period, zone)
    }
}

/// The whole `period` before the one containing `at`.
pub fn previous_period(
    at: Timestamp,
    period: Interval,
    zone: &TimeZone,
) -> Result<TimeRange, WatchError> {
    let end = interval_start(at, period, zone)?;
    let just_before = end
        .checked_sub(jiff::SignedDuration::from_millis(1))
        .map_err(|_| WatchError::OutOfRange { what: "a period" })?;
    let start = interval_start(just_before, period, zone)?;
    Ok(TimeRange::new(start, end)?)
}
