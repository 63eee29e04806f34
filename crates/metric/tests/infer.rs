//! Builder suggestions from a sample response.

mod support;

use metric::infer::{RecordSet, infer};
use serde_json::json;

fn paths(c: &[metric::infer::FieldCandidate]) -> Vec<&str> {
    c.iter().map(|f| f.path.as_str()).collect()
}

fn set<'a>(sets: &'a [RecordSet], path: Option<&str>) -> &'a RecordSet {
    sets.iter()
        .find(|s| s.path.as_deref() == path)
        .unwrap_or_else(|| panic!("no record set {path:?} in {sets:?}"))
}

#[test]
fn a_messages_page_suggests_its_records_numbers_dimensions_and_dates() {
    let pages = support::pages::message_pages(3, 1, 50);
    let inference = infer(&pages[0]);
    let messages = set(&inference.record_sets, Some("messages"));
    assert_eq!(messages.records, 50);
    let numeric = paths(&messages.numeric);
    for f in ["price", "num_segments", "num_media", "error_code"] {
        assert!(numeric.contains(&f), "{f} missing from {numeric:?}");
    }
    assert!(!numeric.contains(&"status"));
    let dims = paths(&messages.dimensions);
    for f in ["status", "direction", "price_unit"] {
        assert!(dims.contains(&f), "{f} missing from {dims:?}");
    }
    assert!(
        !dims.contains(&"sid"),
        "a unique id is not a dimension: {dims:?}"
    );
    let dates = paths(&messages.dates);
    for f in ["date_created", "date_sent", "date_updated"] {
        assert!(dates.contains(&f), "{f} missing from {dates:?}");
    }
    let price = messages.numeric.iter().find(|f| f.path == "price").unwrap();
    assert!(
        price
            .examples
            .iter()
            .all(|e| e.as_str().is_some_and(|s| s.starts_with('-')))
    );
}

#[test]
fn nested_objects_give_dotted_fields_and_the_whole_response_is_a_candidate() {
    let sample = json!({
        "balance": "12.50",
        "currency": "USD",
        "meta": {"page": 0, "key": "call_summaries"},
        "call_summaries": [
            {"start_time": "2021-08-25T03:40:25Z", "properties": {"pdd_ms": 58}},
            {"start_time": "2021-08-25T04:40:25Z", "properties": {"pdd_ms": 1990}}
        ]
    });
    let inference = infer(&sample);
    let calls = set(&inference.record_sets, Some("call_summaries"));
    assert_eq!(paths(&calls.numeric), ["properties.pdd_ms"]);
    assert_eq!(paths(&calls.dates), ["start_time"]);
    let whole = set(&inference.record_sets, None);
    assert!(paths(&whole.numeric).contains(&"balance"));
    assert!(paths(&whole.dimensions).contains(&"currency"));
}

#[test]
fn a_hostile_sample_is_cheap_and_does_not_panic() {
    let mut deep = json!(1);
    for _ in 0..120 {
        deep = json!({"a": deep});
    }
    let _ = infer(&deep);
    let wide = json!({"items": (0..100_000).map(|i| json!({"n": i})).collect::<Vec<_>>()});
    let inference = infer(&wide);
    assert_eq!(set(&inference.record_sets, Some("items")).records, 1_000);
}
