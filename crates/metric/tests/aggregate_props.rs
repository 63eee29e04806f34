//! For random rows and every function, interval and range, aggregating the hourly buckets gives
//! what aggregating the raw rows directly gives. The direct side computes interval keys with
//! its own calendar arithmetic (no jiff), in UTC and in fixed whole-hour offsets.

mod support;

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use metric::aggregate::{Aggregation, Interval, Query, TimeRange, query};
use metric::bucket::fold_rows;
use metric::rows::Row;
use proptest::prelude::*;
use support::pages::{civil_from_days, days_from_civil};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2026-01-01T00:00:00Z; rows fall within about two years after it.
const BASE: i64 = 1_767_225_600_000;
const SPAN: i64 = 730 * DAY;

#[derive(Debug, Clone)]
struct RawRow {
    value: f64,
    at: i64,
    dim: Option<String>,
}

fn arb_rows() -> impl Strategy<Value = Vec<RawRow>> {
    prop::collection::vec(
        (
            -100_000i64..100_000,
            0..SPAN,
            // More dimensions than the aggregation scans before it hashes.
            prop::option::of(prop::sample::select(vec![
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
            ])),
        )
            .prop_map(|(cents, offset, dim)| RawRow {
                value: cents as f64 / 100.0,
                at: BASE + offset,
                dim: dim.map(str::to_owned),
            }),
        0..120,
    )
}

fn to_rows(raw: &[RawRow]) -> Vec<Row> {
    raw.iter()
        .map(|r| Row {
            value: r.value,
            date: Timestamp::from_millisecond(r.at).unwrap(),
            dimension: r.dim.clone(),
        })
        .collect()
}

/// The interval a local instant (UTC ms shifted by the zone offset) falls in, as a key.
fn key(local_ms: i64, interval: Interval) -> i64 {
    let days = local_ms.div_euclid(DAY);
    let (y, m, _) = civil_from_days(days);
    match interval {
        Interval::Hour => local_ms.div_euclid(HOUR),
        Interval::Day => days,
        // 1970-01-01 was a Thursday: Monday-based weeks start three days later.
        Interval::Week => (days + 3).div_euclid(7),
        Interval::Month => y * 12 + i64::from(m) - 1,
        Interval::Quarter => y * 4 + (i64::from(m) - 1) / 3,
        Interval::Year => y,
    }
}

/// The aggregation over raw rows, directly.
fn direct(rows: &[&RawRow], f: Aggregation) -> Option<f64> {
    let n = rows.len();
    if n == 0 {
        return match f {
            Aggregation::Sum | Aggregation::Count => Some(0.0),
            _ => None,
        };
    }
    let sum: f64 = rows.iter().map(|r| r.value).sum();
    Some(match f {
        Aggregation::Sum => sum,
        Aggregation::Count => n as f64,
        Aggregation::Average => sum / n as f64,
        Aggregation::Min => rows.iter().map(|r| r.value).fold(f64::INFINITY, f64::min),
        Aggregation::Max => rows
            .iter()
            .map(|r| r.value)
            .fold(f64::NEG_INFINITY, f64::max),
        Aggregation::Latest => {
            rows.iter()
                .max_by(|a, b| a.at.cmp(&b.at).then(a.value.total_cmp(&b.value)))
                .unwrap()
                .value
        }
    })
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs())),
        (None, None) => true,
        _ => false,
    }
}

fn arb_range() -> impl Strategy<Value = (i64, i64)> {
    (0..SPAN / HOUR, 0..SPAN / HOUR).prop_map(|(a, b)| {
        let (s, e) = if a <= b { (a, b) } else { (b, a) };
        (BASE + s * HOUR, BASE + e * HOUR)
    })
}

fn arb_offset_hours() -> impl Strategy<Value = i8> {
    prop::sample::select(vec![0i8, 0, 2, -5, 9, 14, -11])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn buckets_give_the_same_totals_series_and_breakdowns_as_raw_rows(
        raw in arb_rows(),
        (start, end) in arb_range(),
        offset_hours in arb_offset_hours(),
        top in 0usize..5,
    ) {
        let buckets = fold_rows(&to_rows(&raw));
        let offset_ms = i64::from(offset_hours) * HOUR;
        let zone = TimeZone::fixed(Offset::constant(offset_hours));
        let range = TimeRange::new(
            Timestamp::from_millisecond(start).unwrap(),
            Timestamp::from_millisecond(end).unwrap(),
        ).unwrap();
        let in_range: Vec<&RawRow> = raw.iter().filter(|r| start <= r.at && r.at < end).collect();
        for interval in Interval::ALL {
            for f in Aggregation::ALL {
                let q = Query { range, interval, aggregation: f, zone: zone.clone(), top };
                let got = query(&buckets, &q).unwrap();
                prop_assert!(close(got.total, direct(&in_range, f)), "total {f:?}");
                // Order does not matter: the same buckets backwards give the same answer.
                let backwards: Vec<_> = buckets.iter().rev().cloned().collect();
                let again = query(&backwards, &q).unwrap();
                prop_assert!(close(again.total, got.total));
                prop_assert_eq!(again.series.len(), got.series.len());
                for (a, b) in again.series.iter().zip(&got.series) {
                    prop_assert!(close(a.value, b.value), "{interval:?} {f:?} backwards");
                }

                // Series: one point per interval from the one holding the start to the one
                // holding the last instant, each the direct aggregation of its rows.
                let k = |ms: i64| key(ms + offset_ms, interval);
                if start == end {
                    prop_assert!(got.series.is_empty());
                } else {
                    let keys: Vec<i64> = got.series.iter().map(|p| k(p.start.as_millisecond())).collect();
                    prop_assert_eq!(keys.first().copied(), Some(k(start)));
                    prop_assert_eq!(keys.last().copied(), Some(k(end - 1)));
                    prop_assert!(keys.windows(2).all(|w| w[1] == w[0] + 1), "{interval:?} keys {keys:?}");
                }
                let mut by_key: std::collections::HashMap<i64, Vec<&RawRow>> = Default::default();
                for r in &in_range {
                    by_key.entry(k(r.at)).or_default().push(r);
                }
                for p in &got.series {
                    let mine = by_key.get(&k(p.start.as_millisecond())).map_or(&[][..], Vec::as_slice);
                    prop_assert!(close(p.value, direct(mine, f)), "{interval:?} {f:?} at {}", p.start);
                }

                // Breakdown: each named dimension, and the rest as "other".
                let mut named = Vec::new();
                for s in &got.breakdown {
                    let mine: Vec<&RawRow> = in_range.iter().copied().filter(|r| r.dim == s.dimension).collect();
                    prop_assert!(!mine.is_empty());
                    prop_assert!(close(s.value, direct(&mine, f)), "{f:?} {:?}", s.dimension);
                    named.push(s.dimension.clone());
                }
                let rest: Vec<&RawRow> = in_range.iter().copied().filter(|r| !named.contains(&r.dim)).collect();
                match got.other {
                    Some(other) => prop_assert!(close(other, direct(&rest, f))),
                    None => prop_assert!(rest.is_empty()),
                }
                prop_assert!(got.breakdown.len() <= top);
            }
        }
    }

    #[test]
    fn folding_pages_separately_and_merging_equals_folding_all_rows(raw in arb_rows(), cut in 0usize..120) {
        let rows = to_rows(&raw);
        let cut = cut.min(rows.len());
        let whole = fold_rows(&rows);
        let mut merged = fold_rows(&rows[..cut]);
        for b in fold_rows(&rows[cut..]) {
            match merged.iter_mut().find(|m| m.hour == b.hour && m.dimension == b.dimension) {
                Some(m) => m.merge(&b),
                None => merged.push(b),
            }
        }
        merged.sort_by(|a, b| (a.hour, &a.dimension).cmp(&(b.hour, &b.dimension)));
        prop_assert_eq!(whole.len(), merged.len());
        for (w, m) in whole.iter().zip(&merged) {
            prop_assert_eq!((w.hour, &w.dimension, w.count, w.min, w.max, w.latest, w.latest_at),
                (m.hour, &m.dimension, m.count, m.min, m.max, m.latest, m.latest_at));
            prop_assert!(close(Some(w.sum), Some(m.sum)));
        }
    }
}

#[test]
fn the_key_arithmetic_of_this_test_agrees_with_known_dates() {
    // 2026-03-30 is a Monday; 2026-04-05 a Sunday of the same ISO week.
    let monday = days_from_civil(2026, 3, 30) * DAY;
    let sunday = days_from_civil(2026, 4, 5) * DAY;
    assert_eq!(key(monday, Interval::Week), key(sunday, Interval::Week));
    assert_ne!(key(monday - 1, Interval::Week), key(monday, Interval::Week));
    assert_eq!(key(monday, Interval::Quarter), 2026 * 4);
    assert_eq!(key(sunday, Interval::Quarter), 2026 * 4 + 1);
}
