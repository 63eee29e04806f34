//! Which metric requests pushed resources can stand in for.

use crate::event::ResourceKind;

/// A metric request that pushed events can answer: its resource and the list filters applied to
/// each record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRead {
    pub kind: ResourceKind,
    /// `(parameter, value)` filters of the request applied to each record (`Status`, `To`,
    /// `From`).
    pub filters: Vec<(String, String)>,
}

/// Why a request cannot be answered from pushed events, in words for the metric's page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotLive {
    #[error("Twilio pushes statuses for Messages and Calls only; this metric reads {0}")]
    OtherResource(String),
    #[error("the request's parameter {0} cannot be applied to pushed events")]
    UnsupportedParameter(String),
}

/// Whether `spec` reads the Messages or Calls list of one account (api.twilio.com
/// `/2010-04-01/Accounts/{AccountSid}/Messages.json` or `Calls.json`), and with which filters.
/// Date parameters and `PageSize` are the sync's business and accepted.
pub fn live_read(spec: &twilio_request::RequestSpec) -> Result<LiveRead, NotLive> {
    todo!("{spec:?}")
}

impl LiveRead {
    /// Whether `record` (as [`crate::resource::record`] renders it) passes the request's filters.
    pub fn accepts(&self, record: &serde_json::Value) -> bool {
        todo!("{record:?}")
    }
}
