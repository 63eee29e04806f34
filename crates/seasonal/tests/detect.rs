//! Detection: spikes and drops in the judged hours fire, clean days stay quiet, counts near
//! zero are noise.

mod support;

use seasonal::{Direction, Sensitivity, Series, TRAINING_DAYS, WINDOWS, detect, fit};
use support::{Spec, day, episodes, hour, index, model};

const D: usize = TRAINING_DAYS as usize;

/// A series of `D + 1` days and its model for day `D`.
fn judged_day(spec: &Spec) -> (Series, seasonal::Model) {
    let series = spec.build();
    let m = model(fit(&series, day(D)));
    (series, m)
}

#[test]
fn a_spike_in_the_last_hour_fires_at_every_sensitivity_upwards() {
    let spec = Spec::counts(1, D + 1, 80.0);
    let (mut series, m) = judged_day(&spec);
    let i = index(D, 10);
    series.values[i] = Some((3.0 * spec.rhythm(i)).round());
    for s in Sensitivity::ALL {
        for direction in [Direction::Up, Direction::Either] {
            let v = detect(&m, &series, hour(D, 11) + 60_000, s, direction).unwrap();
            assert!(v.anomalous, "{s:?} {direction:?}: {v:?}");
            assert!(v.score > 0.0);
            assert_eq!(v.to_ms, hour(D, 11));
        }
        let down = detect(&m, &series, hour(D, 11), s, Direction::Down).unwrap();
        assert!(!down.anomalous, "{s:?} down: {down:?}");
    }
}

#[test]
fn a_drop_by_half_over_six_hours_fires_at_medium_sensitivity() {
    let spec = Spec::counts(2, D + 1, 80.0);
    let (mut series, m) = judged_day(&spec);
    for h in 9..15 {
        let i = index(D, h);
        series.values[i] = series.values[i].map(|v| (v * 0.5).round());
    }
    let v = detect(
        &m,
        &series,
        hour(D, 15),
        Sensitivity::Medium,
        Direction::Down,
    )
    .unwrap();
    assert!(v.anomalous, "{v:?}");
    assert!(v.score < 0.0);
    assert!(WINDOWS.contains(&v.window_hours));
    assert_eq!(
        v.to_ms - v.from_ms,
        v.window_hours as i64 * seasonal::HOUR_MS
    );
}

#[test]
fn an_incident_that_ended_stops_firing() {
    let spec = Spec::counts(3, D + 1, 80.0);
    let (mut series, m) = judged_day(&spec);
    for h in 6..9 {
        let i = index(D, h);
        series.values[i] = Some((4.0 * spec.rhythm(i)).round());
    }
    let during = detect(&m, &series, hour(D, 9), Sensitivity::Medium, Direction::Up).unwrap();
    assert!(during.anomalous, "{during:?}");
    // Nine hours after it ended even the 24-hour window's last quarter is clean.
    let after = detect(&m, &series, hour(D, 18), Sensitivity::Medium, Direction::Up).unwrap();
    assert!(!after.anomalous, "{after:?}");
}

#[test]
fn an_unknown_last_hour_gives_no_verdict() {
    let spec = Spec::counts(4, D + 1, 80.0);
    let (mut series, m) = judged_day(&spec);
    series.values[index(D, 10)] = None;
    assert_eq!(
        detect(
            &m,
            &series,
            hour(D, 11),
            Sensitivity::High,
            Direction::Either
        ),
        None
    );
}

#[test]
fn two_events_at_night_on_a_quiet_count_series_are_noise() {
    let spec = Spec::counts(5, D + 1, 0.4);
    let (mut series, m) = judged_day(&spec);
    assert!(m.counts);
    // 03:00 expects 0.4 × 0.05 × a weekday factor, about 0.02 events.
    series.values[index(D, 3)] = Some(2.0);
    for s in Sensitivity::ALL {
        let v = detect(&m, &series, hour(D, 4), s, Direction::Either).unwrap();
        assert!(!v.anomalous, "{s:?}: {v:?}");
    }
}

/// Alarm episodes over `days` clean days after the training weeks, fitting each day's model
/// as a live evaluation would.
fn clean_episodes(spec: &Spec, days: usize, sensitivity: Sensitivity) -> usize {
    let series = spec.build();
    let mut flags = Vec::new();
    for d in D..D + days {
        let m = model(fit(&series, day(d)));
        for h in 1..=24 {
            let at = day(d) + h as i64 * seasonal::HOUR_MS;
            let v = detect(&m, &series, at, sensitivity, Direction::Either);
            flags.push(v.is_some_and(|v| v.anomalous));
        }
    }
    episodes(&flags)
}

/// The budget: at most one false alarm per series per 30 clean days.
fn assert_within_budget(spec: &Spec, what: &str) {
    let days = 60;
    for s in Sensitivity::ALL {
        let n = clean_episodes(spec, days, s);
        assert!(
            n <= days / 30,
            "{what}, {s:?}: {n} alarms in {days} clean days"
        );
    }
}

#[test]
fn a_busy_count_series_stays_within_the_false_alarm_budget() {
    assert_within_budget(&Spec::counts(6, D + 60, 80.0), "80 events an hour");
}

#[test]
fn a_sparse_count_series_stays_within_the_false_alarm_budget() {
    assert_within_budget(&Spec::counts(7, D + 60, 0.7), "0.7 events an hour");
}

#[test]
fn an_amount_series_stays_within_the_false_alarm_budget() {
    let spec = Spec {
        counts: false,
        amount_noise: 0.15,
        ..Spec::counts(8, D + 60, 3.5)
    };
    assert_within_budget(&spec, "an amount");
}

#[test]
fn a_count_series_with_gaps_stays_within_the_false_alarm_budget() {
    let spec = Spec {
        gaps: 0.1,
        ..Spec::counts(9, D + 60, 20.0)
    };
    assert_within_budget(&spec, "20 events an hour, a tenth unknown");
}
