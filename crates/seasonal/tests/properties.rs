//! Properties of any series: fitting is deterministic and never panics, bands contain their
//! expected value, counts never go below zero.

mod support;

use proptest::prelude::*;
use seasonal::{Direction, Fit, Sensitivity, Series, TRAINING_DAYS, WINDOWS, detect, fit};
use support::{START_MS, day, hour};

const D: usize = TRAINING_DAYS as usize;

fn any_series() -> impl Strategy<Value = Series> {
    prop::collection::vec(
        prop_oneof![
            3 => (0u32..50).prop_map(|v| Some(f64::from(v))),
            1 => (-5.0f64..1e6).prop_map(Some),
            1 => Just(None),
        ],
        (D + 1) * 24,
    )
    .prop_map(|values| Series {
        start_ms: START_MS,
        values,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fitting_is_deterministic_and_bands_hold_their_expected(series in any_series()) {
        let a = fit(&series, day(D));
        prop_assert_eq!(&a, &fit(&series, day(D)));
        if let Fit::Ready(m) = a {
            for h in 0..24 {
                let b = m.band(hour(D, h), 4.5);
                prop_assert!(b.expected.is_finite() && b.lower.is_finite() && b.upper.is_finite());
                prop_assert!(b.lower <= b.expected && b.expected <= b.upper, "{:?}", b);
                if m.counts {
                    prop_assert!(b.lower >= 0.0);
                }
            }
            for s in Sensitivity::ALL {
                if let Some(v) = detect(&m, &series, hour(D, 12), s, Direction::Either) {
                    prop_assert!(WINDOWS.contains(&v.window_hours));
                    prop_assert!(v.score.is_finite());
                }
            }
        }
    }

    #[test]
    fn whole_numbers_that_are_not_negative_are_counts(
        values in prop::collection::vec(0u32..1000, (D + 1) * 24)
    ) {
        let series = Series {
            start_ms: START_MS,
            values: values.into_iter().map(|v| Some(f64::from(v))).collect(),
        };
        match fit(&series, day(D)) {
            Fit::Ready(m) => prop_assert!(m.counts),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
