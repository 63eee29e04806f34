//! A pushed resource's latest known state as the REST API renders its record, so the metric's
//! own JSONata expression reads it as it reads a polled page.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::event::ResourceKind;

/// The state the store keeps per resource: the highest-ranked status seen, the instant of the
/// first event seen (the resource's creation, as near as pushed events tell), the last change,
/// and the fields of the event that set the status.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceState {
    pub kind: ResourceKind,
    pub sid: String,
    pub account_sid: String,
    pub status: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub fields: BTreeMap<String, String>,
}

/// The record as `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` (or `Calls.json`) lists it:
/// Twilio's field names and formats (RFC 2822 dates, `error_code` a number or null, ...).
///
/// What a pushed event does not carry is rendered as Twilio renders it when unknown (`price`
/// null until Twilio prices it, an empty `body`: callbacks never carry it).
pub fn record(state: &ResourceState) -> Value {
    match state.kind {
        ResourceKind::Message => message_record(state),
        ResourceKind::Call => call_record(state),
    }
}

/// A list page holding `records`, in the list endpoint's envelope (`messages` or `calls` and the
/// paging fields), the shape a metric's expression was written for.
///
/// One page holds everything: `next_page_uri` is null. The URIs name the first record's account
/// (the pushed resources of a page all belong to one connection's account).
pub fn page(kind: ResourceKind, records: Vec<Value>) -> Value {
    let count = records.len();
    let account = records
        .first()
        .and_then(|r| r.get("account_sid"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (key, list) = match kind {
        ResourceKind::Message => ("messages", "Messages"),
        ResourceKind::Call => ("calls", "Calls"),
    };
    let uri = format!("/2010-04-01/Accounts/{account}/{list}.json?PageSize={count}&Page=0");
    let mut map = Map::new();
    map.insert("end".into(), json!(count.saturating_sub(1)));
    map.insert("first_page_uri".into(), json!(uri));
    map.insert("next_page_uri".into(), Value::Null);
    map.insert("page".into(), json!(0));
    map.insert("page_size".into(), json!(count));
    map.insert("previous_page_uri".into(), Value::Null);
    map.insert(key.into(), Value::Array(records));
    map.insert("start".into(), json!(0));
    map.insert("uri".into(), json!(uri));
    Value::Object(map)
}

/// `Fri, 04 Dec 2026 12:00:00 +0000`: how the 2010 API writes every instant (always UTC, the
/// day zero-padded). An instant outside jiff's range is clamped to it.
pub fn rfc2822(ms: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    at.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

const API_VERSION: &str = "2010-04-01";

fn message_record(state: &ResourceState) -> Value {
    let f = &state.fields;
    let (acct, sid) = (&state.account_sid, &state.sid);
    let base = format!("/2010-04-01/Accounts/{acct}/Messages/{sid}");
    let created = rfc2822(state.created_ms);
    json!({
        "account_sid": acct,
        "api_version": API_VERSION,
        "body": "",
        "date_created": created,
        // Pushed events do not say when the carrier took the message; its creation is the
        // nearest instant known (the hour a metric files a message under comes from here).
        "date_sent": created,
        "date_updated": rfc2822(state.updated_ms),
        "direction": text_or(f, "Direction", "outbound-api"),
        "error_code": error_code(f),
        "error_message": Value::Null,
        "from": text(f, "From"),
        "messaging_service_sid": text(f, "MessagingServiceSid"),
        "num_media": text_or(f, "NumMedia", "0"),
        "num_segments": text_or(f, "NumSegments", "1"),
        "price": Value::Null,
        "price_unit": "USD",
        "sid": sid,
        "status": state.status,
        "subresource_uris": {
            "media": format!("{base}/Media.json"),
            "feedback": format!("{base}/Feedback.json"),
        },
        "to": text(f, "To"),
        "uri": format!("{base}.json"),
    })
}

/// A call's subresources as the Calls list names them.
const CALL_SUBS: [(&str, &str); 9] = [
    ("notifications", "Notifications"),
    ("recordings", "Recordings"),
    ("payments", "Payments"),
    ("events", "Events"),
    ("siprec", "Siprec"),
    ("streams", "Streams"),
    ("transcriptions", "Transcriptions"),
    (
        "user_defined_message_subscriptions",
        "UserDefinedMessageSubscriptions",
    ),
    ("user_defined_messages", "UserDefinedMessages"),
];

fn call_record(state: &ResourceState) -> Value {
    let f = &state.fields;
    let (acct, sid) = (&state.account_sid, &state.sid);
    let base = format!("/2010-04-01/Accounts/{acct}/Calls/{sid}");
    let ended = crate::event::rank(ResourceKind::Call, &state.status) == Some(CALL_FINAL_RANK);
    let subs: Map<String, Value> = CALL_SUBS
        .iter()
        .map(|(key, seg)| ((*key).to_owned(), json!(format!("{base}/{seg}.json"))))
        .collect();
    let from = f.get("From").map(String::as_str);
    let to = f.get("To").map(String::as_str);
    json!({
        "account_sid": acct,
        "answered_by": text(f, "AnsweredBy"),
        "api_version": API_VERSION,
        "caller_name": text(f, "CallerName"),
        "date_created": rfc2822(state.created_ms),
        "date_updated": rfc2822(state.updated_ms),
        "direction": text_or(f, "Direction", "outbound-api"),
        "duration": text(f, "CallDuration"),
        "end_time": if ended { json!(rfc2822(state.updated_ms)) } else { Value::Null },
        "forwarded_from": text(f, "ForwardedFrom"),
        "from": from,
        "from_formatted": from.map(national),
        "group_sid": Value::Null,
        "parent_call_sid": text(f, "ParentCallSid"),
        "phone_number_sid": Value::Null,
        "price": Value::Null,
        "price_unit": "USD",
        "sid": sid,
        "start_time": rfc2822(state.created_ms),
        "status": state.status,
        "subresource_uris": subs,
        "to": to,
        "to_formatted": to.map(national),
        "trunk_sid": Value::Null,
        "uri": format!("{base}.json"),
        "queue_time": text_or(f, "QueueTime", "0"),
    })
}

/// The rank of a call's final statuses (completed, busy, failed, no-answer, canceled).
const CALL_FINAL_RANK: u8 = 4;

fn text(fields: &BTreeMap<String, String>, name: &str) -> Value {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .map_or(Value::Null, |v| json!(v))
}

fn text_or(fields: &BTreeMap<String, String>, name: &str, default: &str) -> Value {
    json!(
        fields
            .get(name)
            .filter(|v| !v.is_empty())
            .map_or(default, String::as_str)
    )
}

/// `ErrorCode` as the number the API lists; null when absent, empty or not a number.
fn error_code(fields: &BTreeMap<String, String>) -> Value {
    fields
        .get("ErrorCode")
        .and_then(|code| code.trim().parse::<u32>().ok())
        .map_or(Value::Null, |code| json!(code))
}

/// A North American number the way `*_formatted` shows it (`(415) 555-0123`); anything else
/// as given.
fn national(number: &str) -> String {
    match number.strip_prefix("+1") {
        Some(n) if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..])
        }
        _ => number.to_owned(),
    }
}
