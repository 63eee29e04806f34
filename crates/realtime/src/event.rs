//! Pushed events parsed: message and call status callbacks (form parameters) and Event Streams
//! batches (a JSON array of CloudEvents 1.0).

use std::collections::BTreeMap;

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

/// The rank of `status` in `kind`'s lifecycle, `None` for a status Twilio does not have.
/// Messages: accepted/scheduled < queued < sending < sent < delivered/undelivered/failed/canceled/
/// receiving/received < read. Calls: queued < initiated < ringing < in-progress <
/// completed/busy/failed/no-answer/canceled.
pub fn rank(kind: ResourceKind, status: &str) -> Option<u8> {
    todo!("{kind:?} {status}")
}

/// A message status callback (`MessageSid`, `MessageStatus`, `AccountSid`, ...; the legacy
/// `SmsSid`/`SmsStatus` accepted).
pub fn parse_message_callback(params: &[(String, String)]) -> Result<LiveEvent, EventError> {
    todo!("{params:?}")
}

/// A call status callback (`CallSid`, `CallStatus`, `AccountSid`, `Timestamp`,
/// `SequenceNumber`, `CallDuration`, ...).
pub fn parse_call_callback(params: &[(String, String)]) -> Result<LiveEvent, EventError> {
    todo!("{params:?}")
}

/// An Event Streams webhook delivery: a JSON array of CloudEvents (a single object is accepted
/// too). The outer error refuses the whole body; each inner one refuses a single event (an
/// event type that is no status change is `UnhandledType`, which the caller skips quietly).
pub fn parse_event_stream(body: &[u8]) -> Result<Vec<Result<LiveEvent, EventError>>, EventError> {
    todo!("{body:?}")
}
