//! The typed records of a dataset. Compact on purpose: JSON is rendered per page from these,
//! in `render`. Money is kept as integer units of 0.00001 USD (negative = a charge), so sums
//! are exact; instants are epoch milliseconds.

use crate::sid::Sid;

/// 0.00001 USD.
pub type Micros5 = i64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum KeyType {
    Main,
    Standard,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ApiKeyData {
    pub sid: String,
    pub secret: String,
    pub key_type: KeyType,
    pub friendly_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageDirection {
    Inbound,
    OutboundApi,
    OutboundCall,
    OutboundReply,
}

impl MessageDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageDirection::Inbound => "inbound",
            MessageDirection::OutboundApi => "outbound-api",
            MessageDirection::OutboundCall => "outbound-call",
            MessageDirection::OutboundReply => "outbound-reply",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Accepted,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Undelivered => "undelivered",
            MessageStatus::Receiving => "receiving",
            MessageStatus::Received => "received",
            MessageStatus::Accepted => "accepted",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Message {
    pub sid: Sid,
    pub date_created: i64,
    /// `None` while the message has not left Twilio (queued, accepted, sending).
    pub date_sent: Option<i64>,
    pub date_updated: i64,
    pub direction: MessageDirection,
    pub status: MessageStatus,
    pub from: u64,
    pub to: u64,
    pub body: u16,
    pub num_segments: u8,
    pub num_media: u8,
    pub price: Option<Micros5>,
    pub error_code: Option<u32>,
    /// Index into the account's messaging services.
    pub service: Option<u8>,
}

impl Message {
    /// The instant the list is ordered and `DateSent` filters by: `date_sent`, or
    /// `date_created` while the message is not sent yet.
    pub fn sort_ms(&self) -> i64 {
        self.date_sent.unwrap_or(self.date_created)
    }
    pub fn is_mms(&self) -> bool {
        self.sid.prefix == *b"MM"
    }
    pub fn is_inbound(&self) -> bool {
        self.direction == MessageDirection::Inbound
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::Failed => "failed",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Canceled => "canceled",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallDirection {
    Inbound,
    OutboundApi,
    OutboundDial,
}

impl CallDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::OutboundApi => "outbound-api",
            CallDirection::OutboundDial => "outbound-dial",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Call {
    pub sid: Sid,
    pub date_created: i64,
    /// The list is ordered by this and `StartTime` filters use it.
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub date_updated: i64,
    pub direction: CallDirection,
    pub status: CallStatus,
    pub from: u64,
    pub to: u64,
    /// Seconds; `None` while ringing or in progress.
    pub duration: Option<u32>,
    pub price: Option<Micros5>,
    /// Index into the account's phone numbers.
    pub phone_number: u8,
    pub parent_call: Option<Sid>,
    pub queue_time_ms: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConferenceStatus {
    InProgress,
    Completed,
}

#[derive(Clone, Debug)]
pub struct Conference {
    pub sid: Sid,
    pub date_created: i64,
    pub date_updated: i64,
    pub friendly_name: String,
    pub status: ConferenceStatus,
    pub region: &'static str,
    pub reason_ended: Option<&'static str>,
    pub call_sid_ending: Option<Sid>,
}

#[derive(Clone, Debug)]
pub struct Recording {
    pub sid: Sid,
    pub call_sid: Sid,
    pub date_created: i64,
    pub start_time: i64,
    pub date_updated: i64,
    pub duration: u32,
    pub price: Option<Micros5>,
    pub channels: u8,
    pub source: &'static str,
}

#[derive(Clone, Debug)]
pub struct PhoneNumber {
    pub sid: Sid,
    pub number: u64,
    pub date_created: i64,
    pub friendly_name: String,
}

#[derive(Clone, Debug)]
pub struct MessagingService {
    pub sid: Sid,
    pub friendly_name: String,
    pub date_created: i64,
    pub date_updated: i64,
}

#[derive(Clone, Debug)]
pub struct Alert {
    pub sid: Sid,
    pub date_generated: i64,
    pub error_code: u32,
    pub log_level: &'static str,
    pub alert_text: String,
    pub resource_sid: Sid,
    pub service_sid: Option<Sid>,
    pub request_method: &'static str,
    pub request_url: String,
}

#[derive(Clone, Debug)]
pub struct VerifyAttempt {
    pub sid: Sid,
    pub service_sid: Sid,
    pub verification_sid: Sid,
    pub date_created: i64,
    pub date_updated: i64,
    pub converted: bool,
    pub channel: &'static str,
    pub to: u64,
    pub country: &'static str,
    pub price: Option<Micros5>,
    pub message_status: &'static str,
    pub error_code: Option<u32>,
}

/// What each usage category is made of. The order here is the order of records within a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Category {
    pub name: &'static str,
    pub description: &'static str,
    pub count_unit: &'static str,
    pub usage_unit: &'static str,
}

pub const CATEGORIES: [Category; 12] = [
    Category {
        name: "calls",
        description: "Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "calls-inbound",
        description: "Inbound Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "calls-outbound",
        description: "Outbound Voice Minutes",
        count_unit: "calls",
        usage_unit: "minutes",
    },
    Category {
        name: "mms",
        description: "MMS",
        count_unit: "messages",
        usage_unit: "messages",
    },
    Category {
        name: "mms-inbound",
        description: "Inbound MMS",
        count_unit: "messages",
        usage_unit: "messages",
    },
    Category {
        name: "mms-outbound",
        description: "Outbound MMS",
        count_unit: "messages",
        usage_unit: "messages",
    },
    Category {
        name: "phonenumbers",
        description: "Phone Numbers",
        count_unit: "phone-numbers",
        usage_unit: "phone-numbers",
    },
    Category {
        name: "recordings",
        description: "Voice Recordings",
        count_unit: "recordings",
        usage_unit: "minutes",
    },
    Category {
        name: "sms",
        description: "SMS",
        count_unit: "messages",
        usage_unit: "segments",
    },
    Category {
        name: "sms-inbound",
        description: "Inbound SMS",
        count_unit: "messages",
        usage_unit: "segments",
    },
    Category {
        name: "sms-outbound",
        description: "Outbound SMS",
        count_unit: "messages",
        usage_unit: "segments",
    },
    Category {
        name: "totalprice",
        description: "Total Price",
        count_unit: "",
        usage_unit: "usd",
    },
];

pub const TOTALPRICE: usize = 11;

/// One category's figures over a period. `usage` of `totalprice` is in 0.00001 USD like `price`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageValue {
    pub count: i64,
    pub usage: i64,
    /// Positive: the amount charged.
    pub price: Micros5,
}

impl std::ops::AddAssign for UsageValue {
    fn add_assign(&mut self, o: UsageValue) {
        self.count += o.count;
        self.usage += o.usage;
        self.price += o.price;
    }
}

/// Every category's figures for one UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageDay {
    /// Days since 1970-01-01.
    pub day: i64,
    pub values: [UsageValue; CATEGORIES.len()],
}
