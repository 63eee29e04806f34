//! A pushed resource's latest known state as the REST API renders its record, so the metric's
//! own JSONata expression reads it as it reads a polled page.

use std::collections::BTreeMap;

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
pub fn record(state: &ResourceState) -> serde_json::Value {
    todo!("{state:?}")
}

/// A list page holding `records`, in the list endpoint's envelope (`messages` or `calls` and the
/// paging fields), the shape a metric's expression was written for.
pub fn page(kind: ResourceKind, records: Vec<serde_json::Value>) -> serde_json::Value {
    todo!("{kind:?} {records:?}")
}
