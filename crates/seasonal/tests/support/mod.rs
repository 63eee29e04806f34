//! Synthetic hourly series with a known rhythm, built from a seeded RNG, so every expected
//! outcome of a test comes from how the test built its data.

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use seasonal::{DAY_MS, HOUR_MS, Series};

/// 2026-01-05, a Monday, 00:00 UTC.
pub const START_MS: i64 = 1_767_571_200_000;

/// Relative volume per UTC hour: quiet nights, busy business hours.
pub const HOURLY: [f64; 24] = [
    0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.45, 0.8, 1.3, 1.7, 1.9, 1.9, 1.8, 1.8, 1.9, 1.9, 1.7, 1.5,
    1.2, 1.0, 0.8, 0.6, 0.4, 0.25,
];
/// Relative volume per weekday, Monday first: quieter weekends.
pub const WEEKLY: [f64; 7] = [1.1, 1.15, 1.1, 1.05, 1.0, 0.8, 0.7];

/// How a synthetic series is built.
#[derive(Debug, Clone)]
pub struct Spec {
    pub seed: u64,
    pub days: usize,
    /// The mean of an average hour (HOURLY and WEEKLY average about 1).
    pub mean: f64,
    /// Whole-day level noise: each day's level is multiplied by 1 ± this (uniform).
    pub day_noise: f64,
    /// Draw each hour as a Poisson count around its mean; otherwise the mean itself plus
    /// `amount_noise` relative Gaussian noise (an amount, such as spend).
    pub counts: bool,
    pub amount_noise: f64,
    /// Fraction of hours left unknown.
    pub gaps: f64,
    /// From this day on, the level is multiplied by `shift_factor`.
    pub shift_day: Option<usize>,
    pub shift_factor: f64,
}

impl Spec {
    pub fn counts(seed: u64, days: usize, mean: f64) -> Spec {
        Spec {
            seed,
            days,
            mean,
            day_noise: 0.08,
            counts: true,
            amount_noise: 0.0,
            gaps: 0.0,
            shift_day: None,
            shift_factor: 1.0,
        }
    }

    /// The mean of hour `i` (hours since START_MS) before noise: the rhythm times the level.
    pub fn rhythm(&self, i: usize) -> f64 {
        let day = i / 24;
        let shift = match self.shift_day {
            Some(d) if day >= d => self.shift_factor,
            _ => 1.0,
        };
        self.mean * HOURLY[i % 24] * WEEKLY[day % 7] * shift
    }

    pub fn build(&self) -> Series {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut values = Vec::with_capacity(self.days * 24);
        let mut day_level = 1.0;
        for i in 0..self.days * 24 {
            if i % 24 == 0 {
                day_level = 1.0 + rng.random_range(-self.day_noise..=self.day_noise);
            }
            let mean = self.rhythm(i) * day_level;
            let value = if self.counts {
                poisson(&mut rng, mean)
            } else {
                (mean * (1.0 + self.amount_noise * normal(&mut rng))).max(0.0)
            };
            let gap = self.gaps > 0.0 && rng.random_bool(self.gaps);
            values.push((!gap).then_some(value));
        }
        Series {
            start_ms: START_MS,
            values,
        }
    }
}

/// The start of day `d` of a synthetic series.
pub fn day(d: usize) -> i64 {
    START_MS + d as i64 * DAY_MS
}

/// The start of hour `h` of day `d`.
pub fn hour(d: usize, h: usize) -> i64 {
    day(d) + h as i64 * HOUR_MS
}

/// The index in a synthetic series of hour `h` of day `d`.
pub fn index(d: usize, h: usize) -> usize {
    d * 24 + h
}

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Poisson draw: Knuth's product of uniforms for small means, a rounded normal above.
pub fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if mean < 40.0 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= rng.random_range(0.0..1.0);
            if p <= limit {
                return k;
            }
            k += 1.0;
        }
    }
    (mean + mean.sqrt() * normal(rng)).round().max(0.0)
}

pub fn model(fit: seasonal::Fit) -> seasonal::Model {
    match fit {
        seasonal::Fit::Ready(m) => m,
        seasonal::Fit::Learning { hours, needed } => {
            panic!("expected a fitted model, got learning {hours}/{needed}")
        }
    }
}

/// Alarm episodes: runs of consecutive anomalous hours count once.
pub fn episodes(flags: &[bool]) -> usize {
    flags
        .iter()
        .enumerate()
        .filter(|(i, f)| **f && (*i == 0 || !flags[i - 1]))
        .count()
}
