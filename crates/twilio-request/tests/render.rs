//! Rendering a spec: account substitution, parameter encoding, date tokens and their errors.

use domain::AccountSid;
use jiff::Timestamp;
use twilio_request::{
    DateTokenError, Header, Pagination, Param, RequestError, RequestSpec, Window,
};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn account() -> AccountSid {
    AccountSid::parse(SID).unwrap()
}

fn window() -> Window {
    Window::new(
        "2024-03-01T00:00:00Z".parse().unwrap(),
        "2024-03-08T12:30:45Z".parse().unwrap(),
    )
    .unwrap()
}

fn spec(path: &str, params: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        host: "api.twilio.com".into(),
        path: path.into(),
        params: params
            .iter()
            .map(|(k, v)| Param {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
        headers: vec![],
        pagination: Pagination::NextPage,
    }
}

#[test]
fn account_sid_placeholder_becomes_the_connection_sid() {
    let rendered = spec("/2010-04-01/Accounts/{AccountSid}/Messages.json", &[])
        .render(&account(), None)
        .unwrap();
    assert_eq!(
        rendered.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(
        rendered.url(),
        format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json")
    );
}

#[test]
fn comparison_names_and_values_are_encoded_as_twilio_echoes_them() {
    let rendered = spec(
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        &[
            ("DateSent>", "{{date_from}}"),
            ("DateSent<", "{{date_to}}"),
            ("To", "+1 555"),
            ("PageSize", "1000"),
        ],
    )
    .render(&account(), Some(window()))
    .unwrap();
    assert_eq!(
        rendered.query,
        "DateSent%3E=2024-03-01&DateSent%3C=2024-03-08&To=%2B1%20555&PageSize=1000"
    );
}

#[test]
fn repeated_parameter_names_keep_their_order() {
    let rendered = spec(
        "/v1/Services",
        &[("Status", "a"), ("Other", "x"), ("Status", "b")],
    )
    .render(&account(), None)
    .unwrap();
    assert_eq!(rendered.query, "Status=a&Other=x&Status=b");
}

#[test]
fn every_date_format_renders_the_utc_window() {
    let cases = [
        ("{{date_from}}", "2024-03-01"),
        ("{{date_to|date}}", "2024-03-08"),
        ("{{date_to|iso}}", "2024-03-08T12:30:45Z"),
        ("{{date_from|unix}}", "1709251200"),
        ("{{date_to|unix_ms}}", "1709901045000"),
        ("{{date_to|rfc2822}}", "Fri, 8 Mar 2024 12:30:45 +0000"),
        ("{{date_to|%Y/%m/%d %H}}", "2024/03/08 12"),
        (
            "{{ date_from | iso }}..{{date_to}}",
            "2024-03-01T00:00:00Z..2024-03-08",
        ),
        ("no tokens", "no tokens"),
    ];
    for (template, expected) in cases {
        assert_eq!(
            twilio_request::render_tokens(template, Some(&window())).unwrap(),
            expected,
            "{template}"
        );
    }
}

#[test]
fn unknown_token_is_an_error_naming_it() {
    let err = twilio_request::render_tokens("{{date_since}}", Some(&window())).unwrap_err();
    assert_eq!(err, DateTokenError::UnknownToken("date_since".into()));
    assert!(err.to_string().contains("date_since"));
}

#[test]
fn unknown_format_is_an_error_naming_it() {
    let err = twilio_request::render_tokens("{{date_from|weekday}}", Some(&window())).unwrap_err();
    assert!(
        matches!(err, DateTokenError::UnknownFormat(ref f) if f.contains("weekday")),
        "{err}"
    );
    assert!(err.to_string().contains("weekday"));
}

#[test]
fn tokens_without_a_window_are_an_error() {
    let err = spec("/v1/Services", &[("StartDate", "{{date_from}}")])
        .render(&account(), None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::ParamToken {
                error: DateTokenError::NoWindow(_),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_unclosed_token_is_an_error() {
    assert_eq!(
        twilio_request::render_tokens("{{date_from", Some(&window())),
        Err(DateTokenError::Unclosed)
    );
}

#[test]
fn a_backwards_window_is_refused() {
    let from: Timestamp = "2024-03-08T00:00:00Z".parse().unwrap();
    let to: Timestamp = "2024-03-01T00:00:00Z".parse().unwrap();
    assert!(Window::new(from, to).is_err());
    assert!(twilio_request::render_tokens("{{date_from}}", Some(&Window { from, to })).is_err());
}

#[test]
fn date_tokens_render_in_the_path_too() {
    let rendered = spec("/v1/Reports/{{date_from}}", &[])
        .render(&account(), Some(window()))
        .unwrap();
    assert_eq!(rendered.path, "/v1/Reports/2024-03-01");
}

#[test]
fn a_host_outside_the_twilio_list_is_refused() {
    let mut s = spec("/v1/Services", &[]);
    s.host = "evil.com".into();
    assert!(matches!(s.validate(), Err(RequestError::UnknownHost(_))));
}

#[test]
fn a_forbidden_header_in_the_spec_is_refused() {
    let mut s = spec("/v1/Services", &[]);
    s.headers.push(Header {
        name: "Authorization".into(),
        value: "x".into(),
    });
    assert!(matches!(s.validate(), Err(RequestError::Header(_))));
}

#[test]
fn a_method_other_than_get_is_refused_saying_switchboard_only_reads() {
    let json = r#"{"method": "POST", "host": "api.twilio.com", "path": "/v1/Services"}"#;
    let err = serde_json::from_str::<RequestSpec>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("only reads"), "{err}");
    let json = r#"{"method": "get", "host": "api.twilio.com", "path": "/v1/Services"}"#;
    assert!(serde_json::from_str::<RequestSpec>(json).is_ok());
    assert!(
        twilio_request::ensure_read_only("DELETE")
            .unwrap_err()
            .to_string()
            .contains("only reads")
    );
}

#[test]
fn serde_shape_is_unchanged() {
    let s = spec("/v1/Services", &[("A", "1")]);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"host": "api.twilio.com", "path": "/v1/Services", "params": [{"key": "A", "value": "1"}], "headers": [], "pagination": "next_page"})
    );
    assert_eq!(serde_json::from_value::<RequestSpec>(json).unwrap(), s);
    assert!(
        serde_json::from_str::<RequestSpec>(
            r#"{"host": "api.twilio.com", "path": "/", "extra": 1}"#
        )
        .is_err()
    );
}

#[test]
fn validate_checks_tokens_without_a_real_window() {
    assert!(
        spec("/v1/Services", &[("StartDate", "{{date_from|iso}}")])
            .validate()
            .is_ok()
    );
    assert!(
        spec("/v1/Services", &[("StartDate", "{{date_from|nope}}")])
            .validate()
            .is_err()
    );
}
