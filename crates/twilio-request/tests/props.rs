//! Property tests: the validators and the token renderer never panic, and nothing they accept
//! could send a request anywhere but the Twilio host.

use proptest::prelude::*;
use twilio_request::{Window, render_tokens, resolve_next_link, validate_header, validate_path};

const HOST: &str = "api.twilio.com";

/// Parses what the connector would send and checks it stays on the host, with no user info and
/// with the path exactly as given (no dot segments for a parser to collapse).
fn stays_on_host(path_and_query: &str) {
    let url = url::Url::parse(&format!("https://{HOST}{path_and_query}"))
        .expect("accepted input parses as a URL");
    assert_eq!(url.host_str(), Some(HOST));
    assert_eq!(url.username(), "");
    assert_eq!(url.password(), None);
    assert_eq!(url.port(), None);
    let path = path_and_query.split('?').next().unwrap_or_default();
    assert_eq!(url.path(), path, "the URL parser rewrote the path");
}

/// Strings built from the pieces attacks are made of, so the search reaches interesting inputs
/// far more often than uniform strings would.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_string()),
        Just("//".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("@".to_string()),
        Just(":".to_string()),
        Just("\\".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just("%2e".to_string()),
        Just("%2F".to_string()),
        Just("%5c".to_string()),
        Just("%40".to_string()),
        Just("%25".to_string()),
        Just("%0d%0a".to_string()),
        Just("\r\n".to_string()),
        Just("https://".to_string()),
        Just("evil.com".to_string()),
        Just(HOST.to_string()),
        Just("{AccountSid}".to_string()),
        Just("{{date_from".to_string()),
        Just("}}".to_string()),
        Just("|".to_string()),
        "[a-zA-Z0-9]{1,4}",
        "\\PC{1,3}",
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_piece(), 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn accepted_paths_stay_on_the_host(path in prop_oneof![any::<String>(), hostile_string(), hostile_string().prop_map(|s| format!("/{s}"))]) {
        if validate_path(&path).is_ok() {
            stays_on_host(&path);
        }
    }

    #[test]
    fn accepted_links_stay_on_the_host(link in prop_oneof![any::<String>(), hostile_string(), hostile_string().prop_map(|s| format!("https://{HOST}{s}"))]) {
        if let Ok(resolved) = resolve_next_link(HOST, &link) {
            prop_assert!(resolved.starts_with('/'));
            stays_on_host(&resolved);
        }
    }

    #[test]
    fn accepted_headers_are_one_printable_line(name in prop_oneof![any::<String>(), "[A-Za-z-]{1,20}"], value in any::<String>()) {
        if validate_header(&name, &value).is_ok() {
            prop_assert!(http_safe(&name) && !value.contains(['\r', '\n', '\0']));
            prop_assert!(!name.eq_ignore_ascii_case("authorization") && !name.eq_ignore_ascii_case("host"));
        }
    }

    #[test]
    fn the_token_renderer_never_panics(template in prop_oneof![any::<String>(), hostile_string(), "\\{\\{date_(from|to)\\|%[a-zA-Z%:.0-9-]{0,6}\\}\\}"], from in 0i64..4_000_000_000, len in 0i64..400_000_000) {
        let from = jiff::Timestamp::from_second(from).unwrap();
        let to = jiff::Timestamp::from_second(from.as_second() + len).unwrap();
        let _ = render_tokens(&template, Some(&Window { from, to }));
        let _ = render_tokens(&template, None);
    }
}

fn http_safe(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

fn param_pair() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![any::<String>(), hostile_string()],
        prop_oneof![any::<String>(), hostile_string()],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    /// A whole spec: whatever renders stays on its host, and the query decodes back to exactly
    /// the parameters given (nothing can smuggle in another parameter or end the query).
    #[test]
    fn rendered_specs_stay_on_the_host(path in prop_oneof![any::<String>(), hostile_string().prop_map(|s| format!("/{s}"))], params in prop::collection::vec(param_pair(), 0..4)) {
        let spec = twilio_request::RequestSpec {
            host: HOST.into(),
            path,
            params: params.iter().map(|(k, v)| twilio_request::Param { key: k.clone(), value: v.clone() }).collect(),
            headers: vec![],
            pagination: twilio_request::Pagination::NextPage,
        };
        let account = domain::AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap();
        let window = Window { from: jiff::Timestamp::UNIX_EPOCH, to: jiff::Timestamp::UNIX_EPOCH };
        if let Ok(rendered) = spec.render(&account, Some(window)) {
            stays_on_host(&rendered.path_and_query());
            let url = url::Url::parse(&rendered.url()).unwrap();
            let decoded: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let expected: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.clone(), render_tokens(v, Some(&window)).unwrap()))
                .collect();
            prop_assert_eq!(decoded, expected);
        }
    }
}
