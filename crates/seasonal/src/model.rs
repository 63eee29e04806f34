//! The per-series model: an expected value and a band for every hour.
//!
//! A robust seasonal decomposition, in the spirit of MSTL with a damped trend model but built
//! for what our series are (hourly counts and amounts with gaps, incidents and few weeks of
//! history):
//!
//! 1. **Profile** (daily and weekly seasonality): the value of each hour of the week at a
//!    level of 1, the mean of that hour over the training weeks after each day was divided by
//!    its smoothed level (a running median of daily ratios, so a level shift inside the
//!    training weeks does not smear into the shape), shrunk towards the product of a daily
//!    shape and a weekday factor by as much as the noise of the 168 hourly means explains
//!    their distance from that product (a James–Stein style weight: a series whose weekdays
//!    share one shape gets the steadier pooled estimate, one whose weekends differ keeps its
//!    own).
//! 2. **Robustness**: hours further than [`CLIP`] spreads from a first robust fit (medians)
//!    are pulled to that edge before the profile and levels are fitted again, so a spike or an
//!    outage in the training weeks neither shifts the profile nor widens the band; the spread
//!    itself is a median absolute deviation.
//! 3. **Level and trend**: each training day's ratio to the profile; the level of the model's
//!    day is the winsorised mean of the last two weeks' ratios (moved along the trend), unless
//!    the median of the last four days is clearly elsewhere: a level shift, which the level
//!    then follows (absorbed in three to four days; one odd day moves nothing),
//!    the trend the Theil–Sen slope of those ratios, damped further ahead (factor
//!    [`TREND_DAMPING`] a day).
//! 4. **Spread**: a variance function of the expected value, `a + b·max(e, m₀) + c·e²` fitted
//!    on the training residuals of one-day-ahead levels (so day-to-day surprises count): `b`
//!    is the Poisson part (at least 1 for counts, whose spread near zero is then at least one
//!    event, so 0 → 2 at night is noise), `c` the relative part. Sums over 3, 6 or 24 hours
//!    are not independent (a busy day is busy all day), so each detection window carries its
//!    own factor ([`Model::window_factor`]), measured on the training weeks.
//!
//! Why not `augurs-mstl` + `augurs-ets` (0.10.3): measured on the same synthetic series
//! (`benches/fit.rs` for this model, `compare-augurs/` for MSTL with periods 24 and 168 and an
//! AutoETS trend; BENCHMARKS.md, "Seasonal models"): it failed ("no model found") on every
//! series with 2 % of hours missing even with imputation (15 of 100), took about 58 ms a fit
//! against about 1.1 ms, erred more on the next day's total (median 4.2 % against 2.2 %),
//! its 95 % intervals held 91.4 % of the next day's hours (this model's 96.9 %), and a six-hour
//! spike a week back multiplied its band by 7.6 and the expected value of those hours by 3
//! (this model: 1.05 and 1.05). This model is pure Rust, deterministic and O(n log n) in the
//! training hours.

use serde::{Deserialize, Serialize};

use crate::series::Series;
use crate::{DAY_MS, HOUR_MS};

/// How many days before a UTC day its model is fitted on.
pub const TRAINING_DAYS: i64 = 56;
/// Below three weeks of known hours a series is still learning.
pub const MIN_HISTORY_HOURS: usize = 21 * 24;
/// The detection windows, in hours: the last hour, and the sums of the last 3, 6 and 24.
pub const WINDOWS: [usize; 4] = [1, 3, 6, 24];
/// Training hours further than this many spreads from the first fit are pulled to that edge.
pub const CLIP: f64 = 3.5;
/// The trend's slope is multiplied by this once a day ahead of the model's day.
pub const TREND_DAMPING: f64 = 0.98;

const WEEK_HOURS: usize = 168;
const TRAINING_HOURS: usize = (TRAINING_DAYS * 24) as usize;
/// The median absolute deviation of a normal variable is this many standard deviations.
const MAD_TO_SD: f64 = 1.4826;
/// Days of level history a forward level needs; earlier training days use a centred one.
const MIN_LEVEL_DAYS: usize = 3;
/// A day's ratio counts when at least this many of its hours are known.
const MIN_DAY_HOURS: usize = 6;
/// Days of the steady level estimate, and of the recent one that follows a level shift.
const LONG_LEVEL_DAYS: f64 = 14.0;
const SHORT_LEVEL_DAYS: usize = 4;

/// The UTC day (its start, epoch ms) whose model judges the hour containing `at_ms`.
pub fn model_day(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS) * DAY_MS
}

/// The expected value of one hour (or a sum of hours) and the band around it, at one
/// sensitivity's width.
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

/// How the level combines with the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    /// Non-negative series: the level scales the profile (night stays quiet when days grow).
    Multiplicative,
    /// Series with negative values or a zero mean: the level is added.
    Additive,
}

/// A fitted model: what the series is expected to do from its day on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The UTC day it was fitted for (epoch ms of its start).
    pub day_ms: i64,
    /// Whether the series counts events (non-negative whole numbers), whose spread grows with
    /// their level.
    pub counts: bool,
    shape: Shape,
    /// Expected value per hour of the week at level 1 (or 0 when additive), Monday 00:00 UTC
    /// first.
    profile: Vec<f64>,
    /// The level at the middle of the model's day.
    level: f64,
    /// The level's change per day.
    slope: f64,
    /// The variance function `a + b·max(e, m₀) + c·e²`.
    var_a: f64,
    var_b: f64,
    var_c: f64,
    var_m0: f64,
    /// Per [`WINDOWS`] entry: the spread of a window's sum over the spread its hours would
    /// have if independent.
    window_factors: [f64; 4],
    /// The relative standard error of the level, for sums far ahead (forecasts).
    level_error: f64,
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
    Fit::Ready(Fitter::new(&train).fit(day_ms))
}

/// The working state of one fit: the training hours and their slots.
struct Fitter {
    y: Vec<Option<f64>>,
    /// Hour of the week of each training hour.
    slot: Vec<usize>,
    counts: bool,
    shape: Shape,
}

impl Fitter {
    fn new(train: &Series) -> Fitter {
        debug_assert_eq!(train.values.len(), TRAINING_HOURS);
        let known = || train.values.iter().flatten();
        let counts = known().all(|v| *v >= 0.0 && v.fract() == 0.0);
        let n = known().count().max(1) as f64;
        let mean = known().sum::<f64>() / n;
        let shape = if known().all(|v| *v >= 0.0) && mean > 0.0 {
            Shape::Multiplicative
        } else {
            Shape::Additive
        };
        Fitter {
            y: train.values.clone(),
            slot: (0..train.values.len())
                .map(|i| week_slot(train.start_ms + i as i64 * HOUR_MS))
                .collect(),
            counts,
            shape,
        }
    }

    fn days(&self) -> usize {
        self.y.len() / 24
    }

    fn combine(&self, profile: f64, level: f64) -> f64 {
        match self.shape {
            Shape::Multiplicative => profile * level.max(0.0),
            Shape::Additive => profile + level,
        }
    }

    fn fit(&self, day_ms: i64) -> Model {
        // First pass: medians, robust without knowing the spread.
        let profile0 = self.slot_medians(&self.y);
        let ratios0 = self.day_ratios(&self.y, &profile0);
        let smooth0 = centred_levels(&ratios0, self.neutral_level());
        let profile1 = self.slot_medians(&self.deleveled(&self.y, &smooth0));
        let fitted1 = self.fitted(&profile1, &smooth0);
        let var1 = self.variance_function(&self.y, &fitted1);

        // Outliers pulled to the edge of the first fit's band, then the real fit.
        let clean: Vec<Option<f64>> = self
            .y
            .iter()
            .zip(&fitted1)
            .map(|(y, f)| {
                y.map(|y| {
                    let edge = CLIP * var1.spread(*f);
                    y.clamp(f - edge, f + edge)
                })
            })
            .collect();
        let ratios1 = self.day_ratios(&clean, &profile1);
        let smooth1 = centred_levels(&ratios1, self.neutral_level());
        let profile = self.profile(&self.deleveled(&clean, &smooth1));
        let ratios = self.day_ratios(&clean, &profile);

        let days = self.days();
        let slope = match self.shape {
            // A level shift inside the training weeks reads as a slope; a real trend of more
            // than 2 % a day is not one a month's forecast should extend.
            Shape::Multiplicative => {
                let mut known: Vec<f64> = ratios.iter().flatten().copied().collect();
                let typical = median(&mut known).abs();
                theil_sen(&ratios).clamp(-0.02 * typical, 0.02 * typical)
            }
            Shape::Additive => theil_sen(&ratios),
        };
        // Every day's ratio moved along the trend to the end of the training weeks, so the
        // levels below need no lag of their own.
        let level_ratios: Vec<Option<f64>> = ratios
            .iter()
            .enumerate()
            .map(|(d, r)| r.map(|r| r + slope * (days - d) as f64 + slope * -0.5))
            .collect();
        let day_noise = day_noise(&ratios, &smooth1);
        let levels = Levels {
            ratios: &level_ratios,
            day_noise,
        };
        // The middle of the model's day is half a day after the end of the training weeks.
        let level = levels.before(days).unwrap_or(self.neutral_level()) + slope * 0.5;

        // One-day-ahead levels over the training days, for honest residuals.
        let ahead: Vec<f64> = (0..days)
            .map(|d| match levels.before(d) {
                Some(l) => l - slope * (days - d) as f64 + slope * 0.5,
                None => smooth1[d],
            })
            .collect();
        let fitted = self.fitted(&profile, &ahead);
        let var = self.variance_function(&self.y, &fitted);
        let window_factors = WINDOWS.map(|w| window_factor(&self.y, &fitted, &var, w));
        let level_error = match self.shape {
            Shape::Multiplicative if level > 0.0 => day_noise / LONG_LEVEL_DAYS.sqrt() / level,
            _ => day_noise / LONG_LEVEL_DAYS.sqrt(),
        };

        Model {
            day_ms,
            counts: self.counts,
            shape: self.shape,
            profile,
            level,
            slope,
            var_a: var.a,
            var_b: var.b,
            var_c: var.c,
            var_m0: var.m0,
            window_factors,
            level_error,
        }
    }

    fn neutral_level(&self) -> f64 {
        match self.shape {
            Shape::Multiplicative => 1.0,
            Shape::Additive => 0.0,
        }
    }

    /// The median of each hour of the week; an hour never known takes the median of its hour
    /// of the day, then of everything.
    fn slot_medians(&self, y: &[Option<f64>]) -> Vec<f64> {
        let by_slot = self.by_slot(y);
        let mut all: Vec<f64> = y.iter().flatten().copied().collect();
        let overall = median(&mut all);
        let mut medians: Vec<Option<f64>> = by_slot
            .into_iter()
            .map(|mut v| (!v.is_empty()).then(|| median(&mut v)))
            .collect();
        fill_missing_slots(&mut medians, overall);
        medians.into_iter().map(|m| m.unwrap_or(overall)).collect()
    }

    fn by_slot(&self, y: &[Option<f64>]) -> Vec<Vec<f64>> {
        let mut by_slot: Vec<Vec<f64>> = (0..WEEK_HOURS).map(|_| Vec::with_capacity(8)).collect();
        for (v, s) in y.iter().zip(&self.slot) {
            if let Some(v) = v {
                by_slot[*s].push(*v);
            }
        }
        by_slot
    }

    /// The profile from deleveled hours: per-slot means shrunk towards daily shape × weekday.
    fn profile(&self, u: &[Option<f64>]) -> Vec<f64> {
        let by_slot = self.by_slot(u);
        let overall = {
            let (s, n) = u
                .iter()
                .flatten()
                .fold((0.0, 0.0), |(s, n), v| (s + v, n + 1.0));
            if n > 0.0 { s / n } else { 0.0 }
        };
        let mut means: Vec<Option<f64>> = by_slot
            .iter()
            .map(|v| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64))
            .collect();
        // The noise of each slot's mean, pooled over the slots.
        let (mut noise, mut noisy_slots) = (0.0, 0.0);
        for (v, m) in by_slot.iter().zip(&means) {
            if let (Some(m), true) = (m, v.len() > 1) {
                let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
                noise += var / v.len() as f64;
                noisy_slots += 1.0;
            }
        }
        fill_missing_slots(&mut means, overall);
        let means: Vec<f64> = means.into_iter().map(|m| m.unwrap_or(overall)).collect();
        if noisy_slots == 0.0 {
            return means;
        }
        let noise = noise / noisy_slots;
        let pooled = self.pooled_profile(&means);
        let distance = means
            .iter()
            .zip(&pooled)
            .map(|(m, p)| (m - p).powi(2))
            .sum::<f64>()
            / WEEK_HOURS as f64;
        let pull = if distance <= noise {
            1.0
        } else {
            (noise / distance).clamp(0.0, 1.0)
        };
        means
            .iter()
            .zip(&pooled)
            .map(|(m, p)| m - pull * (m - p))
            .collect()
    }

    /// The profile as one daily shape combined with a factor (or offset) per weekday.
    fn pooled_profile(&self, means: &[f64]) -> Vec<f64> {
        let overall = means.iter().sum::<f64>() / WEEK_HOURS as f64;
        let mut hour = [0.0; 24];
        let mut weekday = [0.0; 7];
        for (s, m) in means.iter().enumerate() {
            hour[s % 24] += m / 7.0;
            weekday[s / 24] += m / 24.0;
        }
        (0..WEEK_HOURS)
            .map(|s| match self.shape {
                Shape::Multiplicative if overall > 0.0 => hour[s % 24] * weekday[s / 24] / overall,
                _ => hour[s % 24] + weekday[s / 24] - overall,
            })
            .collect()
    }

    /// Each training day's level against `profile` (`None` for a day with too few hours).
    fn day_ratios(&self, y: &[Option<f64>], profile: &[f64]) -> Vec<Option<f64>> {
        y.chunks(24)
            .zip(self.slot.chunks(24))
            .map(|(day, slots)| {
                let (mut actual, mut expected, mut n) = (0.0, 0.0, 0usize);
                for (v, s) in day.iter().zip(slots) {
                    if let Some(v) = v {
                        actual += v;
                        expected += profile[*s];
                        n += 1;
                    }
                }
                if n < MIN_DAY_HOURS {
                    return None;
                }
                match self.shape {
                    Shape::Multiplicative if expected > 0.0 => Some(actual / expected),
                    Shape::Multiplicative => None,
                    Shape::Additive => Some((actual - expected) / n as f64),
                }
            })
            .collect()
    }

    fn deleveled(&self, y: &[Option<f64>], levels: &[f64]) -> Vec<Option<f64>> {
        y.iter()
            .enumerate()
            .map(|(i, v)| {
                let level = levels[i / 24];
                v.and_then(|v| match self.shape {
                    Shape::Multiplicative => (level > 0.0).then(|| v / level),
                    Shape::Additive => Some(v - level),
                })
            })
            .collect()
    }

    fn fitted(&self, profile: &[f64], levels: &[f64]) -> Vec<f64> {
        self.slot
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let f = self.combine(profile[*s], levels[i / 24]);
                if self.counts { f.max(0.0) } else { f }
            })
            .collect()
    }

    /// The variance function from the residuals of `fitted`: training hours ranked by their
    /// expected value in eight groups, each group's robust variance, then `v/e = b + c·e`.
    fn variance_function(&self, y: &[Option<f64>], fitted: &[f64]) -> VarianceFn {
        let mut pairs: Vec<(f64, f64)> = y
            .iter()
            .zip(fitted)
            .filter_map(|(v, f)| v.map(|v| (*f, v - f)))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let positive: Vec<f64> = y.iter().flatten().copied().filter(|v| *v > 0.0).collect();
        let m0 = if self.counts {
            1.0
        } else {
            0.05 * median(&mut positive.clone())
        };
        const GROUPS: usize = 8;
        let size = (pairs.len() / GROUPS).max(1);
        let groups: Vec<(f64, f64)> = pairs
            .chunks(size)
            .filter(|g| g.len() * 2 >= size)
            .map(|g| {
                let m = g.iter().map(|p| p.0).sum::<f64>() / g.len() as f64;
                let mut dev: Vec<f64> = g.iter().map(|p| p.1.abs()).collect();
                (m, (MAD_TO_SD * median(&mut dev)).powi(2))
            })
            .collect();
        // In-sample residuals are a little smaller than a new week's: one slot's mean is
        // fitted on the eight weeks it is judged with.
        let weeks = TRAINING_DAYS as f64 / 7.0;
        let inflate = weeks / (weeks - 1.0);
        let mut var = match self.shape {
            Shape::Multiplicative => {
                let points: Vec<(f64, f64)> = groups
                    .iter()
                    .map(|(m, v)| (*m, v / m.max(m0).max(f64::MIN_POSITIVE)))
                    .collect();
                let (b, c) = nonnegative_line(&points);
                VarianceFn { a: 0.0, b, c, m0 }
            }
            Shape::Additive => {
                let mut vs: Vec<f64> = groups.iter().map(|g| g.1).collect();
                VarianceFn {
                    a: median(&mut vs),
                    b: 0.0,
                    c: 0.0,
                    m0: 0.0,
                }
            }
        };
        if self.counts {
            var.b = var.b.max(1.0);
        }
        var.a *= inflate;
        var.b *= inflate;
        var.c *= inflate;
        // A series that never moved still needs a spread: a millionth of its typical size.
        let typical = median(&mut positive.clone()).max(1e-9);
        var.a = var.a.max((1e-6 * typical).powi(2));
        var
    }
}

/// The hourly variance as a function of the expected value.
#[derive(Debug, Clone, Copy)]
struct VarianceFn {
    a: f64,
    b: f64,
    c: f64,
    m0: f64,
}

impl VarianceFn {
    fn variance(&self, expected: f64) -> f64 {
        let e = expected.abs();
        self.a + self.b * e.max(self.m0) + self.c * e * e
    }
    fn spread(&self, expected: f64) -> f64 {
        self.variance(expected).sqrt()
    }
}

/// The spread of the sums of `w` consecutive known hours over what independent hours would
/// give, from the training residuals (windows stepped so each hour is in at most a few).
fn window_factor(y: &[Option<f64>], fitted: &[f64], var: &VarianceFn, w: usize) -> f64 {
    let step = match w {
        1 => 1,
        24 => 6,
        _ => 3.min(w),
    };
    let mut z: Vec<f64> = Vec::with_capacity(y.len() / step);
    let mut start = 0;
    while start + w <= y.len() {
        let (mut dev, mut v, mut complete) = (0.0, 0.0, true);
        for i in start..start + w {
            match y[i] {
                Some(y) => {
                    dev += y - fitted[i];
                    v += var.variance(fitted[i]);
                }
                None => complete = false,
            }
        }
        if complete && v > 0.0 {
            z.push((dev / v.sqrt()).abs());
        }
        start += step;
    }
    if z.len() < 8 {
        return 1.0;
    }
    (MAD_TO_SD * median(&mut z)).clamp(1.0, 10.0)
}

/// A level per training day: the median of the ratios of the seven days around it.
fn centred_levels(ratios: &[Option<f64>], neutral: f64) -> Vec<f64> {
    let n = ratios.len();
    let mut all: Vec<f64> = ratios.iter().flatten().copied().collect();
    let overall = if all.is_empty() {
        neutral
    } else {
        median(&mut all)
    };
    (0..n)
        .map(|d| {
            let mut near: Vec<f64> = ratios[d.saturating_sub(3)..(d + 4).min(n)]
                .iter()
                .flatten()
                .copied()
                .collect();
            if near.is_empty() {
                overall
            } else {
                median(&mut near)
            }
        })
        .collect()
}

/// The day-to-day noise of the level: one robust standard deviation of the daily ratios
/// around their running median.
fn day_noise(ratios: &[Option<f64>], smooth: &[f64]) -> f64 {
    let mut dev: Vec<f64> = ratios
        .iter()
        .zip(smooth)
        .filter_map(|(r, s)| r.map(|r| (r - s).abs()))
        .collect();
    MAD_TO_SD * median(&mut dev)
}

/// The level of a day from the days before it (their ratios already moved along the trend).
struct Levels<'a> {
    ratios: &'a [Option<f64>],
    day_noise: f64,
}

impl Levels<'_> {
    /// The level just after the days before `until`: the winsorised mean of the last
    /// [`LONG_LEVEL_DAYS`] (steady, and one odd day moves it little), unless the median of the
    /// last [`SHORT_LEVEL_DAYS`] is clearly elsewhere, a level shift, which it then follows.
    /// `None` with fewer than [`MIN_LEVEL_DAYS`] known.
    fn before(&self, until: usize) -> Option<f64> {
        let recent = |n: usize| -> Vec<f64> {
            self.ratios[until.saturating_sub(n)..until]
                .iter()
                .flatten()
                .copied()
                .collect()
        };
        let mut long = recent(LONG_LEVEL_DAYS as usize);
        if long.len() < MIN_LEVEL_DAYS {
            return None;
        }
        let centre = median(&mut long);
        let edge = 2.5 * self.day_noise;
        let steady = long
            .iter()
            .map(|r| r.clamp(centre - edge, centre + edge))
            .sum::<f64>()
            / long.len() as f64;
        let mut short = recent(SHORT_LEVEL_DAYS);
        if short.len() < MIN_LEVEL_DAYS {
            return Some(steady);
        }
        let latest = median(&mut short);
        // The median of four days errs by about 1.2 / √4 of a day's noise; four of those
        // (and the running median's noise estimate is a little low) is a shift, not chance.
        let shifted = (latest - steady).abs() > 4.0 * 0.6 * self.day_noise;
        Some(if shifted { latest } else { steady })
    }
}

/// The Theil–Sen slope per day of the known ratios (0 with fewer than two).
fn theil_sen(ratios: &[Option<f64>]) -> f64 {
    let points: Vec<(f64, f64)> = ratios
        .iter()
        .enumerate()
        .filter_map(|(d, r)| r.map(|r| (d as f64, r)))
        .collect();
    let mut slopes = Vec::with_capacity(points.len() * points.len() / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            slopes.push((b.1 - a.1) / (b.0 - a.0));
        }
    }
    if slopes.is_empty() {
        0.0
    } else {
        median(&mut slopes)
    }
}

/// Least squares `y = b + c·x` with `b, c ≥ 0`.
fn nonnegative_line(points: &[(f64, f64)]) -> (f64, f64) {
    if points.is_empty() {
        return (0.0, 0.0);
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let c = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let b = mean_y - c * mean_x;
    if c < 0.0 {
        return (mean_y.max(0.0), 0.0);
    }
    if b < 0.0 {
        let sx2: f64 = points.iter().map(|p| p.0 * p.0).sum();
        let sxy0: f64 = points.iter().map(|p| p.0 * p.1).sum();
        return (
            0.0,
            if sx2 > 0.0 {
                (sxy0 / sx2).max(0.0)
            } else {
                0.0
            },
        );
    }
    (b, c)
}

/// Slots never known take their hour of the day's mean over the weekdays known, else `overall`.
fn fill_missing_slots(values: &mut [Option<f64>], overall: f64) {
    if values.iter().all(Option::is_some) {
        return;
    }
    let by_hour: Vec<Option<f64>> = (0..24)
        .map(|h| {
            let known: Vec<f64> = (0..7).filter_map(|d| values[d * 24 + h]).collect();
            (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
        })
        .collect();
    for (s, v) in values.iter_mut().enumerate() {
        if v.is_none() {
            *v = Some(by_hour[s % 24].unwrap_or(overall));
        }
    }
}

impl Model {
    /// The expected value of the hour starting at `hour_ms` (any hour from the model's day on;
    /// further ahead for forecasts) and the band `width` robust standard deviations wide on
    /// each side. Counts never go below zero.
    pub fn band(&self, hour_ms: i64, width: f64) -> Band {
        let expected = self.expected(hour_ms);
        let spread = self.spread(expected);
        self.band_of(expected, width * spread)
    }

    /// The expected value alone.
    pub fn expected(&self, hour_ms: i64) -> f64 {
        let level = self.level_at(hour_ms);
        let p = self.profile[week_slot(hour_ms)];
        let e = match self.shape {
            Shape::Multiplicative => p * level.max(0.0),
            Shape::Additive => p + level,
        };
        if self.counts { e.max(0.0) } else { e }
    }

    /// One robust standard deviation of one hour around an expected value.
    pub fn spread(&self, expected: f64) -> f64 {
        self.variance(expected).sqrt().max(f64::EPSILON)
    }

    /// The variance of one hour around an expected value.
    pub fn variance(&self, expected: f64) -> f64 {
        self.var_fn().variance(expected)
    }

    /// The spread of a sum of `hours` consecutive hours over what independent hours would
    /// give: 1 for one hour, measured on the training weeks for the [`WINDOWS`], the nearest
    /// smaller window's for other lengths.
    pub fn window_factor(&self, hours: usize) -> f64 {
        WINDOWS
            .iter()
            .zip(self.window_factors)
            .rev()
            .find(|(w, _)| **w <= hours)
            .map_or(1.0, |(_, f)| f)
    }

    /// The expected sum of the known-or-not hours of `[from_ms, to_ms)` and its band `width`
    /// spreads of the sum wide. Over more than a day the level's own uncertainty is added, as
    /// it moves every hour of the span the same way.
    pub fn sum_band(&self, from_ms: i64, to_ms: i64, width: f64) -> Band {
        let (mut expected, mut variance, mut hours) = (0.0, 0.0, 0usize);
        let mut hour = from_ms.div_euclid(HOUR_MS) * HOUR_MS;
        while hour < to_ms {
            let e = self.expected(hour);
            expected += e;
            variance += self.variance(e);
            hours += 1;
            hour += HOUR_MS;
        }
        let spread = self.sum_spread(expected, variance, hours);
        self.band_of(expected, width * spread)
    }

    /// One spread of a sum of `hours` consecutive hours whose expected values add to
    /// `expected` and whose hourly variances add to `variance`.
    pub fn sum_spread(&self, expected: f64, variance: f64, hours: usize) -> f64 {
        let independent = self.window_factor(hours).powi(2) * variance;
        let level = if hours > 24 {
            (self.level_error * expected).powi(2)
        } else {
            0.0
        };
        (independent + level).sqrt().max(f64::EPSILON)
    }

    /// The level's change per day (in the profile's units when additive, relative otherwise).
    pub fn slope(&self) -> f64 {
        self.slope
    }

    fn band_of(&self, expected: f64, half: f64) -> Band {
        let lower = expected - half;
        Band {
            expected,
            lower: if self.counts { lower.max(0.0) } else { lower },
            upper: expected + half,
        }
    }

    fn var_fn(&self) -> VarianceFn {
        VarianceFn {
            a: self.var_a,
            b: self.var_b,
            c: self.var_c,
            m0: self.var_m0,
        }
    }

    /// The level at the hour starting at `hour_ms`: the fitted level at the middle of the
    /// model's day, moved by the damped trend.
    fn level_at(&self, hour_ms: i64) -> f64 {
        let mid_day = (self.day_ms + DAY_MS / 2) as f64;
        let t = (hour_ms as f64 + HOUR_MS as f64 / 2.0 - mid_day) / DAY_MS as f64;
        let damped = if t <= 0.0 {
            t
        } else {
            (1.0 - TREND_DAMPING.powf(t)) / -TREND_DAMPING.ln()
        };
        self.level + self.slope * damped
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
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
