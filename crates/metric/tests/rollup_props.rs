//! For random hourly buckets and random queries (ranges not on hours, every interval, zones at
//! whole-hour, half-hour and DST-changing offsets, every aggregation), the rows a rollup plan
//! reads, folded from the hours, give exactly what the query over all the hours gives. Values
//! are whole numbers, so sums added in another order stay exact.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::HourBucket;
use metric::aggregate::{Aggregation, Interval, Query, TimeRange, query, total};
use metric::rollup::{Read, fold, plan};
use proptest::prelude::*;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
/// 2026-02-20T00:00:00Z: the span holds the March DST changes of Paris and St John's.
const BASE: i64 = 1_771_545_600_000;
const HOURS: i64 = 60 * 24;

const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Paris",
    "Asia/Kolkata",
    "America/St_Johns",
    "Asia/Kathmandu",
];

fn arb_hours() -> impl Strategy<Value = Vec<HourBucket>> {
    prop::collection::vec(
        (
            0..HOURS,
            prop::option::of(prop::sample::select(vec!["a", "b", "c"])),
            -50i64..50,
            1u64..4,
            0..60i64,
            -50i64..50,
        ),
        0..400,
    )
    .prop_map(|raw| {
        let mut by_key: BTreeMap<(i64, Option<&str>), HourBucket> = BTreeMap::new();
        for (h, dim, v, count, minute, latest) in raw {
            let hour = BASE + h * HOUR;
            by_key.insert(
                (hour, dim),
                HourBucket {
                    hour,
                    dimension: dim.map(str::to_owned),
                    sum: (v * count as i64) as f64,
                    count,
                    min: (v - 3) as f64,
                    max: (v + 5) as f64,
                    latest: latest as f64,
                    // Several hours share a latest instant's minute, so ties are decided too.
                    latest_at: hour + (minute % 3) * 20 * MINUTE,
                },
            );
        }
        by_key.into_values().collect()
    })
}

fn arb_interval() -> impl Strategy<Value = Interval> {
    prop::sample::select(Interval::ALL.to_vec())
}

/// A range starting anywhere in the span (any minute) and lasting up to the whole span.
fn arb_range() -> impl Strategy<Value = TimeRange> {
    (-(24 * 60)..HOURS * 60, 0..(HOURS * 60 + 48 * 60)).prop_map(|(start, len)| {
        let s = BASE + start * MINUTE;
        TimeRange::new(
            Timestamp::from_millisecond(s).unwrap(),
            Timestamp::from_millisecond(s + len * MINUTE).unwrap(),
        )
        .unwrap()
    })
}

fn with_dimension(rows: &[HourBucket], dim: Option<&str>) -> Vec<HourBucket> {
    rows.iter()
        .filter(|b| b.dimension.as_deref() == dim)
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn planned_reads_give_what_every_hour_gives(
        hours in arb_hours(),
        queries in prop::collection::vec((arb_range(), arb_interval()), 1..4),
        zone in prop::sample::select(ZONES.to_vec()),
        top in 0usize..4,
    ) {
        let zone = TimeZone::get(zone).unwrap();
        let reads = plan(&queries, &zone).unwrap();
        let read = fold(&hours, &reads);
        for (range, interval) in &queries {
            for aggregation in Aggregation::ALL {
                let q = Query { range: *range, interval: *interval, aggregation, zone: zone.clone(), top };
                prop_assert_eq!(query(&read, &q).unwrap(), query(&hours, &q).unwrap(), "{:?} {:?}", q, reads);
                prop_assert_eq!(total(&read, range, aggregation), total(&hours, range, aggregation));
                // A block filtered to one dimension filters the folded rows the same way.
                prop_assert_eq!(
                    query(&with_dimension(&read, Some("a")), &q).unwrap(),
                    query(&with_dimension(&hours, Some("a")), &q).unwrap()
                );
            }
        }
    }

    #[test]
    fn reads_are_sorted_disjoint_and_whole_hours(
        queries in prop::collection::vec((arb_range(), arb_interval()), 1..4),
        zone in prop::sample::select(ZONES.to_vec()),
    ) {
        let zone = TimeZone::get(zone).unwrap();
        let reads = plan(&queries, &zone).unwrap();
        let mut last = i64::MIN;
        for r in &reads {
            let (from, to, unit) = match *r {
                Read::Hours { from_ms, to_ms }
                | Read::Fold { from_ms, to_ms }
                | Read::LocalDays { from_ms, to_ms, .. } => (from_ms, to_ms, HOUR),
                Read::Days { from_ms, to_ms } => (from_ms, to_ms, 24 * HOUR),
            };
            prop_assert!(last <= from && from < to, "{:?}", reads);
            prop_assert!(from % unit == 0 && to % unit == 0, "{:?}", r);
            last = to;
        }
    }
}

/// The benchmark board's shape: a year by local day in Paris reads one row per day and
/// dimension, not 24, with one range scan per stretch between DST changes (plus the two days
/// of the changes, 23 and 25 hours, folded on their own).
#[test]
fn a_year_by_day_in_paris_reads_a_row_per_local_day() {
    let zone = TimeZone::get("Europe/Paris").unwrap();
    let range = TimeRange::new(
        "2025-01-01T00:00:00+01:00".parse().unwrap(),
        "2026-01-01T00:00:00+01:00".parse().unwrap(),
    )
    .unwrap();
    let reads = plan(&[(range, Interval::Day)], &zone).unwrap();
    let folds = |r: &Read| match *r {
        Read::Fold { .. } => 1,
        Read::LocalDays { from_ms, to_ms, .. } => (to_ms - from_ms + HOUR) / (24 * HOUR),
        _ => panic!("{r:?} in a year of local days"),
    };
    assert_eq!(reads.iter().map(folds).sum::<i64>(), 365, "{reads:?}");
    assert!(reads.len() <= 5, "{reads:?}");
}
