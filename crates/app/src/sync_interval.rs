//! How often a metric syncs: the one rule of a person's sync interval and its one notation.
//!
//! An interval is a whole number of minutes from 5 minutes (the scheduler's floor,
//! `metric_sync::MIN_INTERVAL`) to 7 days. It is written in days, hours and minutes, largest
//! first, each at most once: `15m`, `1h`, `2h30m`, `1d`, `1d12h` (case and spaces do not
//! matter). `default` (or an empty text) means the default, hourly. The REST API also takes a
//! JSON number of seconds ([`SyncInterval::from_seconds`]), under the same bounds and in the
//! same words. Every surface parses here, so the same input is refused the same way.

use std::fmt;
use std::time::Duration;

use crate::NameError;

/// The input field every refusal names.
pub const FIELD: &str = "sync_interval";

/// A metric's own sync interval, within the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyncInterval {
    minutes: u32,
}

/// What stands for the default interval in the text form.
pub const DEFAULT_WORD: &str = "default";

impl SyncInterval {
    /// The shortest interval: the scheduler's floor.
    pub const MIN_MINUTES: u32 = 5;
    /// The longest: a week, so a metric in use never goes more than a week without a sync.
    pub const MAX_MINUTES: u32 = 7 * 24 * 60;

    /// The interval of a metric with none of its own: the scheduler's default.
    pub fn default_interval() -> Self {
        let minutes = metric_sync::DEFAULT_INTERVAL.as_secs() / 60;
        Self {
            minutes: u32::try_from(minutes).unwrap_or(60),
        }
    }

    /// Parses the text form; `Ok(None)` is the default (`default` or nothing).
    pub fn parse(input: &str) -> Result<Option<Self>, NameError> {
        let text: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if text.is_empty() || text == DEFAULT_WORD {
            return Ok(None);
        }
        let shown = input.trim();
        let minutes = minutes_of(&text).ok_or_else(|| not_an_interval(shown))?;
        Self::bounded(minutes, shown).map(Some)
    }

    /// An interval given in seconds (the API's number form): a whole number of minutes within
    /// the bounds.
    pub fn from_seconds(seconds: i64) -> Result<Self, NameError> {
        let shown = format!("{seconds} seconds");
        if seconds <= 0 {
            return Err(too_short(&shown));
        }
        if seconds % 60 != 0 {
            return Err(refusal(format!(
                "a sync interval is a whole number of minutes: {shown} is not (write 15m, 1h, \
                 2h30m or 1d, or a multiple of 60 seconds)"
            )));
        }
        Self::bounded(u64::try_from(seconds / 60).unwrap_or(u64::MAX), &shown)
    }

    /// What a metric syncs on: its stored interval (seconds), or the default when it has none.
    /// A stored value outside the bounds (written by hand) is shown as the scheduler uses it.
    pub fn of_stored(stored_s: Option<i64>) -> Self {
        let used = metric_sync::interval_or(stored_s, metric_sync::DEFAULT_INTERVAL);
        Self {
            minutes: u32::try_from(used.as_secs().div_ceil(60)).unwrap_or(u32::MAX),
        }
    }

    fn bounded(minutes: u64, shown: &str) -> Result<Self, NameError> {
        if minutes < u64::from(Self::MIN_MINUTES) {
            return Err(too_short(shown));
        }
        if minutes > u64::from(Self::MAX_MINUTES) {
            return Err(refusal(format!(
                "a sync interval is at most 7 days (7d): {shown} is longer"
            )));
        }
        Ok(Self {
            minutes: u32::try_from(minutes).unwrap_or(Self::MAX_MINUTES),
        })
    }

    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// As the store keeps it.
    pub fn seconds(self) -> i64 {
        i64::from(self.minutes) * 60
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.minutes) * 60)
    }

    /// In words: "every hour", "every 15 minutes", "every 2 hours 30 minutes", "every day",
    /// "every 3 days".
    pub fn describe(self) -> String {
        let m = self.minutes;
        let plural = |n: u32, one: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        };
        if m.is_multiple_of(24 * 60) {
            return match m / (24 * 60) {
                1 => "every day".to_owned(),
                d => format!("every {d} days"),
            };
        }
        let (h, rest) = (m / 60, m % 60);
        match (h, rest) {
            (0, _) => format!("every {}", plural(rest, "minute")),
            (1, 0) => "every hour".to_owned(),
            (_, 0) => format!("every {h} hours"),
            _ => format!("every {} {}", plural(h, "hour"), plural(rest, "minute")),
        }
    }
}

/// The text form, which [`SyncInterval::parse`] reads back: `15m`, `1h`, `2h30m`, `1d`.
impl fmt::Display for SyncInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        if m.is_multiple_of(24 * 60) {
            return write!(f, "{}d", m / (24 * 60));
        }
        let (h, rest) = (m / 60, m % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if rest > 0 {
            write!(f, "{rest}m")?;
        }
        Ok(())
    }
}

/// `1d12h30m` → minutes; `None` when it is not days, hours and minutes in that order, each at
/// most once with a number before it.
fn minutes_of(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut last_rank = 0;
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let (rank, per) = match c {
            'd' => (1, 24 * 60),
            'h' => (2, 60),
            'm' => (3, 1),
            _ => return None,
        };
        if number.is_empty() || number.len() > 9 || rank <= last_rank {
            return None;
        }
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(per)?)?;
        number.clear();
        last_rank = rank;
        any = true;
    }
    (any && number.is_empty()).then_some(total)
}

fn refusal(message: String) -> NameError {
    NameError {
        field: FIELD,
        message,
    }
}

fn not_an_interval(shown: &str) -> NameError {
    refusal(format!(
        "'{shown}' is not a sync interval: write minutes, hours or days such as 15m, 1h, 2h30m \
         or 1d, or 'default' for hourly"
    ))
}

fn too_short(shown: &str) -> NameError {
    refusal(format!(
        "a sync interval is at least 5 minutes (5m): {shown} is shorter"
    ))
}

#[cfg(test)]
mod tests {
    use super::SyncInterval;

    fn minutes(text: &str) -> u32 {
        SyncInterval::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unwrap_or_else(|| panic!("{text} is not the default"))
            .minutes()
    }

    #[test]
    fn the_text_form_reads_days_hours_and_minutes() {
        assert_eq!(minutes("15m"), 15);
        assert_eq!(minutes("1h"), 60);
        assert_eq!(minutes("2h30m"), 150);
        assert_eq!(minutes("1d"), 1440);
        assert_eq!(minutes(" 1D 12H "), 36 * 60);
    }

    #[test]
    fn default_and_nothing_mean_the_default() {
        assert_eq!(SyncInterval::parse("default").unwrap(), None);
        assert_eq!(SyncInterval::parse(" Default ").unwrap(), None);
        assert_eq!(SyncInterval::parse("").unwrap(), None);
    }

    #[test]
    fn text_that_is_no_interval_is_refused_with_the_notation() {
        for bad in [
            "15",
            "m",
            "1h1d",
            "1m1m",
            "15 minutes",
            "1.5h",
            "-5m",
            "99999999999d",
        ] {
            let e = SyncInterval::parse(bad).unwrap_err();
            assert_eq!(e.field, "sync_interval");
            assert!(e.message.contains("is not a sync interval"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_bounds_are_five_minutes_and_seven_days() {
        assert!(
            SyncInterval::parse("4m")
                .unwrap_err()
                .message
                .contains("at least 5 minutes")
        );
        assert!(
            SyncInterval::parse("0m")
                .unwrap_err()
                .message
                .contains("at least 5 minutes")
        );
        assert_eq!(minutes("5m"), 5);
        assert_eq!(minutes("7d"), 7 * 1440);
        assert!(
            SyncInterval::parse("7d1m")
                .unwrap_err()
                .message
                .contains("at most 7 days")
        );
    }

    #[test]
    fn seconds_must_be_whole_minutes_within_the_bounds() {
        assert_eq!(SyncInterval::from_seconds(900).unwrap().minutes(), 15);
        assert!(
            SyncInterval::from_seconds(90)
                .unwrap_err()
                .message
                .contains("whole number")
        );
        assert!(
            SyncInterval::from_seconds(240)
                .unwrap_err()
                .message
                .contains("at least")
        );
        assert!(
            SyncInterval::from_seconds(-60)
                .unwrap_err()
                .message
                .contains("at least")
        );
        assert!(
            SyncInterval::from_seconds(8 * 86_400)
                .unwrap_err()
                .message
                .contains("at most")
        );
    }

    #[test]
    fn the_text_form_reads_back_what_it_shows() {
        for m in [5, 15, 59, 60, 61, 150, 1439, 1440, 1441, 2880, 7 * 1440] {
            let i = SyncInterval::parse(&format!("{m}m")).unwrap().unwrap();
            assert_eq!(SyncInterval::parse(&i.to_string()).unwrap(), Some(i), "{i}");
        }
    }

    #[test]
    fn intervals_read_in_words() {
        let words = |t: &str| SyncInterval::parse(t).unwrap().unwrap().describe();
        assert_eq!(words("1h"), "every hour");
        assert_eq!(words("15m"), "every 15 minutes");
        assert_eq!(words("2h30m"), "every 2 hours 30 minutes");
        assert_eq!(words("1h1m"), "every 1 hour 1 minute");
        assert_eq!(words("3h"), "every 3 hours");
        assert_eq!(words("1d"), "every day");
        assert_eq!(words("2d"), "every 2 days");
        assert_eq!(words("1d12h"), "every 36 hours");
    }

    #[test]
    fn a_stored_interval_reads_as_the_scheduler_uses_it() {
        assert_eq!(
            SyncInterval::of_stored(None),
            SyncInterval::default_interval()
        );
        assert_eq!(SyncInterval::default_interval().minutes(), 60);
        assert_eq!(SyncInterval::of_stored(Some(900)).minutes(), 15);
        // Below the floor the scheduler syncs every five minutes.
        assert_eq!(SyncInterval::of_stored(Some(60)).minutes(), 5);
    }
}
