//! The "why": the dimension value that explains a deviation.

mod support;

use seasonal::why::explain;
use seasonal::{Direction, Sensitivity, Series, TRAINING_DAYS, detect, fit};
use support::{Spec, day, hour, index, model};

const D: usize = TRAINING_DAYS as usize;

/// Three error codes of different sizes; the test injects a burst into one of them.
fn codes(seed: u64) -> Vec<(String, Spec)> {
    [("30003", 12.0), ("30005", 5.0), ("30007", 1.5)]
        .into_iter()
        .enumerate()
        .map(|(k, (code, mean))| (code.to_owned(), Spec::counts(seed + k as u64, D + 1, mean)))
        .collect()
}

fn total(parts: &[Series]) -> Series {
    let n = parts[0].values.len();
    Series {
        start_ms: parts[0].start_ms,
        values: (0..n)
            .map(|i| parts.iter().map(|p| p.values[i]).sum::<Option<f64>>())
            .collect(),
    }
}

#[test]
fn the_dimension_the_test_burst_is_named_with_most_of_the_deviation() {
    for (burst, seed) in [("30007", 100), ("30005", 200), ("30003", 300)] {
        let specs = codes(seed);
        let mut parts: Vec<Series> = specs.iter().map(|(_, s)| s.build()).collect();
        let k = specs.iter().position(|(c, _)| c == burst).unwrap();
        // Twenty extra events an hour for three hours.
        for h in 10..13 {
            let i = index(D, h);
            parts[k].values[i] = parts[k].values[i].map(|v| v + 20.0);
        }
        let all = total(&parts);
        let m = model(fit(&all, day(D)));
        let v = detect(&m, &all, hour(D, 13), Sensitivity::Medium, Direction::Up).unwrap();
        assert!(v.anomalous, "{burst}: {v:?}");
        let why: Vec<(String, f64, f64)> = specs
            .iter()
            .zip(&parts)
            .map(|((code, _), series)| {
                let m = model(fit(series, day(D)));
                let observed: f64 = (0..v.window_hours)
                    .filter_map(|h| series.at(v.from_ms + h as i64 * seasonal::HOUR_MS))
                    .sum();
                let expected = m.sum_band(v.from_ms, v.to_ms, 1.0).expected;
                (code.clone(), observed, expected)
            })
            .collect();
        let named = explain(&why);
        assert_eq!(named[0].dimension, burst, "{named:?}");
        assert!(named[0].share > 0.7, "{burst}: {named:?}");
    }
}

#[test]
fn values_that_moved_the_other_way_get_no_share() {
    let parts = vec![
        ("a".to_owned(), 150.0, 50.0),
        ("b".to_owned(), 20.0, 40.0),
        ("c".to_owned(), 60.0, 50.0),
    ];
    let named = explain(&parts);
    // The total rose by 100 - 20 + 10 = 90; a and c rose by 100 + 10 = 110.
    assert_eq!(named.len(), 2);
    assert_eq!(named[0].dimension, "a");
    assert!((named[0].share - 100.0 / 110.0).abs() < 1e-12);
    assert!((named[1].share - 10.0 / 110.0).abs() < 1e-12);
}
