//! Generates `catalog.json` from the official OpenAPI specs (in the style of rust-analyzer's
//! "sourcegen" tests): the test regenerates the catalog and fails if the committed file differs.
//! `UPDATE_CATALOG=1 cargo test -p twilio-catalog --test sourcegen` rewrites it.
//!
//! Why a test and not `build.rs`: the specs live outside the repository (`../shared`), and a
//! fresh clone without them must still build; the committed file is what the binary embeds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use twilio_catalog::{Endpoint, QueryParam};

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.json");

/// A description longer than this is cut at a word boundary: the catalog stays small.
const MAX_TEXT: usize = 200;

/// Twilio documents these 2010 API resources on their product's pages.
const V2010_DOCS: &[(&str, &str)] = &[
    ("/Messages.json", "messaging/api/message-resource"),
    ("/Messages/{Sid}.json", "messaging/api/message-resource"),
    ("/Calls.json", "voice/api/call-resource"),
    ("/Calls/{Sid}.json", "voice/api/call-resource"),
    ("/Conferences.json", "voice/api/conference-resource"),
    ("/Recordings.json", "voice/api/recording"),
    (
        "/IncomingPhoneNumbers.json",
        "phone-numbers/api/incomingphonenumber-resource",
    ),
    ("/Usage/Records", "usage/api/usage-record"),
    ("/Usage/Triggers", "usage/api/usage-trigger"),
    ("/Queues.json", "voice/api/queue-resource"),
];

/// `twilio_messaging_v1` → `messaging v1`.
fn product_of(stem: &str) -> String {
    stem.trim_start_matches("twilio_").replace('_', " ")
}

fn docs_of(product: &str, path: &str) -> String {
    let base = "https://www.twilio.com/docs/";
    if product == "api v2010" {
        if let Some((_, page)) = V2010_DOCS.iter().find(|(tail, _)| path.contains(tail)) {
            return format!("{base}{page}");
        }
        return format!("{base}usage/api");
    }
    let first = product.split(' ').next().unwrap_or(product);
    let page = match first {
        "accounts" | "iam" | "oauth" | "preview-iam" => "iam",
        "bulkexports" => "usage/bulkexport",
        "ip" | "chat" => "conversations",
        "lookups" => "lookup",
        "numbers" => "phone-numbers",
        "messaging" | "voice" | "verify" | "conversations" | "video" | "sync" | "studio"
        | "taskrouter" | "proxy" | "notify" | "serverless" => {
            return format!("{base}{first}/api");
        }
        other => other,
    };
    format!("{base}{page}")
}

/// Markdown links become their text, whitespace collapses, and the text stops after its first
/// sentence (or `MAX_TEXT` bytes, at a word boundary).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find("](") {
            Some(mid) if !after[..mid].contains('[') => {
                let link = &after[mid + 2..];
                match link.find(')') {
                    Some(close) => {
                        out.push_str(&after[..mid]);
                        rest = &link[close + 1..];
                    }
                    None => {
                        out.push('[');
                        rest = after;
                    }
                }
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut text = String::new();
    for w in words {
        if text.len() + w.len() + 1 > MAX_TEXT {
            text.push('…');
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(w);
        if w.ends_with('.') && !w.ends_with("e.g.") && !w.ends_with("i.e.") {
            break;
        }
    }
    text
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            spec.pointer(pointer).unwrap_or(schema)
        }
        None => schema,
    }
}

fn list_key(spec: &Value, get: &Value) -> Option<String> {
    let schema = get.pointer("/responses/200/content/application~1json/schema")?;
    let props = resolve(spec, schema).get("properties")?.as_object()?;
    let paged = props.contains_key("meta") || props.contains_key("next_page_uri");
    if !paged {
        return None;
    }
    props
        .iter()
        .find(|(k, v)| {
            k.as_str() != "meta" && resolve(spec, v).get("type") == Some(&"array".into())
        })
        .map(|(k, _)| k.clone())
}

/// Walks a schema through `$ref`s, `items`, `properties`, `additionalProperties` and
/// `allOf`/`oneOf`/`anyOf`, calling `visit` with the path of each property (`a[].b`) and its
/// name. A component already on the way down is not entered again (the specs have cycles).
fn walk_properties(
    spec: &Value,
    schema: &Value,
    path: &str,
    stack: &mut Vec<String>,
    visit: &mut dyn FnMut(&str, &str) -> Descend,
) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) || stack.len() > 40 {
            return;
        }
        let Some(target) = spec.pointer(reference.trim_start_matches('#')) else {
            return;
        };
        stack.push(reference.to_owned());
        walk_properties(spec, target, path, stack, visit);
        stack.pop();
        return;
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            let here = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if visit(&here, name) == Descend::Yes {
                walk_properties(spec, sub, &here, stack, visit);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        walk_properties(spec, items, &format!("{path}[]"), stack, visit);
    }
    if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
        walk_properties(spec, extra, &format!("{path}.*"), stack, visit);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk_properties(spec, sub, path, stack, visit);
        }
    }
}

#[derive(PartialEq, Eq)]
enum Descend {
    Yes,
    No,
}

/// Where the 200 response of a GET carries credentials. A credential's own value is not
/// entered: the connector replaces it whole.
fn credential_paths(spec: &Value, get: &Value) -> Vec<String> {
    let Some(schema) = get.pointer("/responses/200/content/application~1json/schema") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk_properties(spec, schema, "", &mut Vec::new(), &mut |path, name| {
        if twilio_catalog::CREDENTIAL_FIELDS.contains(&name) {
            found.push(path.to_owned());
            Descend::No
        } else {
            Descend::Yes
        }
    });
    found.sort();
    found.dedup();
    found
}

/// Every property name of every response schema (any method, any status) in the specs, with
/// one place it occurs (`spec METHOD path`).
fn response_property_names(dir: &Path) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for file in spec_files(dir) {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let spec = read_spec(&file);
        let empty = Map::new();
        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let responses = operation.get("responses").and_then(Value::as_object);
                for response in responses.into_iter().flat_map(|r| r.values()) {
                    let contents = response.get("content").and_then(Value::as_object);
                    for content in contents.into_iter().flat_map(|c| c.values()) {
                        let Some(schema) = content.get("schema") else {
                            continue;
                        };
                        walk_properties(&spec, schema, "", &mut Vec::new(), &mut |_, name| {
                            names.entry(name.to_owned()).or_insert_with(|| {
                                format!("{stem} {} {path}", method.to_uppercase())
                            });
                            Descend::Yes
                        });
                    }
                }
            }
        }
    }
    names
}

fn host_of(servers: Option<&Value>) -> Option<String> {
    let url = servers?.get(0)?.get("url")?.as_str()?;
    Some(
        url.trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned(),
    )
}

fn endpoints_of(stem: &str, spec: &Value) -> Vec<Endpoint> {
    let product = product_of(stem);
    let top_host = host_of(spec.get("servers"));
    let empty = Map::new();
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut out = Vec::new();
    for (path, item) in paths {
        let Some(get) = item.get("get") else { continue };
        let Some(host) = host_of(item.get("servers")).or_else(|| top_host.clone()) else {
            continue;
        };
        let summary = [
            get.get("summary"),
            get.get("description"),
            item.get("description"),
        ]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|s| !s.trim().is_empty())
        .map(plain)
        .unwrap_or_default();
        let params = get
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| resolve(spec, p))
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                    // The connector follows Twilio's next-page links itself; a hand-set page
                    // or page token would fight it.
                    .filter(|p| {
                        !matches!(
                            p.get("name").and_then(Value::as_str),
                            Some("Page" | "PageToken")
                        )
                    })
                    .filter_map(|p| {
                        Some(QueryParam {
                            name: p.get("name")?.as_str()?.to_owned(),
                            description: p
                                .get("description")
                                .and_then(Value::as_str)
                                .map(plain)
                                .unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Endpoint {
            docs: docs_of(&product, path),
            host,
            path: path.clone(),
            summary,
            product: product.clone(),
            list_key: list_key(spec, get),
            params,
            credential_fields: credential_paths(spec, get),
        });
    }
    out
}

fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the specs folder is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn read_spec(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).expect("spec readable");
    serde_json::from_str(&text).expect("spec is JSON")
}

fn generate(dir: &Path) -> String {
    let mut all: BTreeMap<(String, String), Endpoint> = BTreeMap::new();
    for file in spec_files(dir) {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let spec = read_spec(&file);
        for e in endpoints_of(&stem, &spec) {
            all.entry((e.host.clone(), e.path.clone())).or_insert(e);
        }
    }
    let lines: Vec<String> = all
        .values()
        .map(|e| serde_json::to_string(e).expect("an endpoint serializes"))
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

#[test]
fn catalog_json_is_generated_from_the_official_specs() {
    let Some(dir) = test_support::shared_fixture("twilio/oai/json") else {
        return;
    };
    let fresh = generate(&dir);
    let committed = std::fs::read_to_string(CATALOG).unwrap_or_default();
    if fresh == committed {
        return;
    }
    if std::env::var("UPDATE_CATALOG").is_ok_and(|v| v == "1") {
        std::fs::write(CATALOG, &fresh).expect("catalog.json writable");
        eprintln!("catalog.json rewritten from the specs");
        return;
    }
    panic!(
        "crates/twilio-catalog/catalog.json differs from what the specs give; \
         rerun with UPDATE_CATALOG=1 and commit the file"
    );
}

/// The credential list cannot drift from the specs: a response property that reads like a
/// credential must be classified (redacted, or named harmless with a reason), and a listed
/// credential must still be in some response.
#[test]
fn every_credential_looking_response_field_in_the_specs_is_classified() {
    let Some(dir) = test_support::shared_fixture("twilio/oai/json") else {
        return;
    };
    let names = response_property_names(&dir);
    let known = |name: &str| {
        twilio_catalog::CREDENTIAL_FIELDS.contains(&name)
            || twilio_catalog::NOT_CREDENTIALS
                .iter()
                .any(|(n, _)| *n == name)
    };
    let unclassified: Vec<String> = names
        .iter()
        .filter(|(name, _)| twilio_catalog::looks_like_credential(name) && !known(name))
        .map(|(name, place)| format!("{name} (in {place})"))
        .collect();
    assert!(
        unclassified.is_empty(),
        "response fields that may be credentials: add each to CREDENTIAL_FIELDS (redacted) or \
         NOT_CREDENTIALS (with the reason) in crates/twilio-catalog/src/credentials.rs, then \
         rerun with UPDATE_CATALOG=1:\n{}",
        unclassified.join("\n")
    );
    let listed = twilio_catalog::CREDENTIAL_FIELDS
        .iter()
        .copied()
        .chain(twilio_catalog::NOT_CREDENTIALS.iter().map(|(n, _)| *n));
    let stale: Vec<&str> = listed.filter(|n| !names.contains_key(*n)).collect();
    assert!(
        stale.is_empty(),
        "no response in the specs has these fields any more; remove them: {stale:?}"
    );
}

#[test]
fn the_accounts_list_and_the_account_carry_their_auth_token_where_the_catalog_says() {
    let list = twilio_catalog::find("api.twilio.com", "/2010-04-01/Accounts.json")
        .expect("the Accounts list is in the catalog");
    assert_eq!(list.credential_fields, ["accounts[].auth_token"]);
    let one = twilio_catalog::find("api.twilio.com", "/2010-04-01/Accounts/{Sid}.json")
        .expect("the Account is in the catalog");
    assert_eq!(one.credential_fields, ["auth_token"]);
}

#[test]
fn every_endpoint_is_on_a_twilio_host_and_documented() {
    let all = twilio_catalog::catalog();
    assert!(all.len() > 500, "only {} endpoints", all.len());
    for e in all {
        assert!(twilio_request::is_twilio_host(&e.host), "{e:?}");
        assert!(e.path.starts_with('/'), "{e:?}");
        assert!(e.docs.starts_with("https://www.twilio.com/docs/"), "{e:?}");
    }
    let messages = twilio_catalog::find(
        "api.twilio.com",
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    )
    .expect("the messages list is in the catalog");
    assert_eq!(messages.list_key.as_deref(), Some("messages"));
    assert!(messages.params.iter().any(|p| p.name == "DateSent>"));
    assert!(messages.placeholders().is_empty());
}

#[test]
fn search_puts_the_matching_list_endpoints_first() {
    let hits = twilio_catalog::search("messages");
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .take(5)
            .any(|e| e.path == "/2010-04-01/Accounts/{AccountSid}/Messages.json"),
        "{:?}",
        hits.iter().take(5).map(|e| &e.path).collect::<Vec<_>>()
    );
    assert!(twilio_catalog::search("").is_empty());
    assert!(twilio_catalog::search("no-such-thing-anywhere").is_empty());
    for e in twilio_catalog::search("usage records") {
        let text = format!(
            "{} {} {}",
            e.path,
            e.summary,
            e.list_key.as_deref().unwrap_or("")
        )
        .to_lowercase();
        assert!(text.contains("usage") && text.contains("records"), "{e:?}");
    }
}
