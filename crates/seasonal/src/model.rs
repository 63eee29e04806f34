//! The per-series model: an expected value and a band for every hour.
//!
//! FIRST VERSION (to be replaced by the model work of issue 20): the expected value of an hour
//! is the median of the same hour of the week over the training weeks, scaled by the ratio of
//! the last week's level to the training level; the band's scale is the median absolute
//! deviation of the training residuals, widened for counts by the Poisson spread of the
//! expected value. The public API below is what the rest of Switchboard calls.

use serde::{Deserialize, Serialize};

use crate::series::Series;
use crate::{DAY_MS, HOUR_MS};

/// How many days before a UTC day its model is fitted on.
pub const TRAINING_DAYS: i64 = 56;
/// Below three weeks of known hours a series is still learning.
pub const MIN_HISTORY_HOURS: usize = 21 * 24;

/// The UTC day (its start, epoch ms) whose model judges the hour containing `at_ms`.
pub fn model_day(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS) * DAY_MS
}

/// The expected value of one hour and the band around it, at one sensitivity's width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub expected: f64,
    pub lower: f64,
    pub upper: f64,
}

/// What fitting a series gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Fit {
    /// Too little history to say what is usual: `hours` known of `needed`.
    Learning {
        hours: usize,
        needed: usize,
    },
    Ready(Model),
}

/// A fitted model: what the series is expected to do from its day on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The UTC day it was fitted for (epoch ms of its start).
    pub day_ms: i64,
    /// Whether the series counts events (non-negative whole numbers), whose spread grows with
    /// their level.
    pub counts: bool,
    /// Expected value per hour of the week, Monday 00:00 UTC first.
    profile: Vec<f64>,
    level_ratio: f64,
    scale: f64,
}

/// Fits the model of UTC day `day_ms` on the [`TRAINING_DAYS`] of `history` before it.
/// `history` may hold more (or fewer) hours; only those weeks are read, so the result depends
/// on nothing else.
pub fn fit(history: &Series, day_ms: i64) -> Fit {
    let day_ms = model_day(day_ms);
    let train = history.slice(day_ms - TRAINING_DAYS * DAY_MS, day_ms);
    let known = train.known_hours();
    if known < MIN_HISTORY_HOURS {
        return Fit::Learning {
            hours: known,
            needed: MIN_HISTORY_HOURS,
        };
    }
    let counts = train
        .values
        .iter()
        .flatten()
        .all(|v| *v >= 0.0 && v.fract() == 0.0);
    let mut by_slot: Vec<Vec<f64>> = vec![Vec::new(); 168];
    for (i, v) in train.values.iter().enumerate() {
        if let Some(v) = v {
            by_slot[week_slot(train.start_ms + i as i64 * HOUR_MS)].push(*v);
        }
    }
    let overall = median(&mut train.values.iter().flatten().copied().collect::<Vec<_>>());
    let profile: Vec<f64> = by_slot
        .iter_mut()
        .map(|s| if s.is_empty() { overall } else { median(s) })
        .collect();
    let level = |from: i64, to: i64| -> f64 {
        let (mut actual, mut expected) = (0.0, 0.0);
        let s = train.slice(from, to);
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                actual += v;
                expected += profile[week_slot(s.start_ms + i as i64 * HOUR_MS)];
            }
        }
        if expected.abs() < f64::EPSILON {
            1.0
        } else {
            actual / expected
        }
    };
    let level_ratio = level(day_ms - 7 * DAY_MS, day_ms).clamp(0.25, 4.0);
    let mut residuals: Vec<f64> = train
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| (v - profile[week_slot(train.start_ms + i as i64 * HOUR_MS)]).abs())
        })
        .collect();
    let scale = 1.4826 * median(&mut residuals);
    Fit::Ready(Model {
        day_ms,
        counts,
        profile,
        level_ratio,
        scale,
    })
}

impl Model {
    /// The expected value of the hour starting at `hour_ms` (any hour from the model's day on;
    /// further ahead for forecasts) and the band `width` robust standard deviations wide on
    /// each side. Counts never go below zero.
    pub fn band(&self, hour_ms: i64, width: f64) -> Band {
        let expected = self.expected(hour_ms);
        let spread = self.spread(expected);
        let lower = expected - width * spread;
        Band {
            expected,
            lower: if self.counts { lower.max(0.0) } else { lower },
            upper: expected + width * spread,
        }
    }

    /// The expected value alone.
    pub fn expected(&self, hour_ms: i64) -> f64 {
        let e = self.profile[week_slot(hour_ms)] * self.level_ratio;
        if self.counts { e.max(0.0) } else { e }
    }

    /// One robust standard deviation around an expected value.
    pub fn spread(&self, expected: f64) -> f64 {
        let poisson = if self.counts {
            expected.max(1.0).sqrt()
        } else {
            0.0
        };
        self.scale.hypot(poisson).max(f64::EPSILON)
    }
}

/// The hour of the week, Monday 00:00 UTC = 0. 1970-01-01 was a Thursday.
pub(crate) fn week_slot(hour_ms: i64) -> usize {
    let hours = hour_ms.div_euclid(HOUR_MS);
    ((hours + 3 * 24).rem_euclid(168)) as usize
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
