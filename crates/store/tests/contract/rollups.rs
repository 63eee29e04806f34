//! Daily rollups and folded reads: after random writes of every kind (windows, points, merged
//! dimensions), every day's rollup and every folded span equal the fold of their hours, computed
//! here from the hours the store returns. Values are quarters, so sums stay exact whatever the
//! order the database adds them in.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{BucketQuery, BucketRow, FoldedQuery, HOUR_MS, MetricId, NewMetric, Point, Store};

use crate::support::{Harness, key_a};

const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const DAYS: i64 = 12;
const DIMENSIONS: [&str; 3] = ["", "delivered", "failed"];

async fn metric<S: Store>(store: &S, name: &str) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id
}

fn quarter(rng: &mut StdRng) -> f64 {
    f64::from(rng.random_range(-400..400)) / 4.0
}

fn random_window(rng: &mut StdRng) -> (i64, i64, Vec<BucketRow>) {
    let from = T0 + rng.random_range(0..DAYS * 24) * HOUR_MS;
    let to = (from + rng.random_range(1..72) * HOUR_MS).min(T0 + DAYS * DAY_MS);
    let mut rows = Vec::new();
    for hour in (from..to).step_by(HOUR_MS as usize) {
        for dim in DIMENSIONS {
            if rng.random_bool(0.6) {
                let (a, b) = (quarter(rng), quarter(rng));
                rows.push(BucketRow {
                    dimension: dim.to_owned(),
                    hour_ms: hour,
                    sum: a + b,
                    count: rng.random_range(1..5),
                    min: a.min(b),
                    max: a.max(b),
                    latest: quarter(rng),
                    // Coarse instants, so that two hours of a day can tie on the latest one.
                    latest_at_ms: hour + rng.random_range(0..2) * 30 * 60_000,
                });
            }
        }
    }
    (from, to, rows)
}

/// The fold of the hours per (dimension, label), as the engine folds: sums and counts add, min
/// and max widen, the latest wins by (instant, value).
fn fold_by(hours: &[BucketRow], label: impl Fn(i64) -> Option<i64>) -> Vec<BucketRow> {
    let mut out: BTreeMap<(String, i64), BucketRow> = BTreeMap::new();
    for h in hours {
        let Some(at) = label(h.hour_ms) else { continue };
        match out.get_mut(&(h.dimension.clone(), at)) {
            None => {
                out.insert(
                    (h.dimension.clone(), at),
                    BucketRow {
                        hour_ms: at,
                        ..h.clone()
                    },
                );
            }
            Some(g) => {
                g.sum += h.sum;
                g.count += h.count;
                g.min = g.min.min(h.min);
                g.max = g.max.max(h.max);
                if (h.latest_at_ms, h.latest) > (g.latest_at_ms, g.latest) {
                    g.latest_at_ms = h.latest_at_ms;
                    g.latest = h.latest;
                }
            }
        }
    }
    out.into_values().collect()
}

fn sorted(mut rows: Vec<BucketRow>) -> Vec<BucketRow> {
    rows.sort_by(|a, b| (a.dimension.as_str(), a.hour_ms).cmp(&(b.dimension.as_str(), b.hour_ms)));
    rows
}

async fn hours<S: Store>(store: &S, m: MetricId) -> Vec<BucketRow> {
    store
        .buckets(&BucketQuery {
            metric: m,
            dimension: None,
            from_ms: T0 - DAY_MS,
            to_ms: T0 + (DAYS + 1) * DAY_MS,
        })
        .await
        .expect("hours")
}

async fn check_days<S: Store>(store: &S, m: MetricId, after: &str) {
    let hours = hours(store, m).await;
    let days = store
        .folded_buckets(&FoldedQuery {
            metric: m,
            days: vec![(T0 - DAY_MS, T0 + (DAYS + 1) * DAY_MS)],
            ..FoldedQuery::new(m)
        })
        .await
        .expect("days");
    let expected = fold_by(&hours, |h| Some(h.div_euclid(DAY_MS) * DAY_MS));
    assert_eq!(sorted(days), expected, "the daily rollups after {after}");
}

async fn daily_rollups_equal_the_fold_of_their_hours<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let other = metric(&store, "calls").await;
    let mut rng = StdRng::seed_from_u64(19);
    for step in 0..25 {
        match rng.random_range(0..6) {
            0..=3 => {
                let (from, to, rows) = random_window(&mut rng);
                store
                    .replace_window(m, from, to, &rows)
                    .await
                    .expect("replace");
                check_days(&store, m, &format!("step {step}: window {from}..{to}")).await;
            }
            4 => {
                let points: Vec<Point> = (0..rng.random_range(1..6))
                    .map(|_| Point {
                        dimension: DIMENSIONS[rng.random_range(0..3)].to_owned(),
                        at_ms: T0 + rng.random_range(0..DAYS * DAY_MS),
                        value: quarter(&mut rng),
                    })
                    .collect();
                store.add_points(m, &points).await.expect("points");
                check_days(&store, m, &format!("step {step}: points")).await;
            }
            _ => {
                let from = DIMENSIONS[rng.random_range(1..3)];
                store.merge_dimension(m, from, "").await.expect("merge");
                check_days(&store, m, &format!("step {step}: merging {from}")).await;
            }
        }
    }
    let (from, to, rows) = random_window(&mut rng);
    store
        .replace_window(other, from, to, &rows)
        .await
        .expect("other metric");
    check_days(&store, other, "another metric's window").await;
    check_days(&store, m, "another metric's window").await;
}

async fn folded_spans_equal_the_fold_of_their_hours<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..6 {
        let (from, to, rows) = random_window(&mut rng);
        store
            .replace_window(m, from, to, &rows)
            .await
            .expect("replace");
    }
    let hours = hours(&store, m).await;
    // Disjoint spans of one to 50 hours, some empty of data.
    let mut spans = Vec::new();
    let mut at = T0 - 5 * HOUR_MS;
    while at < T0 + DAYS * DAY_MS {
        let len = rng.random_range(1..50) * HOUR_MS;
        if rng.random_bool(0.7) {
            spans.push((at, at + len));
        }
        at += len;
    }
    let folds = store
        .folded_buckets(&FoldedQuery {
            metric: m,
            folds: spans.clone(),
            ..FoldedQuery::new(m)
        })
        .await
        .expect("folds");
    let expected = fold_by(&hours, |h| {
        spans
            .iter()
            .find(|&&(lo, hi)| lo <= h && h < hi)
            .map(|&(lo, _)| lo)
    });
    assert_eq!(sorted(folds), expected);
    let some = spans[..3].to_vec();
    let read = store
        .folded_buckets(&FoldedQuery {
            metric: m,
            hours: some.clone(),
            ..FoldedQuery::new(m)
        })
        .await
        .expect("hours");
    let expected: Vec<BucketRow> = hours
        .iter()
        .filter(|b| {
            some.iter()
                .any(|&(lo, hi)| lo <= b.hour_ms && b.hour_ms < hi)
        })
        .cloned()
        .collect();
    assert_eq!(sorted(read), expected);
}

/// Days at fixed offsets (whole hours, St John's -3:30, Kathmandu +5:45), in stretches that
/// start and end mid-day: every day's row equals the fold of the hours whose start falls in
/// that day, labelled with its first whole hour or the stretch's start.
async fn local_days_equal_the_fold_of_their_hours<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let mut rng = StdRng::seed_from_u64(23);
    for _ in 0..6 {
        let (from, to, rows) = random_window(&mut rng);
        store
            .replace_window(m, from, to, &rows)
            .await
            .expect("replace");
    }
    let hours = hours(&store, m).await;
    let minute = 60_000;
    for offset in [HOUR_MS, -(3 * 60 + 30) * minute, (5 * 60 + 45) * minute, 0] {
        let stretches = vec![
            (T0 - 7 * HOUR_MS, T0 + 3 * DAY_MS + 5 * HOUR_MS, offset),
            (T0 + 4 * DAY_MS, T0 + DAYS * DAY_MS + 9 * HOUR_MS, offset),
        ];
        let read = store
            .folded_buckets(&FoldedQuery {
                metric: m,
                local_days: stretches.clone(),
                ..FoldedQuery::new(m)
            })
            .await
            .expect("local days");
        let expected = fold_by(&hours, |h| {
            let &(lo, _, _) = stretches.iter().find(|&&(lo, hi, _)| lo <= h && h < hi)?;
            // The first whole hour whose start is in h's day, counted hour by hour.
            let day = |x: i64| (x + offset).div_euclid(DAY_MS);
            let mut first = h;
            while first - HOUR_MS >= lo && day(first - HOUR_MS) == day(h) {
                first -= HOUR_MS;
            }
            Some(first)
        });
        assert_eq!(sorted(read), expected, "offset {offset} ms");
    }
}

async fn deleting_a_metric_deletes_its_rollups<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let mut rng = StdRng::seed_from_u64(7);
    let (from, to, rows) = random_window(&mut rng);
    store
        .replace_window(m, from, to, &rows)
        .await
        .expect("replace");
    let q = FoldedQuery {
        metric: m,
        days: vec![(T0 - DAY_MS, T0 + (DAYS + 1) * DAY_MS)],
        ..FoldedQuery::new(m)
    };
    assert!(!store.folded_buckets(&q).await.expect("days").is_empty());
    assert!(store.delete_metric(m).await.expect("delete"));
    assert_eq!(store.folded_buckets(&q).await.expect("days"), []);
}

async fn the_migration_fills_the_rollups_of_a_store_written_before_it<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..4 {
        let (from, to, rows) = random_window(&mut rng);
        store
            .replace_window(m, from, to, &rows)
            .await
            .expect("replace");
    }
    drop(store);
    // The store as the binary before migration 0012 left it: hours, no rollups.
    h.execute_raw("DROP TABLE bucket_days".to_owned()).await;
    h.execute_raw("DELETE FROM _sqlx_migrations WHERE version = 12".to_owned())
        .await;
    let store = h.open(key_a()).await.expect("reopen, migrating");
    check_days(&store, m, "the migration").await;
}

crate::contract_tests!(
    the_migration_fills_the_rollups_of_a_store_written_before_it,
    daily_rollups_equal_the_fold_of_their_hours,
    folded_spans_equal_the_fold_of_their_hours,
    local_days_equal_the_fold_of_their_hours,
    deleting_a_metric_deletes_its_rollups,
);
