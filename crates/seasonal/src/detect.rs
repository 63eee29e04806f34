//! Judging recent hours against a model.

use serde::{Deserialize, Serialize};

use crate::HOUR_MS;
use crate::model::{Band, Model};
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

    /// The band's half-width in robust standard deviations.
    pub fn width(self) -> f64 {
        match self {
            Sensitivity::Low => 6.0,
            Sensitivity::Medium => 4.5,
            Sensitivity::High => 3.5,
        }
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
    /// The hours judged, `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    pub observed: f64,
    /// The expected total over those hours and its band.
    pub band: Band,
    /// Signed deviation in robust standard deviations (positive: above expected).
    pub score: f64,
    pub anomalous: bool,
}

/// Judges the last complete hour before `at_ms` (the hour containing `at_ms` is still
/// filling up). `None` when that hour is not known.
pub fn detect(
    model: &Model,
    series: &Series,
    at_ms: i64,
    sensitivity: Sensitivity,
    direction: Direction,
) -> Option<Verdict> {
    let to_ms = at_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let from_ms = to_ms - HOUR_MS;
    let observed = series.at(from_ms)?;
    let band = model.band(from_ms, sensitivity.width());
    let score = (observed - band.expected) / model.spread(band.expected);
    let anomalous = match direction {
        Direction::Up => observed > band.upper,
        Direction::Down => observed < band.lower,
        Direction::Either => observed > band.upper || observed < band.lower,
    };
    Some(Verdict {
        from_ms,
        to_ms,
        observed,
        band,
        score,
        anomalous,
    })
}
