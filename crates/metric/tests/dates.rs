//! Every accepted date form, the errors, and no panic on arbitrary input.

mod support;

use metric::date::{DateError, parse_date, parse_date_value};
use proptest::prelude::*;
use serde_json::json;
use support::ts;

#[test]
fn rfc_2822_as_twilio_writes_it() {
    assert_eq!(
        parse_date("Fri, 24 May 2019 17:44:50 +0000").unwrap(),
        ts("2019-05-24T17:44:50Z")
    );
}

#[test]
fn rfc_2822_with_an_offset_becomes_utc() {
    assert_eq!(
        parse_date("Fri, 24 May 2019 17:44:50 +0200").unwrap(),
        ts("2019-05-24T15:44:50Z")
    );
}

#[test]
fn rfc_3339_with_z() {
    assert_eq!(
        parse_date("2019-05-24T17:44:50Z").unwrap(),
        ts("2019-05-24T17:44:50Z")
    );
}

#[test]
fn rfc_3339_with_an_offset_and_fraction_becomes_utc() {
    assert_eq!(
        parse_date("2019-05-24T17:44:50.250-05:00").unwrap(),
        ts("2019-05-24T22:44:50.250Z")
    );
}

#[test]
fn iso_8601_without_offset_is_read_as_utc() {
    assert_eq!(
        parse_date("2019-05-24T17:44:50").unwrap(),
        ts("2019-05-24T17:44:50Z")
    );
}

#[test]
fn a_bare_date_is_midnight_utc() {
    assert_eq!(
        parse_date("2019-05-24").unwrap(),
        ts("2019-05-24T00:00:00Z")
    );
}

#[test]
fn epoch_seconds_as_number_and_as_text() {
    let expected = ts("2019-05-24T17:44:50Z");
    assert_eq!(parse_date_value(&json!(1_558_719_890)).unwrap(), expected);
    assert_eq!(parse_date("1558719890").unwrap(), expected);
}

#[test]
fn epoch_milliseconds_as_number_and_as_text() {
    let expected = ts("2019-05-24T17:44:50.123Z");
    assert_eq!(
        parse_date_value(&json!(1_558_719_890_123_i64)).unwrap(),
        expected
    );
    assert_eq!(parse_date("1558719890123").unwrap(), expected);
}

#[test]
fn fractional_epoch_seconds_keep_their_milliseconds() {
    assert_eq!(
        parse_date_value(&json!(1_558_719_890.5)).unwrap(),
        ts("2019-05-24T17:44:50.5Z")
    );
}

#[test]
fn an_unparseable_date_names_the_value_and_the_accepted_forms() {
    let err = parse_date("next tuesday").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DateError::Unparseable { .. }));
    assert!(text.contains("\"next tuesday\""), "{text}");
    assert!(
        text.contains("RFC 2822") && text.contains("YYYY-MM-DD"),
        "{text}"
    );
}

#[test]
fn a_boolean_is_not_a_date() {
    let err = parse_date_value(&json!(true)).unwrap_err();
    assert!(err.to_string().contains("true"), "{err}");
}

#[test]
fn an_epoch_beyond_the_supported_range_is_an_error() {
    let err = parse_date_value(&json!(1e300)).unwrap_err();
    assert!(matches!(err, DateError::OutOfRange { .. }), "{err}");
}

proptest! {
    #[test]
    fn parsing_any_string_never_panics(s in any::<String>()) {
        let _ = parse_date(&s);
    }

    #[test]
    fn parsing_date_like_strings_never_panics(s in "[0-9TZ:+\\-., A-Za-z]{0,40}") {
        let _ = parse_date(&s);
    }

    #[test]
    fn parsing_any_number_never_panics(f in any::<f64>(), i in any::<i64>()) {
        let _ = parse_date_value(&json!(f));
        let _ = parse_date_value(&json!(i));
    }

    #[test]
    fn epoch_seconds_round_trip(secs in -10_000_000_000i64..99_999_999_999) {
        let got = parse_date_value(&json!(secs)).unwrap();
        prop_assert_eq!(got.as_second(), secs);
    }
}
