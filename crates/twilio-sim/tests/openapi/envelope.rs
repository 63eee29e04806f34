//! Checks of list envelopes and record links against the spec's own examples (facts §2):
//! the test helpers panic with a message naming what differs.

use super::endpoints::{Endpoint, Envelope};
use serde_json::Value;

/// Decoded query pairs of a URI or URL, in order.
pub fn query_pairs(link: &str) -> Vec<(String, String)> {
    let query = link.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(link: &str, name: &str) -> Option<String> {
    query_pairs(link)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn key_set(value: &Value) -> std::collections::BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The link to follow for the next page, as a path and query on the simulator.
pub fn local_link(ep: &Endpoint, link: &str) -> String {
    match ep.envelope {
        Envelope::Meta(_) => link
            .strip_prefix(&format!("https://{}", ep.host))
            .unwrap_or_else(|| panic!("{link} is not on https://{}", ep.host))
            .to_string(),
        _ => link.to_string(),
    }
}

/// Checks one list page against the shape every official example of the endpoint shows,
/// and the paging rules of facts §2. Returns the next link, if any.
pub fn check_list_page(
    ep: &Endpoint,
    path: &str,
    body: &Value,
    page: u64,
    page_size: u64,
) -> Option<String> {
    use Envelope;
    let examples = ep.examples();
    assert!(!examples.is_empty());
    for (name, file) in &examples {
        let example = super::example(file);
        assert_eq!(
            key_set(body),
            key_set(&example),
            "top-level keys differ from the spec example {name}"
        );
        if let Envelope::Meta(_) = ep.envelope {
            assert_eq!(
                key_set(&body["meta"]),
                key_set(&example["meta"]),
                "meta keys differ from the spec example {name}"
            );
        }
    }
    let (list_key, links, prefix) = match ep.envelope {
        Envelope::Flat(key) => (key, body, path.to_string()),
        Envelope::Meta(key) => {
            assert_eq!(body["meta"]["key"], key, "meta.key");
            (key, &body["meta"], format!("https://{}{path}", ep.host))
        }
        Envelope::Instance => unreachable!("not a list"),
    };
    let suffix = if matches!(ep.envelope, Envelope::Flat(_)) {
        "uri"
    } else {
        "url"
    };
    let link = |name: &str| links[format!("{name}_{suffix}")].clone();
    let records = body[list_key].as_array().expect("list is an array");
    assert!(records.len() as u64 <= page_size);
    assert_eq!(links["page"], page, "page");
    assert_eq!(links["page_size"], page_size, "page_size");

    for name in ["first_page", "previous_page", "next_page", ""] {
        let key = if name.is_empty() {
            suffix.to_string()
        } else {
            format!("{name}_{suffix}")
        };
        let Some(value) = links[&key].as_str() else {
            continue;
        };
        assert!(
            value.starts_with(&format!("{prefix}?")),
            "{key} = {value} does not start with {prefix}?"
        );
        assert_eq!(
            param(value, "PageSize").as_deref(),
            Some(page_size.to_string().as_str()),
            "{key} = {value}: PageSize"
        );
        if matches!(ep.envelope, Envelope::Flat(_)) {
            // 2010 appends PageSize and Page last (and PageToken after them).
            let names: Vec<String> = query_pairs(value).into_iter().map(|(k, _)| k).collect();
            let tail: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| *n != "PageToken")
                .rev()
                .take(2)
                .collect();
            assert_eq!(tail, ["Page", "PageSize"], "{key} = {value}: order");
            if names.iter().any(|n| n == "PageToken") {
                assert_eq!(
                    names.last().map(String::as_str),
                    Some("PageToken"),
                    "{value}"
                );
            }
        }
    }
    let first = link("first_page");
    let first = first.as_str().expect("first page link is a string");
    assert_eq!(param(first, "Page").as_deref(), Some("0"), "{first}");
    assert_eq!(param(first, "PageToken"), None, "{first}");
    let own = links[suffix].as_str().expect("own link is a string");
    assert_eq!(
        param(own, "Page").as_deref(),
        Some(page.to_string().as_str()),
        "{own}"
    );
    if page == 0 {
        assert!(
            link("previous_page").is_null(),
            "previous link on page 0: {}",
            link("previous_page")
        );
    } else {
        let previous = link("previous_page");
        let previous = previous.as_str().expect("previous link after page 0");
        assert_eq!(
            param(previous, "Page").as_deref(),
            Some((page - 1).to_string().as_str())
        );
        let token = param(previous, "PageToken").expect("previous link has a PageToken");
        assert!(token.starts_with("PB"), "previous PageToken {token}");
        assert!(
            param(own, "PageToken").is_some(),
            "{own}: own link keeps its token"
        );
    }
    if let Envelope::Flat(_) = ep.envelope {
        let (start, end) = (body["start"].as_u64(), body["end"].as_u64());
        let expected_start = if records.is_empty() {
            0
        } else {
            page * page_size
        };
        let expected_end = if records.is_empty() {
            0
        } else {
            expected_start + records.len() as u64 - 1
        };
        assert_eq!(
            (start, end),
            (Some(expected_start), Some(expected_end)),
            "start/end"
        );
    }
    let next = link("next_page");
    let next = next.as_str()?;
    assert_eq!(
        param(next, "Page").as_deref(),
        Some((page + 1).to_string().as_str()),
        "{next}"
    );
    let token = param(next, "PageToken").expect("next link has a PageToken");
    assert!(token.starts_with("PA"), "next PageToken {token}");
    assert_eq!(
        records.len() as u64,
        page_size,
        "a next link after a short page"
    );
    Some(next.to_string())
}

/// What kind of link a string is, judged by its start: a relative 2010 URI, an absolute URL
/// on a Twilio host (which host matters), or neither.
pub fn link_kind(value: &str) -> Option<String> {
    if value.starts_with("/2010-04-01/") {
        return Some("/2010-04-01/...".into());
    }
    let rest = value.strip_prefix("https://")?;
    let host = rest.split('/').next()?;
    host.ends_with(".twilio.com")
        .then(|| format!("https://{host}/..."))
}

/// Compares a simulated value with the spec example's value at the same place: wherever the
/// example holds a Twilio link, the simulator must hold the same kind of link, and wherever
/// it holds a number in a string, a number in a string (or null either way).
pub fn compare_link_kinds(example: &Value, actual: &Value, pointer: &str, out: &mut Vec<String>) {
    match (example, actual) {
        (Value::String(e), Value::String(a)) => {
            if let Some(kind) = link_kind(e)
                && link_kind(a).as_deref() != Some(kind.as_str())
            {
                out.push(format!("{pointer}: example has a {kind} link, got {a:?}"));
            }
            // Twilio's string-typed numbers (price, duration, num_segments, count, ...).
            if super::is_decimal(e) && !super::is_decimal(a) {
                out.push(format!(
                    "{pointer}: example has a number in a string ({e:?}), got {a:?}"
                ));
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                if let Some(a_value) = a.get(key) {
                    compare_link_kinds(e_value, a_value, &format!("{pointer}/{key}"), out);
                }
            }
        }
        _ => {}
    }
}

/// Link and number kinds of every record (or the instance) against every record of every
/// spec example.
pub fn check_record_links(ep: &Endpoint, body: &Value) {
    let records = |v: &Value| match ep.envelope {
        Envelope::Flat(k) | Envelope::Meta(k) => v[k].as_array().cloned().unwrap_or_default(),
        Envelope::Instance => vec![v.clone()],
    };
    let actual = records(body);
    let mut problems = Vec::new();
    for (name, file) in ep.examples() {
        for example in records(&super::example(&file)) {
            for (i, record) in actual.iter().enumerate() {
                let mut found = Vec::new();
                compare_link_kinds(&example, record, &format!("/{i}"), &mut found);
                problems.extend(found.into_iter().map(|p| format!("vs {name}: {p}")));
            }
        }
    }
    problems.dedup();
    problems.truncate(20);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
