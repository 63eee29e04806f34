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
///
/// The account may be the `{AccountSid}` placeholder or a literal SID ([`literal_account`] says
/// which); whether that is the connection's own account is the caller's check.
pub fn live_read(spec: &twilio_request::RequestSpec) -> Result<LiveRead, NotLive> {
    let other = || NotLive::OtherResource(format!("{}{}", spec.host, spec.path));
    if !spec.host.eq_ignore_ascii_case(API_HOST) {
        return Err(other());
    }
    let (account, list) = split_path(&spec.path).ok_or_else(other)?;
    if account != twilio_request::ACCOUNT_SID_PLACEHOLDER && !is_account_sid(account) {
        return Err(other());
    }
    let (kind, dates): (_, &[&str]) = match list {
        "Messages.json" => (
            ResourceKind::Message,
            &["DateSent", "DateSent<", "DateSent>"],
        ),
        "Calls.json" => (
            ResourceKind::Call,
            &["StartTime", "StartTime<", "StartTime>"],
        ),
        _ => return Err(other()),
    };
    let mut filters = Vec::new();
    for p in &spec.params {
        match p.key.as_str() {
            "Status" | "To" | "From" => filters.push((p.key.clone(), p.value.clone())),
            "PageSize" => {}
            key if dates.contains(&key) => {}
            key => return Err(NotLive::UnsupportedParameter(key.to_owned())),
        }
    }
    Ok(LiveRead { kind, filters })
}

/// The literal account SID of a `/2010-04-01/Accounts/{account}/{list}` path, `None` when the
/// path names the connection's account through `{AccountSid}` (or has another shape).
pub fn literal_account(spec: &twilio_request::RequestSpec) -> Option<&str> {
    split_path(&spec.path)
        .map(|(account, _)| account)
        .filter(|account| is_account_sid(account))
}

impl LiveRead {
    /// Whether `record` (as [`crate::resource::record`] renders it) passes the request's filters.
    /// `Status` compares without regard to case (Twilio's list does too); `To` and `From` are
    /// exact.
    pub fn accepts(&self, record: &serde_json::Value) -> bool {
        self.filters.iter().all(|(name, wanted)| {
            let field = |f: &str| record.get(f).and_then(serde_json::Value::as_str);
            match name.as_str() {
                "Status" => field("status").is_some_and(|s| s.eq_ignore_ascii_case(wanted)),
                "To" => field("to") == Some(wanted.as_str()),
                "From" => field("from") == Some(wanted.as_str()),
                // `live_read` makes no other filter; an unknown one lets nothing through rather
                // than everything.
                _ => false,
            }
        })
    }
}

const API_HOST: &str = "api.twilio.com";

/// `/2010-04-01/Accounts/{account}/{list}` split into its account and list segments.
fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/2010-04-01/Accounts/")?;
    let (account, list) = rest.split_once('/')?;
    if list.contains('/') {
        return None;
    }
    Some((account, list))
}

fn is_account_sid(text: &str) -> bool {
    text.len() == 34
        && text.starts_with("AC")
        && text.as_bytes()[2..].iter().all(u8::is_ascii_hexdigit)
}
