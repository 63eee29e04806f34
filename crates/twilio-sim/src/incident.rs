//! Incidents: windows of whole UTC hours in which the generator bends the records the way a
//! real problem would, so detection can be scored against known truth.
//!
//! An incident is written `DATE:KIND[:HOURS]`, or `DATETHH:KIND[:HOURS]` to choose the start
//! hour: `2026-03-02:carrier-filtering` starts at 09:00 UTC (business hours, when each kind
//! shows most) and lasts 6 hours; `2026-03-02T14:voice-outage:3` runs 14:00–17:00 UTC. The
//! kinds, applied to every account of the family (main and subaccounts):
//!
//! * `carrier-filtering`: a carrier filters the account's outbound messages: 35 % of outbound
//!   messages created in the window (those that would otherwise have been delivered) come back
//!   `undelivered` with error 30007 "Message filtered" (Twilio still charges them). What a
//!   detector should name: status `undelivered`, error code 30007.
//! * `voice-outage`: calls cannot be connected: 85 % of calls created in the window end
//!   `failed` (no duration, no price, no recording). Name: call status `failed`.
//! * `traffic-drop`: an upstream system stops sending: only 20 % of the messages and calls the
//!   window would have had exist (and their recordings and alerts; an inbound call that a
//!   remaining call names as its parent stays). Name: the volume of every direction and status
//!   alike.
//! * `spend-spike`: a price change on API-sent messages: each `outbound-api` message created in
//!   the window costs 5 times its usual price per segment, so spend rises while volume does not.
//!   Name: messages of direction `outbound-api`.
//!
//! Records outside every window are exactly what they would be without incidents: an incident
//! only reinterprets values the generator draws anyway (never one more draw), so the random
//! stream of every other record is untouched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::{Iso, MS_PER_DAY, MS_PER_HOUR, Ymd, days_from_civil};

/// The start hour (UTC) of an incident written without one.
pub const DEFAULT_START_HOUR: u32 = 9;
/// The length of an incident written without one.
pub const DEFAULT_HOURS: u32 = 6;
/// The longest incident: one week.
pub const MAX_HOURS: u32 = 168;

/// Share of outbound messages filtered during `carrier-filtering`.
pub const FILTERED_SHARE: f64 = 0.35;
/// Share of calls that fail during `voice-outage`.
pub const OUTAGE_FAILED_SHARE: f64 = 0.85;
/// Share of messages and calls that still happen during `traffic-drop`, in percent.
pub const TRAFFIC_KEPT_PERCENT: u128 = 20;
/// Price multiplier of `outbound-api` messages during `spend-spike`.
pub const SPEND_FACTOR: i64 = 5;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    CarrierFiltering,
    VoiceOutage,
    TrafficDrop,
    SpendSpike,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 4] = [
        IncidentKind::CarrierFiltering,
        IncidentKind::VoiceOutage,
        IncidentKind::TrafficDrop,
        IncidentKind::SpendSpike,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::CarrierFiltering => "carrier-filtering",
            IncidentKind::VoiceOutage => "voice-outage",
            IncidentKind::TrafficDrop => "traffic-drop",
            IncidentKind::SpendSpike => "spend-spike",
        }
    }

    /// One sentence on what the kind does to the records.
    pub fn description(self) -> &'static str {
        match self {
            IncidentKind::CarrierFiltering => {
                "35 % of outbound messages come back undelivered with error 30007 (Message filtered)"
            }
            IncidentKind::VoiceOutage => "85 % of calls end failed",
            IncidentKind::TrafficDrop => "messages and calls drop to 20 % of their usual volume",
            IncidentKind::SpendSpike => {
                "outbound-api messages cost 5 times their usual price per segment"
            }
        }
    }

    /// What the incident changes, as a detector should name it.
    pub fn effects(self) -> Vec<Effect> {
        let e = |resource, field, value: &str, change| Effect {
            resource,
            field,
            value: value.to_string(),
            change,
        };
        match self {
            IncidentKind::CarrierFiltering => vec![
                e("messages", "status", "undelivered", Change::Up),
                e("messages", "error_code", "30007", Change::Up),
            ],
            IncidentKind::VoiceOutage => vec![
                e("calls", "status", "failed", Change::Up),
                e("calls", "status", "completed", Change::Down),
            ],
            IncidentKind::TrafficDrop => vec![
                e("messages", "count", "all", Change::Down),
                e("calls", "count", "all", Change::Down),
            ],
            IncidentKind::SpendSpike => vec![e("messages", "price", "outbound-api", Change::Up)],
        }
    }

    fn accepted() -> String {
        IncidentKind::ALL.map(IncidentKind::as_str).join(", ")
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentKind {
    type Err = IncidentError;
    fn from_str(s: &str) -> Result<Self, IncidentError> {
        IncidentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| IncidentError::Kind {
                kind: s.to_string(),
                accepted: IncidentKind::accepted(),
            })
    }
}

/// Which way an effect moves its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Up,
    Down,
}

/// One thing an incident changes: `field` = `value` of `resource` moves `change`
/// (`field` "count" with value "all": the number of records; "price": the charge of the records
/// whose direction is `value`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub resource: &'static str,
    pub field: &'static str,
    pub value: String,
    pub change: Change,
}

/// One incident: `kind` over the `hours` whole hours from `start_ms` (epoch ms, a whole UTC
/// hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Incident {
    pub kind: IncidentKind,
    pub start_ms: i64,
    pub hours: u32,
}

impl Incident {
    /// An incident of `kind` over `hours` hours (1 to [`MAX_HOURS`]) from the hour holding
    /// `start_ms`.
    pub fn new(kind: IncidentKind, start_ms: i64, hours: u32) -> Incident {
        Incident {
            kind,
            start_ms: start_ms.div_euclid(MS_PER_HOUR) * MS_PER_HOUR,
            hours: hours.clamp(1, MAX_HOURS),
        }
    }

    /// The instant just after the window.
    pub fn end_ms(&self) -> i64 {
        self.start_ms + i64::from(self.hours) * MS_PER_HOUR
    }

    /// Whether an instant falls in the window `[start_ms, end_ms)`.
    pub fn covers(&self, ms: i64) -> bool {
        ms >= self.start_ms && ms < self.end_ms()
    }

    /// The UTC days (days since 1970-01-01) the window touches.
    pub fn days(&self) -> std::ops::RangeInclusive<i64> {
        self.start_ms.div_euclid(MS_PER_DAY)..=(self.end_ms() - 1).div_euclid(MS_PER_DAY)
    }
}

impl FromStr for Incident {
    type Err = IncidentError;

    /// `DATE:KIND[:HOURS]` or `DATETHH:KIND[:HOURS]` (UTC).
    fn from_str(s: &str) -> Result<Self, IncidentError> {
        let mut parts = s.splitn(3, ':');
        let when = parts.next().unwrap_or_default();
        let Some(kind) = parts.next() else {
            return Err(IncidentError::Shape {
                value: s.to_string(),
                accepted: IncidentKind::accepted(),
            });
        };
        let (date, hour) = match when.split_once('T') {
            Some((date, hour)) => {
                let h = hour
                    .parse::<u32>()
                    .ok()
                    .filter(|h| *h < 24 && hour.len() == 2)
                    .ok_or_else(|| IncidentError::Hour {
                        hour: hour.to_string(),
                    })?;
                (date, h)
            }
            None => (when, DEFAULT_START_HOUR),
        };
        let day = date
            .parse::<jiff::civil::Date>()
            .map_err(|_| IncidentError::Date {
                date: date.to_string(),
            })?;
        let kind = kind.parse::<IncidentKind>()?;
        let hours = match parts.next() {
            None => DEFAULT_HOURS,
            Some(h) => h
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=MAX_HOURS).contains(h))
                .ok_or_else(|| IncidentError::Hours {
                    hours: h.to_string(),
                })?,
        };
        let midnight = days_from_civil(
            i64::from(day.year()),
            day.month().unsigned_abs().into(),
            day.day().unsigned_abs().into(),
        ) * MS_PER_DAY;
        Ok(Incident::new(
            kind,
            midnight + i64::from(hour) * MS_PER_HOUR,
            hours,
        ))
    }
}

impl fmt::Display for Incident {
    /// The same form `from_str` reads, always with the start hour and the length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{}:{}",
            Ymd(self.start_ms.div_euclid(MS_PER_DAY)),
            self.start_ms.rem_euclid(MS_PER_DAY) / MS_PER_HOUR,
            self.kind,
            self.hours
        )
    }
}

/// Why an `--incident` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error(
        "incident {value:?} is not DATE:KIND[:HOURS] (e.g. 2026-03-02:carrier-filtering:6 or 2026-03-02T14:voice-outage); kinds: {accepted}"
    )]
    Shape { value: String, accepted: String },
    #[error("incident date {date:?} is not a UTC day written YYYY-MM-DD (optionally THH)")]
    Date { date: String },
    #[error("incident start hour {hour:?} is not two digits from 00 to 23 (e.g. 2026-03-02T14)")]
    Hour { hour: String },
    #[error("incident kind {kind:?} is unknown; kinds: {accepted}")]
    Kind { kind: String, accepted: String },
    #[error("incident length {hours:?} is not a number of hours from 1 to 168")]
    Hours { hours: String },
}

/// The incidents of a dataset, asked record by record while generating. Every question takes
/// only values the generator has drawn already.
#[derive(Clone, Copy)]
pub(crate) struct Incidents<'a>(pub &'a [Incident]);

impl Incidents<'_> {
    pub fn any(&self, kind: IncidentKind) -> bool {
        self.0.iter().any(|i| i.kind == kind)
    }

    fn active(&self, kind: IncidentKind, created: i64) -> bool {
        self.0.iter().any(|i| i.kind == kind && i.covers(created))
    }

    /// Whether an outbound message whose status draw is `r_status` is filtered by a carrier.
    /// The lowest draws are the ones that would have been delivered, so filtering takes them.
    pub fn filtered(&self, created: i64, outbound: bool, r_status: f64) -> bool {
        outbound
            && r_status < FILTERED_SHARE
            && self.active(IncidentKind::CarrierFiltering, created)
    }

    /// Whether a call whose status draw is `r_status` fails in an outage.
    pub fn call_fails(&self, created: i64, r_status: f64) -> bool {
        r_status < OUTAGE_FAILED_SHARE && self.active(IncidentKind::VoiceOutage, created)
    }

    /// Whether a record is not made because traffic dropped. The SID's random bits decide,
    /// uniform and drawn for every record anyway.
    pub fn dropped(&self, created: i64, sid: crate::sid::Sid) -> bool {
        sid.id % 100 >= TRAFFIC_KEPT_PERCENT && self.active(IncidentKind::TrafficDrop, created)
    }

    /// The price multiplier of a message.
    pub fn price_factor(&self, created: i64, outbound_api: bool) -> i64 {
        if outbound_api && self.active(IncidentKind::SpendSpike, created) {
            SPEND_FACTOR
        } else {
            1
        }
    }
}

/// An incident as the dump lists it.
#[derive(Serialize)]
pub(crate) struct IncidentJson {
    kind: IncidentKind,
    start: String,
    end: String,
    hours: u32,
    description: &'static str,
    affects: Vec<Effect>,
}

impl From<&Incident> for IncidentJson {
    fn from(i: &Incident) -> Self {
        let iso = |ms| Iso(ms).to_string();
        IncidentJson {
            kind: i.kind,
            start: iso(i.start_ms),
            end: iso(i.end_ms()),
            hours: i.hours,
            description: i.kind.description(),
            affects: i.kind.effects(),
        }
    }
}
