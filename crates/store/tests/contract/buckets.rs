use store::{BucketQuery, BucketRow, HOUR_MS, MetricId, NewMetric, Store, StoreError};

use crate::support::{Harness, key_a};

const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

fn bucket(dimension: &str, hour: i64, value: f64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms: T0 + hour * HOUR_MS,
        sum: value * 3.0,
        count: 3,
        min: value,
        max: value * 2.0,
        latest: value + 0.25,
        latest_at_ms: T0 + hour * HOUR_MS + 59 * 60_000,
    }
}

async fn metric<S: Store>(store: &S) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: "sms".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id
}

fn all(metric: MetricId, from_ms: i64, to_ms: i64) -> BucketQuery {
    BucketQuery {
        metric,
        dimension: None,
        from_ms,
        to_ms,
    }
}

fn sorted(mut rows: Vec<BucketRow>) -> Vec<BucketRow> {
    rows.sort_by(|a, b| (a.dimension.as_str(), a.hour_ms).cmp(&(b.dimension.as_str(), b.hour_ms)));
    rows
}

/// Two days of hourly buckets in two dimensions with distinct values.
fn two_days() -> Vec<BucketRow> {
    (0..48)
        .flat_map(|h| {
            [
                bucket("delivered", h, h as f64 + 0.5),
                bucket("failed", h, -(h as f64) / 3.0),
            ]
        })
        .collect()
}

async fn buckets_round_trip_exactly<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let rows = two_days();
    let done = store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("replace");
    assert_eq!(done.inserted, rows.len() as u64);
    assert_eq!(done.deleted, 0);
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + 2 * DAY_MS))
            .await
            .expect("query"),
        sorted(rows)
    );
}

/// More rows than one INSERT statement takes on either backend (50 on SQLite, 500 on
/// PostgreSQL), and not a multiple of either: every chunk, the last short one too, lands.
async fn a_window_of_many_statements_is_stored_whole<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let rows: Vec<BucketRow> = (0..617)
        .flat_map(|h| {
            [
                bucket("delivered", h, h as f64 * 1.5),
                bucket("failed", h, 1.0 / (h as f64 + 1.0)),
            ]
        })
        .collect();
    let to = T0 + 26 * DAY_MS;
    let done = store
        .replace_window(m, T0, to, &rows)
        .await
        .expect("replace");
    assert_eq!(done.inserted, 1234);
    assert_eq!(
        store.buckets(&all(m, T0, to)).await.expect("query"),
        sorted(rows)
    );
}

async fn replace_window_is_idempotent<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let rows = two_days();
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("first");
    let again = store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("second");
    assert_eq!(again.deleted, rows.len() as u64);
    assert_eq!(again.inserted, rows.len() as u64);
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + 2 * DAY_MS))
            .await
            .expect("query"),
        sorted(rows)
    );
}

async fn replace_window_touches_only_its_window<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let rows = two_days();
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("first");
    // Re-sync the second day: hour 30 changes, hour 31 disappears from the source.
    let second_day: Vec<BucketRow> = (24..48)
        .filter(|&h| h != 31)
        .map(|h| {
            if h == 30 {
                bucket("delivered", h, 1000.0)
            } else {
                bucket("delivered", h, h as f64 + 0.5)
            }
        })
        .collect();
    let done = store
        .replace_window(m, T0 + DAY_MS, T0 + 2 * DAY_MS, &second_day)
        .await
        .expect("second");
    assert_eq!(done.deleted, 48);
    let mut expected: Vec<BucketRow> = rows
        .iter()
        .filter(|b| b.hour_ms < T0 + DAY_MS)
        .cloned()
        .collect();
    expected.extend(second_day);
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + 2 * DAY_MS))
            .await
            .expect("query"),
        sorted(expected)
    );
}

async fn failing_replace_leaves_old_data<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let rows = two_days();
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("first");
    // 577 new rows, the last repeating the first's key: the insert fails after the delete and after
    // a first multi-row chunk went in, inside the transaction.
    let mut bad: Vec<BucketRow> = (0..48)
        .flat_map(|h| (0..12).map(move |d| bucket(&format!("d{d:02}"), h, 7.0)))
        .collect();
    bad.push(bad[0].clone());
    let err = store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &bad)
        .await
        .expect_err("duplicate key");
    assert!(matches!(err, StoreError::Database { .. }), "{err}");
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + 2 * DAY_MS))
            .await
            .expect("query"),
        sorted(rows)
    );
}

async fn replace_window_rejects_bad_windows<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &[bucket("", 1, 1.0)])
        .await
        .expect("first");
    let cases: Vec<(i64, i64, Vec<BucketRow>)> = vec![
        (T0 + 1, T0 + DAY_MS, vec![]),
        (T0 + DAY_MS, T0, vec![]),
        (T0, T0 + HOUR_MS, vec![bucket("", 1, 1.0)]),
        (
            T0,
            T0 + DAY_MS,
            vec![BucketRow {
                hour_ms: T0 + 5,
                ..bucket("", 0, 1.0)
            }],
        ),
        (
            T0,
            T0 + DAY_MS,
            vec![BucketRow {
                sum: f64::NAN,
                ..bucket("", 0, 1.0)
            }],
        ),
        (
            T0,
            T0 + DAY_MS,
            vec![BucketRow {
                max: f64::INFINITY,
                ..bucket("", 0, 1.0)
            }],
        ),
    ];
    for (from, to, rows) in cases {
        let err = store
            .replace_window(m, from, to, &rows)
            .await
            .expect_err("bad window");
        assert!(matches!(err, StoreError::BadWindow { .. }), "{err}");
    }
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + DAY_MS))
            .await
            .expect("query"),
        vec![bucket("", 1, 1.0)]
    );
}

async fn query_selects_dimension_and_range<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let other = store
        .create_metric(
            &NewMetric {
                name: "calls".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("other")
        .id;
    let rows = two_days();
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("m");
    store
        .replace_window(other, T0, T0 + 2 * DAY_MS, &rows)
        .await
        .expect("other");
    let q = BucketQuery {
        metric: m,
        dimension: Some("failed".into()),
        from_ms: T0 + 10 * HOUR_MS,
        to_ms: T0 + 20 * HOUR_MS,
    };
    let expected: Vec<BucketRow> = rows
        .iter()
        .filter(|b| b.dimension == "failed" && b.hour_ms >= q.from_ms && b.hour_ms < q.to_ms)
        .cloned()
        .collect();
    assert_eq!(expected.len(), 10);
    assert_eq!(store.buckets(&q).await.expect("query"), expected);
    assert_eq!(
        store.dimensions(m).await.expect("dims"),
        vec!["delivered".to_owned(), "failed".to_owned()]
    );
}

async fn concurrent_replacements_all_land<H: Harness>(h: &H) {
    let store = std::sync::Arc::new(h.open(key_a()).await.expect("open"));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = std::sync::Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let m = store
                .create_metric(
                    &NewMetric {
                        name: format!("m{t}"),
                        connection_id: None,
                        definition: "{}".into(),
                    },
                    1,
                )
                .await
                .expect("metric")
                .id;
            // Each round rewrites the same day with values of that round; the last must win.
            for round in 0..6 {
                let rows: Vec<BucketRow> = (0..24)
                    .map(|h| bucket("", h, (t * 100 + round) as f64))
                    .collect();
                store
                    .replace_window(m, T0, T0 + DAY_MS, &rows)
                    .await
                    .expect("replace under contention");
            }
            (m, t)
        }));
    }
    for task in tasks {
        let (m, t) = task.await.expect("task");
        let rows = store
            .buckets(&all(m, T0, T0 + DAY_MS))
            .await
            .expect("query");
        let expected: Vec<BucketRow> = (0..24)
            .map(|h| bucket("", h, (t * 100 + 5) as f64))
            .collect();
        assert_eq!(rows, expected);
    }
}

async fn points_fold_into_their_hour<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let p = |at_min: i64, value: f64| store::Point {
        dimension: "balance".into(),
        at_ms: T0 + at_min * 60_000,
        value,
    };
    // Out of order on purpose: the latest instant wins `latest`, not the last call.
    store
        .add_points(m, &[p(50, 7.5), p(10, 2.0)])
        .await
        .expect("first run");
    store
        .add_points(m, &[p(30, 11.0), p(70, 1.0)])
        .await
        .expect("second run");
    let rows = store
        .buckets(&all(m, T0, T0 + DAY_MS))
        .await
        .expect("query");
    let expected = vec![
        BucketRow {
            dimension: "balance".into(),
            hour_ms: T0,
            sum: 20.5,
            count: 3,
            min: 2.0,
            max: 11.0,
            latest: 7.5,
            latest_at_ms: T0 + 50 * 60_000,
        },
        BucketRow {
            dimension: "balance".into(),
            hour_ms: T0 + HOUR_MS,
            sum: 1.0,
            count: 1,
            min: 1.0,
            max: 1.0,
            latest: 1.0,
            latest_at_ms: T0 + 70 * 60_000,
        },
    ];
    assert_eq!(rows, expected);
    let err = store
        .add_points(m, &[p(5, 1.0), p(6, f64::NAN)])
        .await
        .expect_err("NaN");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert_eq!(
        store
            .buckets(&all(m, T0, T0 + DAY_MS))
            .await
            .expect("query"),
        expected,
        "nothing of a rejected batch lands"
    );
}

async fn every_bucket_write_moves_the_data_version<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let version = |v: &std::collections::HashMap<MetricId, i64>| v.get(&m).copied();
    let v0 = store.data_versions(&[m]).await.expect("versions");
    assert!(version(&v0).is_some(), "a new metric has a version");
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &two_days())
        .await
        .expect("replace");
    let v1 = store.data_versions(&[m]).await.expect("versions");
    assert_ne!(version(&v1), version(&v0), "replace_window moves it");
    assert_eq!(
        store.data_versions(&[m]).await.expect("versions"),
        v1,
        "reading moves nothing"
    );
    store
        .add_points(
            m,
            &[store::Point {
                dimension: "delivered".into(),
                at_ms: T0 + 5,
                value: 1.0,
            }],
        )
        .await
        .expect("points");
    let v2 = store.data_versions(&[m]).await.expect("versions");
    assert_ne!(version(&v2), version(&v1), "add_points moves it");
    let failed = store
        .replace_window(m, T0, T0 + HOUR_MS, &[bucket("x", 5, 1.0)])
        .await;
    assert!(failed.is_err(), "a bucket outside its window is refused");
    assert_eq!(
        store.data_versions(&[m]).await.expect("versions"),
        v2,
        "a refused write moves nothing"
    );
    let missing = MetricId(m.0 + 1000);
    let both = store.data_versions(&[m, missing]).await.expect("versions");
    assert_eq!(
        both.len(),
        1,
        "ids that name no metric are left out: {both:?}"
    );
}

crate::contract_tests!(
    every_bucket_write_moves_the_data_version,
    points_fold_into_their_hour,
    concurrent_replacements_all_land,
    buckets_round_trip_exactly,
    a_window_of_many_statements_is_stored_whole,
    replace_window_is_idempotent,
    replace_window_touches_only_its_window,
    failing_replace_leaves_old_data,
    replace_window_rejects_bad_windows,
    query_selects_dimension_and_range,
);
