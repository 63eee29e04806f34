//! Reading rows from an expression's result: values, dates, dimensions, every row error, and no
//! panic on arbitrary JSON.

mod support;

use metric::rows::{RowError, rows_from_result};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::ts;

fn sync() -> jiff::Timestamp {
    ts("2026-11-01T12:00:00Z")
}

fn one_error(result: Value) -> RowError {
    let set = rows_from_result(Some(&result), sync());
    assert!(set.rows.is_empty(), "{set:?}");
    assert_eq!(set.errors.len(), 1, "{set:?}");
    set.errors.into_iter().next().unwrap()
}

#[test]
fn an_object_is_one_row() {
    let set = rows_from_result(
        Some(&json!({"value": 2.5, "date": "2026-10-01", "dimension": "delivered"})),
        sync(),
    );
    assert_eq!(set.rows.len(), 1);
    assert_eq!(set.rows[0].value, 2.5);
    assert_eq!(set.rows[0].date, ts("2026-10-01T00:00:00Z"));
    assert_eq!(set.rows[0].dimension.as_deref(), Some("delivered"));
}

#[test]
fn an_array_is_one_row_per_element() {
    let set = rows_from_result(
        Some(&json!([{"value": 1, "date": "2026-10-01"}, {"value": 2, "date": "2026-10-02"}])),
        sync(),
    );
    let values: Vec<f64> = set.rows.iter().map(|r| r.value).collect();
    assert_eq!(values, [1.0, 2.0]);
}

#[test]
fn a_bare_number_is_one_row_at_the_sync_time() {
    let set = rows_from_result(Some(&json!(42)), sync());
    assert_eq!(set.rows.len(), 1);
    assert_eq!(set.rows[0].value, 42.0);
    assert_eq!(set.rows[0].date, sync());
    assert_eq!(set.rows[0].dimension, None);
}

#[test]
fn undefined_is_no_row() {
    assert_eq!(rows_from_result(None, sync()), Default::default());
}

#[test]
fn a_numeric_string_value_is_a_number() {
    let set = rows_from_result(
        Some(&json!({"value": "-0.00750", "date": "2026-10-01"})),
        sync(),
    );
    assert_eq!(set.rows[0].value, -0.0075);
}

#[test]
fn null_empty_and_missing_values_are_skipped_and_counted() {
    let set = rows_from_result(
        Some(&json!([
            {"value": null, "date": "2026-10-01"},
            {"value": "", "date": "2026-10-01"},
            {"date": "2026-10-01"},
            {"value": 1, "date": "2026-10-01"}
        ])),
        sync(),
    );
    assert_eq!(set.skipped, 3);
    assert_eq!(set.rows.len(), 1);
    assert!(set.errors.is_empty());
}

#[test]
fn a_number_dimension_becomes_its_text() {
    let set = rows_from_result(
        Some(&json!({"value": 1, "date": "2026-10-01", "dimension": 30003})),
        sync(),
    );
    assert_eq!(set.rows[0].dimension.as_deref(), Some("30003"));
}

#[test]
fn a_text_value_names_the_row_field_and_value() {
    let set = rows_from_result(
        Some(&json!([{"value": 1, "date": "2026-10-01"}, {"value": "abc", "date": "2026-10-01"}])),
        sync(),
    );
    assert_eq!(set.rows.len(), 1);
    let err = set.errors.into_iter().next().expect("one bad row");
    assert!(matches!(err, RowError::BadValue { row: 1, .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("row 1") && text.contains("\"value\"") && text.contains("abc"),
        "{text}"
    );
}

#[test]
fn a_boolean_value_is_an_error() {
    let err = one_error(json!({"value": true, "date": "2026-10-01"}));
    assert!(matches!(err, RowError::BadValue { row: 0, .. }), "{err:?}");
}

#[test]
fn an_infinite_numeric_string_is_a_non_finite_error() {
    for text in ["inf", "NaN", "1e999"] {
        let err = one_error(json!({"value": text, "date": "2026-10-01"}));
        assert!(matches!(err, RowError::NonFinite { .. }), "{text}: {err:?}");
    }
}

#[test]
fn a_missing_date_is_an_error() {
    let err = one_error(json!({"value": 1}));
    assert_eq!(err, RowError::MissingDate { row: 0 });
}

#[test]
fn an_unparseable_date_names_the_row_and_the_value() {
    let err = one_error(json!({"value": 1, "date": "yesterday"}));
    assert!(matches!(err, RowError::BadDate { row: 0, .. }), "{err:?}");
    assert!(err.to_string().contains("yesterday"), "{err}");
}

#[test]
fn an_object_dimension_is_an_error() {
    let err = one_error(json!({"value": 1, "date": "2026-10-01", "dimension": {"a": 1}}));
    assert!(
        matches!(err, RowError::BadDimension { row: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn an_unknown_field_is_named() {
    let err = one_error(json!({"value": 1, "date": "2026-10-01", "dimenson": "x"}));
    assert_eq!(
        err,
        RowError::UnknownField {
            row: 0,
            field: "dimenson".into()
        }
    );
}

#[test]
fn an_element_that_is_not_an_object_is_an_error() {
    let err = one_error(json!(["delivered"]));
    assert!(matches!(err, RowError::NotARow { row: 0, .. }), "{err:?}");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(|i| json!(i)),
        any::<String>().prop_map(Value::String),
        "[0-9eE.+\\-infaNI ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("value".to_owned()),
                    Just("date".to_owned()),
                    Just("dimension".to_owned()),
                    any::<String>()
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn reading_any_json_never_panics(v in arb_json()) {
        let set = rows_from_result(Some(&v), sync());
        for row in &set.rows {
            prop_assert!(row.value.is_finite());
        }
    }

    #[test]
    fn reading_row_shaped_json_never_panics(value in arb_json(), date in arb_json(), dimension in arb_json()) {
        let v = json!({"value": value, "date": date, "dimension": dimension});
        let set = rows_from_result(Some(&v), sync());
        prop_assert_eq!(set.rows.len() + set.skipped + set.errors.len(), 1);
    }
}
