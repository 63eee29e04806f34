//! Fit and score speed of the seasonal model (issue 20), with the first version's
//! median-profile model as the baseline in the same run.
//!
//! `cargo bench -p seasonal --bench fit` (add `-- 200` for fewer series). 1,000 synthetic
//! series of 90 days of hourly values (counts from 0.3 to 3,000 an hour and amounts, daily
//! and weekly rhythm, day-to-day noise, a slow trend, gaps in some): the time to fit each on
//! the 56 days before day 90, and to score the last hour of day 90 at 13:00 (every detection
//! window). Also how close each model's expected day total is to the generator's mean and
//! how many of day 90's hours fall inside a band of 1.96 spreads (95 % if the band is
//! honest), so the speed is not bought with accuracy.

use std::hint::black_box;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use seasonal::{DAY_MS, Direction, Fit, HOUR_MS, Model, Sensitivity, Series, detect, fit};

/// 2026-01-05, a Monday, 00:00 UTC.
const START_MS: i64 = 1_767_571_200_000;
const DAYS: usize = 90;
const HOURLY: [f64; 24] = [
    0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.45, 0.8, 1.3, 1.7, 1.9, 1.9, 1.8, 1.8, 1.9, 1.9, 1.7, 1.5,
    1.2, 1.0, 0.8, 0.6, 0.4, 0.25,
];
const WEEKLY: [f64; 7] = [1.1, 1.15, 1.1, 1.05, 1.0, 0.8, 0.7];

/// One synthetic series: its values (DAYS + 1 days, the last one judged) and its mean per
/// hour before noise.
struct Synthetic {
    series: Series,
    truth: Vec<f64>,
}

fn synthetic(k: u64) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EA5_0000 + k);
    let mean = (rng.random_range(0.3f64.ln()..3000f64.ln())).exp();
    let counts = !k.is_multiple_of(5);
    let gaps = if k.is_multiple_of(7) { 0.02 } else { 0.0 };
    let (mut values, mut truth) = (Vec::new(), Vec::new());
    let mut day_level = 1.0;
    for i in 0..(DAYS + 1) * 24 {
        let day = i / 24;
        if i % 24 == 0 {
            day_level = 1.0 + rng.random_range(-0.08..=0.08);
        }
        let m = mean * HOURLY[i % 24] * WEEKLY[day % 7] * (1.0 + 0.002 * day as f64);
        truth.push(m);
        let v = if counts {
            poisson(&mut rng, m * day_level)
        } else {
            (m * day_level * (1.0 + 0.15 * normal(&mut rng))).max(0.0)
        };
        let gap = gaps > 0.0 && rng.random_bool(gaps);
        values.push((!gap).then_some(v));
    }
    Synthetic {
        series: Series {
            start_ms: START_MS,
            values,
        },
        truth,
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
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

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cpus} cores (nproc), {model}, load average {load}")
}

/// What a model answers that this bench measures.
trait Judge {
    fn expected(&self, hour_ms: i64) -> f64;
    fn band(&self, hour_ms: i64, width: f64) -> (f64, f64);
}

impl Judge for Model {
    fn expected(&self, hour_ms: i64) -> f64 {
        Model::expected(self, hour_ms)
    }
    fn band(&self, hour_ms: i64, width: f64) -> (f64, f64) {
        let b = Model::band(self, hour_ms, width);
        (b.lower, b.upper)
    }
}

impl Judge for first_version::Model {
    fn expected(&self, hour_ms: i64) -> f64 {
        first_version::Model::expected(self, hour_ms)
    }
    fn band(&self, hour_ms: i64, width: f64) -> (f64, f64) {
        let e = first_version::Model::expected(self, hour_ms);
        let s = self.spread(e);
        ((e - width * s).max(0.0), e + width * s)
    }
}

/// Median |expected day total / generator's mean − 1| and the share of hours inside the
/// 1.96-spread band, over day 90 of every series.
fn accuracy<M: Judge>(data: &[Synthetic], models: &[Option<M>]) -> (f64, f64) {
    let day = START_MS + DAYS as i64 * DAY_MS;
    let (mut errors, mut inside, mut hours) = (Vec::new(), 0usize, 0usize);
    for (s, m) in data.iter().zip(models) {
        let Some(m) = m else { continue };
        let (mut expected, mut truth) = (0.0, 0.0);
        for h in 0..24 {
            let at = day + h * HOUR_MS;
            expected += m.expected(at);
            truth += s.truth[DAYS * 24 + h as usize];
            if let Some(v) = s.series.at(at) {
                let (lo, hi) = m.band(at, 1.96);
                inside += usize::from(v >= lo && v <= hi);
                hours += 1;
            }
        }
        errors.push((expected / truth - 1.0).abs());
    }
    errors.sort_by(f64::total_cmp);
    (
        errors[errors.len() / 2],
        inside as f64 / hours.max(1) as f64,
    )
}

/// For the first 100 series: a copy of the history with the six hours 09:00–15:00 of the day a
/// week before the judged day at ten times their mean. The median over series of the judged
/// day's band width (1.96 spreads, summed over its hours) with that spike over without, and
/// the same ratio for the expected value of those six hours.
fn training_spike<M: Judge>(
    data: &[Synthetic],
    history: &[Series],
    fit: impl Fn(&Series) -> Option<M>,
) -> (f64, f64) {
    let day = START_MS + DAYS as i64 * DAY_MS;
    let (mut widths, mut levels) = (Vec::new(), Vec::new());
    for (s, h) in data.iter().zip(history).take(100) {
        let mut spiked = h.clone();
        for hour in 9..15 {
            let i = (DAYS - 7) * 24 + hour;
            spiked.values[i] = Some((10.0 * s.truth[i]).round());
        }
        let (Some(a), Some(b)) = (fit(h), fit(&spiked)) else {
            continue;
        };
        let width = |m: &M| -> f64 {
            (0..24)
                .map(|h| {
                    let (lo, hi) = m.band(day + h * HOUR_MS, 1.96);
                    hi - lo
                })
                .sum()
        };
        let busy = |m: &M| -> f64 { (9..15).map(|h| m.expected(day + h * HOUR_MS)).sum() };
        widths.push(width(&b) / width(&a));
        levels.push(busy(&b) / busy(&a));
    }
    widths.sort_by(f64::total_cmp);
    levels.sort_by(f64::total_cmp);
    (widths[widths.len() / 2], levels[levels.len() / 2])
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    println!("seasonal fit bench: {n} series of {DAYS} days of hourly values");
    println!("machine: {}", machine());
    let data: Vec<Synthetic> = (0..n as u64).map(synthetic).collect();
    let day = START_MS + DAYS as i64 * DAY_MS;
    let at = day + 13 * HOUR_MS;
    // Only the 90 days before the judged day are given to the fit.
    let history: Vec<Series> = data.iter().map(|s| s.series.slice(START_MS, day)).collect();

    let t = Instant::now();
    let models: Vec<Option<Model>> = history
        .iter()
        .map(|h| match fit(black_box(h), day) {
            Fit::Ready(m) => Some(m),
            Fit::Learning { .. } => None,
        })
        .collect();
    let fit_new = t.elapsed();

    let t = Instant::now();
    let mut fired = 0usize;
    for (s, m) in data.iter().zip(&models) {
        if let Some(m) = m {
            let v = detect(m, &s.series, at, Sensitivity::Medium, Direction::Either);
            fired += usize::from(black_box(v).is_some_and(|v| v.anomalous));
        }
    }
    let score_new = t.elapsed();

    let t = Instant::now();
    let baseline: Vec<Option<first_version::Model>> = history
        .iter()
        .map(|h| first_version::fit(black_box(h), day))
        .collect();
    let fit_old = t.elapsed();

    let t = Instant::now();
    let mut fired_old = 0usize;
    for (s, m) in data.iter().zip(&baseline) {
        if let (Some(m), Some(v)) = (m, s.series.at(at - HOUR_MS)) {
            let (lo, hi) = Judge::band(m, at - HOUR_MS, Sensitivity::Medium.width());
            fired_old += usize::from(black_box(v < lo || v > hi));
        }
    }
    let score_old = t.elapsed();

    let per = |d: std::time::Duration| d.as_secs_f64() * 1e3 / n as f64;
    let (err_new, cover_new) = accuracy(&data, &models);
    let (err_old, cover_old) = accuracy(&data, &baseline);
    let ready = |f: Fit| match f {
        Fit::Ready(m) => Some(m),
        Fit::Learning { .. } => None,
    };
    let spike_new = training_spike(&data, &history, |h| ready(fit(h, day)));
    let spike_old = training_spike(&data, &history, |h| first_version::fit(h, day));
    println!(
        "model            | fit {n} series | per series | score 1 hour per series | day total error (median) | hours inside 1.96 band | fired (medium) | training spike: band width, expected"
    );
    println!(
        "robust seasonal  | {:>9.3} s | {:>7.3} ms | {:>9.4} ms | {:>6.2} % | {:>5.1} % | {fired} | ×{:.2}, ×{:.2}",
        fit_new.as_secs_f64(),
        per(fit_new),
        per(score_new),
        100.0 * err_new,
        100.0 * cover_new,
        spike_new.0,
        spike_new.1,
    );
    println!(
        "first version    | {:>9.3} s | {:>7.3} ms | {:>9.4} ms | {:>6.2} % | {:>5.1} % | {fired_old} | ×{:.2}, ×{:.2}",
        fit_old.as_secs_f64(),
        per(fit_old),
        per(score_old),
        100.0 * err_old,
        100.0 * cover_old,
        spike_old.0,
        spike_old.1,
    );
    println!(
        "ratio (robust / first version): fit {:.2}, score {:.2}",
        fit_new.as_secs_f64() / fit_old.as_secs_f64(),
        score_new.as_secs_f64() / score_old.as_secs_f64()
    );
    println!(
        "goals: fit {n} series < 30 s: {}; score < 1 ms per series: {}",
        if fit_new.as_secs_f64() < 30.0 * n as f64 / 1000.0 {
            "met"
        } else {
            "NOT met"
        },
        if per(score_new) < 1.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// The FIRST VERSION model of the seasonal crate (the median of each hour of the week, scaled
/// by the last week's level; the spread the residuals' MAD with a Poisson part for counts),
/// kept here as the baseline this bench compares with.
mod first_version {
    use seasonal::{DAY_MS, HOUR_MS, MIN_HISTORY_HOURS, Series, TRAINING_DAYS};

    pub struct Model {
        counts: bool,
        profile: Vec<f64>,
        level_ratio: f64,
        scale: f64,
    }

    pub fn fit(history: &Series, day_ms: i64) -> Option<Model> {
        let train = history.slice(day_ms - TRAINING_DAYS * DAY_MS, day_ms);
        if train.known_hours() < MIN_HISTORY_HOURS {
            return None;
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
        let last = train.slice(day_ms - 7 * DAY_MS, day_ms);
        let (mut actual, mut expected) = (0.0, 0.0);
        for (i, v) in last.values.iter().enumerate() {
            if let Some(v) = v {
                actual += v;
                expected += profile[week_slot(last.start_ms + i as i64 * HOUR_MS)];
            }
        }
        let level_ratio = if expected.abs() < f64::EPSILON {
            1.0
        } else {
            (actual / expected).clamp(0.25, 4.0)
        };
        let mut residuals: Vec<f64> = train
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.map(|v| (v - profile[week_slot(train.start_ms + i as i64 * HOUR_MS)]).abs())
            })
            .collect();
        let scale = 1.4826 * median(&mut residuals);
        Some(Model {
            counts,
            profile,
            level_ratio,
            scale,
        })
    }

    impl Model {
        pub fn expected(&self, hour_ms: i64) -> f64 {
            let e = self.profile[week_slot(hour_ms)] * self.level_ratio;
            if self.counts { e.max(0.0) } else { e }
        }

        pub fn spread(&self, expected: f64) -> f64 {
            let poisson = if self.counts {
                expected.max(1.0).sqrt()
            } else {
                0.0
            };
            self.scale.hypot(poisson).max(f64::EPSILON)
        }
    }

    fn week_slot(hour_ms: i64) -> usize {
        ((hour_ms.div_euclid(HOUR_MS) + 72).rem_euclid(168)) as usize
    }

    fn median(v: &mut [f64]) -> f64 {
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
}
