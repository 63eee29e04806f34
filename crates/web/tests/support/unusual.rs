//! Stored hours for "unusual" alerts: a metric of undelivered messages by error code, with a
//! business-hours rhythm and incidents the test places itself, so where a firing must be is
//! the test's own arithmetic, not the model's.

use store::{AnyStore, BucketRow, NewMetric, Store as _};

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;
/// Days of history the metric holds.
pub const DAYS: i64 = 70;
/// Hours from the start of the history of the incident: day 63 at 14:00 UTC.
pub const INCIDENT: i64 = 63 * 24 + 14;

/// The first stored hour: a UTC midnight, so the history ends at the start of today (real
/// time: the pages read the real clock).
pub fn start() -> i64 {
    let today = jiff::Timestamp::now().as_millisecond().div_euclid(DAY) * DAY;
    today - DAYS * DAY
}

fn usual(hour: i64, salt: u64) -> f64 {
    let of_day = hour.rem_euclid(24);
    let weekday = (hour / 24).rem_euclid(7) < 5;
    let base = if (8..18).contains(&of_day) {
        60.0
    } else {
        20.0
    };
    let base = if weekday { base } else { base * 0.5 };
    let mut x = (hour as u64 ^ salt)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    x ^= x >> 33;
    (base + (x % 7) as f64 - 3.0).round()
}

/// The stored value of `dimension` in hour `hour` (from [`start`]): error code 30007 jumps
/// eightfold at [`INCIDENT`], 30003 keeps its rhythm.
pub fn value(dimension: &str, hour: i64) -> f64 {
    match dimension {
        "30003" => usual(hour, 1),
        _ if hour == INCIDENT => usual(hour, 2) * 8.0,
        _ => usual(hour, 2),
    }
}

/// The metric with [`DAYS`] of both codes' hours from [`start`], covered by a good sync.
pub async fn undelivered(store: &AnyStore) -> store::StoredMetric {
    let start = start();
    let end = start + DAYS * DAY;
    let m = store
        .create_metric(
            &NewMetric {
                name: "Undelivered messages".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            end,
        )
        .await
        .unwrap();
    let rows: Vec<BucketRow> = (0..DAYS * 24)
        .flat_map(|h| {
            ["30003", "30007"].into_iter().map(move |d| {
                let v = value(d, h);
                BucketRow {
                    dimension: d.to_owned(),
                    hour_ms: start + h * HOUR,
                    sum: v,
                    count: 1,
                    min: v,
                    max: v,
                    latest: v,
                    latest_at_ms: start + h * HOUR,
                }
            })
        })
        .collect();
    store.replace_window(m.id, start, end, &rows).await.unwrap();
    super::good_run(store, m.id, start, end).await;
    m
}
