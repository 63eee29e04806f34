//! augurs-mstl with an augurs-ets trend on the synthetic series of benches/fit.rs (the
//! generator is a copy of that file's): fit time, day-total error, 95 % interval coverage
//! and what a training spike does to the band, the figures the fit bench prints for our model.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_mstl::MSTLModel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

const DAYS: usize = 90;
const HOURLY: [f64; 24] = [
    0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.45, 0.8, 1.3, 1.7, 1.9, 1.9, 1.8, 1.8, 1.9, 1.9, 1.7, 1.5,
    1.2, 1.0, 0.8, 0.6, 0.4, 0.25,
];
const WEEKLY: [f64; 7] = [1.1, 1.15, 1.1, 1.05, 1.0, 0.8, 0.7];

/// One synthetic series: its values (DAYS + 1 days, the last one judged) and its mean per
/// hour before noise.
struct Synthetic {
    values: Vec<Option<f64>>,
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
    Synthetic { values, truth }
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

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let train_from = (DAYS - 56) * 24;
    let train_to = DAYS * 24;
    let (mut errors, mut inside, mut hours, mut widen) = (Vec::new(), 0usize, 0usize, Vec::new());
    let mut fit_time = 0.0;
    let mut failed = 0;
    for k in 0..n as u64 {
        let s = synthetic(k);
        let y: Vec<f64> = s.values[train_from..train_to]
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        let model =
            MSTLModel::new(vec![24, 168], AutoETS::non_seasonal().into_trend_model()).impute(true);
        let t = Instant::now();
        let fitted = match model.fit(&y) {
            Ok(f) => f,
            Err(e) => {
                failed += 1;
                eprintln!("series {k}: {e}");
                continue;
            }
        };
        let f = fitted.predict(24, 0.95).unwrap();
        fit_time += t.elapsed().as_secs_f64();
        let iv = f.intervals.unwrap();
        let expected: f64 = f.point.iter().sum();
        let truth: f64 = s.truth[train_to..train_to + 24].iter().sum();
        errors.push((expected / truth - 1.0).abs());
        for h in 0..24 {
            if let Some(v) = s.values[train_to + h] {
                inside += usize::from(v >= iv.lower[h] && v <= iv.upper[h]);
                hours += 1;
            }
        }
        if k < 100 {
            let mut spiked = y.clone();
            for h in 9..15 {
                let i = (56 - 7) * 24 + h;
                spiked[i] = (10.0 * s.truth[train_from + i]).round();
            }
            let fs = MSTLModel::new(vec![24, 168], AutoETS::non_seasonal().into_trend_model())
                .impute(true)
                .fit(&spiked)
                .unwrap()
                .predict(24, 0.95)
                .unwrap();
            let ivs = fs.intervals.unwrap();
            let w0: f64 = (0..24).map(|h| iv.upper[h] - iv.lower[h]).sum();
            let w1: f64 = (0..24).map(|h| ivs.upper[h] - ivs.lower[h]).sum();
            let e1: f64 = fs.point[9..15].iter().sum::<f64>() / f.point[9..15].iter().sum::<f64>();
            widen.push((w1 / w0, e1));
        }
    }
    errors.sort_by(f64::total_cmp);
    let mut wr: Vec<f64> = widen.iter().map(|w| w.0).collect();
    wr.sort_by(f64::total_cmp);
    let mut er: Vec<f64> = widen.iter().map(|w| w.1).collect();
    er.sort_by(f64::total_cmp);
    println!("augurs MSTL [24,168] + AutoETS non-seasonal trend, {n} series ({failed} failed)");
    println!(
        "fit+predict per series {:.3} ms; day total error median {:.2} %; hours inside 95 % interval {:.1} %",
        fit_time * 1e3 / (n - failed) as f64,
        100.0 * errors[errors.len() / 2],
        100.0 * inside as f64 / hours as f64
    );
    println!(
        "training spike a week back (x10 for 6 h): band width ratio median {:.2}, expected of those hours ratio median {:.2}",
        wr[wr.len() / 2],
        er[er.len() / 2]
    );
}
