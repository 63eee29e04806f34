//! Pushed events parsed: message and call status callbacks (form parameters) and Event Streams
//! batches (a JSON array of CloudEvents 1.0).

use std::collections::BTreeMap;

use serde_json::Value;

/// The resources whose statuses Twilio pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Message,
    Call,
}

impl ResourceKind {
    /// The store's name of the kind (`message`, `call`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Call => "call",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "message" => Some(Self::Message),
            "call" => Some(Self::Call),
            _ => None,
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Callback,
    EventStream,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::EventStream => "event_stream",
        }
    }
}

/// One status change of one resource, as pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub kind: ResourceKind,
    /// The resource's SID (`SM…`/`MM…` or `CA…`).
    pub sid: String,
    pub account_sid: String,
    /// Twilio's status word, lowercase (`sent`, `delivered`, `in-progress`, ...).
    pub status: String,
    /// The status's place in its resource's lifecycle ([`rank`]); a stored state only moves to a
    /// higher rank.
    pub rank: u8,
    /// The instant the event itself carries (a call's `Timestamp`, a CloudEvent's `time`), when it
    /// carries one; otherwise the receiver's clock stands in.
    pub at_ms: Option<i64>,
    /// What makes two deliveries the same event: a CloudEvent's `id`, or the resource, status
    /// (and a call's `SequenceNumber`) of a callback.
    pub key: String,
    pub source: Source,
    /// Every other field of the event, by Twilio's name (`From`, `To`, `ErrorCode`, ...), kept
    /// for the resource's record.
    pub fields: BTreeMap<String, String>,
}

/// Why a pushed request could not be read as events, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the request lacks the field {0}")]
    MissingField(&'static str),
    #[error("{field} has an unexpected value {value:?}")]
    BadValue { field: &'static str, value: String },
    #[error("the status {status:?} is not a known {kind} status")]
    UnknownStatus { kind: &'static str, status: String },
    #[error("the body is not an Event Streams batch: {0}")]
    BadBatch(String),
    #[error("the event type {0:?} is not a message or call status")]
    UnhandledType(String),
}

/// The most events one Event Streams delivery may hold; a larger body is refused whole.
pub const MAX_BATCH: usize = 1000;

/// The longest value an error quotes (a refused request's value goes to the log, never back).
const QUOTE_MAX: usize = 64;

/// The longest CloudEvent `id` kept as a dedupe key.
const MAX_ID_LEN: usize = 128;

/// The rank of `status` in `kind`'s lifecycle, `None` for a status Twilio does not have.
/// Messages: accepted/scheduled < queued < sending < sent < delivered/undelivered/failed/canceled/
/// receiving/received < read. Calls: queued < initiated < ringing < in-progress <
/// completed/busy/failed/no-answer/canceled.
pub fn rank(kind: ResourceKind, status: &str) -> Option<u8> {
    match kind {
        ResourceKind::Message => match status {
            "accepted" | "scheduled" => Some(0),
            "queued" => Some(1),
            "sending" => Some(2),
            "sent" => Some(3),
            "delivered"
            | "undelivered"
            | "failed"
            | "canceled"
            | "receiving"
            | "received"
            | "partially_delivered" => Some(4),
            "read" => Some(5),
            _ => None,
        },
        ResourceKind::Call => match status {
            "queued" => Some(0),
            "initiated" => Some(1),
            "ringing" => Some(2),
            "in-progress" => Some(3),
            "completed" | "busy" | "failed" | "no-answer" | "canceled" => Some(4),
            _ => None,
        },
    }
}

/// What every status callback carries, read and checked in one order for every resource.
struct Callback<'a> {
    kind: ResourceKind,
    sid: &'a str,
    /// The lower-case status and its rank.
    status: (String, u8),
    account_sid: &'a str,
    at_ms: Option<i64>,
}

impl<'a> Callback<'a> {
    /// Reads the resource's SID (`sid`, or its `legacy_sid` name), its status (likewise), the
    /// account and the time.
    fn read(
        params: &'a [(String, String)],
        kind: ResourceKind,
        (sid_field, legacy_sid): (&'static str, Option<&str>),
        prefixes: &[&str],
        (status_field, legacy_status): (&'static str, Option<&str>),
    ) -> Result<Callback<'a>, EventError> {
        let either = |name: &str, legacy: Option<&str>| {
            param(params, name).or_else(|| legacy.and_then(|l| param(params, l)))
        };
        let sid = either(sid_field, legacy_sid).ok_or(EventError::MissingField(sid_field))?;
        check_sid(sid_field, sid, prefixes)?;
        let status =
            either(status_field, legacy_status).ok_or(EventError::MissingField(status_field))?;
        let status = known_status(kind, status)?;
        let account_sid =
            param(params, "AccountSid").ok_or(EventError::MissingField("AccountSid"))?;
        check_sid("AccountSid", account_sid, &["AC"])?;
        let at_ms = param(params, "Timestamp")
            .map(|t| rfc2822_ms("Timestamp", t))
            .transpose()?;
        Ok(Callback {
            kind,
            sid,
            status,
            account_sid,
            at_ms,
        })
    }

    /// The event under `key`, keeping the parameters not `consumed` as its fields.
    fn event(self, key: String, params: &[(String, String)], consumed: &[&str]) -> LiveEvent {
        LiveEvent {
            kind: self.kind,
            key,
            sid: self.sid.to_owned(),
            account_sid: self.account_sid.to_owned(),
            status: self.status.0,
            rank: self.status.1,
            at_ms: self.at_ms,
            source: Source::Callback,
            fields: other_params(params, consumed),
        }
    }
}

/// A message status callback (`MessageSid`, `MessageStatus`, `AccountSid`, ...; the legacy
/// `SmsSid`/`SmsStatus` accepted).
pub fn parse_message_callback(params: &[(String, String)]) -> Result<LiveEvent, EventError> {
    let callback = Callback::read(
        params,
        ResourceKind::Message,
        ("MessageSid", Some("SmsSid")),
        &["SM", "MM"],
        ("MessageStatus", Some("SmsStatus")),
    )?;
    let key = format!("message:{}:{}", callback.sid, callback.status.0);
    let consumed = [
        "MessageSid",
        "SmsSid",
        "MessageStatus",
        "SmsStatus",
        "AccountSid",
        "Timestamp",
    ];
    Ok(callback.event(key, params, &consumed))
}

/// A call status callback (`CallSid`, `CallStatus`, `AccountSid`, `Timestamp`,
/// `SequenceNumber`, `CallDuration`, ...).
pub fn parse_call_callback(params: &[(String, String)]) -> Result<LiveEvent, EventError> {
    let callback = Callback::read(
        params,
        ResourceKind::Call,
        ("CallSid", None),
        &["CA"],
        ("CallStatus", None),
    )?;
    // Twilio numbers a call's callbacks; two deliveries of one callback share the number, two
    // callbacks with the same status (a retried `ringing`) do not.
    let sequence = param(params, "SequenceNumber")
        .map(|n| {
            n.parse::<u32>().map_err(|_| EventError::BadValue {
                field: "SequenceNumber",
                value: quote(n),
            })
        })
        .transpose()?;
    let (sid, status) = (callback.sid, &callback.status.0);
    let key = match sequence {
        Some(n) => format!("call:{sid}:{status}:{n}"),
        None => format!("call:{sid}:{status}"),
    };
    let consumed = ["CallSid", "CallStatus", "AccountSid", "Timestamp"];
    Ok(callback.event(key, params, &consumed))
}

/// An Event Streams webhook delivery: a JSON array of CloudEvents (a single object is accepted
/// too). The outer error refuses the whole body; each inner one refuses a single event (an
/// event type that is no status change is `UnhandledType`, which the caller skips quietly).
pub fn parse_event_stream(body: &[u8]) -> Result<Vec<Result<LiveEvent, EventError>>, EventError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EventError::BadBatch(format!("the body is not JSON ({e})")))?;
    let events = match value {
        Value::Array(events) => events,
        one @ Value::Object(_) => vec![one],
        _ => {
            return Err(EventError::BadBatch(
                "expected a JSON array of CloudEvents or one CloudEvent object".to_owned(),
            ));
        }
    };
    if events.len() > MAX_BATCH {
        return Err(EventError::BadBatch(format!(
            "{} events, more than the {MAX_BATCH} one delivery may hold",
            events.len()
        )));
    }
    Ok(events.iter().map(parse_cloud_event).collect())
}

const MESSAGE_TYPE_PREFIX: &str = "com.twilio.messaging.message.";
const CALL_TYPE_PREFIX: &str = "com.twilio.voice.status-callback.call.";

fn parse_cloud_event(event: &Value) -> Result<LiveEvent, EventError> {
    let Some(event) = event.as_object() else {
        return Err(EventError::BadBatch(
            "an element of the batch is not a JSON object".to_owned(),
        ));
    };
    if let Some(version) = event.get("specversion")
        && version.as_str() != Some("1.0")
    {
        return Err(EventError::BadValue {
            field: "specversion",
            value: quote(&scalar(version).unwrap_or_default()),
        });
    }
    let id = event
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or(EventError::MissingField("id"))?;
    if id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(EventError::BadValue {
            field: "id",
            value: quote(id),
        });
    }
    let kind_name = event
        .get("type")
        .and_then(Value::as_str)
        .ok_or(EventError::MissingField("type"))?;
    let data = match event.get("data") {
        Some(Value::Object(data)) => data,
        Some(other) => {
            return Err(EventError::BadValue {
                field: "data",
                value: quote(&other.to_string()),
            });
        }
        None => return Err(EventError::MissingField("data")),
    };
    let at_ms = match event.get("time") {
        Some(time) => Some(rfc3339_ms("time", time.as_str().unwrap_or_default())?),
        None => None,
    };

    let (kind, status, sid_field, consumed): (_, _, _, &[&str]) =
        if let Some(suffix) = kind_name.strip_prefix(MESSAGE_TYPE_PREFIX) {
            if rank(ResourceKind::Message, suffix).is_none() {
                return Err(EventError::UnhandledType(quote(kind_name)));
            }
            let consumed: &[&str] = &["MessageSid", "AccountSid", "MessageStatus"];
            (
                ResourceKind::Message,
                suffix.to_owned(),
                "MessageSid",
                consumed,
            )
        } else if let Some(suffix) = kind_name.strip_prefix(CALL_TYPE_PREFIX) {
            let from_type = match suffix {
                "initiated" => "initiated",
                "ringing" => "ringing",
                "answered" => "in-progress",
                "completed" => "completed",
                _ => return Err(EventError::UnhandledType(quote(kind_name))),
            };
            // The call's own status says more than the event name (`completed` may be `busy`).
            let status = data_field(data, "CallStatus").unwrap_or_else(|| from_type.to_owned());
            let consumed: &[&str] = &["CallSid", "AccountSid", "CallStatus"];
            (ResourceKind::Call, status, "CallSid", consumed)
        } else {
            return Err(EventError::UnhandledType(quote(kind_name)));
        };

    let sid = data_field(data, sid_field).ok_or(EventError::MissingField(sid_field))?;
    let prefixes: &[&str] = match kind {
        ResourceKind::Message => &["SM", "MM"],
        ResourceKind::Call => &["CA"],
    };
    check_sid(sid_field, &sid, prefixes)?;
    let account_sid =
        data_field(data, "AccountSid").ok_or(EventError::MissingField("AccountSid"))?;
    check_sid("AccountSid", &account_sid, &["AC"])?;
    let (status, rank) = known_status(kind, &status)?;

    let mut fields = BTreeMap::new();
    for (name, value) in data {
        let name = pascal(name);
        if consumed.contains(&name.as_str()) {
            continue;
        }
        if let Some(value) = scalar(value) {
            fields.entry(name).or_insert(value);
        }
    }
    Ok(LiveEvent {
        kind,
        sid,
        account_sid,
        status,
        rank,
        at_ms,
        key: format!("event:{id}"),
        source: Source::EventStream,
        fields,
    })
}

/// The first value of the parameter `name`.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The parameters not consumed into the event's own fields, the first of a repeated name kept.
fn other_params(params: &[(String, String)], consumed: &[&str]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (name, value) in params {
        if !consumed.contains(&name.as_str()) {
            fields.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    fields
}

/// A data field by Twilio's form name (`MessageSid`) or its camelCase form (`messageSid`), as a
/// string.
fn data_field(data: &serde_json::Map<String, Value>, pascal_name: &str) -> Option<String> {
    data.get(pascal_name)
        .or_else(|| data.get(&camel(pascal_name)))
        .and_then(scalar)
}

/// A string, number or boolean as text; `None` for null, arrays and objects.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Refuses a SID that is not one of `prefixes` followed by 32 hex digits.
fn check_sid(field: &'static str, sid: &str, prefixes: &[&str]) -> Result<(), EventError> {
    let ok = sid.len() == 34
        && prefixes.iter().any(|p| sid.starts_with(p))
        && sid.as_bytes()[2..].iter().all(u8::is_ascii_hexdigit);
    if ok {
        Ok(())
    } else {
        Err(EventError::BadValue {
            field,
            value: quote(sid),
        })
    }
}

/// The status lowercased with its rank, or why it is refused.
fn known_status(kind: ResourceKind, status: &str) -> Result<(String, u8), EventError> {
    let status = status.to_ascii_lowercase();
    match rank(kind, &status) {
        Some(r) => Ok((status, r)),
        None => Err(EventError::UnknownStatus {
            kind: kind.as_str(),
            status: quote(&status),
        }),
    }
}

fn rfc2822_ms(field: &'static str, text: &str) -> Result<i64, EventError> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text)
        .map(|t| t.as_millisecond())
        .map_err(|_| EventError::BadValue {
            field,
            value: quote(text),
        })
}

fn rfc3339_ms(field: &'static str, text: &str) -> Result<i64, EventError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| EventError::BadValue {
            field,
            value: quote(text),
        })
}

/// `value` shortened for an error message.
fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}
