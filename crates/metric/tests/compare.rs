//! Comparisons with an earlier period, and whether the change is good news.

mod support;

use jiff::tz::TimeZone;
use metric::aggregate::{Aggregation, Interval, TimeRange};
use metric::bucket::fold_rows;
use metric::compare::{Comparison, Trend, Verdict, change, compare, comparison_ranges};
use metric::rows::Row;
use support::ts;

fn range(a: &str, b: &str) -> TimeRange {
    TimeRange::new(ts(a), ts(b)).unwrap()
}

#[test]
fn the_previous_period_has_the_same_length_just_before() {
    let r = range("2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z");
    let (cur, prev) = comparison_ranges(&r, Comparison::PreviousPeriod, &TimeZone::UTC).unwrap();
    assert_eq!(cur, r);
    assert_eq!(prev, range("2026-05-03T00:00:00Z", "2026-05-10T00:00:00Z"));
}

#[test]
fn the_same_period_last_year_shifts_both_ends_by_a_civil_year() {
    let r = range("2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z");
    let (_, prev) = comparison_ranges(&r, Comparison::SamePeriodLastYear, &TimeZone::UTC).unwrap();
    assert_eq!(prev, range("2023-02-28T00:00:00Z", "2023-03-01T00:00:00Z"));
}

#[test]
fn month_to_date_compares_the_same_elapsed_part_of_last_month() {
    let now = ts("2026-03-10T12:00:00Z");
    let r = range("2026-03-01T00:00:00Z", "2026-03-10T12:00:00Z");
    let (cur, prev) = comparison_ranges(
        &r,
        Comparison::PeriodToDate {
            period: Interval::Month,
            now,
        },
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(cur, range("2026-03-01T00:00:00Z", "2026-03-10T12:00:00Z"));
    assert_eq!(prev, range("2026-02-01T00:00:00Z", "2026-02-10T12:00:00Z"));
}

#[test]
fn period_to_date_is_capped_at_the_end_of_a_shorter_previous_period() {
    let now = ts("2026-03-31T12:00:00Z");
    let r = range("2026-03-01T00:00:00Z", "2026-03-31T12:00:00Z");
    let (_, prev) = comparison_ranges(
        &r,
        Comparison::PeriodToDate {
            period: Interval::Month,
            now,
        },
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(prev, range("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"));
}

#[test]
fn change_reports_absolute_percent_and_ratio() {
    let c = change(Some(150.0), Some(100.0), Trend::Up);
    assert_eq!(c.absolute, Some(50.0));
    assert_eq!(c.percent, Some(50.0));
    assert_eq!(c.ratio, Some(1.5));
    assert_eq!(c.verdict, Verdict::Good);
}

#[test]
fn a_rise_is_bad_news_when_down_is_favourable() {
    assert_eq!(
        change(Some(3.0), Some(2.0), Trend::Down).verdict,
        Verdict::Bad
    );
    assert_eq!(
        change(Some(1.0), Some(2.0), Trend::Down).verdict,
        Verdict::Good
    );
    assert_eq!(
        change(Some(2.0), Some(2.0), Trend::Down).verdict,
        Verdict::Unchanged
    );
}

#[test]
fn from_zero_there_is_no_percent_or_ratio() {
    let c = change(Some(5.0), Some(0.0), Trend::Up);
    assert_eq!((c.absolute, c.percent, c.ratio), (Some(5.0), None, None));
    assert_eq!(change(None, Some(1.0), Trend::Up).verdict, Verdict::Unknown);
}

#[test]
fn a_percent_change_from_a_negative_value_keeps_the_direction() {
    // Costs are negative in Twilio: from -10 to -5 is a rise of 50 %.
    assert_eq!(
        change(Some(-5.0), Some(-10.0), Trend::Up).percent,
        Some(50.0)
    );
}

#[test]
fn compare_totals_over_buckets() {
    let rows: Vec<Row> = [("2026-05-05T10:00:00Z", 2.0), ("2026-05-12T10:00:00Z", 3.0)]
        .iter()
        .map(|(at, v)| Row {
            value: *v,
            date: ts(at),
            dimension: None,
        })
        .collect();
    let (_, _, c) = compare(
        &fold_rows(&rows),
        &range("2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z"),
        Comparison::PreviousPeriod,
        Aggregation::Sum,
        &TimeZone::UTC,
        Trend::Up,
    )
    .unwrap();
    assert_eq!(
        (c.current, c.previous, c.verdict),
        (Some(3.0), Some(2.0), Verdict::Good)
    );
}
