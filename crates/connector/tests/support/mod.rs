//! Shared test helpers: credentials, a connector pointed at a local server, and a small HTTP
//! server that answers with crafted pages (for links and faults the simulator cannot produce).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Response, Uri};
use connector::{BaseUrl, Connector, ConnectorConfig, Credentials, RetryPolicy};
use domain::Secret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const SECRET: &str = "s3cr3t-d0-n0t-l0g-m3-7f3a9c1e5b2d";

pub fn creds() -> Credentials {
    Credentials::parse(ACCOUNT, KEY, Secret::new(SECRET)).unwrap()
}

/// Quick retries so fault tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_total_wait: Duration::from_secs(5),
    }
}

pub fn connector_to(base_url: &str, tweak: impl FnOnce(&mut ConnectorConfig)) -> Connector {
    let mut config = ConnectorConfig {
        base_url: Some(BaseUrl::parse(base_url).unwrap()),
        retry: fast_retry(),
        ..ConnectorConfig::default()
    };
    tweak(&mut config);
    Connector::new(config).unwrap()
}

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(value: serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn status(status: u16, value: serde_json::Value) -> Self {
        Self {
            status,
            ..Self::json(value)
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// What the crafted server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path_and_query: String,
    pub host: Option<String>,
    pub authorization: Option<String>,
    pub accept_encoding: Option<String>,
}

/// Answers each `path?query` with its queue of replies (the last one repeats); anything else is a
/// Twilio-style 404.
pub struct Crafted {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Crafted {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub async fn crafted(routes: Vec<(&str, Vec<Reply>)>) -> Crafted {
    let routes: HashMap<String, Vec<Reply>> =
        routes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let routes = Arc::new(Mutex::new(routes));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_handler = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let routes = routes.clone();
        let seen = seen_by_handler.clone();
        async move {
            let key = uri.path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_default();
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            seen.lock().unwrap().push(Seen {
                path_and_query: key.clone(),
                host: header("host"),
                authorization: header("authorization"),
                accept_encoding: header("accept-encoding"),
            });
            let reply = {
                let mut routes = routes.lock().unwrap();
                match routes.get_mut(&key) {
                    Some(queue) if queue.len() > 1 => Some(queue.remove(0)),
                    Some(queue) => queue.first().cloned(),
                    None => None,
                }
            };
            let reply = reply.unwrap_or_else(|| {
                Reply::status(404, serde_json::json!({"code": 20404, "message": format!("The requested resource {key} was not found"), "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))
            });
            let mut response = Response::builder().status(reply.status);
            for (name, value) in &reply.headers {
                response = response.header(*name, value);
            }
            response.body(Body::from(reply.body)).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Crafted {
        base_url: format!("http://{addr}"),
        seen,
    }
}

/// A one-item page in the product-API envelope linking to `next`.
pub fn meta_page(next: Option<&str>) -> serde_json::Value {
    serde_json::json!({"meta": {"key": "items", "next_page_url": next, "page": 0, "page_size": 1}, "items": [{"sid": "XX1"}]})
}

/// A one-item page in the 2010 envelope linking to `next`.
pub fn flat_page(next: Option<&str>) -> serde_json::Value {
    serde_json::json!({"items": [{"sid": "XX1"}], "next_page_uri": next, "page": 0, "page_size": 1})
}

pub fn spec(host: &str, path: &str) -> twilio_request::RequestSpec {
    twilio_request::RequestSpec {
        host: host.into(),
        path: path.into(),
        params: vec![],
        headers: vec![],
        pagination: twilio_request::Pagination::NextPage,
    }
}

/// Runs a fetch that collects its pages.
pub async fn fetch_all(
    connector: &Connector,
    creds: &Credentials,
    spec: &twilio_request::RequestSpec,
) -> (
    Vec<connector::Page>,
    Result<connector::Ledger, connector::FetchFailed<std::convert::Infallible>>,
) {
    let mut pages = Vec::new();
    let result = connector
        .fetch(creds, spec, None, |page| {
            pages.push(page);
            Ok::<(), std::convert::Infallible>(())
        })
        .await;
    (pages, result)
}

/// A simulator with a small dataset on a fixed clock, and its dump (the expected values).
pub async fn sim(days: u32, messages_per_day: u32) -> (twilio_sim::SimHandle, serde_json::Value) {
    let config = twilio_sim::SimConfig {
        seed: 11,
        now: "2026-01-15T12:00:00Z".parse().unwrap(),
        sizes: twilio_sim::Sizes {
            days,
            messages_per_day,
            ..twilio_sim::Sizes::default()
        },
        faults: twilio_sim::Faults::default(),
        incidents: Vec::new(),
    };
    let handle = twilio_sim::spawn(config).await.unwrap();
    let dump = serde_json::to_value(handle.dataset()).unwrap();
    (handle, dump)
}

/// The main account's credentials with its Main or Standard key.
pub fn sim_creds(handle: &twilio_sim::SimHandle, key_type: twilio_sim::KeyType) -> Credentials {
    let account = handle.dataset().main_account();
    let key = account
        .keys
        .iter()
        .find(|k| k.key_type == key_type)
        .unwrap();
    Credentials::parse(&account.sid, &key.sid, Secret::new(key.secret.clone())).unwrap()
}

/// The `sid` of every record under `list` in the dump's main account, in order.
pub fn dump_sids(dump: &serde_json::Value, list: &str) -> Vec<String> {
    dump["accounts"][0][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sid"].as_str().unwrap().to_owned())
        .collect()
}

/// The `sid` of every record under `list` in the fetched pages, in order.
pub fn page_sids(pages: &[connector::Page], list: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| {
            p.value[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["sid"].as_str().unwrap().to_owned())
        })
        .collect()
}

pub fn with_params(
    mut spec: twilio_request::RequestSpec,
    params: &[(&str, &str)],
) -> twilio_request::RequestSpec {
    spec.params = params
        .iter()
        .map(|(k, v)| twilio_request::Param {
            key: k.to_string(),
            value: v.to_string(),
        })
        .collect();
    spec
}

pub const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";

/// Every page of `spec` as the connector hands it over as text.
pub async fn fetch_all_text(
    connector: &Connector,
    creds: &Credentials,
    spec: &twilio_request::RequestSpec,
) -> (
    Vec<connector::TextPage>,
    Result<connector::Ledger, connector::FetchFailed<std::convert::Infallible>>,
) {
    let mut pages = Vec::new();
    let result = connector
        .fetch_text_with(creds, spec, None, &Default::default(), |page| {
            pages.push(page);
            Ok::<(), std::convert::Infallible>(())
        })
        .await;
    (pages, result)
}
