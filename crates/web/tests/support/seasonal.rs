//! Hours with a known rhythm and one injected spike, written to a metric's store for the
//! expected-band tests: what each hour should be is the generator's mean, computed here apart
//! from the code under test.

use store::{BucketRow, MetricId, Store as _};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Sunday 2026-03-01 00:00 UTC.
pub const T0: i64 = 1_772_323_200_000;
/// The clock of these tests: half past noon on T0's day.
pub const NOW: i64 = T0 + 12 * HOUR_MS + 30 * 60_000;
/// The dimension value the spike lands in, and the one carrying the usual traffic.
pub const SPIKED: &str = "30007";
pub const USUAL: &str = "delivered";
/// Saturday 2026-02-28 10:00 UTC.
pub const SPIKE_HOUR: i64 = T0 - DAY_MS + 10 * HOUR_MS;
pub const SPIKE: i64 = 500;

/// The usual value's mean at an hour: 50 in weekday business hours (09:00-17:00 UTC), else 20.
pub fn mean(hour_ms: i64) -> i64 {
    let t = jiff::Timestamp::from_millisecond(hour_ms)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC);
    let weekday = t.weekday().to_monday_one_offset() <= 5;
    if weekday && (9..17).contains(&t.hour()) {
        50
    } else {
        20
    }
}

/// A deterministic wobble in -3..=3.
pub fn noise(hour_ms: i64) -> i64 {
    (hour_ms / HOUR_MS).wrapping_mul(7919).rem_euclid(7) - 3
}

/// The whole value of an hour over both dimension values, spike included.
pub fn observed(hour_ms: i64) -> i64 {
    mean(hour_ms) + noise(hour_ms) + 2 + if hour_ms == SPIKE_HOUR { SPIKE } else { 0 }
}

fn row(dimension: &str, hour_ms: i64, value: i64) -> BucketRow {
    let v = value as f64;
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms,
        sum: v,
        count: value,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: hour_ms,
    }
}

/// Replaces the metric's hours from `from_ms` to NOW's hour with the generator's (sum and
/// count alike), with a good sync over them.
pub async fn seed(store: &store::AnyStore, metric: MetricId, from_ms: i64) {
    let to_ms = NOW.div_euclid(HOUR_MS) * HOUR_MS;
    let mut rows = Vec::new();
    let mut h = from_ms;
    while h < to_ms {
        rows.push(row(USUAL, h, mean(h) + noise(h)));
        rows.push(row(SPIKED, h, 2 + if h == SPIKE_HOUR { SPIKE } else { 0 }));
        h += HOUR_MS;
    }
    store
        .replace_window(metric, from_ms, to_ms, &rows)
        .await
        .unwrap();
    super::good_run(store, metric, from_ms, to_ms).await;
}
