//! Running expressions over pages: the text path equals the value path, the preview, and
//! page-level failures.

mod support;

use metric::extract::{ExtractError, extract, extract_text, preview};
use metric::jsonata::{Expression, Limits};
use serde_json::{Value, json};
use support::{pages, ts};

fn sync() -> jiff::Timestamp {
    ts("2026-11-01T06:00:00Z")
}

fn compile(text: &str) -> Expression {
    Expression::compile(text, Limits::default()).unwrap()
}

#[test]
fn pages_read_from_text_give_the_same_rows_as_parsed_values() {
    let values = pages::message_pages(11, 3, 100);
    let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    // Hand-written expressions too: the text path keeps only what an expression reads, so
    // reads through `$`, `$lookup`, `$keys`, the parent operator and `$sync_time` must survive.
    for text in [
        "messages.{\"value\": 1, \"date\": date_created, \"dimension\": status}",
        "messages[price != null].{\"value\": $number(price), \"date\": date_sent, \"dimension\": direction}",
        "$count(messages)",
        "{\"value\": $count($.messages), \"date\": $sync_time}",
        "messages.{\"value\": $count($keys($)), \"date\": $lookup($, \"date_updated\")}",
        "messages.subresource_uris.{\"value\": 1, \"date\": %.date_created, \"dimension\": %.status}",
    ] {
        let e = compile(text);
        let a = extract(&e, &values, sync()).unwrap();
        let b = extract_text(&e, &texts, sync()).unwrap();
        assert!(!a.rows.is_empty(), "{text}");
        assert_eq!(a, b, "{text}");
    }
}

#[test]
fn a_page_that_is_not_json_is_named() {
    let e = compile("messages");
    let err = extract_text(&e, &["{\"messages\": []}", "{\"messages\": ["], sync()).unwrap_err();
    assert!(matches!(err, ExtractError::Json { page: 1, .. }), "{err:?}");
}

#[test]
fn a_failing_evaluation_names_the_page_and_keeps_the_jsonata_error() {
    let e = compile("messages.($number(status))");
    let pages = vec![
        json!({"messages": []}),
        json!({"messages": [{"status": "sent"}]}),
    ];
    let err = extract(&e, &pages, sync()).unwrap_err();
    let ExtractError::Evaluation { page, error } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*page, 1);
    assert_eq!(error.code, "D3030");
    assert!(err.jsonata().is_some());
}

#[test]
fn now_is_the_sync_time_not_the_clock() {
    let e = compile("{\"value\": 1, \"date\": $now()}");
    let out = extract(&e, &[json!({})], sync()).unwrap();
    assert_eq!(out.rows[0].date, sync());
}

#[test]
fn the_preview_shows_the_first_rows_and_explains_bad_ones() {
    let values = pages::message_pages(5, 2, 50);
    let e = compile("messages.{\"value\": price, \"date\": date_sent, \"dimension\": status}");
    let p = preview(&e, &values, sync(), 7).unwrap();
    let all: Vec<&Value> = values
        .iter()
        .flat_map(|v| v["messages"].as_array().unwrap())
        .collect();
    let unpriced = all.iter().filter(|m| m["price"].is_null()).count();
    let bad = all
        .iter()
        .filter(|m| !m["price"].is_null() && m["date_sent"].is_null())
        .count();
    assert_eq!(p.rows.len(), 7);
    assert_eq!(p.skipped, unpriced);
    assert_eq!(p.skipped_examples.len(), unpriced.min(5));
    let first_unpriced = values[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["price"].is_null())
        .unwrap();
    assert!(
        p.skipped_examples[0].starts_with(&format!("page 0, row {first_unpriced}:")),
        "{:?}",
        p.skipped_examples
    );
    assert_eq!(p.bad, bad);
    assert_eq!(p.total_rows, all.len() - unpriced - bad);
    assert_eq!(p.expression, e.source());
    assert!(bad > 0);
    assert!(p.bad_examples.len() <= 5 && !p.bad_examples.is_empty());
    assert!(p.bad_examples[0].contains("date"), "{:?}", p.bad_examples);
}
