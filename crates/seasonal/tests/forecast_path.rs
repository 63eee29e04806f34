//! Period-end projections on a synthetic series with a known weekly rhythm: what the rest of a
//! month adds up to is the test's own sum of that rhythm.

use seasonal::forecast::{crossing, path, project};
use seasonal::{DAY_MS, Fit, HOUR_MS, Series, fit};

/// 2026-03-01T00:00:00Z, a Sunday.
const MARCH: i64 = 1_772_323_200_000;
const APRIL: i64 = MARCH + 31 * DAY_MS;

/// Busy working hours on weekdays, quiet nights and weekends: whole counts.
fn rhythm(hour_ms: i64) -> f64 {
    let hours = hour_ms.div_euclid(HOUR_MS);
    let hour_of_day = hours.rem_euclid(24);
    // 1970-01-01 was a Thursday: Monday is day 0 after shifting by three days.
    let weekday = (hours.div_euclid(24) + 3).rem_euclid(7);
    let base = if weekday < 5 { 12.0 } else { 3.0 };
    let busy = if (9..18).contains(&hour_of_day) && weekday < 5 {
        40.0
    } else {
        0.0
    };
    base + busy + (hour_of_day % 3) as f64
}

fn series(from_ms: i64, to_ms: i64) -> Series {
    Series {
        start_ms: from_ms,
        values: (0..(to_ms - from_ms) / HOUR_MS)
            .map(|i| Some(rhythm(from_ms + i * HOUR_MS)))
            .collect(),
    }
}

fn sum(from_ms: i64, to_ms: i64) -> f64 {
    (0..(to_ms - from_ms) / HOUR_MS)
        .map(|i| rhythm(from_ms + i * HOUR_MS))
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01 * b.abs().max(1.0)
}

/// Mid-month, 12:00 UTC on Wednesday 18 March, with ten weeks of history.
const NOW: i64 = MARCH + 17 * DAY_MS + 12 * HOUR_MS;

fn ready() -> (Series, seasonal::Model) {
    let history = series(MARCH - 70 * DAY_MS, NOW);
    match fit(&history, NOW) {
        Fit::Ready(m) => (history, m),
        other => panic!("ten weeks of history should be enough, got {other:?}"),
    }
}

#[test]
fn the_projection_is_the_hours_so_far_plus_the_rhythm_of_the_rest_of_the_month() {
    let (history, model) = ready();
    let p = project(&model, &history, MARCH, APRIL, NOW, 1.645);
    let so_far = sum(MARCH, NOW);
    let rest = sum(NOW, APRIL);
    assert_eq!(p.so_far, so_far, "the observed hours are added as they are");
    assert!(
        close(p.value, so_far + rest),
        "projected {} vs the rhythm's {}",
        p.value,
        so_far + rest
    );
    assert!(p.lower <= p.value && p.value <= p.upper);
    assert!(
        p.lower >= so_far,
        "the band never goes below what is already there"
    );
}

#[test]
fn the_path_ends_where_the_projection_ends_and_adds_up_day_by_day() {
    let (history, model) = ready();
    let ends: Vec<i64> = (1..=31).map(|d| MARCH + d * DAY_MS).collect();
    let days = path(&model, &history, MARCH, &ends, NOW, 1.645);
    assert_eq!(days.len(), 31);
    assert_eq!(
        days.last().copied(),
        Some(project(&model, &history, MARCH, APRIL, NOW, 1.645))
    );
    for (d, p) in ends.iter().zip(&days) {
        assert!(close(p.value, sum(MARCH, *d)), "running total at {d}");
    }
    // Days that are over are observed only.
    assert_eq!(days[16].so_far, sum(MARCH, MARCH + 17 * DAY_MS));
    assert!(days.windows(2).all(|w| w[1].value >= w[0].value));
}

#[test]
fn the_crossing_is_the_hour_the_running_total_reaches_the_threshold() {
    let (history, model) = ready();
    // Halfway through what the rest of the month adds.
    let threshold = sum(MARCH, NOW) + sum(NOW, APRIL) / 2.0;
    let mut total = 0.0;
    let mut expected_at = None;
    let mut hour = MARCH;
    while hour < APRIL {
        total += rhythm(hour);
        hour += HOUR_MS;
        if total >= threshold {
            expected_at = Some(hour);
            break;
        }
    }
    let expected_at = expected_at.unwrap();
    let at = crossing(&model, &history, MARCH, APRIL, NOW, threshold).unwrap();
    // A model that is off by a little moves the crossing by at most a few hours.
    assert!(
        (at - expected_at).abs() <= 6 * HOUR_MS,
        "crossing at {at}, the rhythm reaches it at {expected_at}"
    );
    assert_eq!(
        crossing(&model, &history, MARCH, APRIL, NOW, sum(MARCH, APRIL) * 2.0),
        None,
        "twice the month's total is never reached"
    );
    let early = crossing(&model, &history, MARCH, APRIL, NOW, 1.0).unwrap();
    assert!(
        early < NOW,
        "a threshold already passed is reached in the past"
    );
}

#[test]
fn two_weeks_of_history_is_still_learning() {
    let history = series(NOW - 14 * DAY_MS, NOW);
    match fit(&history, NOW) {
        Fit::Learning { hours, needed } => {
            assert_eq!(hours, 14 * 24 - 12, "the whole days before today's");
            assert_eq!(needed, 21 * 24);
        }
        Fit::Ready(_) => panic!("two weeks must not be enough"),
    }
}
