//! The library as text for the command line: `switchboard library list` prints this.

use std::fmt::Write as _;

use crate::entry::LibraryMetric;

/// The first sentence of a summary, for a one-line listing.
fn first_sentence(summary: &str) -> &str {
    match summary.find(". ") {
        Some(end) => &summary[..=end],
        None => summary,
    }
}

fn aggregation(m: &LibraryMetric) -> String {
    serde_json::to_value(m.definition.description.aggregation)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The metrics grouped under their category headings, in the order given: file name (the
/// name `library add` takes), display name, aggregation, suggested chart, and what it counts.
pub fn render_list(metrics: &[&LibraryMetric]) -> String {
    let width = metrics.iter().map(|m| m.slug.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut current = None;
    for m in metrics {
        if current != Some(m.category) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", m.category);
            current = Some(m.category);
        }
        let _ = writeln!(
            out,
            "  {:width$}  {} ({}, {}): {}",
            m.slug,
            m.name(),
            aggregation(m),
            m.visualization.label(),
            first_sentence(m.summary()),
        );
    }
    if metrics.is_empty() {
        out.push_str("no library metric in that category\n");
    }
    out
}
