//! Calculated metrics: formulas over other metrics, per interval.

use std::collections::BTreeMap;

use metric::formula::{Formula, FormulaError};

fn series(pairs: &[(&str, Vec<Option<f64>>)]) -> BTreeMap<String, Vec<Option<f64>>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn precedence_and_parentheses() {
    let f = Formula::parse("a + b * 2 - (a - b) / 4").unwrap();
    let got = f.evaluate(&|n| match n {
        "a" => Some(10.0),
        "b" => Some(2.0),
        _ => None,
    });
    assert_eq!(got, Some(10.0 + 4.0 - 2.0));
}

#[test]
fn delivery_rate_per_interval_with_division_by_zero_giving_no_value() {
    let f = Formula::parse("delivered / sent * 100").unwrap();
    let got = f
        .evaluate_series(&series(&[
            ("delivered", vec![Some(9.0), Some(0.0), None]),
            ("sent", vec![Some(10.0), Some(0.0), Some(4.0)]),
        ]))
        .unwrap();
    assert_eq!(got, [Some(90.0), None, None]);
}

#[test]
fn names_in_braces_and_unary_minus() {
    let f = Formula::parse("-{Messages sent} + 1.5").unwrap();
    assert_eq!(
        f.inputs().into_iter().collect::<Vec<_>>(),
        ["Messages sent"]
    );
    assert_eq!(f.evaluate(&|_| Some(2.0)), Some(-0.5));
}

#[test]
fn a_syntax_error_says_where() {
    let err = Formula::parse("a + * b").unwrap_err();
    assert!(matches!(err, FormulaError::Syntax { at: 4, .. }), "{err:?}");
}

#[test]
fn a_missing_input_series_is_named() {
    let f = Formula::parse("a / b").unwrap();
    let err = f
        .evaluate_series(&series(&[("a", vec![Some(1.0)])]))
        .unwrap_err();
    assert_eq!(err, FormulaError::MissingInput { name: "b".into() });
}

#[test]
fn series_of_different_lengths_are_refused() {
    let f = Formula::parse("a + b").unwrap();
    let err = f
        .evaluate_series(&series(&[("a", vec![Some(1.0)]), ("b", vec![])]))
        .unwrap_err();
    assert!(matches!(err, FormulaError::LengthMismatch { .. }));
}

#[test]
fn hostile_nesting_is_refused_not_a_stack_overflow() {
    let text = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(Formula::parse(&text).is_err());
    let minus = format!("{}1", "-".repeat(100_000));
    assert!(Formula::parse(&minus).is_err());
}

#[test]
fn overflow_to_infinity_gives_no_value() {
    let f = Formula::parse("a * a").unwrap();
    assert_eq!(f.evaluate(&|_| Some(1e200)), None);
}
