//! Reading metric definitions: the documented format, and errors that name the field.

mod support;

use metric::aggregate::{Aggregation, Interval};
use metric::compare::Trend;
use metric::definition::{DefinitionError, MetricDefinition};
use serde_json::{Value, json};

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/messages_by_status.json");
    support::read_json(&path)
}

fn field_error(v: Value) -> (String, String) {
    match MetricDefinition::from_value(v) {
        Err(DefinitionError::Field { field, message }) => (field, message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn the_documented_example_reads() {
    let def = MetricDefinition::from_value(fixture()).unwrap();
    assert_eq!(def.connection, "main");
    assert_eq!(def.request.host, "api.twilio.com");
    assert_eq!(def.description.aggregation, Aggregation::Sum);
    assert_eq!(def.description.favourable, Trend::Up);
    assert_eq!(def.description.interval, Interval::Day);
    assert_eq!(
        def.expression_text().unwrap(),
        "messages.{\n  \"value\": 1,\n  \"date\": date_created,\n  \"dimension\": status\n}"
    );
}

#[test]
fn a_definition_survives_export_and_import() {
    let def = MetricDefinition::from_value(fixture()).unwrap();
    let again = MetricDefinition::from_json(&def.to_json_pretty()).unwrap();
    assert_eq!(def, again);
}

#[test]
fn an_unknown_field_is_named_with_its_path() {
    let mut v = fixture();
    v["description"]["colour"] = json!("blue");
    let (field, message) = field_error(v);
    assert_eq!(field, "description.colour");
    assert!(message.contains("colour"), "{message}");
}

#[test]
fn a_wrong_type_names_the_field() {
    let mut v = fixture();
    v["description"]["aggregation"] = json!("median");
    let (field, message) = field_error(v);
    assert_eq!(field, "description.aggregation");
    assert!(message.contains("median"), "{message}");
}

#[test]
fn a_wrong_type_inside_the_picks_names_the_field() {
    let mut v = fixture();
    v["extraction"]["picks"]["filters"] = json!([{"field": "status", "equals": "sent", "op": "x"}]);
    let (field, _) = field_error(v);
    assert!(field.starts_with("extraction.picks.filters[0]"), "{field}");
}

#[test]
fn a_missing_field_is_named() {
    let mut v = fixture();
    v.as_object_mut().unwrap().remove("connection");
    let (_, message) = field_error(v);
    assert!(message.contains("connection"), "{message}");
}

#[test]
fn another_version_is_refused() {
    let mut v = fixture();
    v["version"] = json!(2);
    let (field, message) = field_error(v);
    assert_eq!(field, "version");
    assert!(message.contains('2'), "{message}");
}

#[test]
fn a_currency_unit_needs_a_code() {
    let mut v = fixture();
    v["description"]["format"] = json!({"unit": "currency"});
    assert_eq!(field_error(v).0, "description.format.currency");
    let mut v = fixture();
    v["description"]["format"] = json!({"unit": "currency", "currency": "usd"});
    assert_eq!(field_error(v).0, "description.format.currency");
    let mut v = fixture();
    v["description"]["format"] = json!({"unit": "currency", "currency": "USD", "decimals": 4});
    assert!(MetricDefinition::from_value(v).is_ok());
}

#[test]
fn a_host_outside_twilio_is_refused_as_a_request_error() {
    let mut v = fixture();
    v["request"]["host"] = json!("example.com");
    let err = MetricDefinition::from_value(v).unwrap_err();
    assert!(matches!(err, DefinitionError::Request(_)), "{err:?}");
    assert!(err.to_string().contains("request"), "{err}");
}

#[test]
fn a_broken_expression_is_refused_with_its_code_and_span() {
    let mut v = fixture();
    v["extraction"]["expression"] = json!("messages[status = ");
    match MetricDefinition::from_value(v) {
        Err(DefinitionError::Expression(e)) => {
            assert!(e.code.starts_with('S'), "{e:?}");
            assert!(e.span.is_some(), "{e:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn neither_picks_nor_expression_is_refused() {
    let mut v = fixture();
    v["extraction"] = json!({});
    assert_eq!(field_error(v).0, "extraction");
}

#[test]
fn an_edited_expression_wins_over_the_picks() {
    let mut v = fixture();
    v["extraction"]["expression"] = json!("$count(messages)");
    let def = MetricDefinition::from_value(v).unwrap();
    assert_eq!(def.expression_text().unwrap(), "$count(messages)");
}

#[test]
fn text_that_is_not_json_says_so() {
    let err = MetricDefinition::from_json("{ version: 1").unwrap_err();
    assert!(matches!(err, DefinitionError::Json { .. }), "{err:?}");
}
