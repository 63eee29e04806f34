//! Which dimension values explain a deviation.

use serde::{Deserialize, Serialize};

/// One dimension value's part of a deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub dimension: String,
    pub observed: f64,
    pub expected: f64,
    /// Its share (0..=1) of the total deviation in the direction of the total.
    pub share: f64,
}

/// The dimension values that moved the total the way it moved, largest share first, given
/// each value's observed and expected amount over the judged hours. Values that moved the
/// other way get no share. Empty when nothing moved.
pub fn explain(parts: &[(String, f64, f64)]) -> Vec<Contribution> {
    let total: f64 = parts.iter().map(|(_, o, e)| o - e).sum();
    if total == 0.0 || !total.is_finite() {
        return Vec::new();
    }
    let same_way: f64 = parts
        .iter()
        .map(|(_, o, e)| o - e)
        .filter(|d| d.signum() == total.signum())
        .sum();
    let mut out: Vec<Contribution> = parts
        .iter()
        .filter(|(_, o, e)| (o - e).signum() == total.signum() && o != e)
        .map(|(d, o, e)| Contribution {
            dimension: d.clone(),
            observed: *o,
            expected: *e,
            share: (o - e) / same_way,
        })
        .collect();
    out.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(a.dimension.cmp(&b.dimension))
    });
    out
}
