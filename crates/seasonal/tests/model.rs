//! Fitting: learning below three weeks, expected values, robustness to spikes, gaps and level
//! shifts.

mod support;

use seasonal::{Fit, MIN_HISTORY_HOURS, TRAINING_DAYS, fit};
use support::{Spec, day, hour, index, model};

#[test]
fn two_weeks_of_history_is_learning_with_its_hours_and_the_three_weeks_needed() {
    let series = Spec::counts(1, 14, 50.0).build();
    assert_eq!(
        fit(&series, day(14)),
        Fit::Learning {
            hours: 14 * 24,
            needed: 21 * 24
        }
    );
}

#[test]
fn three_weeks_of_history_is_enough() {
    let series = Spec::counts(2, 21, 50.0).build();
    assert_eq!(MIN_HISTORY_HOURS, 21 * 24);
    assert!(matches!(fit(&series, day(21)), Fit::Ready(_)));
}

#[test]
fn hours_missing_count_against_the_three_weeks() {
    // 30 days with 40 % of hours unknown: 18 days' worth known, below 21.
    let spec = Spec {
        gaps: 0.4,
        ..Spec::counts(3, 30, 50.0)
    };
    let series = spec.build();
    let known = series.known_hours();
    assert!(known < MIN_HISTORY_HOURS, "{known} hours known");
    assert_eq!(
        fit(&series, day(30)),
        Fit::Learning {
            hours: known,
            needed: MIN_HISTORY_HOURS
        }
    );
}

/// The generator's mean of each hour of day `d` (no day noise) and the model's expected.
fn day_totals(spec: &Spec, m: &seasonal::Model, d: usize) -> (f64, f64) {
    let truth: f64 = (0..24).map(|h| spec.rhythm(index(d, h))).sum();
    let expected: f64 = (0..24).map(|h| m.expected(hour(d, h))).sum();
    (truth, expected)
}

#[test]
fn a_clean_periodic_series_expects_its_generators_mean_within_a_few_percent() {
    let d = TRAINING_DAYS as usize;
    for seed in 10..16 {
        // Little day-to-day noise: the error left is the model's, not the sample's.
        let spec = Spec {
            day_noise: 0.02,
            ..Spec::counts(seed, d + 1, 80.0)
        };
        let m = model(fit(&spec.build(), day(d)));
        let (truth, expected) = day_totals(&spec, &m, d);
        assert!(
            (expected / truth - 1.0).abs() < 0.05,
            "seed {seed}: expected {expected:.1} for a day whose mean is {truth:.1}"
        );
        // A busy hour on its own, too.
        let (busy_truth, busy) = (spec.rhythm(index(d, 10)), m.expected(hour(d, 10)));
        assert!(
            (busy / busy_truth - 1.0).abs() < 0.08,
            "seed {seed}: 10:00 expected {busy:.1}, mean {busy_truth:.1}"
        );
    }
}

#[test]
fn a_series_with_a_fifth_of_its_hours_missing_still_expects_its_mean() {
    let d = TRAINING_DAYS as usize;
    let spec = Spec {
        gaps: 0.2,
        ..Spec::counts(20, d + 1, 80.0)
    };
    let m = model(fit(&spec.build(), day(d)));
    let (truth, expected) = day_totals(&spec, &m, d);
    assert!(
        (expected / truth - 1.0).abs() < 0.05,
        "{expected} vs {truth}"
    );
}

#[test]
fn an_amount_series_expects_its_mean_and_is_not_a_count() {
    let d = TRAINING_DAYS as usize;
    let spec = Spec {
        counts: false,
        amount_noise: 0.1,
        ..Spec::counts(21, d + 1, 3.5)
    };
    let m = model(fit(&spec.build(), day(d)));
    assert!(!m.counts);
    let (truth, expected) = day_totals(&spec, &m, d);
    assert!(
        (expected / truth - 1.0).abs() < 0.05,
        "{expected} vs {truth}"
    );
}

#[test]
fn a_spike_one_week_back_in_training_neither_widens_the_band_nor_moves_the_expected() {
    let d = TRAINING_DAYS as usize;
    let spec = Spec::counts(30, d + 1, 80.0);
    let clean = spec.build();
    let mut spiked = clean.clone();
    // The same hours a week earlier, ten times their mean for six hours.
    for h in 9..15 {
        let i = index(d - 7, h);
        spiked.values[i] = Some((10.0 * spec.rhythm(i)).round());
    }
    let (a, b) = (model(fit(&clean, day(d))), model(fit(&spiked, day(d))));
    for h in [3, 9, 12, 20] {
        let (ba, bb) = (a.band(hour(d, h), 4.5), b.band(hour(d, h), 4.5));
        let (wa, wb) = (ba.upper - ba.lower, bb.upper - bb.lower);
        assert!(wb < wa * 1.10, "hour {h}: band {wb:.1} wide, clean {wa:.1}");
        assert!(
            (bb.expected / ba.expected - 1.0).abs() < 0.05,
            "hour {h}: expected {:.1}, clean {:.1}",
            bb.expected,
            ba.expected
        );
    }
}

#[test]
fn an_outage_day_in_training_does_not_lower_the_next_days_level() {
    let d = TRAINING_DAYS as usize;
    let spec = Spec::counts(31, d + 1, 80.0);
    let clean = spec.build();
    let mut outage = clean.clone();
    for h in 0..24 {
        outage.values[index(d - 1, h)] = Some(0.0);
    }
    let (a, b) = (model(fit(&clean, day(d))), model(fit(&outage, day(d))));
    let (ta, tb): (f64, f64) = (
        (0..24).map(|h| a.expected(hour(d, h))).sum(),
        (0..24).map(|h| b.expected(hour(d, h))).sum(),
    );
    assert!(
        (tb / ta - 1.0).abs() < 0.05,
        "{tb:.0} after an outage, {ta:.0} without"
    );
}

#[test]
fn a_level_shift_is_absorbed_within_a_week() {
    let d = TRAINING_DAYS as usize;
    let spec = Spec {
        shift_day: Some(d - 7),
        shift_factor: 1.6,
        ..Spec::counts(40, d + 1, 80.0)
    };
    let m = model(fit(&spec.build(), day(d)));
    let (truth, expected) = day_totals(&spec, &m, d);
    assert!(
        (expected / truth - 1.0).abs() < 0.07,
        "a week after a ×1.6 shift: expected {expected:.0}, new mean {truth:.0}"
    );
}

#[test]
fn fitting_reads_only_the_training_weeks_before_the_day() {
    let d = TRAINING_DAYS as usize + 3;
    let long = Spec::counts(50, d + 10, 40.0).build();
    let cut = long.slice(day(d) - TRAINING_DAYS * seasonal::DAY_MS, day(d));
    assert_eq!(fit(&long, day(d)), fit(&cut, day(d)));
    // Any instant inside the day gives the day's model.
    assert_eq!(fit(&long, hour(d, 17) + 123), fit(&long, day(d)));
}
