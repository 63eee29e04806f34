//! The expected band of a chart (`app::seasonal::expected`) and the "why" of an unusual hour,
//! over hours written to the store on both backends: a series whose mean per hour is known from
//! its generator, with one spike injected into one dimension value at a known hour.

mod support;

use app::seasonal::{BandQuery, Expected, Learning};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::{Aggregation, Interval, TimeRange};
use seasonal::Sensitivity;
use store::{BucketRow, MetricId, Store as _};
use support::T0;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The dimension value the spike lands in, and the one carrying the usual traffic.
const SPIKED: &str = "30007";
const USUAL: &str = "delivered";
/// The hour of the spike: Saturday 2026-02-28 10:00 UTC, the last day of the week charted, so
/// no other day of it trains on the spike (robustness to spikes is the model's own tests').
const SPIKE_HOUR: i64 = T0 - DAY_MS + 10 * HOUR_MS;
const SPIKE: f64 = 500.0;
/// `now` in these tests: half past noon on T0's day, so that day is under way.
const NOW: i64 = T0 + 12 * HOUR_MS + 30 * 60_000;

/// The generator's mean of the usual value at an hour: 20 at night and at weekends, 50 in
/// weekday business hours (09:00-17:00 UTC).
fn mean(hour_ms: i64) -> f64 {
    let t = Timestamp::from_millisecond(hour_ms)
        .unwrap()
        .to_zoned(TimeZone::UTC);
    let weekday = t.weekday().to_monday_one_offset() <= 5;
    if weekday && (9..17).contains(&t.hour()) {
        50.0
    } else {
        20.0
    }
}

/// A deterministic whole-number wobble in -3..=3 around the mean.
fn noise(hour_ms: i64) -> f64 {
    ((hour_ms / HOUR_MS).wrapping_mul(7919).rem_euclid(7) - 3) as f64
}

fn row(dimension: &str, hour_ms: i64, value: f64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms,
        sum: value,
        count: 1,
        min: value,
        max: value,
        latest: value,
        latest_at_ms: hour_ms,
    }
}

/// Hours from `from_ms` to NOW's hour: the usual traffic around its mean, and 2 an hour of
/// the spiked value, plus the spike; a good sync over the same span.
async fn seed(app: &app::App, name: &str, from_ms: i64) -> MetricId {
    let c = support::connection(app, &format!("{name} conn")).await;
    let m = support::metric(app, name, &c).await;
    let to_ms = NOW.div_euclid(HOUR_MS) * HOUR_MS;
    let mut rows = Vec::new();
    let mut h = from_ms;
    while h < to_ms {
        rows.push(row(USUAL, h, mean(h) + noise(h)));
        let spike = if h == SPIKE_HOUR { SPIKE } else { 0.0 };
        rows.push(row(SPIKED, h, 2.0 + spike));
        h += HOUR_MS;
    }
    let s = app.store();
    s.replace_window(m.id, from_ms, to_ms, &rows).await.unwrap();
    support::good_run(s, m.id, from_ms, to_ms).await;
    m.id
}

fn last_week(metric: MetricId, aggregation: Aggregation, interval: Interval) -> BandQuery {
    BandQuery {
        metric,
        aggregation,
        dimension: None,
        range: TimeRange::new(
            Timestamp::from_millisecond(T0 - 7 * DAY_MS).unwrap(),
            Timestamp::from_millisecond(T0).unwrap(),
        )
        .unwrap(),
        interval,
        zone: TimeZone::UTC,
        sensitivity: Sensitivity::Medium,
    }
}

async fn expected(app: &app::App, q: &BandQuery) -> Expected {
    app.expected(q)
        .await
        .unwrap()
        .expect("this aggregation has a band")
}

#[tokio::test]
async fn each_days_band_is_close_to_the_generators_mean_and_only_the_spikes_day_is_marked() {
    for b in support::backends("band_days").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 35 * DAY_MS).await;
        let e = expected(&b.app, &last_week(m, Aggregation::Sum, Interval::Day)).await;
        assert_eq!(e.points.len(), 7, "{}", b.name);
        assert_eq!(e.learning, None, "{}", b.name);
        for (d, p) in e.points.iter().enumerate() {
            let day = T0 - 7 * DAY_MS + d as i64 * DAY_MS;
            let want: f64 = (0..24).map(|h| mean(day + h * HOUR_MS) + 2.0).sum();
            let band = p
                .band
                .unwrap_or_else(|| panic!("{}: day {d} has a band", b.name));
            assert!(
                (band.expected - want).abs() <= 0.05 * want,
                "{}: day {d} expected {} against the generator's {want}",
                b.name,
                band.expected
            );
            assert!(
                band.lower < want && want < band.upper,
                "{}: {band:?}",
                b.name
            );
            let spiked = day <= SPIKE_HOUR && SPIKE_HOUR < day + DAY_MS;
            assert_eq!(p.unusual, spiked, "{}: day {d}", b.name);
        }
        assert_eq!(e.unusual.len(), 1, "{}: {:?}", b.name, e.unusual);
        let hour = e.unusual[0];
        assert_eq!(hour.hour_ms, SPIKE_HOUR, "{}", b.name);
        assert_eq!(
            hour.observed,
            mean(SPIKE_HOUR) + noise(SPIKE_HOUR) + 2.0 + SPIKE,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn an_hourly_band_follows_the_business_hours() {
    for b in support::backends("band_hours").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 35 * DAY_MS).await;
        let e = expected(&b.app, &last_week(m, Aggregation::Sum, Interval::Hour)).await;
        assert_eq!(e.points.len(), 7 * 24, "{}", b.name);
        for p in &e.points {
            let h = p.start.as_millisecond();
            let want = mean(h) + 2.0;
            let band = p.band.unwrap();
            assert!(
                (band.expected - want).abs() <= 4.0,
                "{}: {} expected {} against {want}",
                b.name,
                p.start,
                band.expected
            );
            assert_eq!(p.unusual, h == SPIKE_HOUR, "{}: {}", b.name, p.start);
        }
    }
}

#[tokio::test]
async fn the_why_names_the_dimension_value_that_spiked() {
    for b in support::backends("band_why").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 35 * DAY_MS).await;
        let why = b
            .app
            .explain_hour(m, Aggregation::Sum, SPIKE_HOUR, 5)
            .await
            .unwrap();
        let first = why.first().unwrap_or_else(|| panic!("{}: no why", b.name));
        assert_eq!(first.dimension, SPIKED, "{}: {why:?}", b.name);
        assert!(first.share > 0.9, "{}: {why:?}", b.name);
        let words = app::seasonal::contribution_words(first);
        let percent: f64 = words
            .strip_prefix("“30007” explains ")
            .and_then(|w| w.strip_suffix(" %"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: {words}", b.name));
        assert!((90.0..=100.0).contains(&percent), "{}: {words}", b.name);
    }
}

#[tokio::test]
async fn two_weeks_of_history_is_still_learning_and_draws_no_band() {
    for b in support::backends("band_learning").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 14 * DAY_MS).await;
        let mut q = last_week(m, Aggregation::Sum, Interval::Day);
        // Up to now: today's model is the one with the most history.
        q.range.end = Timestamp::from_millisecond(NOW).unwrap();
        let e = expected(&b.app, &q).await;
        assert_eq!(
            e.learning,
            Some(Learning {
                days: 14,
                needed: 21
            }),
            "{}",
            b.name
        );
        assert_eq!(e.learning.unwrap().to_string(), "learning: 14 of 21 days");
        assert!(e.points.iter().all(|p| p.band.is_none()), "{}", b.name);
        assert!(e.unusual.is_empty(), "{}", b.name);
    }
}

#[tokio::test]
async fn min_max_and_latest_get_no_band_and_say_why() {
    for b in support::backends("band_kinds").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 35 * DAY_MS).await;
        for a in [Aggregation::Min, Aggregation::Max, Aggregation::Latest] {
            let no = b
                .app
                .expected(&last_week(m, a, Interval::Day))
                .await
                .unwrap()
                .unwrap_err();
            assert!(
                no.to_string()
                    .contains("the band is drawn for sums, counts and averages"),
                "{no}"
            );
        }
        let avg = expected(&b.app, &last_week(m, Aggregation::Average, Interval::Day)).await;
        // Each hour averages its two rows: (usual + 2) / 2.
        for (d, p) in avg.points.iter().enumerate() {
            let day = T0 - 7 * DAY_MS + d as i64 * DAY_MS;
            let want: f64 = (0..24)
                .map(|h| (mean(day + h * HOUR_MS) + 2.0) / 2.0)
                .sum::<f64>()
                / 24.0;
            let band = p.band.unwrap();
            assert!(
                (band.expected - want).abs() <= 0.05 * want,
                "{}: average day {d}: {} against {want}",
                b.name,
                band.expected
            );
        }
    }
}

#[tokio::test]
async fn fits_are_kept_until_the_metrics_data_changes() {
    for b in support::backends("band_cache").await {
        b.time.set(NOW);
        let m = seed(&b.app, "Messages", T0 - 35 * DAY_MS).await;
        let q = last_week(m, Aggregation::Sum, Interval::Day);
        let first = expected(&b.app, &q).await;
        let held = b.app.fits().len();
        assert_eq!(held, 7, "{}: one fit per day of the range", b.name);
        assert_eq!(expected(&b.app, &q).await, first, "{}", b.name);
        assert_eq!(b.app.fits().len(), held, "{}: nothing refitted", b.name);
        // A write moves the data version: the next render fits again.
        let h = T0 - 2 * DAY_MS;
        b.app
            .store()
            .replace_window(m, h, h + HOUR_MS, &[row(USUAL, h, 20.0)])
            .await
            .unwrap();
        expected(&b.app, &q).await;
        assert_eq!(
            b.app.fits().len(),
            2 * held,
            "{}: refitted at the new version",
            b.name
        );
    }
}
