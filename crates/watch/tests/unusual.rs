//! "Unusual" rules back-tested over synthetic hourly series whose incidents the tests place
//! themselves: where a firing must be is worked out from the series, not from the model.

use jiff::{SignedDuration, Timestamp};
use metric::{Aggregation, Trend};
use seasonal::{DAY_MS, Direction, HOUR_MS, Sensitivity, Series, fit};
use watch::describe;
use watch::unusual::{Judgement, UnusualDirection, UnusualRule, backtest, judge, judging_day};

/// 2026-01-05, a Monday, 00:00 UTC.
const START: i64 = 1_767_571_200_000;

/// A count with a business-hours daily rhythm and quieter weekends, and a small deterministic
/// wobble (an LCG), around 100 at a weekday's busiest hours.
fn usual(hour: i64) -> f64 {
    let of_day = hour.rem_euclid(24);
    let weekday = (hour / 24).rem_euclid(7) < 5;
    let base = if (8..18).contains(&of_day) {
        100.0
    } else {
        30.0
    };
    let base = if weekday { base } else { base * 0.5 };
    let mut x = (hour as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    x ^= x >> 33;
    let wobble = (x % 11) as f64 - 5.0; // -5 ..= 5
    (base + wobble).round()
}

/// `days` days of hours from START, each `value(hour index)`.
fn series(days: i64, value: impl Fn(i64) -> f64) -> Series {
    Series {
        start_ms: START,
        values: (0..days * 24).map(|h| Some(value(h))).collect(),
    }
}

fn at(hour: i64) -> Timestamp {
    Timestamp::from_millisecond(START + hour * HOUR_MS).unwrap()
}

fn rule(direction: UnusualDirection, cooldown_hours: i64) -> UnusualRule {
    UnusualRule {
        aggregation: Aggregation::Sum,
        dimension: None,
        sensitivity: Sensitivity::Medium,
        direction,
        cooldown: SignedDuration::from_hours(cooldown_hours),
    }
}

/// Day 63 (a Monday, nine weeks in), 14:00: well inside business hours.
const INCIDENT: i64 = 63 * 24 + 14;

#[test]
fn a_spike_fires_once_in_the_hour_after_it_and_resolves_once_no_window_holds_it() {
    let s = series(70, |h| {
        if h == INCIDENT {
            usual(h) * 6.0
        } else {
            usual(h)
        }
    });
    let r = backtest(
        &rule(UnusualDirection::Either, 6),
        Direction::Either,
        &s,
        &[],
        at(60 * 24),
        at(67 * 24),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    assert_eq!(r.evaluations, 7 * 24 + 1);
    assert_eq!(r.learning, 0);
    assert_eq!(r.firings.len(), 1, "{:#?}", r.firings);
    let f = &r.firings[0];
    // Judged once the spiking hour is complete, and clear once the next one is.
    assert_eq!(f.at, at(INCIDENT + 1));
    assert_eq!(f.hour_start, at(INCIDENT));
    assert_eq!(f.observed, usual(INCIDENT) * 6.0);
    assert!(f.observed > f.upper && f.expected < f.upper);
    // The hours after it are usual, so it resolves once no window still holds the spike in
    // its last quarter: within a quarter of the longest window (24 hours) after it.
    let resolved = f.resolved_at.expect("resolved within the back-test");
    assert!(resolved >= at(INCIDENT + 2) && resolved <= at(INCIDENT + 1 + LONGEST_TAIL));
}

/// A window fires only while its last quarter still deviates; the longest is 24 hours.
const LONGEST_TAIL: i64 = 24 / 4;

#[test]
fn a_second_breach_inside_the_cool_down_is_kept_quiet() {
    // The second spike comes after the first has resolved (see LONGEST_TAIL).
    let spikes = [INCIDENT, INCIDENT + 2 + LONGEST_TAIL];
    let s = series(70, |h| {
        if spikes.contains(&h) {
            usual(h) * 6.0
        } else {
            usual(h)
        }
    });
    let run = |cooldown| {
        backtest(
            &rule(UnusualDirection::Either, cooldown),
            Direction::Either,
            &s,
            &[],
            at(63 * 24),
            at(64 * 24),
            SignedDuration::from_hours(1),
        )
        .unwrap()
    };
    let quiet = run(12);
    assert_eq!(quiet.firings.len(), 1);
    assert_eq!(quiet.suppressed, 1);
    let loud = run(0);
    assert_eq!(
        loud.firings.iter().map(|f| f.at).collect::<Vec<_>>(),
        vec![at(INCIDENT + 1), at(INCIDENT + 3 + LONGEST_TAIL)]
    );
    assert_eq!(loud.suppressed, 0);
}

#[test]
fn a_drop_fires_only_for_rules_that_watch_downward_moves() {
    let s = series(70, |h| {
        if h == INCIDENT {
            (usual(h) * 0.05).round()
        } else {
            usual(h)
        }
    });
    let firings = |d: Direction| {
        backtest(
            &rule(UnusualDirection::Either, 6),
            d,
            &s,
            &[],
            at(63 * 24),
            at(64 * 24),
            SignedDuration::from_hours(1),
        )
        .unwrap()
        .firings
        .iter()
        .map(|f| f.at)
        .collect::<Vec<_>>()
    };
    assert_eq!(firings(Direction::Up), vec![]);
    assert_eq!(firings(Direction::Down), vec![at(INCIDENT + 1)]);
    assert_eq!(firings(Direction::Either), vec![at(INCIDENT + 1)]);
}

#[test]
fn only_the_unfavourable_way_is_the_opposite_of_the_metrics_favourable_trend() {
    assert_eq!(
        UnusualDirection::Unfavourable.resolve(Trend::Up),
        Direction::Down
    );
    assert_eq!(
        UnusualDirection::Unfavourable.resolve(Trend::Down),
        Direction::Up
    );
    assert_eq!(
        UnusualDirection::Either.resolve(Trend::Down),
        Direction::Either
    );
    assert_eq!(UnusualDirection::Up.resolve(Trend::Down), Direction::Up);
}

#[test]
fn a_series_with_two_weeks_of_history_is_learning_and_never_fires() {
    // Day 14's judged hours have exactly the 14 days before them.
    let spike = 14 * 24 + 14;
    let s = series(15, |h| {
        if h == spike {
            usual(h) * 50.0
        } else {
            usual(h)
        }
    });
    let now = START + (spike + 1) * HOUR_MS;
    let f = fit(&s, judging_day(now));
    let j = judge(&f, &s, now, Sensitivity::High, Direction::Either);
    assert_eq!(
        j,
        Judgement::Learning {
            hours: 14 * 24,
            needed: 21 * 24
        }
    );
    assert!(!j.breached());
    let Judgement::Learning { hours, needed } = j else {
        unreachable!()
    };
    assert_eq!(
        describe::learning(hours, needed),
        "learning: 14 of 21 days of history"
    );
    let r = backtest(
        &rule(UnusualDirection::Either, 0),
        Direction::Either,
        &s,
        &[],
        at(14 * 24 + 1),
        at(15 * 24 - 1),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    assert!(r.firings.is_empty());
    assert_eq!(r.learning, r.evaluations);
}

#[test]
fn the_hour_judged_just_after_midnight_is_judged_by_the_model_of_its_own_day() {
    let just_after = START + 30 * DAY_MS + 30 * 60_000;
    assert_eq!(judging_day(just_after), START + 29 * DAY_MS);
    assert_eq!(
        judging_day(START + 30 * DAY_MS + HOUR_MS),
        START + 30 * DAY_MS
    );
}

#[test]
fn a_firing_names_the_dimension_value_that_moved() {
    // Two dimension values; only "30007" jumps at the incident. The total is their sum.
    let calm = |h: i64| usual(h);
    let jumpy = |h: i64| {
        if h == INCIDENT {
            usual(h + 5) * 8.0
        } else {
            usual(h + 5)
        }
    };
    let total = series(70, |h| calm(h) + jumpy(h));
    let dims = vec![
        ("30003".to_owned(), series(70, calm)),
        ("30007".to_owned(), series(70, jumpy)),
    ];
    let r = backtest(
        &rule(UnusualDirection::Either, 6),
        Direction::Either,
        &total,
        &dims,
        at(63 * 24),
        at(64 * 24),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    assert_eq!(r.firings.len(), 1);
    let why = &r.firings[0].why;
    assert_eq!(why[0].dimension, "30007");
    assert!(why[0].share > 0.9, "{why:?}");
}

#[test]
fn an_unusual_spec_reads_from_its_json_and_its_zone_defaults_to_utc() {
    let spec: watch::AlertSpec = serde_json::from_str(
        r#"{"watch":"unusual","rule":{"aggregation":"sum","sensitivity":"high","direction":"unfavourable","cooldown":"PT6H"}}"#,
    )
    .unwrap();
    let watch::AlertSpec::Unusual { rule, zone } = &spec else {
        panic!("not unusual: {spec:?}")
    };
    assert_eq!(rule.sensitivity, Sensitivity::High);
    assert_eq!(rule.direction, UnusualDirection::Unfavourable);
    assert_eq!(rule.dimension, None);
    assert_eq!(rule.cooldown, SignedDuration::from_hours(6));
    assert_eq!(zone.name(), "UTC");
    assert!(spec.validate().is_ok());
}

#[test]
fn a_negative_cool_down_is_refused() {
    let r = UnusualRule {
        cooldown: SignedDuration::from_hours(-1),
        ..rule(UnusualDirection::Up, 0)
    };
    assert!(r.validate().unwrap_err().to_string().contains("cool-down"));
}

#[test]
fn an_hour_not_synced_yet_neither_resolves_a_firing_alert_nor_fires_a_quiet_one() {
    // The spiking hour fires; the two hours after it are not known yet (a late sync), then the
    // series is usual again. A firing alert stays firing over the unknown hours (no "resolved"
    // and no second firing when they arrive) and resolves at the first usual hour known.
    let mut s = series(70, |h| {
        if h == INCIDENT {
            usual(h) * 6.0
        } else {
            usual(h)
        }
    });
    for h in [INCIDENT + 1, INCIDENT + 2] {
        s.values[h as usize] = None;
    }
    let r = backtest(
        &rule(UnusualDirection::Either, 0),
        Direction::Either,
        &s,
        &[],
        at(63 * 24),
        at(64 * 24),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    assert_eq!(r.firings.len(), 1, "{:#?}", r.firings);
    assert_eq!(r.firings[0].at, at(INCIDENT + 1));
    // Not resolved while the judged hours are unknown (evaluations at +2 and +3).
    let resolved = r.firings[0]
        .resolved_at
        .expect("resolved within the back-test");
    assert!(
        resolved >= at(INCIDENT + 4) && resolved <= at(INCIDENT + 1 + LONGEST_TAIL),
        "{resolved}"
    );
    // A quiet alert stays quiet over unknown hours.
    let first = judge(
        &fit(&s, judging_day(at(INCIDENT + 2).as_millisecond())),
        &s,
        at(INCIDENT + 2).as_millisecond(),
        Sensitivity::Medium,
        Direction::Either,
    );
    assert_eq!(first, Judgement::Unknown);
    assert!(!first.breached_at(watch::Phase::Ok));
    assert!(first.breached_at(watch::Phase::Firing));
}
