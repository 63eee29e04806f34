//! A table of hostile paths, next-page links and headers: every one must be refused.

use twilio_request::{resolve_next_link, validate_header, validate_path};

const HOST: &str = "api.twilio.com";

const HOSTILE_PATHS: &[&str] = &[
    "",
    "2010-04-01/Accounts.json",
    "https://evil.com/2010-04-01/Accounts.json",
    "//evil.com/2010-04-01/Accounts.json",
    "/@evil.com/x",
    "/user:pass@evil.com/",
    "/2010-04-01/../../etc/passwd",
    "/2010-04-01/./Accounts.json",
    "/2010-04-01/%2e%2e/Accounts.json",
    "/2010-04-01/%2E%2E%2FAccounts.json",
    "/2010-04-01%2fAccounts.json",
    "/%2F%2Fevil.com",
    "/2010-04-01\\..\\Accounts.json",
    "/2010-04-01/%5cAccounts.json",
    "/v1/Services\r\nHost: evil.com",
    "/v1/Services%0d%0aHost:%20evil.com",
    "/v1/Services%00",
    "/v1/Services?PageSize=1000",
    "/v1/Services#frag",
    "/v1/%40evil.com",
    "/v1/%252e%252e/Services",
    "/v1/Services/%zz",
    "/v1/Services/%2",
    "/v1/Services /x",
    "/v1/Sérvices",
    "/v1/{Unknown}/Services",
    "\t/v1/Services",
    "/v1/Services\u{7f}",
];

const HOSTILE_LINKS: &[&str] = &[
    "https://evil.com/2010-04-01/Accounts.json",
    "https://api.twilio.com.evil.com/v1/Services",
    "https://api.twilio.com@evil.com/v1/Services",
    "https://user:pass@api.twilio.com/v1/Services",
    "https://api.twilio.com:8443/v1/Services",
    "https://messaging.twilio.com/v1/Services",
    "http://api.twilio.com/v1/Services",
    "//evil.com/v1/Services",
    "ftp://api.twilio.com/v1/Services",
    "javascript:alert(1)",
    "v1/Services?Page=1",
    "https://api.twilio.com\\@evil.com/v1",
    "https://api.twilio.com/v1/../../Services",
    "https://api.twilio.com/v1/%2e%2e/Services",
    "/v1/%2F/evil.com",
    "/v1/Services?Page=1\r\nX: y",
    "/v1/Services?Page=1#x",
    "/v1/Services?Page=%0a",
    "/v1/Services?Page=%G1",
    "https://evil.com?https://api.twilio.com/v1",
    "https:/api.twilio.com/v1/Services",
    "",
];

const HOSTILE_HEADERS: &[(&str, &str)] = &[
    ("Authorization", "Basic eDp5"),
    ("authorization", "Bearer t"),
    ("Proxy-Authorization", "Basic eDp5"),
    ("Host", "evil.com"),
    ("Cookie", "a=b"),
    ("Connection", "close"),
    ("Transfer-Encoding", "chunked"),
    ("Upgrade", "websocket"),
    ("Keep-Alive", "timeout=5"),
    ("TE", "trailers"),
    ("Content-Length", "0"),
    ("X-HTTP-Method-Override", "DELETE"),
    ("X-Forwarded-Host", "evil.com"),
    ("X-Test", "a\r\nHost: evil.com"),
    ("X-Test", "a\nb"),
    ("X-Test", "a\0b"),
    ("X-Test\r\nHost", "evil.com"),
    ("X Test", "a"),
    ("X-Test:", "a"),
    ("", "a"),
    ("X-Tést", "a"),
];

#[test]
fn at_least_twenty_five_hostile_inputs_of_each_kind_together() {
    assert!(HOSTILE_PATHS.len() + HOSTILE_LINKS.len() + HOSTILE_HEADERS.len() >= 25);
    assert!(HOSTILE_PATHS.len() >= 25);
}

#[test]
fn every_hostile_path_is_refused() {
    for path in HOSTILE_PATHS {
        assert!(
            validate_path(path).is_err(),
            "accepted hostile path {path:?}"
        );
    }
}

#[test]
fn every_hostile_link_is_refused() {
    for link in HOSTILE_LINKS {
        assert!(
            resolve_next_link(HOST, link).is_err(),
            "accepted hostile link {link:?}"
        );
    }
}

#[test]
fn every_hostile_header_is_refused() {
    for (name, value) in HOSTILE_HEADERS {
        assert!(
            validate_header(name, value).is_err(),
            "accepted hostile header {name:?}: {value:?}"
        );
    }
}

#[test]
fn ordinary_twilio_paths_links_and_headers_are_accepted() {
    for path in [
        "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json",
        "/v1/Services",
        "/v2/PhoneNumbers/+15551234567",
        "/v2/PhoneNumbers/%2B15551234567",
        "/v1/Voice/Summaries",
    ] {
        assert_eq!(validate_path(path), Ok(()), "{path}");
    }
    let relative = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json?Status=completed&From=%2B987654321&StartTime=2008-01-02&PageSize=2&Page=2&PageToken=PACAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0";
    assert_eq!(resolve_next_link(HOST, relative).as_deref(), Ok(relative));
    let absolute = "https://insights.twilio.com/v2/Voice/Reports/PhoneNumbers/Inbound/voiceinsights_report_01jmzm99cte5rrbbhv8bctd4av?PageSize=1&PageToken=PTeyJwYWdlT2Zmc2V0IjoxfQ==&Page=1";
    assert_eq!(
        resolve_next_link("insights.twilio.com", absolute).as_deref(),
        Ok(
            "/v2/Voice/Reports/PhoneNumbers/Inbound/voiceinsights_report_01jmzm99cte5rrbbhv8bctd4av?PageSize=1&PageToken=PTeyJwYWdlT2Zmc2V0IjoxfQ==&Page=1"
        )
    );
    assert_eq!(validate_header("Accept-Language", "en-US"), Ok(()));
    assert_eq!(validate_header("X-Twilio-Webhook-Enabled", "true"), Ok(()));
}

#[test]
fn a_refused_link_names_the_other_host() {
    let err = resolve_next_link(HOST, "https://evil.com/x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("evil.com") && err.contains(HOST), "{err}");
}
