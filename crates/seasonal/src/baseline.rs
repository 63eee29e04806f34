//! Two plain rules the seasonal model is measured against (the detection benchmark,
//! `benches/detection.rs`): what a person would set up without a model.

use crate::detect::Direction;
use crate::model::Band;
use crate::series::Series;
use crate::{HOUR_MS, TRAINING_DAYS};

/// A week of hours.
const WEEK_MS: i64 = 7 * 24 * HOUR_MS;

/// "Static": the mean of the known training hours ± `width` standard deviations, the same for
/// every hour of the day and week. `training` is the span the rule learned from (the
/// [`TRAINING_DAYS`] before the judged day, as the model). `None` with fewer than two known
/// hours, where no spread exists.
pub fn static_band(training: &Series, width: f64) -> Option<Band> {
    let known: Vec<f64> = training.values.iter().flatten().copied().collect();
    if known.len() < 2 {
        return None;
    }
    let n = known.len() as f64;
    let mean = known.iter().sum::<f64>() / n;
    let variance = known.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = width * variance.sqrt();
    Some(Band {
        expected: mean,
        lower: mean - half,
        upper: mean + half,
    })
}

/// The training span of [`static_band`] for the UTC day starting at `day_ms`.
pub fn training_span(series: &Series, day_ms: i64) -> Series {
    series.slice(day_ms - TRAINING_DAYS * 24 * HOUR_MS, day_ms)
}

/// "Same hour last week": the value of the hour a week before `hour_ms` ± `share` of it
/// (0.5 for ±50 %). `None` when that hour is not known.
pub fn last_week_band(series: &Series, hour_ms: i64, share: f64) -> Option<Band> {
    let last = series.at(hour_ms - WEEK_MS)?;
    let half = (last * share).abs();
    Some(Band {
        expected: last,
        lower: last - half,
        upper: last + half,
    })
}

/// Whether `observed` breaks `band` the way `direction` watches.
pub fn outside(band: &Band, observed: f64, direction: Direction) -> bool {
    match direction {
        Direction::Up => observed > band.upper,
        Direction::Down => observed < band.lower,
        Direction::Either => observed > band.upper || observed < band.lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Series {
        Series {
            start_ms: 0,
            values: values.iter().map(|v| Some(*v)).collect(),
        }
    }

    #[test]
    fn static_band_is_the_mean_plus_minus_width_sample_deviations() {
        // Mean 5; squared deviations 9, 1, 1, 9 sum to 20; sample variance 20 / 3.
        let band = static_band(&series(&[2.0, 4.0, 6.0, 8.0]), 3.0).unwrap();
        let sd = (20.0f64 / 3.0).sqrt();
        assert_eq!(band.expected, 5.0);
        assert!((band.upper - (5.0 + 3.0 * sd)).abs() < 1e-12);
        assert!((band.lower - (5.0 - 3.0 * sd)).abs() < 1e-12);
    }

    #[test]
    fn static_band_skips_unknown_hours_and_needs_two_known() {
        let mut s = series(&[2.0, 4.0]);
        s.values.push(None);
        assert_eq!(static_band(&s, 3.0).unwrap().expected, 3.0);
        assert_eq!(static_band(&series(&[7.0]), 3.0), None);
    }

    #[test]
    fn last_week_band_is_the_same_hour_a_week_earlier_plus_minus_the_share() {
        let mut values = vec![1.0; 24 * 8];
        values[10] = 40.0;
        let s = series(&values);
        let band = last_week_band(&s, 10 * HOUR_MS + WEEK_MS, 0.5).unwrap();
        assert_eq!((band.expected, band.lower, band.upper), (40.0, 20.0, 60.0));
    }

    #[test]
    fn last_week_band_is_none_without_last_weeks_hour() {
        let s = series(&[1.0; 24]);
        assert_eq!(last_week_band(&s, 5 * HOUR_MS, 0.5), None);
    }

    #[test]
    fn outside_follows_the_direction() {
        let band = Band {
            expected: 10.0,
            lower: 5.0,
            upper: 15.0,
        };
        assert!(outside(&band, 16.0, Direction::Up));
        assert!(!outside(&band, 4.0, Direction::Up));
        assert!(outside(&band, 4.0, Direction::Down));
        assert!(outside(&band, 4.0, Direction::Either) && outside(&band, 16.0, Direction::Either));
        assert!(!outside(&band, 15.0, Direction::Either));
    }
}
