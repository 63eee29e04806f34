//! Finding 1 of issue 15: no credential Twilio returns (the Accounts list's `auth_token`, and
//! every response field the official specs describe as a token, secret or password) leaves the
//! connector. Each catalog endpoint whose response schema has such a field is served over
//! loopback HTTP, with a body built from where the catalog says the fields sit and, when the
//! shared fixtures are here, with each of the spec's own examples; the page handed over carries
//! the marker instead.

mod support;

use serde_json::{Value, json};
use support::*;
use twilio_catalog::{CREDENTIAL_FIELDS, Endpoint};

/// What a credential's value becomes, as documented (not taken from the code under test).
const MARKER: &str = "[redacted]";

/// The endpoint's path with each `{Placeholder}` filled with a SID-shaped value.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("a closed placeholder") + open;
        match &rest[open + 1..close] {
            "AccountSid" | "Sid" if path.starts_with("/2010-04-01/Accounts/{Sid}") => {
                out.push_str(ACCOUNT)
            }
            "AccountSid" => out.push_str(ACCOUNT),
            _ => out.push_str("ZZ0123456789abcdef0123456789abcdef"),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Sets `value` at a catalog path (`accounts[].auth_token`), making the objects and one-item
/// arrays on the way.
fn set_at(body: &mut Value, path: &str, value: Value) {
    let mut here = body;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let (name, arrays) = match segment.find("[]") {
            Some(at) => (&segment[..at], segment[at..].len() / 2),
            None => (*segment, 0),
        };
        let last = i + 1 == segments.len();
        let map = here.as_object_mut().expect("an object on the path");
        here = map.entry(name).or_insert(Value::Null);
        for _ in 0..arrays {
            if !here.is_array() {
                *here = json!([{}]);
            }
            here = &mut here.as_array_mut().unwrap()[0];
        }
        if last {
            *here = value.clone();
        } else if !here.is_object() {
            *here = json!({});
        }
    }
}

/// Every value at a catalog path (all items of its arrays).
fn values_at<'v>(body: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut here = vec![body];
    for segment in path.split('.') {
        let (name, arrays) = match segment.find("[]") {
            Some(at) => (&segment[..at], segment[at..].len() / 2),
            None => (segment, 0),
        };
        here = here.into_iter().filter_map(|v| v.get(name)).collect();
        for _ in 0..arrays {
            here = here
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .collect();
        }
    }
    here
}

fn with_credentials() -> Vec<&'static Endpoint> {
    let all: Vec<&Endpoint> = twilio_catalog::catalog()
        .iter()
        .filter(|e| !e.credential_fields.is_empty())
        .collect();
    assert!(
        all.iter().any(|e| e.path == "/2010-04-01/Accounts.json"
            && e.credential_fields == ["accounts[].auth_token"]),
        "the catalog must know the Accounts list carries auth tokens"
    );
    all
}

/// Serves `body` at the endpoint's path and returns the one page the connector hands over.
async fn through_connector(endpoint: &Endpoint, body: Value) -> Value {
    let path = concrete(&endpoint.path);
    let server = crafted(vec![(path.as_str(), vec![Reply::json(body)])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let mut request = spec(&endpoint.host, &path);
    // The examples' next links lead nowhere here; one page is what is being checked.
    request.pagination = twilio_request::Pagination::None;
    let (mut pages, result) = fetch_all(&connector, &creds(), &request).await;
    result.unwrap_or_else(|e| panic!("{} {}: {}", endpoint.host, endpoint.path, e.error));
    assert_eq!(server.seen()[0].path_and_query, path);
    pages.remove(0).value
}

#[tokio::test]
async fn auth_tokens_of_the_accounts_list_and_every_credential_in_the_catalog_come_out_redacted() {
    let endpoints = with_credentials();
    for (i, endpoint) in endpoints.iter().enumerate() {
        let mut body = json!({"sid": "ZZ0123456789abcdef0123456789abcdef", "status": "active"});
        let mut secrets = Vec::new();
        for (j, path) in endpoint.credential_fields.iter().enumerate() {
            let secret = format!("e{i}f{j}-0f9e8d7c6b5a49382716");
            set_at(&mut body, path, json!(secret));
            secrets.push(secret);
        }
        let page = through_connector(endpoint, body.clone()).await;
        let text = page.to_string();
        for (path, secret) in endpoint.credential_fields.iter().zip(&secrets) {
            assert!(
                !text.contains(secret.as_str()),
                "{} {}: {path} came through",
                endpoint.host,
                endpoint.path
            );
            let values = values_at(&page, path);
            assert!(!values.is_empty(), "{}: {path} is gone", endpoint.path);
            assert!(
                values.iter().all(|v| *v == MARKER),
                "{}: {path}",
                endpoint.path
            );
        }
        assert_eq!(
            page["status"], "active",
            "the rest of the page is untouched"
        );
    }
}

/// `expected` as the connector should hand it over: every credential's non-null value is the
/// marker, everything else as Twilio sent it. Written here, apart from the connector's walk.
fn redacted_copy(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if CREDENTIAL_FIELDS.contains(&k.as_str()) && !v.is_null() {
                        json!(MARKER)
                    } else {
                        redacted_copy(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted_copy).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_official_examples_of_every_endpoint_with_credentials_come_out_redacted() {
    let Some(index) = test_support::shared_fixture("twilio/examples/index.json") else {
        return;
    };
    let examples = index.parent().expect("the examples folder").to_path_buf();
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&index).expect("read the index"))
            .expect("the index is JSON");
    let mut checked = 0;
    let mut credentials_seen = 0;
    for endpoint in with_credentials() {
        let files: Vec<&str> = index
            .iter()
            .filter(|row| {
                row["method"] == "GET"
                    && row["status"] == 200
                    && row["path"] == endpoint.path.as_str()
                    && row["server"] == format!("https://{}", endpoint.host)
            })
            .filter_map(|row| row["file"].as_str())
            .collect();
        assert!(
            !files.is_empty(),
            "no official example of {}",
            endpoint.path
        );
        for file in files {
            let text = std::fs::read_to_string(examples.join(file)).expect("read an example");
            let example: Value = serde_json::from_str(&text).expect("an example is JSON");
            let page = through_connector(endpoint, example.clone()).await;
            assert_eq!(page, redacted_copy(&example), "{file}");
            credentials_seen += endpoint
                .credential_fields
                .iter()
                .flat_map(|path| values_at(&example, path))
                .filter(|v| !v.is_null())
                .count();
            checked += 1;
        }
    }
    // Accounts (empty and full lists, one account), a port-in number, a Verify access token.
    assert_eq!(checked, 5);
    assert!(
        credentials_seen >= 4,
        "only {credentials_seen} credentials in the examples"
    );
}
