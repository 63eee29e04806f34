//! Period-end projections.

use serde::{Deserialize, Serialize};

use crate::HOUR_MS;
use crate::model::Model;
use crate::series::Series;

/// A period's projected total: what is known so far plus what the model expects for the hours
/// left, with a band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub so_far: f64,
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Projects the sum of `series` over `[from_ms, to_ms)` at `now_ms`: known hours before the
/// hour of `now_ms` count as observed, every later hour (and an unknown one) as expected. The
/// band is `width` spreads of the sum of the hours left, which are not independent: the
/// model's window factor widens it for a busy (or quiet) day, and over more than a day the
/// level's own error moves every hour left the same way. For counts the spread of each hour
/// is at least one event's, so a quiet series' band does not shrink to nothing.
pub fn project(
    model: &Model,
    series: &Series,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
    width: f64,
) -> Projection {
    let now_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let (mut so_far, mut expected, mut variance, mut left) = (0.0, 0.0, 0.0, 0usize);
    let mut hour = from_ms;
    while hour < to_ms {
        match series.at(hour).filter(|_| hour < now_hour) {
            Some(v) => so_far += v,
            None => {
                let e = model.expected(hour);
                expected += e;
                variance += model.variance(e);
                left += 1;
            }
        }
        hour += HOUR_MS;
    }
    let value = so_far + expected;
    let half = if left == 0 {
        0.0
    } else {
        width * model.sum_spread(expected, variance, left)
    };
    Projection {
        so_far,
        value,
        lower: (value - half).max(so_far.min(value)),
        upper: value + half,
    }
}

/// The running projection of the sum from `from_ms` to each instant of `ends` (ascending, each
/// after `from_ms`): the same reckoning as [`project`], answered at every end in one pass, so a
/// chart's projected path and its band agree with the period's total at its last end.
pub fn path(
    model: &Model,
    series: &Series,
    from_ms: i64,
    ends: &[i64],
    now_ms: i64,
    width: f64,
) -> Vec<Projection> {
    let now_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let (mut so_far, mut expected, mut variance) = (0.0, 0.0, 0.0);
    let mut hour = from_ms;
    let mut out = Vec::with_capacity(ends.len());
    for &end in ends {
        while hour < end {
            match series.at(hour).filter(|_| hour < now_hour) {
                Some(v) => so_far += v,
                None => {
                    let e = model.expected(hour);
                    expected += e;
                    variance += model.spread(e).powi(2);
                }
            }
            hour += HOUR_MS;
        }
        let value = so_far + expected;
        let half = width * variance.sqrt();
        out.push(Projection {
            so_far,
            value,
            lower: (value - half).max(so_far.min(value)),
            upper: value + half,
        });
    }
    out
}

/// The end of the first hour of `[from_ms, to_ms)` at which the running sum (observed hours
/// before the hour of `now_ms`, expected ones after) reaches `threshold`, or `None` if it stays
/// below through `to_ms`. An instant before `now_ms` means the observed sum has already
/// reached it.
pub fn crossing(
    model: &Model,
    series: &Series,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
    threshold: f64,
) -> Option<i64> {
    let now_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let mut total = 0.0;
    let mut hour = from_ms;
    while hour < to_ms {
        total += match series.at(hour).filter(|_| hour < now_hour) {
            Some(v) => v,
            None => model.expected(hour),
        };
        hour += HOUR_MS;
        if total >= threshold {
            return Some(hour.min(to_ms));
        }
    }
    None
}
