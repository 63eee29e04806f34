//! The catalog of Twilio's GET endpoints, for the metric builder's path suggestions.
//!
//! `catalog.json` is generated from the official OpenAPI specs (`../shared/twilio/oai/json`) by
//! the test `tests/sourcegen.rs`, and committed. It is embedded here with `include_str!`, so the
//! binary never reads the specs, and a clone without them still builds. The test fails when the
//! committed file differs from what the specs give (`UPDATE_CATALOG=1` rewrites it).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod credentials;

pub use credentials::{CREDENTIAL_FIELDS, NOT_CREDENTIALS, looks_like_credential};

/// The committed catalog, one endpoint per line.
pub const CATALOG_JSON: &str = include_str!("../catalog.json");

/// One GET endpoint of a Twilio product host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The product host, one of `twilio_request::TWILIO_HOSTS`.
    pub host: String,
    /// The path template as the spec writes it (`/2010-04-01/Accounts/{AccountSid}/Messages.json`).
    pub path: String,
    /// What the endpoint returns, in Twilio's words.
    pub summary: String,
    /// The product and version the spec describes (`messaging v1`, `api v2010`).
    pub product: String,
    /// The key of the array of records in a list response (`messages`); `None` for a single
    /// resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<QueryParam>,
    /// A page of Twilio's documentation about it.
    pub docs: String,
    /// Where the response carries credentials ([`CREDENTIAL_FIELDS`]), as paths of property
    /// names with `[]` after an array (`accounts[].auth_token`). The connector redacts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParam {
    pub name: String,
    /// The first sentence of the spec's description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Endpoint {
    /// Whether the path needs values besides `{AccountSid}` (a resource SID) before it can run.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            if name != "AccountSid" {
                out.push(name);
            }
            rest = &after[close + 1..];
        }
        out
    }
}

/// Every endpoint, sorted by host then path.
pub fn catalog() -> &'static [Endpoint] {
    static CATALOG: OnceLock<Vec<Endpoint>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The file is generated and checked by a test; should it ever not parse, the builder
        // simply offers no suggestions rather than failing the app.
        serde_json::from_str(CATALOG_JSON).unwrap_or_default()
    })
}

/// The endpoint at exactly `host` and `path`.
pub fn find(host: &str, path: &str) -> Option<&'static Endpoint> {
    catalog().iter().find(|e| e.host == host && e.path == path)
}

/// Endpoints matching every word of `query` (case-insensitive) in their path, host, summary,
/// product or list key; best first: list endpoints (which make metrics) and matches in the path
/// rank higher, shorter paths before longer. An empty query matches nothing.
pub fn search(query: &str) -> Vec<&'static Endpoint> {
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == '/')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(i64, &Endpoint)> = catalog()
        .iter()
        .filter_map(|e| {
            let path = e.path.to_lowercase();
            let rest = format!(
                "{} {} {} {}",
                e.host,
                e.summary.to_lowercase(),
                e.product,
                e.list_key.as_deref().unwrap_or("")
            );
            let mut score = 0i64;
            for w in &words {
                if path.contains(w.as_str()) {
                    score += 10;
                } else if rest.contains(w.as_str()) {
                    score += 3;
                } else {
                    return None;
                }
            }
            if e.list_key.is_some() {
                score += 5;
            }
            if e.placeholders().is_empty() {
                score += 2;
            }
            Some((score, e))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.path.len().cmp(&b.1.path.len()))
            .then(a.1.path.cmp(&b.1.path))
    });
    scored.into_iter().map(|(_, e)| e).collect()
}
