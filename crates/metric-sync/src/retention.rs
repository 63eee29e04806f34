//! How far back Twilio keeps the records of a list, by endpoint. A backfill never asks for
//! more: older windows would be empty, and storing them as empty would be a lie.

use std::time::Duration;
use twilio_request::RequestSpec;

/// `(host, path suffix, days kept)`. Messages: about 400 days; Monitor alerts: 30 days.
const RETENTION: &[(&str, &str, u64)] = &[
    ("api.twilio.com", "/Messages.json", 400),
    ("monitor.twilio.com", "/v1/Alerts", 30),
];

/// What the endpoint of `spec` keeps, if it is known to drop old records.
pub fn retention_of(spec: &RequestSpec) -> Option<Duration> {
    RETENTION
        .iter()
        .find(|(host, suffix, _)| spec.host == *host && spec.path.ends_with(suffix))
        .map(|(_, _, days)| Duration::from_secs(days * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(host: &str, path: &str) -> RequestSpec {
        RequestSpec {
            host: host.into(),
            path: path.into(),
            params: vec![],
            headers: vec![],
            pagination: Default::default(),
        }
    }

    #[test]
    fn messages_and_alerts_have_their_retention() {
        let m = spec(
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        );
        assert_eq!(retention_of(&m), Some(Duration::from_secs(400 * 86_400)));
        let a = spec("monitor.twilio.com", "/v1/Alerts");
        assert_eq!(retention_of(&a), Some(Duration::from_secs(30 * 86_400)));
        let c = spec(
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}/Calls.json",
        );
        assert_eq!(retention_of(&c), None);
    }
}
