//! Shared helpers: a simulator on loopback and a real HTTP client that talks to it the way a
//! Twilio client would (Host header + Basic auth).

#![allow(dead_code)]

use std::sync::Once;

use serde_json::Value;
use twilio_sim::{AccountData, SimConfig, SimHandle, Sizes};

pub const NOW: &str = "2026-03-15T12:34:56Z";

pub fn now() -> jiff::Timestamp {
    NOW.parse().expect("NOW is a valid timestamp")
}

/// Small sizes so debug-build tests stay fast.
pub fn small_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        now: now(),
        sizes: Sizes {
            messages_per_day: 40,
            calls_per_day: 15,
            days: 50,
            subaccounts: 1,
            conferences_per_day: 2,
            verify_attempts_per_day: 6,
            ..Sizes::default()
        },
        faults: Default::default(),
        incidents: Vec::new(),
    }
}

pub async fn start() -> SimHandle {
    start_with(small_config(7)).await
}

pub async fn start_with(config: SimConfig) -> SimHandle {
    twilio_sim::spawn(config)
        .await
        .expect("simulator starts on loopback")
}

static PROVIDER: Once = Once::new();

pub fn client() -> reqwest::Client {
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .build()
        .expect("reqwest client builds")
}

#[derive(Clone, Copy)]
pub enum Cred<'a> {
    Token(&'a AccountData),
    MainKey(&'a AccountData),
    StandardKey(&'a AccountData),
    Raw(&'a str, &'a str),
    None,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }
}

pub async fn get(sim: &SimHandle, host: &str, path_and_query: &str, cred: Cred<'_>) -> Reply {
    let url = format!("{}{}", sim.base_url(), path_and_query);
    let mut req = client().get(url).header("Host", host);
    req = match cred {
        Cred::Token(a) => req.basic_auth(&a.sid, Some(&a.auth_token)),
        Cred::MainKey(a) => {
            let k = a.main_key().expect("main key");
            req.basic_auth(&k.sid, Some(&k.secret))
        }
        Cred::StandardKey(a) => {
            let k = a.standard_key().expect("standard key");
            req.basic_auth(&k.sid, Some(&k.secret))
        }
        Cred::Raw(u, p) => req.basic_auth(u, Some(p)),
        Cred::None => req,
    };
    let resp = req.send().await.expect("request reaches the simulator");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body reads");
    Reply {
        status,
        headers,
        text,
    }
}

/// GET on api.twilio.com with the main account's Main key.
pub async fn api(sim: &SimHandle, path_and_query: &str) -> Reply {
    let a = sim.dataset().main_account();
    get(sim, "api.twilio.com", path_and_query, Cred::MainKey(a)).await
}

/// Follows `next_page_uri` (2010) or `meta.next_page_url` (product) from `first`, returning
/// every page body. Absolute links are mapped back to the simulator.
pub async fn walk(sim: &SimHandle, host: &str, first: &str, cred: Cred<'_>) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(link) = next {
        let path = match link.strip_prefix(&format!("https://{host}")) {
            Some(p) => p.to_string(),
            None => link.clone(),
        };
        let reply = get(sim, host, &path, cred).await;
        assert_eq!(reply.status, 200, "page {path} failed: {}", reply.text);
        let body = reply.json();
        next = body
            .get("next_page_uri")
            .or_else(|| body.get("meta").and_then(|m| m.get("next_page_url")))
            .and_then(Value::as_str)
            .map(str::to_string);
        pages.push(body);
        assert!(pages.len() < 10_000, "walk does not end");
    }
    pages
}

/// The dump JSON of a handle's dataset, as `switchboard sim dump` writes it.
pub fn dump(sim: &SimHandle) -> Value {
    serde_json::to_value(sim.dataset()).expect("dataset serializes")
}

/// Parses Twilio's RFC 2822 timestamps.
pub fn rfc2822(s: &str) -> jiff::Timestamp {
    jiff::fmt::rfc2822::parse(s)
        .unwrap_or_else(|e| panic!("{s} is not RFC 2822: {e}"))
        .timestamp()
}

/// Twilio money string to integer units of 0.00001 (`"-0.00790"` → -790).
pub fn money(s: &str) -> i64 {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 5, "more than 5 decimals in {s}");
    let frac = format!("{frac:0<5}");
    let v = int.parse::<i64>().unwrap() * 100_000 + frac.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// UTC day (`YYYY-MM-DD`) of an RFC 2822 timestamp.
pub fn day_of_rfc2822(s: &str) -> String {
    rfc2822(s)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

pub fn main_sid(sim: &SimHandle) -> String {
    sim.dataset().main_account().sid.clone()
}

/// The `sid`s of a list page (2010 or product) under `key`.
pub fn sids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list in {page}"))
        .iter()
        .map(|r| r["sid"].as_str().expect("sid").to_string())
        .collect()
}

/// Asserts a Twilio error body with this status and code.
pub fn assert_error(reply: &Reply, status: u16, code: u64) {
    assert_eq!(reply.status, status, "body: {}", reply.text);
    let body = reply.json();
    assert_eq!(body["code"], code, "body: {}", reply.text);
    assert_eq!(body["status"], status, "body: {}", reply.text);
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "body: {}",
        reply.text
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}
