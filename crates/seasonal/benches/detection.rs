//! The detection benchmark of issue 20: how many injected incidents each detector finds, how
//! often it fires on clean days, and whether the "why" names the injected dimension.
//!
//! `cargo bench -p seasonal --bench detection`
//!
//! Six months of simulated data with incidents injected by the simulator (`twilio-sim`
//! `Incident`s: carrier filtering, voice outages, traffic drops, spend spikes). The hourly
//! series are folded straight from the simulator's dataset in memory: this measures detection,
//! not the sync, which the sync's own tests cover (they check synced buckets against the same
//! dataset). Every detector runs hour by hour over the evaluation days as an alert would: an
//! episode of anomalous hours fires once, and an anomalous hour within the cool-down after the
//! last one belongs to the same episode.
//!
//! Detectors: `seasonal` (the model of each UTC day from `seasonal::fit`, `seasonal::detect` at
//! every hour, medium sensitivity, either direction); `static` (mean ± 3σ of the training
//! hours); `last-week` (the same hour a week before ± 50 %).
//!
//! Figures: recall = incidents whose day(s) a metric the incident affects fired on / incidents;
//! false alarms per metric per 30 clean days = firings on days no incident affecting that metric
//! touches, per 30 such days, averaged over the metrics (and the worst metric); why = detected
//! incidents whose first `why::explain` contribution (per-dimension observed against
//! per-dimension models) is the injected dimension value.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use seasonal::baseline;
use seasonal::{
    DAY_MS, Direction, Fit, HOUR_MS, Model, Sensitivity, Series, TRAINING_DAYS, detect, fit, why,
};
use twilio_sim::model::{CallStatus, MessageStatus};
use twilio_sim::{Incident, IncidentKind, SimConfig, Sizes};

const SEED: u64 = 20;
const NOW: &str = "2026-09-01T12:00:00Z";
const DAYS: u32 = 185;
const MESSAGES_PER_DAY: u32 = 2_000;
const CALLS_PER_DAY: u32 = 400;
/// Evaluation starts this many days after the first generated day: the model needs its
/// training weeks first.
const EVAL_FROM_DAY: i64 = TRAINING_DAYS + 4;
/// One incident every this many days from the first one, so clean days sit between them.
const INCIDENT_EVERY: i64 = 5;
const INCIDENTS: usize = 24;
const COOL_DOWN_MS: i64 = 6 * HOUR_MS;

/// A metric of the benchmark: what it counts, which incidents move it, and for which kind its
/// "why" should name a dimension value.
struct MetricDef {
    name: &'static str,
    affected_by: &'static [IncidentKind],
    /// The incident kind whose injected dimension this metric's breakdown should name first.
    names: Option<(IncidentKind, &'static str)>,
}

use IncidentKind::*;

const METRICS: [MetricDef; 6] = [
    MetricDef {
        name: "outbound messages (count, by status)",
        affected_by: &[TrafficDrop],
        names: None,
    },
    MetricDef {
        name: "undelivered messages (count, by error code)",
        affected_by: &[CarrierFiltering, TrafficDrop],
        names: Some((CarrierFiltering, "30007")),
    },
    MetricDef {
        name: "calls not completed (count, by status)",
        affected_by: &[VoiceOutage, TrafficDrop],
        names: Some((VoiceOutage, "failed")),
    },
    MetricDef {
        name: "completed calls (count, by direction)",
        affected_by: &[VoiceOutage, TrafficDrop],
        names: None,
    },
    MetricDef {
        name: "messaging spend (sum of price, by direction)",
        affected_by: &[SpendSpike, TrafficDrop],
        names: Some((SpendSpike, "outbound-api")),
    },
    MetricDef {
        name: "voice spend (sum of price, by direction)",
        affected_by: &[VoiceOutage, TrafficDrop],
        names: None,
    },
];

/// One metric's hourly series: the total and one per dimension value.
struct Folded {
    total: Vec<f64>,
    dims: BTreeMap<String, Vec<f64>>,
}

impl Folded {
    fn new(hours: usize) -> Folded {
        Folded {
            total: vec![0.0; hours],
            dims: BTreeMap::new(),
        }
    }
    fn add(&mut self, hour: usize, dim: String, v: f64) {
        let n = self.total.len();
        self.total[hour] += v;
        self.dims.entry(dim).or_insert_with(|| vec![0.0; n])[hour] += v;
    }
}

fn series(start_ms: i64, values: &[f64]) -> Series {
    Series {
        start_ms,
        values: values.iter().map(|v| Some(*v)).collect(),
    }
}

/// Folds the main account's records into the six metrics' hourly series over
/// `[start_ms, end_ms)`: messages by the instant they were sent (or created, unsent), calls by
/// their start, as the sync's metrics date them.
fn fold(data: &twilio_sim::Dataset, start_ms: i64, end_ms: i64) -> Vec<Folded> {
    let hours = ((end_ms - start_ms) / HOUR_MS) as usize;
    let mut m: Vec<Folded> = (0..METRICS.len()).map(|_| Folded::new(hours)).collect();
    let slot = |t: i64| (t >= start_ms && t < end_ms).then(|| ((t - start_ms) / HOUR_MS) as usize);
    let account = data.main_account();
    for msg in &account.messages {
        let Some(h) = slot(msg.sort_ms()) else {
            continue;
        };
        if !msg.is_inbound() {
            m[0].add(h, msg.status.as_str().into(), 1.0);
        }
        if msg.status == MessageStatus::Undelivered {
            let code = msg.error_code.map(|c| c.to_string()).unwrap_or_default();
            m[1].add(h, code, 1.0);
        }
        if let Some(p) = msg.price {
            m[4].add(h, msg.direction.as_str().into(), -p as f64 / 1e5);
        }
    }
    for call in &account.calls {
        let Some(h) = slot(call.start_time) else {
            continue;
        };
        match call.status {
            CallStatus::Failed | CallStatus::NoAnswer | CallStatus::Busy | CallStatus::Canceled => {
                m[2].add(h, call.status.as_str().into(), 1.0)
            }
            CallStatus::Completed => m[3].add(h, call.direction.as_str().into(), 1.0),
            _ => {}
        }
        if let Some(p) = call.price {
            m[5].add(h, call.direction.as_str().into(), -p as f64 / 1e5);
        }
    }
    m
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Detector {
    Seasonal,
    Static,
    LastWeek,
}

impl Detector {
    const ALL: [Detector; 3] = [Detector::Seasonal, Detector::Static, Detector::LastWeek];
    fn label(self) -> &'static str {
        match self {
            Detector::Seasonal => "seasonal (medium, either)",
            Detector::Static => "static mean ± 3σ",
            Detector::LastWeek => "same hour last week ± 50 %",
        }
    }
}

/// The hours of one day a detector finds anomalous, and the seasonal model it used.
fn judge_day(detector: Detector, total: &Series, day_ms: i64) -> (Vec<i64>, Option<Model>) {
    let hours = (0..24).map(|i| day_ms + i * HOUR_MS);
    match detector {
        Detector::Seasonal => {
            let Fit::Ready(model) = fit(total, day_ms) else {
                return (Vec::new(), None);
            };
            let anomalous = hours
                .filter(|h| {
                    detect(
                        &model,
                        total,
                        h + HOUR_MS,
                        Sensitivity::Medium,
                        Direction::Either,
                    )
                    .is_some_and(|v| v.anomalous)
                })
                .collect();
            (anomalous, Some(model))
        }
        Detector::Static => {
            let Some(band) = baseline::static_band(&baseline::training_span(total, day_ms), 3.0)
            else {
                return (Vec::new(), None);
            };
            let anomalous = hours
                .filter(|h| {
                    total
                        .at(*h)
                        .is_some_and(|v| baseline::outside(&band, v, Direction::Either))
                })
                .collect();
            (anomalous, None)
        }
        Detector::LastWeek => {
            let anomalous = hours
                .filter(|h| {
                    let band = baseline::last_week_band(total, *h, 0.5);
                    match (band, total.at(*h)) {
                        (Some(b), Some(v)) => baseline::outside(&b, v, Direction::Either),
                        _ => false,
                    }
                })
                .collect();
            (anomalous, None)
        }
    }
}

/// A firing: the metric, its first hour, and (seasonal) whether the why named the injected
/// dimension, when the metric has one to name.
struct Firing {
    metric: usize,
    hour_ms: i64,
    why_first: Option<String>,
}

/// Runs a detector over every evaluation day of every metric, as an alert would.
fn run(
    detector: Detector,
    folded: &[Folded],
    start_ms: i64,
    eval_days: &[i64],
) -> (Vec<Firing>, std::time::Duration) {
    let began = Instant::now();
    let mut firings = Vec::new();
    for (mi, f) in folded.iter().enumerate() {
        let total = series(start_ms, &f.total);
        let dims: Vec<(String, Series)> = f
            .dims
            .iter()
            .map(|(k, v)| (k.clone(), series(start_ms, v)))
            .collect();
        let mut last_anomalous: Option<i64> = None;
        for &day_ms in eval_days {
            let (anomalous, model) = judge_day(detector, &total, day_ms);
            let mut dim_models: Option<Vec<Option<Model>>> = None;
            for h in anomalous {
                let fires = last_anomalous.is_none_or(|last| h - last > COOL_DOWN_MS);
                last_anomalous = Some(h);
                if !fires {
                    continue;
                }
                let why_first = match (&model, METRICS[mi].names) {
                    (Some(_), Some(_)) => {
                        // Per-dimension models, fitted only on a day something fires.
                        let models = dim_models.get_or_insert_with(|| {
                            dims.iter()
                                .map(|(_, s)| match fit(s, day_ms) {
                                    Fit::Ready(m) => Some(m),
                                    Fit::Learning { .. } => None,
                                })
                                .collect()
                        });
                        let parts: Vec<(String, f64, f64)> = dims
                            .iter()
                            .zip(models.iter())
                            .filter_map(|((name, s), m)| {
                                Some((name.clone(), s.at(h)?, m.as_ref()?.expected(h)))
                            })
                            .collect();
                        why::explain(&parts).first().map(|c| c.dimension.clone())
                    }
                    _ => None,
                };
                firings.push(Firing {
                    metric: mi,
                    hour_ms: h,
                    why_first,
                });
            }
        }
    }
    (firings, began.elapsed())
}

fn incidents(first_day_ms: i64) -> Vec<Incident> {
    let kinds = IncidentKind::ALL;
    let starts = [9, 13, 7, 16, 10, 19, 11];
    let lengths = [6, 4, 8, 3, 5, 6, 2];
    (0..INCIDENTS)
        .map(|i| {
            let day = first_day_ms + (EVAL_FROM_DAY + 5 + i as i64 * INCIDENT_EVERY) * DAY_MS;
            Incident::new(
                kinds[i % kinds.len()],
                day + starts[i % starts.len()] * HOUR_MS,
                lengths[i % lengths.len()],
            )
        })
        .collect()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores available")
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "n/a".into()
    } else {
        format!("{:.0} % ({n}/{of})", 100.0 * n as f64 / of as f64)
    }
}

fn main() {
    let now: jiff::Timestamp = NOW.parse().expect("NOW is an instant");
    let today_ms = now.as_millisecond().div_euclid(DAY_MS) * DAY_MS;
    let first_day_ms = today_ms - i64::from(DAYS) * DAY_MS;
    let injected = incidents(first_day_ms);
    let config = SimConfig {
        seed: SEED,
        now,
        sizes: Sizes {
            messages_per_day: MESSAGES_PER_DAY,
            calls_per_day: CALLS_PER_DAY,
            days: DAYS,
            subaccounts: 0,
            ..Sizes::default()
        },
        faults: Default::default(),
        incidents: injected.clone(),
    };
    let began = Instant::now();
    let data = twilio_sim::generate(&config);
    let generated = began.elapsed();
    // Whole days only: today is still filling up.
    let folded = fold(&data, first_day_ms, today_ms);
    let eval_days: Vec<i64> = (EVAL_FROM_DAY..i64::from(DAYS))
        .map(|d| first_day_ms + d * DAY_MS)
        .collect();

    println!("Detection benchmark (issue 20)");
    println!("machine: {}", machine());
    println!(
        "data: twilio-sim seed {SEED}, {DAYS} days to {NOW}, {MESSAGES_PER_DAY} messages and \
         {CALLS_PER_DAY} calls a day (main account, no subaccount), generated in {:.1} s",
        generated.as_secs_f64()
    );
    println!(
        "evaluation: {} days ({} to {}), after {} training days; cool-down {} h",
        eval_days.len(),
        day(eval_days[0]),
        day(*eval_days.last().expect("evaluation days")),
        TRAINING_DAYS,
        COOL_DOWN_MS / HOUR_MS
    );
    let mut by_kind: BTreeMap<IncidentKind, usize> = BTreeMap::new();
    for i in &injected {
        *by_kind.entry(i.kind).or_default() += 1;
    }
    println!(
        "incidents: {} ({})",
        injected.len(),
        by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in &injected {
        print!("{i}  ");
    }
    println!("\n");

    // Days each metric is touched by an incident affecting it.
    let affected_days: Vec<BTreeSet<i64>> = METRICS
        .iter()
        .map(|m| {
            injected
                .iter()
                .filter(|i| m.affected_by.contains(&i.kind))
                .flat_map(|i| i.days().map(|d| d * DAY_MS))
                .collect()
        })
        .collect();

    let mut summary = Vec::new();
    for detector in Detector::ALL {
        let (firings, took) = run(detector, &folded, first_day_ms, &eval_days);
        println!(
            "== {} (ran in {:.2} s)",
            detector.label(),
            took.as_secs_f64()
        );
        // Recall, per kind and overall; why, per kind that has a dimension to name.
        let mut found: BTreeMap<IncidentKind, (usize, usize)> = BTreeMap::new();
        let mut named: BTreeMap<IncidentKind, (usize, usize)> = BTreeMap::new();
        for i in &injected {
            let days: BTreeSet<i64> = i.days().map(|d| d * DAY_MS).collect();
            let on_its_days = |f: &&Firing| {
                METRICS[f.metric].affected_by.contains(&i.kind)
                    && days.contains(&(f.hour_ms.div_euclid(DAY_MS) * DAY_MS))
            };
            let hit = firings.iter().any(|f| on_its_days(&f));
            let e = found.entry(i.kind).or_default();
            e.1 += 1;
            e.0 += usize::from(hit);
            if let Some((mi, value)) = METRICS
                .iter()
                .enumerate()
                .find_map(|(mi, m)| m.names.filter(|(k, _)| *k == i.kind).map(|(_, v)| (mi, v)))
                && detector == Detector::Seasonal
            {
                let first = firings
                    .iter()
                    .filter(|f| f.metric == mi)
                    .find(|f| on_its_days(f));
                if let Some(f) = first {
                    let e = named.entry(i.kind).or_default();
                    e.1 += 1;
                    e.0 += usize::from(f.why_first.as_deref() == Some(value));
                }
            }
        }
        let (hits, total) = found.values().fold((0, 0), |(a, b), (h, t)| (a + h, b + t));
        println!("recall: {}", pct(hits, total));
        for (k, (h, t)) in &found {
            println!("  {k:<18} {}", pct(*h, *t));
        }
        // False alarms per metric per 30 clean days.
        let mut rates = Vec::new();
        println!("false alarms per 30 clean days:");
        for (mi, m) in METRICS.iter().enumerate() {
            let clean: Vec<i64> = eval_days
                .iter()
                .copied()
                .filter(|d| !affected_days[mi].contains(d))
                .collect();
            let false_alarms = firings
                .iter()
                .filter(|f| f.metric == mi)
                .filter(|f| !affected_days[mi].contains(&(f.hour_ms.div_euclid(DAY_MS) * DAY_MS)))
                .count();
            let rate = 30.0 * false_alarms as f64 / clean.len() as f64;
            rates.push(rate);
            println!(
                "  {:<46} {rate:>5.2}  ({false_alarms} on {} clean days)",
                m.name,
                clean.len()
            );
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let worst = rates.iter().copied().fold(0.0, f64::max);
        println!("  mean {mean:.2}, worst metric {worst:.2}");
        if detector == Detector::Seasonal {
            let (n, of) = named.values().fold((0, 0), |(a, b), (h, t)| (a + h, b + t));
            println!("why names the injected dimension first: {}", pct(n, of));
            for (k, (h, t)) in &named {
                println!("  {k:<18} {}", pct(*h, *t));
            }
        }
        println!();
        summary.push((detector, pct(hits, total), mean, worst));
    }
    println!("== summary (goal: recall >= 90 %, <= 1 false alarm per metric per 30 days)");
    println!(
        "{:<28} {:>16} {:>22} {:>14}",
        "detector", "recall", "false alarms / 30 d", "worst metric"
    );
    for (d, recall, mean, worst) in summary {
        println!("{:<28} {recall:>16} {mean:>22.2} {worst:>14.2}", d.label());
    }
    println!("\ntotal {:.1} s", began.elapsed().as_secs_f64());
}

fn day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
