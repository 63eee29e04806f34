//! Where axis ticks go. Value ticks are "nice numbers" (1, 2 or 5 × a power of ten) covering the
//! data; date ticks fall on calendar boundaries (midnight, Mondays, first of a month or a
//! quarter) and are thinned until their labels fit side by side.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::Interval;

use crate::svg::text_width;

/// Evenly spaced round values covering `[min, max]`, about `target` of them. The first tick is
/// at or below `min`, the last at or above `max`.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let (min, max) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else {
        (0.0, 1.0)
    };
    let (min, max) = if min == max {
        // A flat series still gets an axis: widen around the value.
        if min == 0.0 {
            (0.0, 1.0)
        } else {
            (min.min(0.0), max.max(0.0))
        }
    } else {
        (min, max)
    };
    let step = nice_step((max - min) / target.max(2).saturating_sub(1) as f64);
    let first = (min / step).floor();
    let last = (max / step).ceil();
    // Multiplying an integer count by the step avoids accumulating 0.1 + 0.2 errors.
    (first as i64..=last as i64)
        .map(|i| clean(i as f64 * step))
        .collect()
}

/// A chart's value axis: round ticks covering `lo..hi` (about one per 36 pixels of a plot
/// `plot_h` high, at most `most`), their labels in the metric's format, and the ticks' span.
pub(crate) struct ValueAxis {
    pub ticks: Vec<f64>,
    pub labels: Vec<String>,
    /// The lowest and highest tick.
    pub lo: f64,
    pub hi: f64,
}

impl ValueAxis {
    pub(crate) fn new(
        lo: f64,
        hi: f64,
        plot_h: f64,
        most: usize,
        format: &metric::definition::NumberFormat,
    ) -> ValueAxis {
        let ticks = nice_ticks(lo, hi, ((plot_h / 36.0) as usize).clamp(2, most));
        let (t_lo, t_hi) = (ticks[0], *ticks.last().unwrap_or(&1.0));
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        let largest = t_lo.abs().max(t_hi.abs());
        let labels = ticks
            .iter()
            .map(|&t| crate::format::format_axis(t, step, largest, format))
            .collect();
        ValueAxis {
            ticks,
            labels,
            lo: t_lo,
            hi: t_hi,
        }
    }

    /// The width the widest label needs.
    pub(crate) fn label_width(&self) -> f64 {
        self.labels
            .iter()
            .map(|l| crate::svg::text_width(l))
            .fold(0.0, f64::max)
    }
}

/// The round number (1, 2, 2.5 or 5 × 10^k) nearest above `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Drops float noise such as `0.30000000000000004`, so labels and snapshots are stable.
fn clean(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// A labelled tick on a time axis: the index of the point it marks and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTick {
    pub index: usize,
    pub label: String,
}

/// The most date ticks that fit under a plot `plot_w` wide without two neighbouring labels
/// overlapping, `widest` being the width of a typical label and `x` a point's horizontal position.
pub(crate) fn fitting_date_ticks(
    starts: &[Timestamp],
    interval: Interval,
    zone: &TimeZone,
    plot_w: f64,
    widest: f64,
    x: impl Fn(usize) -> f64,
) -> Vec<DateTick> {
    let mut max_labels = ((plot_w / (widest + 12.0)) as usize).max(1);
    loop {
        let candidate = date_ticks(starts, interval, zone, max_labels);
        let fits = candidate.windows(2).all(|w| {
            x(w[1].index) - x(w[0].index)
                >= (text_width(&w[0].label) + text_width(&w[1].label)) / 2.0 + 8.0
        });
        if fits || max_labels == 1 {
            return candidate;
        }
        max_labels -= 1;
    }
}

/// Ticks for points starting at `starts` (one per interval), at most `max_labels` of them. A
/// point is labelled when its calendar ordinal (hours, days, months... since a fixed origin in
/// `zone`) is a multiple of a round stride, so labels land on midnights, Mondays, quarters.
pub fn date_ticks(
    starts: &[Timestamp],
    interval: Interval,
    zone: &TimeZone,
    max_labels: usize,
) -> Vec<DateTick> {
    if starts.is_empty() || max_labels == 0 {
        return Vec::new();
    }
    let ordinals: Vec<i64> = starts.iter().map(|t| ordinal(*t, interval, zone)).collect();
    let strides: &[i64] = match interval {
        Interval::Hour => &[1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 2160, 4320, 8760],
        Interval::Day => &[1, 2, 7, 14, 28, 91, 182, 364, 728],
        Interval::Week => &[1, 2, 4, 8, 13, 26, 52, 104],
        Interval::Month => &[1, 2, 3, 6, 12, 24, 60],
        Interval::Quarter => &[1, 2, 4, 8, 20],
        Interval::Year => &[1, 2, 5, 10, 20, 50],
    };
    let mut chosen = Vec::new();
    for &stride in strides {
        chosen = ordinals
            .iter()
            .enumerate()
            .filter(|(_, o)| o.rem_euclid(stride) == 0)
            .map(|(i, _)| i)
            .collect();
        if chosen.len() <= max_labels && !chosen.is_empty() {
            break;
        }
    }
    if chosen.is_empty() || chosen.len() > max_labels {
        // No round stride fits (a very short or odd series): label the first point only.
        chosen = vec![0];
    }
    let mut previous: Option<jiff::Zoned> = None;
    chosen
        .into_iter()
        .map(|index| {
            let z = starts[index].to_zoned(zone.clone());
            let label = date_label(&z, previous.as_ref(), interval);
            previous = Some(z);
            DateTick { index, label }
        })
        .collect()
}

/// Counts intervals from a fixed origin in the zone's calendar. Days count from Monday
/// 1970-01-05 so a 7-day stride lands on Mondays; weeks and a 364-day stride stay on Mondays.
fn ordinal(t: Timestamp, interval: Interval, zone: &TimeZone) -> i64 {
    let z = t.to_zoned(zone.clone());
    let date = z.date();
    let days = days_since_monday_origin(date);
    match interval {
        Interval::Hour => days * 24 + i64::from(z.hour()),
        Interval::Day => days,
        Interval::Week => days.div_euclid(7),
        Interval::Month => i64::from(date.year()) * 12 + i64::from(date.month()) - 1,
        Interval::Quarter => i64::from(date.year()) * 4 + i64::from(date.month() - 1) / 3,
        Interval::Year => i64::from(date.year()),
    }
}

fn days_since_monday_origin(date: jiff::civil::Date) -> i64 {
    let origin = jiff::civil::date(1970, 1, 5);
    i64::from(
        date.since((jiff::Unit::Day, origin))
            .map(|s| s.get_days())
            .unwrap_or(0),
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A short label that says only what changed since the previous label: an hour tick names the
/// day when the day changes, a month tick names the year in January or on the first label.
fn date_label(z: &jiff::Zoned, previous: Option<&jiff::Zoned>, interval: Interval) -> String {
    let month = MONTHS[usize::from(z.month().unsigned_abs()) - 1];
    let new_year = previous.is_none_or(|p| p.year() != z.year());
    match interval {
        Interval::Hour => {
            if previous.is_none_or(|p| p.date() != z.date()) {
                format!("{month} {} {:02}:00", z.day(), z.hour())
            } else {
                format!("{:02}:00", z.hour())
            }
        }
        Interval::Day | Interval::Week => {
            if new_year && previous.is_some() {
                format!("{month} {} {}", z.day(), z.year())
            } else {
                format!("{month} {}", z.day())
            }
        }
        Interval::Month => {
            if new_year {
                format!("{month} {}", z.year())
            } else {
                month.to_owned()
            }
        }
        Interval::Quarter => format!("Q{} {}", (z.month() - 1) / 3 + 1, z.year()),
        Interval::Year => z.year().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round_and_cover_the_data() {
        assert_eq!(nice_ticks(0.0, 97.0, 5), vec![0.0, 25.0, 50.0, 75.0, 100.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(
            nice_ticks(-3.0, 7.0, 6),
            vec![-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]
        );
        assert_eq!(nice_ticks(0.0, 0.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 12345.0, 5),
            vec![0.0, 5000.0, 10000.0, 15000.0]
        );
        assert_eq!(nice_ticks(0.1, 0.3, 3), vec![0.1, 0.2, 0.3]);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(13.0), 20.0);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(3000.0), 5000.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    fn hours(from: &str, n: i64) -> Vec<Timestamp> {
        let start: Timestamp = from.parse().unwrap();
        (0..n)
            .map(|i| {
                start
                    .checked_add(jiff::SignedDuration::from_hours(i))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn hourly_ticks_land_on_round_hours_and_name_the_day_when_it_changes() {
        let starts = hours("2026-03-02T05:00:00Z", 48);
        let ticks = date_ticks(&starts, Interval::Hour, &TimeZone::UTC, 8);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Mar 2 06:00",
                "12:00",
                "18:00",
                "Mar 3 00:00",
                "06:00",
                "12:00",
                "18:00",
                "Mar 4 00:00"
            ]
        );
        assert!(ticks.len() <= 8);
    }

    #[test]
    fn daily_ticks_thin_to_mondays_in_the_display_zone() {
        // 2026-03-01 is a Sunday; in New York the day starts at 05:00 UTC (EST).
        let zone = TimeZone::get("America/New_York").unwrap();
        let first: Timestamp = "2026-03-01T05:00:00Z".parse().unwrap();
        let starts: Vec<Timestamp> = (0..31)
            .map(|d| {
                first
                    .to_zoned(zone.clone())
                    .checked_add(jiff::Span::new().days(d))
                    .unwrap()
                    .timestamp()
            })
            .collect();
        let ticks = date_ticks(&starts, Interval::Day, &zone, 6);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["Mar 2", "Mar 9", "Mar 16", "Mar 23", "Mar 30"]);
    }

    #[test]
    fn monthly_ticks_name_the_year_once() {
        let starts: Vec<Timestamp> = (0..14)
            .map(|m| {
                jiff::civil::date(2025, 11, 1)
                    .checked_add(jiff::Span::new().months(m))
                    .unwrap()
                    .to_zoned(TimeZone::UTC)
                    .unwrap()
                    .timestamp()
            })
            .collect();
        let ticks = date_ticks(&starts, Interval::Month, &TimeZone::UTC, 5);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["Jan 2026", "Apr", "Jul", "Oct"]);
    }
}
