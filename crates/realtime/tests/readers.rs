//! Which metric requests pushed resources can stand in for.

use realtime::readers::{LiveRead, literal_account, live_read};
use realtime::{NotLive, ResourceKind};
use serde_json::json;
use twilio_request::{Pagination, Param, RequestSpec};

fn spec(host: &str, path: &str, params: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        host: host.to_owned(),
        path: path.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| Param {
                key: (*k).to_owned(),
                value: (*v).to_owned(),
            })
            .collect(),
        headers: Vec::new(),
        pagination: Pagination::NextPage,
    }
}

const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";
const CALLS: &str = "/2010-04-01/Accounts/{AccountSid}/Calls.json";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

#[test]
fn messages_list_with_dates_and_page_size_is_live() {
    let s = spec(
        "api.twilio.com",
        MESSAGES,
        &[
            ("DateSent>", "{{date_from}}"),
            ("DateSent<", "{{date_to}}"),
            ("PageSize", "1000"),
        ],
    );
    assert_eq!(
        live_read(&s),
        Ok(LiveRead {
            kind: ResourceKind::Message,
            filters: Vec::new()
        })
    );
}

#[test]
fn calls_list_with_start_time_is_live() {
    let s = spec(
        "api.twilio.com",
        CALLS,
        &[("StartTime>", "{{date_from}}"), ("Status", "completed")],
    );
    let read = live_read(&s).expect("live");
    assert_eq!(read.kind, ResourceKind::Call);
    assert_eq!(
        read.filters,
        vec![("Status".to_owned(), "completed".to_owned())]
    );
}

#[test]
fn status_to_and_from_become_filters() {
    let s = spec(
        "api.twilio.com",
        MESSAGES,
        &[
            ("Status", "failed"),
            ("To", "+15558675310"),
            ("From", "+15017122661"),
        ],
    );
    let read = live_read(&s).expect("live");
    assert_eq!(read.filters.len(), 3);
}

#[test]
fn literal_account_in_path_is_live_and_named() {
    let path = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
    let s = spec("api.twilio.com", &path, &[]);
    assert!(live_read(&s).is_ok());
    assert_eq!(literal_account(&s), Some(ACCOUNT));
}

#[test]
fn placeholder_account_is_no_literal() {
    assert_eq!(
        literal_account(&spec("api.twilio.com", MESSAGES, &[])),
        None
    );
}

#[test]
fn other_resources_are_not_live() {
    for (host, path) in [
        (
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}/Recordings.json",
        ),
        (
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}/Messages/SM1/Media.json",
        ),
        (
            "api.twilio.com",
            "/2010-04-01/Accounts/ACnothex/Messages.json",
        ),
        ("messaging.twilio.com", "/v1/Services"),
        ("insights.twilio.com", "/v1/Voice/Summaries"),
    ] {
        let err = live_read(&spec(host, path, &[])).expect_err(path);
        assert!(matches!(err, NotLive::OtherResource(_)), "{path}: {err:?}");
        assert!(err.to_string().contains("Messages and Calls"), "{err}");
    }
}

#[test]
fn other_parameters_are_not_live() {
    let s = spec("api.twilio.com", CALLS, &[("ParentCallSid", "CA1")]);
    assert_eq!(
        live_read(&s),
        Err(NotLive::UnsupportedParameter("ParentCallSid".to_owned()))
    );
}

#[test]
fn date_parameter_of_the_other_list_is_not_live() {
    let s = spec(
        "api.twilio.com",
        MESSAGES,
        &[("StartTime>", "{{date_from}}")],
    );
    assert_eq!(
        live_read(&s),
        Err(NotLive::UnsupportedParameter("StartTime>".to_owned()))
    );
}

#[test]
fn end_time_is_not_live() {
    let s = spec("api.twilio.com", CALLS, &[("EndTime>", "{{date_from}}")]);
    assert!(matches!(
        live_read(&s),
        Err(NotLive::UnsupportedParameter(_))
    ));
}

fn read(filters: &[(&str, &str)]) -> LiveRead {
    LiveRead {
        kind: ResourceKind::Message,
        filters: filters
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

#[test]
fn no_filter_accepts_every_record() {
    assert!(read(&[]).accepts(&json!({"status": "sent"})));
}

#[test]
fn status_filter_ignores_case() {
    let r = read(&[("Status", "Failed")]);
    assert!(r.accepts(&json!({"status": "failed"})));
    assert!(!r.accepts(&json!({"status": "delivered"})));
}

#[test]
fn to_and_from_filters_are_exact() {
    let r = read(&[("To", "+15558675310"), ("From", "+15017122661")]);
    assert!(r.accepts(&json!({"to": "+15558675310", "from": "+15017122661"})));
    assert!(!r.accepts(&json!({"to": "+15558675311", "from": "+15017122661"})));
    assert!(!r.accepts(&json!({"to": "+15558675310", "from": null})));
}
