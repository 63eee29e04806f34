//! Fidelity of the simulator against the official Twilio OpenAPI specs and their examples.
//!
//! First the validator proves itself on the official examples (and on broken copies of them),
//! then every simulated endpoint is fetched over real HTTP and held to the same schemas.

#[path = "openapi/mod.rs"]
mod openapi;

use openapi::{Endpoint, KNOWN_EXCEPTIONS, Options, Violation, endpoints};
use serde_json::{Value, json};

mod validator_self_test {
    use super::*;
    use openapi::regex::Regex;
    use openapi::{Strictness, formats};

    fn schema_of(ep: &Endpoint) -> &'static Value {
        openapi::spec(ep.spec)
            .response_schema(ep.template, "GET", 200)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_official_example_of_a_simulated_endpoint_validates_with_the_known_exceptions() {
        let mut checked = 0;
        let mut failures = Vec::new();
        for ep in endpoints::all() {
            let examples = ep.examples();
            assert!(!examples.is_empty(), "no 200 example for {}", ep.template);
            let spec = openapi::spec(ep.spec);
            for (name, file) in examples {
                let body = openapi::example(&file);
                let violations = spec.validate(schema_of(&ep), &body, Options::EXAMPLES);
                if !violations.is_empty() {
                    failures.push(format!(
                        "{file} ({name}):\n{}",
                        openapi::report(&violations)
                    ));
                }
                checked += 1;
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // 23 endpoints; the index holds 59 GET 200 examples for them.
        assert_eq!(checked, 59, "the example index changed");
    }

    /// Without the exceptions, the raw schemas fail exactly on the excepted properties, and
    /// every exception is needed by at least one official example.
    #[test]
    fn every_known_exception_is_needed_and_covers_only_its_properties() {
        let mut used = Vec::new();
        let mut raw_failures = 0;
        for ep in endpoints::all() {
            let spec = openapi::spec(ep.spec);
            for (_, file) in ep.examples() {
                let body = openapi::example(&file);
                for v in spec.validate(schema_of(&ep), &body, Options::RAW) {
                    raw_failures += 1;
                    let property = v.pointer.rsplit('/').next().unwrap_or_default();
                    assert!(
                        KNOWN_EXCEPTIONS
                            .iter()
                            .any(|e| e.spec == ep.spec && e.properties.contains(&property)),
                        "{file}: {v} is not a known exception"
                    );
                }
                let (_, hits) = spec.validate_traced(schema_of(&ep), &body, Options::EXAMPLES);
                used.extend(hits.into_iter().map(|e| e.component));
            }
        }
        assert!(raw_failures > 0);
        for e in KNOWN_EXCEPTIONS {
            assert!(
                used.contains(&e.component),
                "exception for {} {:?} is never needed: remove it",
                e.component,
                e.properties
            );
        }
    }

    fn messages_example() -> Value {
        openapi::example(
            "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Messages_json__200__readFullPage1.json",
        )
    }

    fn violations_after(
        ep: &Endpoint,
        mut body: Value,
        edit: impl FnOnce(&mut Value),
    ) -> Vec<Violation> {
        edit(&mut body);
        openapi::spec(ep.spec).validate(schema_of(ep), &body, Options::FIDELITY)
    }

    fn assert_single(violations: &[Violation], pointer: &str, expected_contains: &str) {
        assert_eq!(violations.len(), 1, "{}", openapi::report(violations));
        assert_eq!(violations[0].pointer, pointer);
        assert!(
            violations[0].expected.contains(expected_contains),
            "{}",
            violations[0]
        );
    }

    fn set(body: &mut Value, pointer: &str, value: Value) {
        *body
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer}")) = value;
    }

    #[test]
    fn a_missing_record_key_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            b["messages"][0].as_object_mut().map(|m| m.remove("status"));
        });
        assert_single(&v, "/messages/0", "key \"status\" present");
        assert_eq!(v[0].actual, "absent");
    }

    #[test]
    fn a_missing_envelope_key_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            b.as_object_mut().map(|m| m.remove("previous_page_uri"));
        });
        assert_single(&v, "", "key \"previous_page_uri\" present");
    }

    #[test]
    fn a_string_where_an_integer_is_declared_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/1/error_code", json!("30004"))
        });
        assert_single(&v, "/messages/1/error_code", "integer");
        assert_eq!(v[0].actual, "string \"30004\"");
    }

    #[test]
    fn a_float_where_an_integer_is_declared_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/page_size", json!(50.0))
        });
        assert_single(&v, "/page_size", "integer");
    }

    #[test]
    fn null_where_not_nullable_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/page", Value::Null)
        });
        assert_single(&v, "/page", "not nullable");
    }

    #[test]
    fn null_where_nullable_is_accepted() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/0/price", Value::Null);
            set(b, "/messages/0/date_sent", Value::Null);
        });
        assert!(v.is_empty(), "{}", openapi::report(&v));
    }

    #[test]
    fn a_value_outside_the_enum_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/0/direction", json!("sideways"))
        });
        assert_single(&v, "/messages/0/direction", "\"outbound-api\"");
    }

    #[test]
    fn null_in_a_nullable_enum_is_accepted_and_in_a_plain_enum_refused() {
        // insights writes `nullable: true` beside the $ref of its enums.
        let ep = endpoints::VOICE_SUMMARIES;
        let body = openapi::example(
            "twilio_insights_v1/GET__v1_Voice_Summaries__200__readWithCarrier.json",
        );
        let v = violations_after(&ep, body.clone(), |b| {
            set(b, "/call_summaries/0/call_state", Value::Null)
        });
        assert!(v.is_empty(), "{}", openapi::report(&v));
        let v = violations_after(&ep, body, |b| {
            set(b, "/call_summaries/0/call_state", json!("exploded"))
        });
        assert_single(&v, "/call_summaries/0/call_state", "\"completed\"");
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/0/status", Value::Null)
        });
        assert_single(&v, "/messages/0/status", "not nullable");
    }

    #[test]
    fn a_sid_not_matching_its_pattern_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(
                b,
                "/messages/0/sid",
                json!("XXded05904ccb347238880ca9264e8fe1c"),
            )
        });
        assert_single(&v, "/messages/0/sid", "^(SM|MM)[0-9a-fA-F]{32}$");
    }

    #[test]
    fn a_too_short_sid_is_reported_by_length_and_pattern() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/0/account_sid", json!("ACaaaa"))
        });
        assert_eq!(v.len(), 2, "{}", openapi::report(&v));
        assert!(v[0].expected.contains("at least 34"), "{}", v[0]);
        assert!(v[1].expected.contains("matching"), "{}", v[1]);
    }

    #[test]
    fn an_iso_date_where_rfc_2822_is_declared_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(b, "/messages/0/date_sent", json!("2019-05-24T17:44:50Z"))
        });
        assert_single(&v, "/messages/0/date_sent", "date-time-rfc-2822");
    }

    #[test]
    fn a_non_gmt_rfc_2822_date_is_reported_only_under_fidelity() {
        let mut body = messages_example();
        set(
            &mut body,
            "/messages/0/date_sent",
            json!("Fri, 24 May 2019 19:44:50 +0200"),
        );
        let spec = openapi::spec(endpoints::MESSAGES.spec);
        let v = spec.validate(schema_of(&endpoints::MESSAGES), &body, Options::FIDELITY);
        assert_single(&v, "/messages/0/date_sent", "GMT (+0000)");
        let v = spec.validate(schema_of(&endpoints::MESSAGES), &body, Options::EXAMPLES);
        assert!(v.is_empty(), "{}", openapi::report(&v));
    }

    #[test]
    fn an_rfc_2822_date_where_iso_8601_is_declared_is_reported() {
        let body = openapi::example("twilio_monitor_v1/GET__v1_Alerts__200__readFull.json");
        let v = violations_after(&endpoints::ALERTS, body, |b| {
            set(
                b,
                "/alerts/0/date_created",
                json!("Thu, 30 Jul 2015 20:00:00 +0000"),
            )
        });
        assert_single(&v, "/alerts/0/date_created", "date-time");
    }

    #[test]
    fn a_malformed_usage_date_is_reported() {
        let ep = endpoints::usage("Daily");
        let body = openapi::example(
            "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Usage_Records_Daily_json__200__readFull.json",
        );
        let v = violations_after(&ep, body, |b| {
            set(b, "/usage_records/0/start_date", json!("2011-8-23"))
        });
        assert_single(&v, "/usage_records/0/start_date", "format date");
    }

    #[test]
    fn usage_price_must_be_a_decimal_string_as_twilio_sends_it() {
        let ep = endpoints::usage("Daily");
        let body = openapi::example(
            "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Usage_Records_Daily_json__200__readFull.json",
        );
        let v = violations_after(&ep, body.clone(), |b| {
            set(b, "/usage_records/0/price", json!(0.5))
        });
        assert_single(&v, "/usage_records/0/price", "decimal number in a string");
        let v = violations_after(&ep, body.clone(), |b| {
            set(b, "/usage_records/0/price", json!("12,50"))
        });
        assert_single(&v, "/usage_records/0/price", "decimal number in a string");
        let v = violations_after(&ep, body, |b| {
            set(b, "/usage_records/0/price", json!("-0.00750"))
        });
        assert!(v.is_empty(), "{}", openapi::report(&v));
    }

    #[test]
    fn a_relative_uri_with_a_space_is_reported() {
        let v = violations_after(&endpoints::MESSAGES, messages_example(), |b| {
            set(
                b,
                "/next_page_uri",
                json!("/2010-04-01/Accounts/AC1/Messages.json?To=a b"),
            )
        });
        assert_single(&v, "/next_page_uri", "format uri");
    }

    #[test]
    fn an_unknown_key_is_reported_only_when_strict() {
        let mut body = messages_example();
        body["messages"][0]["priority"] = json!("high");
        let spec = openapi::spec(endpoints::MESSAGES.spec);
        let schema = schema_of(&endpoints::MESSAGES);
        let strict = spec.validate(schema, &body, Options::FIDELITY);
        assert_single(&strict, "/messages/0", "only keys the schema lists");
        let lax = Options {
            strictness: Strictness::SpecOnly,
            ..Options::FIDELITY
        };
        assert!(spec.validate(schema, &body, lax).is_empty());
    }

    #[test]
    fn json_pointers_escape_slash_and_tilde() {
        let schema = json!({"type": "object", "properties": {"a/b~c": {"type": "integer"}}});
        let v = openapi::spec("twilio_monitor_v1").validate(
            &schema,
            &json!({"a/b~c": "x"}),
            Options::RAW,
        );
        assert_single(&v, "/a~1b~0c", "integer");
    }

    #[test]
    fn the_pattern_matcher_handles_the_spec_patterns() {
        let cases = [
            (
                "^AC[0-9a-fA-F]{32}$",
                "AC0123456789abcdef0123456789ABCDEF",
                true,
            ),
            (
                "^AC[0-9a-fA-F]{32}$",
                "AC0123456789abcdef0123456789ABCDE",
                false,
            ),
            (
                "^AC[0-9a-fA-F]{32}$",
                "AC0123456789abcdef0123456789ABCDEF0",
                false,
            ),
            (
                "^AC[0-9a-fA-F]{32}$",
                "AC0123456789abcdef0123456789ABCDEG",
                false,
            ),
            (
                "^(SM|MM)[0-9a-fA-F]{32}$",
                "MM0123456789abcdef0123456789abcdef",
                true,
            ),
            (
                "^(SM|MM)[0-9a-fA-F]{32}$",
                "SN0123456789abcdef0123456789abcdef",
                false,
            ),
            (
                "^[a-zA-Z]{2}[0-9a-fA-F]{32}$",
                "zZ0123456789abcdef0123456789abcdef",
                true,
            ),
            (
                "^[a-zA-Z]{2}[0-9a-fA-F]{32}$",
                "z10123456789abcdef0123456789abcdef",
                false,
            ),
            ("b+c", "aabbbcd", true),
            ("^b+c", "aabbbcd", false),
            ("^a(b|cd)*e?$", "abcdbcd", true),
            ("^a(b|cd)*e?$", "abce", false),
            ("^\\d{2,3}-\\w+$", "123-ok_1", true),
            ("^\\d{2,3}-\\w+$", "1234-ok", false),
            ("^[^/]+\\.json$", "Messages.json", true),
            ("^[^/]+\\.json$", "a/Messages.json", false),
            (
                "^(a*)*b$",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
        ];
        for (pattern, text, expected) in cases {
            let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(re.is_match(text), expected, "{pattern} on {text:?}");
        }
        for bad in ["(a", "a)", "[a-", "*a", "a{2", "(?i)a", "\\p{L}"] {
            assert!(Regex::new(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_formats_accept_twilio_shapes_and_refuse_others() {
        let cases = [
            (
                "date-time-rfc-2822",
                "Fri, 24 May 2019 17:44:50 +0000",
                true,
            ),
            (
                "date-time-rfc-2822",
                "Fri, 24 May 2019 17:44:50 +0200",
                true,
            ),
            ("date-time-rfc-2822", "Fri, 24 May 2019 17:44:50", false),
            (
                "date-time-rfc-2822",
                "Mon, 24 May 2019 17:44:50 +0000",
                false,
            ),
            ("date-time-rfc-2822", "2019-05-24T17:44:50Z", false),
            ("date-time", "2015-07-30T20:12:31Z", true),
            ("date-time", "2015-07-30T20:12:31.123+01:00", true),
            ("date-time", "2015-07-30T20:12:31", false),
            ("date-time", "2015-07-30", false),
            ("date", "2019-06-24", true),
            ("date", "2019-02-29", false),
            ("date", "2019-6-24", false),
            ("date", "2019-06-24T00:00:00Z", false),
            (
                "uri",
                "/2010-04-01/Accounts/AC1/Messages.json?To=%2B1&Page=0",
                true,
            ),
            (
                "uri",
                "https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=0",
                true,
            ),
            ("uri", "//evil.example/x", false),
            ("uri", "", false),
            ("uri", "Messages.json", false),
            ("phone-number", "not checked", true),
        ];
        for (format, value, ok) in cases {
            assert_eq!(
                formats::check(format, value).is_ok(),
                ok,
                "{format} {value:?}"
            );
        }
    }
}
