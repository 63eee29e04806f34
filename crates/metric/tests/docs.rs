//! The documentation shows what the code does: every picks example in
//! `docs/metric-definition.md` (a ```json block holding `"picks"`, followed by a ```jsonata
//! block) generates exactly the expression shown, and the full example definition reads.

use metric::MetricDefinition;
use metric::picks::Picks;

fn doc() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/metric-definition.md");
    std::fs::read_to_string(path).expect("docs/metric-definition.md")
}

/// The fenced blocks of a markdown text, as (language, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) => current = Some((lang.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn every_documented_pick_generates_the_documented_expression() {
    let blocks = blocks(&doc());
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for pair in blocks.windows(2) {
        let [(lang, body), (next_lang, shown)] = pair else {
            continue;
        };
        if lang != "json" || next_lang != "jsonata" {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(body).expect("a json block parses");
        let Some(picks) = value.get("picks") else {
            continue;
        };
        let picks: Picks = serde_json::from_value(picks.clone()).expect("documented picks read");
        let generated = picks.to_expression().expect("documented picks generate");
        if generated.trim_end() != shown.trim_end() {
            mismatches.push(format!("{body}\n=> generated:\n{generated}\n"));
        }
        checked += 1;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 6, "only {checked} documented picks found");
}

#[test]
fn the_documented_full_definition_reads() {
    let full = blocks(&doc())
        .into_iter()
        .find(|(lang, body)| lang == "json" && body.contains("\"version\""))
        .expect("a full definition example");
    MetricDefinition::from_json(&full.1).expect("the documented definition is valid");
}
