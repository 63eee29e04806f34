//! Aggregation cases the property test does not reach: zones with DST and sub-hour offsets,
//! ranges off the hour, empty intervals, breakdown order, limits on the number of points.

mod support;

use jiff::tz::TimeZone;
use metric::aggregate::{Aggregation, Interval, Query, QueryError, TimeRange, query};
use metric::bucket::fold_rows;
use metric::rows::Row;
use support::ts;

fn row(value: f64, at: &str, dim: Option<&str>) -> Row {
    Row {
        value,
        date: ts(at),
        dimension: dim.map(str::to_owned),
    }
}

fn q(start: &str, end: &str, interval: Interval, f: Aggregation, zone: TimeZone) -> Query {
    Query {
        range: TimeRange::new(ts(start), ts(end)).unwrap(),
        interval,
        aggregation: f,
        zone,
        top: 10,
    }
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("the system time zone database")
}

#[test]
fn days_in_paris_begin_at_local_midnight_across_the_dst_change() {
    // 2026-03-29: Paris moves from +01:00 to +02:00; that day has 23 hours.
    let rows = [
        row(1.0, "2026-03-28T22:30:00Z", None), // 23:30 on the 28th in Paris
        row(2.0, "2026-03-28T23:30:00Z", None), // 00:30 on the 29th
        row(4.0, "2026-03-29T21:30:00Z", None), // 23:30 on the 29th (+02:00)
        row(8.0, "2026-03-29T22:30:00Z", None), // 00:30 on the 30th
    ];
    let got = query(
        &fold_rows(&rows),
        &q(
            "2026-03-27T23:00:00Z",
            "2026-03-30T22:00:00Z",
            Interval::Day,
            Aggregation::Sum,
            zone("Europe/Paris"),
        ),
    )
    .unwrap();
    let starts: Vec<String> = got.series.iter().map(|p| p.start.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2026-03-27T23:00:00Z",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z"
        ]
    );
    let values: Vec<Option<f64>> = got.series.iter().map(|p| p.value).collect();
    assert_eq!(values, [Some(1.0), Some(6.0), Some(8.0)]);
}

#[test]
fn weeks_start_on_monday_in_the_display_zone() {
    // Sunday 2026-11-01 23:30 in New York is Monday 04:30 UTC.
    let rows = [row(1.0, "2026-11-02T04:30:00Z", None)];
    let got = query(
        &fold_rows(&rows),
        &q(
            "2026-10-20T00:00:00Z",
            "2026-11-10T00:00:00Z",
            Interval::Week,
            Aggregation::Count,
            zone("America/New_York"),
        ),
    )
    .unwrap();
    let holding: Vec<String> = got
        .series
        .iter()
        .filter(|p| p.value == Some(1.0))
        .map(|p| p.start.to_string())
        .collect();
    // The week of Monday 2026-10-26, which begins at 04:00 UTC (EDT).
    assert_eq!(holding, ["2026-10-26T04:00:00Z"]);
}

#[test]
fn in_a_half_hour_zone_an_hour_goes_to_the_day_where_it_starts() {
    // Kolkata is +05:30: local midnight of 2026-05-02 is 18:30 UTC on 05-01. The bucket of the
    // UTC hour 18:00-19:00 starts at 23:30 local on 05-01, so all of it counts for 05-01,
    // including a row at 18:45 UTC (00:15 local on 05-02).
    let rows = [row(1.0, "2026-05-01T18:45:00Z", None)];
    let got = query(
        &fold_rows(&rows),
        &q(
            "2026-04-30T18:30:00Z",
            "2026-05-02T18:30:00Z",
            Interval::Day,
            Aggregation::Count,
            zone("Asia/Kolkata"),
        ),
    )
    .unwrap();
    let values: Vec<Option<f64>> = got.series.iter().map(|p| p.value).collect();
    assert_eq!(values, [Some(1.0), Some(0.0)]);
}

#[test]
fn a_range_off_the_hour_includes_the_hours_starting_inside_it() {
    let rows = [
        row(1.0, "2026-05-01T10:10:00Z", None),
        row(2.0, "2026-05-01T11:10:00Z", None),
    ];
    let buckets = fold_rows(&rows);
    let got = query(
        &buckets,
        &q(
            "2026-05-01T10:30:00Z",
            "2026-05-01T11:30:00Z",
            Interval::Hour,
            Aggregation::Sum,
            TimeZone::UTC,
        ),
    )
    .unwrap();
    assert_eq!(got.total, Some(2.0));
    assert_eq!(got.series[0].start, ts("2026-05-01T10:30:00Z"));
}

#[test]
fn empty_intervals_have_zero_sum_and_no_average() {
    let rows = [row(3.0, "2026-05-01T10:00:00Z", None)];
    let buckets = fold_rows(&rows);
    for (f, empty) in [
        (Aggregation::Sum, Some(0.0)),
        (Aggregation::Count, Some(0.0)),
        (Aggregation::Average, None),
        (Aggregation::Min, None),
        (Aggregation::Max, None),
        (Aggregation::Latest, None),
    ] {
        let got = query(
            &buckets,
            &q(
                "2026-05-01T00:00:00Z",
                "2026-05-03T00:00:00Z",
                Interval::Day,
                f,
                TimeZone::UTC,
            ),
        )
        .unwrap();
        assert_eq!(got.series.len(), 2);
        assert_eq!(got.series[1].value, empty, "{f:?}");
    }
}

#[test]
fn average_is_sum_over_count_not_an_average_of_hourly_averages() {
    let rows = [
        row(1.0, "2026-05-01T10:00:00Z", None),
        row(1.0, "2026-05-01T10:20:00Z", None),
        row(1.0, "2026-05-01T10:40:00Z", None),
        row(10.0, "2026-05-01T11:00:00Z", None),
    ];
    let got = query(
        &fold_rows(&rows),
        &q(
            "2026-05-01T00:00:00Z",
            "2026-05-02T00:00:00Z",
            Interval::Day,
            Aggregation::Average,
            TimeZone::UTC,
        ),
    )
    .unwrap();
    assert_eq!(got.total, Some(13.0 / 4.0));
}

#[test]
fn the_breakdown_names_the_top_dimensions_and_groups_the_rest() {
    let mut rows = Vec::new();
    for (dim, n) in [("delivered", 5), ("sent", 3), ("failed", 2), ("queued", 1)] {
        for _ in 0..n {
            rows.push(row(1.0, "2026-05-01T10:00:00Z", Some(dim)));
        }
    }
    let mut query_ = q(
        "2026-05-01T00:00:00Z",
        "2026-05-02T00:00:00Z",
        Interval::Day,
        Aggregation::Count,
        TimeZone::UTC,
    );
    query_.top = 2;
    let got = query(&fold_rows(&rows), &query_).unwrap();
    let named: Vec<(Option<String>, Option<f64>)> = got
        .breakdown
        .into_iter()
        .map(|s| (s.dimension, s.value))
        .collect();
    assert_eq!(
        named,
        [
            (Some("delivered".to_owned()), Some(5.0)),
            (Some("sent".to_owned()), Some(3.0))
        ]
    );
    assert_eq!(got.other, Some(Some(3.0)));
}

#[test]
fn too_many_points_is_an_error_not_a_huge_answer() {
    let err = query(
        &[],
        &q(
            "2000-01-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
            Interval::Hour,
            Aggregation::Sum,
            TimeZone::UTC,
        ),
    )
    .unwrap_err();
    assert!(matches!(err, QueryError::TooManyPoints { .. }));
}

#[test]
fn a_backwards_range_is_refused() {
    let err = TimeRange::new(ts("2026-05-02T00:00:00Z"), ts("2026-05-01T00:00:00Z")).unwrap_err();
    assert!(matches!(err, QueryError::BackwardsRange { .. }));
}

#[test]
fn an_interval_is_named_as_a_definition_writes_it_and_read_back_from_that_name() {
    for (interval, written) in [
        (Interval::Hour, "hour"),
        (Interval::Day, "day"),
        (Interval::Week, "week"),
        (Interval::Month, "month"),
        (Interval::Quarter, "quarter"),
        (Interval::Year, "year"),
    ] {
        assert_eq!(interval.name(), written);
        assert_eq!(serde_json::to_value(interval).unwrap(), written);
        assert_eq!(Interval::from_name(written), Some(interval));
    }
    assert_eq!(Interval::from_name("fortnight"), None);
}
