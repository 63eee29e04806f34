//! Period-end projections.

mod support;

use seasonal::forecast::project;
use seasonal::{DAY_MS, HOUR_MS, Series, TRAINING_DAYS, fit};
use support::{START_MS, Spec, day, hour, index, model};

const D: usize = TRAINING_DAYS as usize;

/// A perfectly periodic count series: the rhythm's means rounded, no noise.
fn periodic(days: usize) -> (Spec, Series) {
    let spec = Spec::counts(1, days, 40.0);
    let series = Series {
        start_ms: START_MS,
        values: (0..days * 24)
            .map(|i| Some(spec.rhythm(i).round()))
            .collect(),
    };
    (spec, series)
}

#[test]
fn the_projection_of_a_periodic_series_is_the_arithmetic_sum_of_its_period() {
    let (spec, series) = periodic(D);
    let m = model(fit(&series, day(D)));
    // A fortnight from the model's day, half a day of it observed.
    let (from, to) = (day(D), day(D + 14));
    let now = hour(D, 12);
    let known = Series {
        start_ms: START_MS,
        values: (0..(D * 24 + 12))
            .map(|i| Some(spec.rhythm(i).round()))
            .collect(),
    };
    let p = project(&m, &known, from, to, now, 2.0);
    let sum: f64 = (index(D, 0)..index(D + 14, 0))
        .map(|i| spec.rhythm(i).round())
        .sum();
    let so_far: f64 = (index(D, 0)..index(D, 12))
        .map(|i| spec.rhythm(i).round())
        .sum();
    assert!((p.so_far - so_far).abs() < 1e-9, "{p:?}");
    assert!((p.value - sum).abs() < 1e-6 * sum, "{} vs {sum}", p.value);
    assert!(p.lower <= p.value && p.value <= p.upper);
}

#[test]
fn the_band_of_a_count_projection_is_at_least_the_poisson_spread_of_what_is_left() {
    let spec = Spec::counts(2, D + 1, 0.5);
    let series = spec.build();
    let m = model(fit(&series, day(D)));
    let p = project(&m, &series, day(D), day(D) + 7 * DAY_MS, day(D), 1.0);
    let left: f64 = (0..7 * 24).map(|h| m.expected(day(D) + h * HOUR_MS)).sum();
    assert!(
        p.upper - p.value >= left.sqrt(),
        "{p:?}: a week expecting {left:.1} events"
    );
}

#[test]
fn a_period_already_over_has_no_band() {
    let spec = Spec::counts(3, D + 2, 10.0);
    let series = spec.build();
    let m = model(fit(&series, day(D)));
    let p = project(&m, &series, day(D), day(D + 1), day(D + 1) + HOUR_MS, 2.0);
    let sum: f64 = (index(D, 0)..index(D + 1, 0))
        .map(|i| series.values[i].unwrap())
        .sum();
    assert_eq!((p.so_far, p.value, p.lower, p.upper), (sum, sum, sum, sum));
}
