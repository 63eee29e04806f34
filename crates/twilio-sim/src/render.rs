//! Twilio JSON for each record, exactly as the API serves it. Messages and calls are written
//! straight to the serializer (they dominate page cost); the rest go through `serde_json::json!`.

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use crate::dataset::AccountData;
use crate::generate::{BODIES, error_message};
use crate::model::*;
use crate::sid::Sid;
use crate::time::{Iso, IsoOffset, Rfc2822, Ymd};

pub const API_VERSION: &str = "2010-04-01";

/// Serializes any `Display` as a JSON string without an intermediate `String`.
pub struct Disp<T>(pub T);

impl<T: Display> Serialize for Disp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A closure as a `Display`, to build paths without allocating.
pub struct Lazy<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(pub F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> Display for Lazy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// Money in 0.00001 USD as Twilio writes it: `-0.00790`.
#[derive(Clone, Copy)]
pub struct Money(pub Micros5);

impl Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let sign = if v < 0 { "-" } else { "" };
        let a = v.unsigned_abs();
        write!(f, "{sign}{}.{:05}", a / 100_000, a % 100_000)
    }
}

/// E.164 from the digits: `+14155550123`.
#[derive(Clone, Copy)]
pub struct E164(pub u64);

impl Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// The national form Twilio puts in `*_formatted`: `(415) 555-0123`.
pub struct National(pub u64);

impl Display for National {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0 % 10_000_000_000;
        write!(
            f,
            "({:03}) {:03}-{:04}",
            n / 10_000_000,
            n / 10_000 % 1000,
            n % 10_000
        )
    }
}

fn opt<T: Display>(v: Option<T>) -> Option<Disp<T>> {
    v.map(Disp)
}

pub struct MessageJson<'a> {
    pub m: &'a Message,
    pub a: &'a AccountData,
}

impl Serialize for MessageJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (m, a) = (self.m, self.a);
        let acct = &a.sid;
        let sid = m.sid;
        let mut map = s.serialize_map(Some(20))?;
        map.serialize_entry("account_sid", acct)?;
        map.serialize_entry("api_version", API_VERSION)?;
        map.serialize_entry(
            "body",
            BODIES.get(usize::from(m.body)).copied().unwrap_or(""),
        )?;
        map.serialize_entry("date_created", &Disp(Rfc2822(m.date_created)))?;
        map.serialize_entry("date_sent", &opt(m.date_sent.map(Rfc2822)))?;
        map.serialize_entry("date_updated", &Disp(Rfc2822(m.date_updated)))?;
        map.serialize_entry("direction", m.direction.as_str())?;
        map.serialize_entry("error_code", &m.error_code)?;
        map.serialize_entry("error_message", &m.error_code.map(error_message))?;
        map.serialize_entry("from", &Disp(E164(m.from)))?;
        let service = m
            .service
            .and_then(|i| a.messaging_services.get(usize::from(i)))
            .map(|s| s.sid);
        map.serialize_entry("messaging_service_sid", &service)?;
        map.serialize_entry("num_media", &Disp(m.num_media))?;
        map.serialize_entry("num_segments", &Disp(m.num_segments))?;
        map.serialize_entry("price", &opt(m.price.map(Money)))?;
        map.serialize_entry("price_unit", "USD")?;
        map.serialize_entry("sid", &sid)?;
        map.serialize_entry("status", m.status.as_str())?;
        map.serialize_entry(
            "subresource_uris",
            &SubUris {
                base: Lazy(|f| write!(f, "/2010-04-01/Accounts/{acct}/Messages/{sid}")),
                names: &[("media", "Media"), ("feedback", "Feedback")],
            },
        )?;
        map.serialize_entry("to", &Disp(E164(m.to)))?;
        map.serialize_entry(
            "uri",
            &Disp(Lazy(|f| {
                write!(f, "/2010-04-01/Accounts/{acct}/Messages/{sid}.json")
            })),
        )?;
        map.end()
    }
}

/// `{"name": "{base}/{Segment}.json", ...}`
struct SubUris<'a, B: Display> {
    base: B,
    names: &'a [(&'a str, &'a str)],
}

impl<B: Display> Serialize for SubUris<'_, B> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.names.len()))?;
        for (key, seg) in self.names {
            let base = &self.base;
            map.serialize_entry(key, &Disp(Lazy(|f| write!(f, "{base}/{seg}.json"))))?;
        }
        map.end()
    }
}

pub const CALL_SUBS: [(&str, &str); 9] = [
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

pub struct CallJson<'a> {
    pub c: &'a Call,
    pub a: &'a AccountData,
}

impl Serialize for CallJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, a) = (self.c, self.a);
        let acct = &a.sid;
        let sid = c.sid;
        let mut map = s.serialize_map(Some(26))?;
        map.serialize_entry("account_sid", acct)?;
        map.serialize_entry("answered_by", &None::<&str>)?;
        map.serialize_entry("api_version", API_VERSION)?;
        map.serialize_entry("caller_name", &None::<&str>)?;
        map.serialize_entry("date_created", &Disp(Rfc2822(c.date_created)))?;
        map.serialize_entry("date_updated", &Disp(Rfc2822(c.date_updated)))?;
        map.serialize_entry("direction", c.direction.as_str())?;
        map.serialize_entry("duration", &opt(c.duration))?;
        map.serialize_entry("end_time", &opt(c.end_time.map(Rfc2822)))?;
        map.serialize_entry("forwarded_from", &None::<&str>)?;
        map.serialize_entry("from", &Disp(E164(c.from)))?;
        map.serialize_entry("from_formatted", &Disp(National(c.from)))?;
        map.serialize_entry("group_sid", &None::<&str>)?;
        map.serialize_entry("parent_call_sid", &c.parent_call)?;
        let pn = a
            .phone_numbers
            .get(usize::from(c.phone_number))
            .map(|p| p.sid);
        map.serialize_entry("phone_number_sid", &pn)?;
        map.serialize_entry("price", &opt(c.price.map(Money)))?;
        map.serialize_entry("price_unit", "USD")?;
        map.serialize_entry("sid", &sid)?;
        map.serialize_entry("start_time", &Disp(Rfc2822(c.start_time)))?;
        map.serialize_entry("status", c.status.as_str())?;
        map.serialize_entry(
            "subresource_uris",
            &SubUris {
                base: Lazy(|f| write!(f, "/2010-04-01/Accounts/{acct}/Calls/{sid}")),
                names: &CALL_SUBS,
            },
        )?;
        map.serialize_entry("to", &Disp(E164(c.to)))?;
        map.serialize_entry("to_formatted", &Disp(National(c.to)))?;
        map.serialize_entry("trunk_sid", &None::<&str>)?;
        map.serialize_entry(
            "uri",
            &Disp(Lazy(|f| {
                write!(f, "/2010-04-01/Accounts/{acct}/Calls/{sid}.json")
            })),
        )?;
        map.serialize_entry("queue_time", &Disp(c.queue_time_ms))?;
        map.end()
    }
}

fn acct_uri(a: &AccountData, tail: &str) -> String {
    format!("/2010-04-01/Accounts/{}{tail}", a.sid)
}

pub fn conference(c: &Conference, a: &AccountData) -> Value {
    let base = acct_uri(a, &format!("/Conferences/{}", c.sid));
    json!({
        "account_sid": a.sid,
        "api_version": API_VERSION,
        "call_sid_ending_conference": c.call_sid_ending,
        "date_created": Rfc2822(c.date_created).to_string(),
        "date_updated": Rfc2822(c.date_updated).to_string(),
        "friendly_name": c.friendly_name,
        "reason_conference_ended": c.reason_ended,
        "region": c.region,
        "sid": c.sid,
        "status": match c.status { ConferenceStatus::InProgress => "in-progress", ConferenceStatus::Completed => "completed" },
        "subresource_uris": {
            "participants": format!("{base}/Participants.json"),
            "recordings": format!("{base}/Recordings.json"),
        },
        "uri": format!("{base}.json"),
    })
}

pub fn recording(r: &Recording, a: &AccountData) -> Value {
    let base = acct_uri(a, &format!("/Recordings/{}", r.sid));
    json!({
        "account_sid": a.sid,
        "api_version": API_VERSION,
        "call_sid": r.call_sid,
        "conference_sid": None::<Sid>,
        "channels": r.channels,
        "date_created": Rfc2822(r.date_created).to_string(),
        "date_updated": Rfc2822(r.date_updated).to_string(),
        "start_time": Rfc2822(r.start_time).to_string(),
        "price": r.price.map(|p| Money(p).to_string()),
        "price_unit": "USD",
        "duration": r.duration.to_string(),
        "sid": r.sid,
        "source": r.source,
        "status": "completed",
        "error_code": None::<u32>,
        "uri": format!("{base}.json"),
        "subresource_uris": {
            "add_on_results": format!("{base}/AddOnResults.json"),
            "transcriptions": format!("{base}/Transcriptions.json"),
        },
        "encryption_details": None::<Value>,
        "media_url": format!("https://api.twilio.com{base}"),
    })
}

pub fn phone_number(p: &PhoneNumber, a: &AccountData) -> Value {
    json!({
        "account_sid": a.sid,
        "address_requirements": "none",
        "address_sid": None::<&str>,
        "api_version": API_VERSION,
        "beta": false,
        "capabilities": {"voice": true, "sms": true, "mms": true, "fax": false},
        "date_created": Rfc2822(p.date_created).to_string(),
        "date_updated": Rfc2822(p.date_created).to_string(),
        "emergency_status": "Inactive",
        "emergency_address_sid": None::<&str>,
        "emergency_address_status": "unregistered",
        "friendly_name": p.friendly_name,
        "identity_sid": None::<&str>,
        "origin": "twilio",
        "phone_number": E164(p.number).to_string(),
        "sid": p.sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "https://hooks.example.com/twilio/inbound",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None::<&str>,
        "uri": acct_uri(a, &format!("/IncomingPhoneNumbers/{}.json", p.sid)),
        "voice_application_sid": "",
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None::<&str>,
        "voice_method": "POST",
        "voice_url": "https://hooks.example.com/twilio/voice",
        "bundle_sid": None::<&str>,
        "voice_receive_mode": "voice",
        "status": "in-use",
        "type": "local",
    })
}

const ACCOUNT_SUBS: [(&str, &str); 20] = [
    ("available_phone_numbers", "/AvailablePhoneNumbers.json"),
    ("calls", "/Calls.json"),
    ("conferences", "/Conferences.json"),
    ("incoming_phone_numbers", "/IncomingPhoneNumbers.json"),
    ("notifications", "/Notifications.json"),
    ("outgoing_caller_ids", "/OutgoingCallerIds.json"),
    ("recordings", "/Recordings.json"),
    ("transcriptions", "/Transcriptions.json"),
    ("addresses", "/Addresses.json"),
    ("signing_keys", "/SigningKeys.json"),
    ("connect_apps", "/ConnectApps.json"),
    ("sip", "/SIP.json"),
    ("authorized_connect_apps", "/AuthorizedConnectApps.json"),
    ("usage", "/Usage.json"),
    ("keys", "/Keys.json"),
    ("applications", "/Applications.json"),
    ("short_codes", "/SMS/ShortCodes.json"),
    ("queues", "/Queues.json"),
    ("messages", "/Messages.json"),
    ("balance", "/Balance.json"),
];

/// The Account resource with its live `status` and `friendly_name` (see `accounts`).
pub fn account(a: &AccountData, status: &str, friendly_name: &str) -> Value {
    let subs: serde_json::Map<String, Value> = ACCOUNT_SUBS
        .iter()
        .map(|(k, tail)| ((*k).to_string(), Value::String(acct_uri(a, tail))))
        .collect();
    json!({
        "auth_token": a.auth_token,
        "date_created": Rfc2822(a.date_created).to_string(),
        "date_updated": Rfc2822(a.date_updated).to_string(),
        "friendly_name": friendly_name,
        "owner_account_sid": a.owner_account_sid,
        "sid": a.sid,
        "status": status,
        "subresource_uris": subs,
        "type": "Full",
        "uri": acct_uri(a, ".json"),
    })
}

pub fn balance(a: &AccountData) -> Value {
    json!({"account_sid": a.sid, "balance": Money(a.balance).to_string(), "currency": "USD"})
}

pub fn messaging_service(m: &MessagingService, a: &AccountData) -> Value {
    let base = format!("https://messaging.twilio.com/v1/Services/{}", m.sid);
    json!({
        "account_sid": a.sid,
        "friendly_name": m.friendly_name,
        "sid": m.sid,
        "date_created": Iso(m.date_created).to_string(),
        "date_updated": Iso(m.date_updated).to_string(),
        "sticky_sender": true,
        "mms_converter": true,
        "smart_encoding": true,
        "fallback_to_long_code": true,
        "area_code_geomatch": true,
        "validity_period": 14400,
        "scan_message_content": "inherit",
        "synchronous_validation": true,
        "inbound_request_url": None::<&str>,
        "inbound_method": "POST",
        "fallback_url": None::<&str>,
        "fallback_method": "POST",
        "status_callback": "https://hooks.example.com/twilio/status",
        "usecase": "notifications",
        "us_app_to_person_registered": true,
        "use_inbound_webhook_on_number": true,
        "links": {
            "phone_numbers": format!("{base}/PhoneNumbers"),
            "short_codes": format!("{base}/ShortCodes"),
            "alpha_senders": format!("{base}/AlphaSenders"),
            "messages": format!("{base}/Messages"),
            "us_app_to_person": format!("{base}/Compliance/Usa2p"),
            "us_app_to_person_usecases": format!("{base}/Compliance/Usa2p/Usecases"),
            "channel_senders": format!("{base}/ChannelSenders"),
            "destination_alpha_senders": format!("{base}/DestinationAlphaSenders"),
        },
        "url": base,
    })
}

pub fn alert(x: &Alert, a: &AccountData) -> Value {
    json!({
        "account_sid": a.sid,
        "alert_text": x.alert_text,
        "api_version": API_VERSION,
        "date_created": Iso(x.date_generated + 1_000).to_string(),
        "date_generated": Iso(x.date_generated).to_string(),
        "date_updated": Iso(x.date_generated + 1_000).to_string(),
        "error_code": x.error_code.to_string(),
        "log_level": x.log_level,
        "more_info": format!("https://www.twilio.com/docs/errors/{}", x.error_code),
        "request_method": x.request_method,
        "request_url": x.request_url,
        "resource_sid": x.resource_sid,
        "sid": x.sid,
        "url": format!("https://monitor.twilio.com/v1/Alerts/{}", x.sid),
        "service_sid": x.service_sid,
    })
}

pub fn verify_attempt(v: &VerifyAttempt, a: &AccountData) -> Value {
    json!({
        "sid": v.sid,
        "account_sid": a.sid,
        "service_sid": v.service_sid,
        "verification_sid": v.verification_sid,
        "date_created": Iso(v.date_created).to_string(),
        "date_updated": Iso(v.date_updated).to_string(),
        "conversion_status": if v.converted { "converted" } else { "unconverted" },
        "channel": v.channel,
        "price": v.price.map(|p| json!({"value": Money(p).to_string(), "currency": "usd"})),
        "channel_data": {
            "verification_sid": v.verification_sid,
            "to": E164(v.to).to_string(),
            "status": if v.converted { "approved" } else { "unconfirmed" },
            "message_status": v.message_status,
            "error_code": v.error_code.map(|c| c.to_string()),
            "country": v.country,
            "code_length": 6,
            "locale": "en",
            "mcc": "310",
            "mnc": "260",
            "carrier": "T-Mobile USA, Inc.",
        },
        "url": format!("https://verify.twilio.com/v2/Attempts/{}", v.sid),
    })
}

/// Voice Insights call summary derived from a call.
/// What every generated call's Voice Insights summary says about its parties and answering:
/// the Voice Summaries filters compare against these same values.
pub const SUMMARY_CARRIER: &str = "Generic Carrier";
pub const SUMMARY_COUNTRY_CODE: &str = "US";
pub const SUMMARY_ANSWERED_BY: &str = "unknown";
pub const SUMMARY_CALL_TYPE: &str = "carrier";

/// A call's `call_state` in Voice Insights' vocabulary.
pub fn summary_call_state(c: &Call) -> &'static str {
    match c.status {
        CallStatus::Completed => "completed",
        CallStatus::Busy => "busy",
        CallStatus::Failed => "fail",
        CallStatus::NoAnswer => "noanswer",
        CallStatus::Canceled => "canceled",
        CallStatus::InProgress => "answered",
        CallStatus::Ringing | CallStatus::Queued => "ringing",
    }
}

/// A call's `properties.direction` in Voice Insights' vocabulary.
pub fn summary_direction(c: &Call) -> &'static str {
    if c.direction == CallDirection::Inbound {
        "inbound"
    } else {
        "outbound_api"
    }
}

pub fn call_summary(c: &Call, a: &AccountData) -> Value {
    let duration = c.end_time.map(|e| ((e - c.start_time) / 1000) as u32);
    json!({
        "call_sid": c.sid,
        "account_sid": a.sid,
        "created_time": Iso(c.date_created).to_string(),
        "start_time": Iso(c.start_time).to_string(),
        "end_time": c.end_time.map(|e| Iso(e).to_string()),
        "duration": duration,
        "connect_duration": c.duration,
        "call_type": SUMMARY_CALL_TYPE,
        "call_state": summary_call_state(c),
        "answered_by": SUMMARY_ANSWERED_BY,
        "from": party("caller", c.from),
        "to": party("callee", c.to),
        "processing_state": if c.end_time.is_some() { "complete" } else { "partial" },
        "sdk_edge": None::<Value>,
        "sip_edge": None::<Value>,
        "client_edge": None::<Value>,
        "carrier_edge": None::<Value>,
        "tags": Vec::<String>::new(),
        "attributes": {"conference_participant": false},
        "properties": {
            "direction": summary_direction(c),
            "disconnected_by": "callee",
        },
        "trust": None::<Value>,
        "annotation": None::<Value>,
        "url": format!("https://insights.twilio.com/v1/Voice/{}/Summary", c.sid),
    })
}

fn party(role: &str, number: u64) -> Value {
    let n = number % 10_000_000_000;
    json!({
        role: E164(number).to_string(),
        "carrier": SUMMARY_CARRIER,
        "connection": "mobile",
        "number_prefix": format!("1{}", n / 10_000_000),
        "country_code": SUMMARY_COUNTRY_CODE,
    })
}

/// One Usage Record: `category` over `start..=end` (day numbers).
pub fn usage_record(
    a: &AccountData,
    now_ms: i64,
    cat: &Category,
    value: &UsageValue,
    start: i64,
    end: i64,
    resource: &str,
) -> Value {
    let base = acct_uri(a, "/Usage/Records");
    let name = cat.name;
    let sub = |seg: &str| format!("{base}/{seg}.json?Category={name}");
    let usage = if cat.name == "totalprice" {
        Money(value.usage).to_string()
    } else {
        value.usage.to_string()
    };
    json!({
        "account_sid": a.sid,
        "api_version": API_VERSION,
        "as_of": IsoOffset(now_ms).to_string(),
        "category": name,
        "count": value.count.to_string(),
        "count_unit": cat.count_unit,
        "description": cat.description,
        "end_date": Ymd(end).to_string(),
        "price": Money(value.price).to_string(),
        "price_unit": "usd",
        "start_date": Ymd(start).to_string(),
        "subresource_uris": {
            "all_time": sub("AllTime"),
            "daily": sub("Daily"),
            "last_month": sub("LastMonth"),
            "monthly": sub("Monthly"),
            "this_month": sub("ThisMonth"),
            "today": sub("Today"),
            "yearly": sub("Yearly"),
            "yesterday": sub("Yesterday"),
        },
        "uri": format!("{base}{resource}.json?Category={name}&StartDate={}&EndDate={}", Ymd(start), Ymd(end)),
        "usage": usage,
        "usage_unit": cat.usage_unit,
    })
}
