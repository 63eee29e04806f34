//! Pushed events parsed: status callbacks (form parameters) and Event Streams batches.

use realtime::event::{
    MAX_BATCH, parse_call_callback, parse_event_stream, parse_message_callback, rank,
};
use realtime::{EventError, ResourceKind, Source};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const MESSAGE: &str = "SM0123456789abcdef0123456789abcdef";
const CALL: &str = "CA0123456789abcdef0123456789abcdef";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Milliseconds since the epoch of a UTC civil time, built without any parser.
fn utc_ms(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> i64 {
    jiff::civil::date(y, mo, d)
        .at(h, mi, s, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("valid civil time")
        .timestamp()
        .as_millisecond()
}

fn message_callback() -> Vec<(String, String)> {
    pairs(&[
        ("MessageSid", MESSAGE),
        ("MessageStatus", "undelivered"),
        ("AccountSid", ACCOUNT),
        ("From", "+15017122661"),
        ("To", "+15558675310"),
        ("ErrorCode", "30003"),
        ("RawDlrDoneDate", "2612041200"),
        ("ApiVersion", "2010-04-01"),
    ])
}

#[test]
fn message_statuses_rank_along_the_lifecycle() {
    let r = |s| rank(ResourceKind::Message, s).expect("known status");
    assert!(r("accepted") < r("queued"));
    assert_eq!(r("accepted"), r("scheduled"));
    assert!(r("queued") < r("sending"));
    assert!(r("sending") < r("sent"));
    assert!(r("sent") < r("delivered"));
    for final_status in ["undelivered", "failed", "canceled", "received"] {
        assert_eq!(r(final_status), r("delivered"), "{final_status}");
    }
    assert!(r("delivered") < r("read"));
}

#[test]
fn call_statuses_rank_along_the_lifecycle() {
    let r = |s| rank(ResourceKind::Call, s).expect("known status");
    assert!(r("queued") < r("initiated"));
    assert!(r("initiated") < r("ringing"));
    assert!(r("ringing") < r("in-progress"));
    assert!(r("in-progress") < r("completed"));
    for final_status in ["busy", "failed", "no-answer", "canceled"] {
        assert_eq!(r(final_status), r("completed"), "{final_status}");
    }
}

#[test]
fn unknown_statuses_have_no_rank() {
    assert_eq!(rank(ResourceKind::Message, "answered"), None);
    assert_eq!(rank(ResourceKind::Call, "answered"), None);
    assert_eq!(rank(ResourceKind::Call, "delivered"), None);
    assert_eq!(rank(ResourceKind::Message, "Delivered"), None);
}

#[test]
fn message_callback_becomes_an_event() {
    let event = parse_message_callback(&message_callback()).expect("valid callback");
    assert_eq!(event.kind, ResourceKind::Message);
    assert_eq!(event.sid, MESSAGE);
    assert_eq!(event.account_sid, ACCOUNT);
    assert_eq!(event.status, "undelivered");
    assert_eq!(Some(event.rank), rank(ResourceKind::Message, "undelivered"));
    assert_eq!(event.key, format!("message:{MESSAGE}:undelivered"));
    assert_eq!(event.source, Source::Callback);
    assert_eq!(event.at_ms, None);
}

#[test]
fn message_callback_keeps_other_fields_by_twilio_name() {
    let event = parse_message_callback(&message_callback()).expect("valid callback");
    let names: Vec<&str> = event.fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["ApiVersion", "ErrorCode", "From", "RawDlrDoneDate", "To"]
    );
    assert_eq!(event.fields["ErrorCode"], "30003");
    assert_eq!(event.fields["To"], "+15558675310");
}

#[test]
fn legacy_sms_names_are_accepted() {
    let params = pairs(&[
        ("SmsSid", MESSAGE),
        ("SmsStatus", "sent"),
        ("AccountSid", ACCOUNT),
    ]);
    let event = parse_message_callback(&params).expect("legacy callback");
    assert_eq!(event.sid, MESSAGE);
    assert_eq!(event.status, "sent");
}

#[test]
fn message_status_is_lowercased() {
    let params = pairs(&[
        ("MessageSid", MESSAGE),
        ("MessageStatus", "Delivered"),
        ("AccountSid", ACCOUNT),
    ]);
    assert_eq!(
        parse_message_callback(&params).expect("valid").status,
        "delivered"
    );
}

#[test]
fn mms_sid_is_a_message() {
    let sid = "MM0123456789abcdef0123456789abcdef";
    let params = pairs(&[
        ("MessageSid", sid),
        ("MessageStatus", "sent"),
        ("AccountSid", ACCOUNT),
    ]);
    assert_eq!(parse_message_callback(&params).expect("valid").sid, sid);
}

#[test]
fn replayed_callback_has_the_same_key() {
    let first = parse_message_callback(&message_callback()).expect("valid");
    let mut shuffled = message_callback();
    shuffled.reverse();
    let again = parse_message_callback(&shuffled).expect("valid");
    assert_eq!(first.key, again.key);
}

#[test]
fn message_callback_without_sid_is_refused_naming_the_field() {
    let mut params = message_callback();
    params.retain(|(n, _)| n != "MessageSid");
    let err = parse_message_callback(&params).expect_err("no sid");
    assert_eq!(err, EventError::MissingField("MessageSid"));
    assert!(err.to_string().contains("MessageSid"), "{err}");
}

#[test]
fn message_callback_without_account_is_refused() {
    let mut params = message_callback();
    params.retain(|(n, _)| n != "AccountSid");
    assert_eq!(
        parse_message_callback(&params),
        Err(EventError::MissingField("AccountSid"))
    );
}

#[test]
fn message_sid_of_another_resource_is_refused() {
    let params = pairs(&[
        ("MessageSid", CALL),
        ("MessageStatus", "sent"),
        ("AccountSid", ACCOUNT),
    ]);
    let err = parse_message_callback(&params).expect_err("a call sid");
    assert_eq!(
        err,
        EventError::BadValue {
            field: "MessageSid",
            value: CALL.to_owned()
        }
    );
}

#[test]
fn short_account_sid_is_refused() {
    let params = pairs(&[
        ("MessageSid", MESSAGE),
        ("MessageStatus", "sent"),
        ("AccountSid", "AC123"),
    ]);
    assert!(matches!(
        parse_message_callback(&params),
        Err(EventError::BadValue {
            field: "AccountSid",
            ..
        })
    ));
}

#[test]
fn unknown_message_status_is_refused_in_words() {
    let params = pairs(&[
        ("MessageSid", MESSAGE),
        ("MessageStatus", "teleported"),
        ("AccountSid", ACCOUNT),
    ]);
    let err = parse_message_callback(&params).expect_err("unknown status");
    assert_eq!(
        err.to_string(),
        "the status \"teleported\" is not a known message status"
    );
}

#[test]
fn long_bad_value_is_quoted_shortened() {
    let long = "x".repeat(5000);
    let params = pairs(&[
        ("MessageSid", &long),
        ("MessageStatus", "sent"),
        ("AccountSid", ACCOUNT),
    ]);
    let err = parse_message_callback(&params).expect_err("bad sid");
    assert!(err.to_string().len() < 200, "{err}");
}

fn call_callback(status: &str, seq: Option<&str>) -> Vec<(String, String)> {
    let mut params = pairs(&[
        ("CallSid", CALL),
        ("CallStatus", status),
        ("AccountSid", ACCOUNT),
        ("Timestamp", "Fri, 04 Dec 2026 12:00:05 +0000"),
        ("CallDuration", "42"),
        ("Direction", "outbound-api"),
        ("StatusCallbackEvent", "completed"),
    ]);
    if let Some(seq) = seq {
        params.push(("SequenceNumber".to_owned(), seq.to_owned()));
    }
    params
}

#[test]
fn call_callback_becomes_an_event_at_its_timestamp() {
    let event = parse_call_callback(&call_callback("completed", Some("3"))).expect("valid");
    assert_eq!(event.kind, ResourceKind::Call);
    assert_eq!(event.sid, CALL);
    assert_eq!(event.status, "completed");
    assert_eq!(event.at_ms, Some(utc_ms(2026, 12, 4, 12, 0, 5)));
    assert_eq!(event.fields["CallDuration"], "42");
    assert!(!event.fields.contains_key("CallSid"));
}

#[test]
fn call_key_carries_the_sequence_number() {
    let event = parse_call_callback(&call_callback("ringing", Some("1"))).expect("valid");
    assert_eq!(event.key, format!("call:{CALL}:ringing:1"));
}

#[test]
fn call_key_without_sequence_number_is_resource_and_status() {
    let event = parse_call_callback(&call_callback("ringing", None)).expect("valid");
    assert_eq!(event.key, format!("call:{CALL}:ringing"));
}

#[test]
fn call_with_bad_sequence_number_is_refused() {
    assert!(matches!(
        parse_call_callback(&call_callback("ringing", Some("one"))),
        Err(EventError::BadValue {
            field: "SequenceNumber",
            ..
        })
    ));
}

#[test]
fn call_with_bad_timestamp_is_refused() {
    let mut params = call_callback("ringing", None);
    for (name, value) in &mut params {
        if name == "Timestamp" {
            *value = "yesterday".to_owned();
        }
    }
    assert_eq!(
        parse_call_callback(&params),
        Err(EventError::BadValue {
            field: "Timestamp",
            value: "yesterday".to_owned()
        })
    );
}

#[test]
fn call_event_name_is_not_a_call_status() {
    let err = parse_call_callback(&call_callback("answered", None)).expect_err("not a status");
    assert_eq!(
        err,
        EventError::UnknownStatus {
            kind: "call",
            status: "answered".to_owned()
        }
    );
}

#[test]
fn call_without_status_is_refused() {
    let mut params = call_callback("ringing", None);
    params.retain(|(n, _)| n != "CallStatus");
    assert_eq!(
        parse_call_callback(&params),
        Err(EventError::MissingField("CallStatus"))
    );
}

fn message_cloud_event(id: &str, kind: &str) -> serde_json::Value {
    serde_json::json!({
        "specversion": "1.0",
        "type": format!("com.twilio.messaging.message.{kind}"),
        "source": "/2010-04-01/Accounts/AC/Messages/SM.json",
        "id": id,
        "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/1",
        "datacontenttype": "application/json",
        "time": "2026-12-04T12:00:07.250Z",
        "data": {
            "messageSid": MESSAGE,
            "accountSid": ACCOUNT,
            "from": "+15017122661",
            "to": "+15558675310",
            "errorCode": 30003,
            "numSegments": 2,
            "messageStatus": kind.to_uppercase(),
        }
    })
}

fn call_cloud_event(id: &str, kind: &str, status: Option<&str>) -> serde_json::Value {
    let mut data = serde_json::json!({
        "CallSid": CALL,
        "AccountSid": ACCOUNT,
        "From": "+15017122661",
        "To": "+15558675310",
        "CallDuration": "42",
    });
    if let Some(status) = status {
        data["CallStatus"] = serde_json::json!(status);
    }
    serde_json::json!({
        "specversion": "1.0",
        "type": format!("com.twilio.voice.status-callback.call.{kind}"),
        "id": id,
        "time": "2026-12-04T12:00:09Z",
        "data": data,
    })
}

fn parse_one(event: serde_json::Value) -> Result<realtime::LiveEvent, EventError> {
    let body = serde_json::to_vec(&serde_json::json!([event])).expect("json");
    let mut events = parse_event_stream(&body).expect("a batch");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

#[test]
fn message_cloud_event_becomes_an_event() {
    let event = parse_one(message_cloud_event("EZ0001", "delivered")).expect("valid");
    assert_eq!(event.kind, ResourceKind::Message);
    assert_eq!(event.sid, MESSAGE);
    assert_eq!(event.account_sid, ACCOUNT);
    assert_eq!(event.status, "delivered");
    assert_eq!(event.key, "event:EZ0001");
    assert_eq!(event.source, Source::EventStream);
    assert_eq!(event.at_ms, Some(utc_ms(2026, 12, 4, 12, 0, 7) + 250));
}

#[test]
fn cloud_event_data_keeps_form_names() {
    let event = parse_one(message_cloud_event("EZ0001", "undelivered")).expect("valid");
    assert_eq!(event.fields["From"], "+15017122661");
    assert_eq!(event.fields["To"], "+15558675310");
    assert_eq!(event.fields["ErrorCode"], "30003");
    assert_eq!(event.fields["NumSegments"], "2");
    assert!(!event.fields.contains_key("MessageSid"));
    assert!(!event.fields.contains_key("messageSid"));
}

#[test]
fn call_cloud_event_takes_the_calls_own_status() {
    let event = parse_one(call_cloud_event("EZ0002", "completed", Some("busy"))).expect("valid");
    assert_eq!(event.kind, ResourceKind::Call);
    assert_eq!(event.status, "busy");
    assert_eq!(event.fields["CallDuration"], "42");
}

#[test]
fn answered_call_event_without_status_is_in_progress() {
    let event = parse_one(call_cloud_event("EZ0003", "answered", None)).expect("valid");
    assert_eq!(event.status, "in-progress");
    assert_eq!(Some(event.rank), rank(ResourceKind::Call, "in-progress"));
}

#[test]
fn single_cloud_event_object_is_a_batch_of_one() {
    let body = serde_json::to_vec(&message_cloud_event("EZ0004", "sent")).expect("json");
    let events = parse_event_stream(&body).expect("one event");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].as_ref().expect("valid").key, "event:EZ0004");
}

#[test]
fn batch_keeps_its_order_and_refuses_events_one_by_one() {
    let body = serde_json::to_vec(&serde_json::json!([
        message_cloud_event("EZ1", "sent"),
        {"specversion": "1.0", "type": "com.twilio.messaging.inbound-message.received",
         "id": "EZ2", "data": {}},
        call_cloud_event("EZ3", "ringing", Some("ringing")),
    ]))
    .expect("json");
    let events = parse_event_stream(&body).expect("a batch");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].as_ref().expect("first").key, "event:EZ1");
    assert_eq!(
        events[1],
        Err(EventError::UnhandledType(
            "com.twilio.messaging.inbound-message.received".to_owned()
        ))
    );
    assert_eq!(events[2].as_ref().expect("third").key, "event:EZ3");
}

#[test]
fn unknown_message_event_suffix_is_unhandled() {
    let err = parse_one(message_cloud_event("EZ5", "teleported")).expect_err("unknown");
    assert!(matches!(err, EventError::UnhandledType(_)), "{err:?}");
}

#[test]
fn cloud_event_without_id_is_refused() {
    let mut event = message_cloud_event("EZ6", "sent");
    event.as_object_mut().expect("object").remove("id");
    assert_eq!(parse_one(event), Err(EventError::MissingField("id")));
}

#[test]
fn cloud_event_with_bad_time_is_refused() {
    let mut event = message_cloud_event("EZ7", "sent");
    event["time"] = serde_json::json!("noon");
    assert_eq!(
        parse_one(event),
        Err(EventError::BadValue {
            field: "time",
            value: "noon".to_owned()
        })
    );
}

#[test]
fn cloud_event_of_another_spec_version_is_refused() {
    let mut event = message_cloud_event("EZ8", "sent");
    event["specversion"] = serde_json::json!("0.3");
    assert!(matches!(
        parse_one(event),
        Err(EventError::BadValue {
            field: "specversion",
            ..
        })
    ));
}

#[test]
fn cloud_event_without_sid_is_refused() {
    let mut event = message_cloud_event("EZ9", "sent");
    event["data"]
        .as_object_mut()
        .expect("data")
        .remove("messageSid");
    assert_eq!(
        parse_one(event),
        Err(EventError::MissingField("MessageSid"))
    );
}

#[test]
fn batch_element_that_is_no_object_is_refused_alone() {
    let body = br#"[42]"#;
    let events = parse_event_stream(body).expect("a batch");
    assert!(matches!(events[0], Err(EventError::BadBatch(_))));
}

#[test]
fn body_that_is_not_json_is_refused_whole() {
    let err = parse_event_stream(b"MessageSid=SM1").expect_err("form body");
    assert!(matches!(err, EventError::BadBatch(_)), "{err:?}");
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn json_that_is_no_batch_is_refused_whole() {
    assert!(matches!(
        parse_event_stream(b"\"events\""),
        Err(EventError::BadBatch(_))
    ));
}

#[test]
fn empty_batch_is_no_events() {
    assert_eq!(parse_event_stream(b"[]"), Ok(Vec::new()));
}

fn batch_of(n: usize) -> Vec<u8> {
    let events: Vec<_> = (0..n)
        .map(|i| message_cloud_event(&format!("EZ{i}"), "sent"))
        .collect();
    serde_json::to_vec(&events).expect("json")
}

#[test]
fn batch_at_the_cap_is_read() {
    let events = parse_event_stream(&batch_of(MAX_BATCH)).expect("at the cap");
    assert_eq!(events.len(), 1000);
    assert!(events.iter().all(Result::is_ok));
}

#[test]
fn batch_over_the_cap_is_refused_whole() {
    let err = parse_event_stream(&batch_of(MAX_BATCH + 1)).expect_err("over the cap");
    assert!(err.to_string().contains("1001 events"), "{err}");
}
