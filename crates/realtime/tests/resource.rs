//! A pushed resource's state rendered as the REST API's record, checked field by field and
//! against the key sets of Twilio's own list examples (the shared fixtures).

use std::collections::{BTreeMap, BTreeSet};

use realtime::ResourceKind;
use realtime::resource::{ResourceState, page, record, rfc2822};
use serde_json::{Value, json};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const MESSAGE: &str = "SM0123456789abcdef0123456789abcdef";
const CALL: &str = "CA0123456789abcdef0123456789abcdef";

fn utc_ms(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> i64 {
    jiff::civil::date(y, mo, d)
        .at(h, mi, s, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("valid civil time")
        .timestamp()
        .as_millisecond()
}

fn fields(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn message(status: &str, extra: &[(&str, &str)]) -> ResourceState {
    ResourceState {
        kind: ResourceKind::Message,
        sid: MESSAGE.to_owned(),
        account_sid: ACCOUNT.to_owned(),
        status: status.to_owned(),
        created_ms: utc_ms(2026, 12, 4, 12, 0, 0),
        updated_ms: utc_ms(2026, 12, 4, 12, 0, 9),
        fields: fields(extra),
    }
}

fn call(status: &str, extra: &[(&str, &str)]) -> ResourceState {
    ResourceState {
        kind: ResourceKind::Call,
        sid: CALL.to_owned(),
        account_sid: ACCOUNT.to_owned(),
        status: status.to_owned(),
        created_ms: utc_ms(2027, 3, 7, 8, 5, 0),
        updated_ms: utc_ms(2027, 3, 7, 8, 6, 40),
        fields: fields(extra),
    }
}

#[test]
fn message_record_carries_status_and_parties() {
    let r = record(&message(
        "delivered",
        &[("From", "+15017122661"), ("To", "+15558675310")],
    ));
    assert_eq!(r["sid"], MESSAGE);
    assert_eq!(r["account_sid"], ACCOUNT);
    assert_eq!(r["status"], "delivered");
    assert_eq!(r["from"], "+15017122661");
    assert_eq!(r["to"], "+15558675310");
    assert_eq!(r["api_version"], "2010-04-01");
    assert_eq!(r["price"], Value::Null);
    assert_eq!(r["price_unit"], "USD");
}

#[test]
fn message_dates_are_rfc2822_in_utc() {
    let r = record(&message("sent", &[]));
    assert_eq!(r["date_created"], "Fri, 04 Dec 2026 12:00:00 +0000");
    assert_eq!(r["date_sent"], "Fri, 04 Dec 2026 12:00:00 +0000");
    assert_eq!(r["date_updated"], "Fri, 04 Dec 2026 12:00:09 +0000");
}

#[test]
fn single_digit_day_is_zero_padded() {
    assert_eq!(
        rfc2822(utc_ms(2027, 3, 7, 8, 5, 0)),
        "Sun, 07 Mar 2027 08:05:00 +0000"
    );
}

#[test]
fn dates_read_back_with_jiffs_rfc2822_parser() {
    let state = message("sent", &[]);
    let r = record(&state);
    for (field, ms) in [
        ("date_created", state.created_ms),
        ("date_updated", state.updated_ms),
    ] {
        let text = r[field].as_str().expect("a string");
        let parsed = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(text)
            .expect("RFC 2822");
        assert_eq!(parsed.as_millisecond(), ms, "{field}");
    }
}

#[test]
fn message_error_code_is_a_number() {
    let r = record(&message("undelivered", &[("ErrorCode", "30003")]));
    assert_eq!(r["error_code"], json!(30003));
    assert_eq!(r["error_message"], Value::Null);
}

#[test]
fn message_without_error_code_has_null() {
    let r = record(&message("delivered", &[]));
    assert_eq!(r["error_code"], Value::Null);
    let empty = record(&message("delivered", &[("ErrorCode", "")]));
    assert_eq!(empty["error_code"], Value::Null);
}

#[test]
fn message_defaults_what_callbacks_leave_out() {
    let r = record(&message("sent", &[]));
    assert_eq!(r["direction"], "outbound-api");
    assert_eq!(r["num_segments"], "1");
    assert_eq!(r["num_media"], "0");
    assert_eq!(r["messaging_service_sid"], Value::Null);
    assert_eq!(r["body"], "");
    assert_eq!(r["from"], Value::Null);
}

#[test]
fn message_takes_segments_service_and_direction_from_fields() {
    let service = "MG0123456789abcdef0123456789abcdef";
    let r = record(&message(
        "sent",
        &[
            ("NumSegments", "3"),
            ("MessagingServiceSid", service),
            ("Direction", "outbound-call"),
        ],
    ));
    assert_eq!(r["num_segments"], "3");
    assert_eq!(r["messaging_service_sid"], service);
    assert_eq!(r["direction"], "outbound-call");
}

#[test]
fn message_uri_names_account_and_sid() {
    let r = record(&message("sent", &[]));
    assert_eq!(
        r["uri"],
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE}.json")
    );
}

#[test]
fn completed_call_has_duration_and_end_time() {
    let r = record(&call(
        "completed",
        &[("CallDuration", "42"), ("From", "+14155550123")],
    ));
    assert_eq!(r["status"], "completed");
    assert_eq!(r["duration"], "42");
    assert_eq!(r["start_time"], "Sun, 07 Mar 2027 08:05:00 +0000");
    assert_eq!(r["end_time"], "Sun, 07 Mar 2027 08:06:40 +0000");
    assert_eq!(r["from_formatted"], "(415) 555-0123");
}

#[test]
fn call_in_progress_has_no_end_or_duration() {
    let r = record(&call("in-progress", &[]));
    assert_eq!(r["duration"], Value::Null);
    assert_eq!(r["end_time"], Value::Null);
    assert_eq!(r["direction"], "outbound-api");
}

#[test]
fn busy_call_has_an_end_time() {
    let r = record(&call("busy", &[]));
    assert_eq!(r["end_time"], "Sun, 07 Mar 2027 08:06:40 +0000");
}

#[test]
fn page_holds_records_under_the_list_key() {
    let records = vec![
        record(&message("sent", &[])),
        record(&message("failed", &[])),
    ];
    let p = page(ResourceKind::Message, records.clone());
    assert_eq!(p["messages"], Value::Array(records));
    assert_eq!(p["page"], 0);
    assert_eq!(p["page_size"], 2);
    assert_eq!(p["start"], 0);
    assert_eq!(p["end"], 1);
    assert_eq!(p["next_page_uri"], Value::Null);
    assert_eq!(p["previous_page_uri"], Value::Null);
}

#[test]
fn empty_call_page_has_an_empty_list() {
    let p = page(ResourceKind::Call, Vec::new());
    assert_eq!(p["calls"], json!([]));
    assert_eq!(p["end"], 0);
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// Twilio's own example list page for `list` (`Messages` or `Calls`), from the shared
/// fixtures.
fn example_page(list: &str) -> Option<Value> {
    let path = test_support::shared_fixture(&format!(
        "twilio/examples/twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_{list}_json__200__readFullPage1.json"
    ))?;
    let text = std::fs::read_to_string(&path).expect("readable fixture");
    Some(serde_json::from_str(&text).expect("JSON fixture"))
}

#[test]
fn message_record_has_the_fields_of_twilios_example() {
    let Some(example) = example_page("Messages") else {
        return;
    };
    let theirs = keys(&example["messages"][0]);
    let ours = keys(&record(&message("sent", &[])));
    assert_eq!(ours, theirs);
    let ours_page = keys(&page(ResourceKind::Message, Vec::new()));
    assert_eq!(ours_page, keys(&example));
}

#[test]
fn call_record_has_the_fields_of_twilios_example() {
    let Some(example) = example_page("Calls") else {
        return;
    };
    let theirs = keys(&example["calls"][0]);
    let ours = keys(&record(&call("completed", &[])));
    assert_eq!(ours, theirs);
    let ours_page = keys(&page(ResourceKind::Call, Vec::new()));
    assert_eq!(ours_page, keys(&example));
}

#[test]
fn subresource_uris_match_twilios_example_names() {
    let Some(example) = example_page("Calls") else {
        return;
    };
    let theirs = keys(&example["calls"][0]["subresource_uris"]);
    let ours = keys(&record(&call("completed", &[]))["subresource_uris"]);
    assert_eq!(ours, theirs);
}
