//! Bad input never breaks the simulator: thousands of seeded random requests over real HTTP
//! get only well-formed Twilio errors or schema-valid pages, and the server stays up.

// For its endpoint table only: these tests read no spec, so they run without `../shared`.
#[path = "openapi/mod.rs"]
mod openapi;

use futures::StreamExt;
use openapi::endpoints::{self, Endpoint, Envelope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RANDOM_REQUESTS: usize = 3000;
const RAW_REQUESTS: usize = 400;

fn config() -> twilio_sim::SimConfig {
    twilio_sim::SimConfig {
        seed: 11,
        now: "2026-03-15T12:34:56Z".parse().expect("valid instant"),
        sizes: twilio_sim::Sizes {
            messages_per_day: 4,
            calls_per_day: 2,
            days: 12,
            subaccounts: 1,
            conferences_per_day: 1,
            verify_attempts_per_day: 2,
            phone_numbers: 2,
            messaging_services: 1,
            ..twilio_sim::Sizes::default()
        },
        faults: twilio_sim::Faults::default(),
        incidents: Vec::new(),
    }
}

/// Credentials and SIDs the generator mixes into requests.
struct Known {
    base_url: String,
    account_sids: Vec<String>,
    /// (user, password) pairs that authenticate.
    good_auth: Vec<(String, String)>,
    /// `Authorization` value of the main account's Main key.
    authorization: String,
}

fn known(handle: &twilio_sim::SimHandle) -> Known {
    let data = handle.dataset();
    let mut good_auth = Vec::new();
    let mut account_sids = Vec::new();
    for account in &data.accounts {
        account_sids.push(account.sid.to_string());
        good_auth.push((account.sid.to_string(), account.auth_token.to_string()));
        for key in &account.keys {
            good_auth.push((key.sid.to_string(), key.secret.to_string()));
        }
    }
    // The main account's Main key first: most requests use it, so they get past auth.
    let main = data
        .main_account()
        .main_key()
        .expect("main account has a Main key");
    good_auth.insert(0, (main.sid.to_string(), main.secret.to_string()));
    use base64::Engine;
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", main.sid, main.secret))
    );
    Known {
        base_url: handle.base_url(),
        account_sids,
        good_auth,
        authorization,
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

const HOSTS: &[&str] = &[
    "api.twilio.com",
    "messaging.twilio.com",
    "monitor.twilio.com",
    "verify.twilio.com",
    "insights.twilio.com",
    "api.twilio.com:443",
    "API.Twilio.COM",
    "conversations.twilio.com",
    "evil.example.com",
    "twilio.com",
    "api.twilio.com.evil.example",
    "127.0.0.1",
    "localhost:8099",
];

const PARAM_NAMES: &[&str] = &[
    "PageSize",
    "Page",
    "PageToken",
    "DateSent",
    "DateSent>",
    "DateSent<",
    "DateSent%3E",
    "DateSent%3C",
    "StartTime>",
    "StartTime<",
    "EndTime",
    "EndTime>",
    "DateCreated",
    "DateCreated>",
    "DateCreated<",
    "DateUpdated>",
    "StartDate",
    "EndDate",
    "Category",
    "IncludeSubaccounts",
    "Status",
    "To",
    "From",
    "LogLevel",
    "DateCreatedAfter",
    "DateCreatedBefore",
    "FriendlyName",
    "CallSid",
    "ConferenceSid",
    "Channel",
    "CallState",
    "SortBy",
    "PhoneNumber",
    "",
    "=",
    "PageSize[]",
];

fn random_sid(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let mut sid = prefix.to_string();
    for _ in 0..32 {
        sid.push(char::from(b"0123456789abcdef"[rng.random_range(0..16)]));
    }
    sid
}

fn random_bytes_encoded(rng: &mut ChaCha8Rng, max: usize) -> String {
    let len = rng.random_range(0..=max);
    (0..len)
        .map(|_| format!("%{:02X}", rng.random::<u8>()))
        .collect()
}

fn random_unicode(rng: &mut ChaCha8Rng) -> String {
    const SAMPLES: &[&str] = &[
        "é", "日本", "🚀", "\u{202e}", "\u{0}", "\u{feff}", "ß", "Ω", "\u{fffd}", "𝔘",
    ];
    let text: String = (0..rng.random_range(1..6))
        .map(|_| SAMPLES[rng.random_range(0..SAMPLES.len())])
        .collect();
    percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn random_value(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..22) {
        0 => "-1".into(),
        1 => "0".into(),
        2 => "1001".into(),
        3 => "99999999999999999999999999".into(),
        4 => "1e3".into(),
        5 => String::new(),
        6 => format!("PA{}", random_sid(rng, "SM")),
        7 => format!("PB{}", random_sid(rng, "CA")),
        8 => "PA".into(),
        9 => "PT%3D%3D%3D".into(),
        10 => "A".repeat(rng.random_range(1000..20000)),
        11 => "2026-13-45".into(),
        12 => "2026-02-30".into(),
        13 => "-30days".into(),
        14 => "+99999999days".into(),
        15 => "-9223372036854775808days".into(),
        16 => "Wed%2C+99+Foo+2019+25%3A61%3A00+-9999".into(),
        17 => "2026-03-01T25:00:00Z".into(),
        18 => random_bytes_encoded(rng, 40),
        19 => random_unicode(rng),
        20 => "06%2F11%2F2019+22%3A05%3A25+MST".into(),
        _ => "2026-03-01".into(),
    }
}

fn random_query(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.15) {
        return String::new();
    }
    let pairs = rng.random_range(0..6);
    let mut query: Vec<String> = (0..pairs)
        .map(|_| {
            let name = match rng.random_range(0..10) {
                0 => random_bytes_encoded(rng, 12),
                1 => random_unicode(rng),
                _ => PARAM_NAMES[rng.random_range(0..PARAM_NAMES.len())].to_string(),
            };
            let name = name.replace('>', "%3E").replace('<', "%3C");
            match rng.random_range(0..12) {
                0 => name,
                _ => format!("{name}={}", random_value(rng)),
            }
        })
        .collect();
    if rng.random_bool(0.1) {
        query.push("&&&==&".into());
    }
    format!("?{}", query.join("&"))
}

/// A path near a real endpoint's (often exactly it), and that endpoint.
fn random_path(rng: &mut ChaCha8Rng, known: &Known, all: &[Endpoint]) -> (Endpoint, String) {
    let ep = all[rng.random_range(0..all.len())];
    let account = match rng.random_range(0..10) {
        0 => random_sid(rng, "AC"),
        1 => "ACxyz".into(),
        _ => known.account_sids[rng.random_range(0..known.account_sids.len())].clone(),
    };
    let sid = match rng.random_range(0..3) {
        0 => random_sid(rng, "SM"),
        1 => random_sid(rng, "MM"),
        _ => "SM".into(),
    };
    let mut path = ep.path(&account, Some(&sid));
    match rng.random_range(0..40) {
        0 => path.push_str("/.."),
        1 => path = path.replacen("/Accounts/", "/Accounts/../Accounts/", 1),
        2 => path = path.replacen('/', "//", 1),
        3 => path.push_str(&format!("/{}", random_bytes_encoded(rng, 30))),
        4 => path.push_str(&format!("/{}", random_unicode(rng))),
        5 => path = path.replace(".json", ".xml"),
        6 => path = path.replace(".json", ".csv"),
        7 => path = path.replace(".json", ""),
        8 => path = path.to_lowercase(),
        9 => path.push_str(&"x".repeat(rng.random_range(1000..30000))),
        10 => path = path.replace("/Accounts/", "/Accounts/%2e%2e/"),
        11 => path = format!("/{}", random_bytes_encoded(rng, 60)),
        12 => path.push('/'),
        13 => path = path.replace("2010-04-01", "2010-04-02"),
        14 => path = path.replacen('/', "/%00", 2),
        _ => {}
    }
    (ep, path)
}

fn random_auth(rng: &mut ChaCha8Rng, known: &Known) -> Option<String> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (user, password) = &known.good_auth[rng.random_range(0..known.good_auth.len())];
    Some(match rng.random_range(0..30) {
        0 => return None,
        1 => format!("Basic {}", b64(&format!("{user}:wrong"))),
        2 => format!("Basic {}", b64(user)),
        3 => "Basic !!!not-base64!!!".into(),
        4 => "Bearer abc.def.ghi".into(),
        5 => format!("Basic {}", b64(&"A".repeat(20000))),
        6 => format!(
            "Basic {}",
            b64(&format!("{}:{password}", random_sid(rng, "SK")))
        ),
        7 => "Basic".into(),
        8 => format!("basic {}", b64(&format!("{user}:{password}"))),
        9 => format!("Basic {}", b64(&format!(":{password}"))),
        _ => {
            // Mostly the main Main key, so many requests reach the handlers.
            let (user, password) = if rng.random_bool(0.7) {
                (&known.good_auth[0].0, &known.good_auth[0].1)
            } else {
                (user, password)
            };
            format!("Basic {}", b64(&format!("{user}:{password}")))
        }
    })
}

/// Which simulated endpoint a host and path name, if any. A doubled slash names none: the
/// simulator answers it 404 on every host, so a 200 for one fails the test.
fn endpoint_for(host: &str, path: &str) -> Option<Endpoint> {
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    endpoints::find(&host, &decoded)
}

/// Checks an answer is a well-formed Twilio error or a schema-valid page of the endpoint the
/// request named. Returns a description of what is wrong, if anything.
fn judge(
    host: &str,
    path: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> Result<(), String> {
    if status == 200 {
        let ep = endpoint_for(host, path)
            .ok_or_else(|| format!("200 for a path that names no endpoint: {body:.200}"))?;
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!("200 with a non-JSON body ({e})"))?;
        return check_envelope(&ep, &value);
    }
    if status >= 500 {
        return Err(format!("server error {status} for bad input: {body:.300}"));
    }
    check_error_body(status, body)?;
    if status == 401 && !headers.contains_key(reqwest::header::WWW_AUTHENTICATE) {
        return Err("401 without WWW-Authenticate".into());
    }
    Ok(())
}

/// A 200 body has the endpoint's envelope: its list key holds an array of objects beside the
/// 2010 API's paging keys or the product APIs' `meta` naming that key; an instance is an
/// object. This test is about robustness and reads no spec: that every page of every endpoint
/// meets the official schema is `fidelity.rs`'s job, which needs `../shared`.
fn check_envelope(ep: &Endpoint, value: &Value) -> Result<(), String> {
    let map = value
        .as_object()
        .ok_or_else(|| format!("200 body is not an object: {value:.200}"))?;
    let (key, paging): (&str, &[&str]) = match ep.envelope {
        Envelope::Instance => return Ok(()),
        Envelope::Flat(key) => (key, &["uri", "page", "page_size", "first_page_uri"]),
        Envelope::Meta(key) => {
            if value["meta"]["key"] != key {
                return Err(format!("meta.key is not {key:?}: {:.200}", value["meta"]));
            }
            (key, &["meta"])
        }
    };
    for k in paging {
        if !map.contains_key(*k) {
            return Err(format!("200 list page without {k:?}"));
        }
    }
    let records = map
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("200 list page without an array {key:?}"))?;
    if let Some(bad) = records.iter().find(|r| !r.is_object()) {
        return Err(format!("a {key} record is not an object: {bad:.200}"));
    }
    Ok(())
}

/// `{code, message, more_info, status}` (+ optional `detail`), `status` equal to the HTTP one,
/// `more_info` pointing at the code's page.
fn check_error_body(status: u16, body: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| format!("{status} with a non-JSON body ({e}): {body:.200}"))?;
    let map = value
        .as_object()
        .ok_or_else(|| format!("{status} body is not an object: {body:.200}"))?;
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.retain(|k| *k != "detail");
    keys.sort_unstable();
    if keys != ["code", "message", "more_info", "status"] {
        return Err(format!("error keys {keys:?}: {body:.200}"));
    }
    let code = map["code"]
        .as_u64()
        .ok_or_else(|| format!("code is not an integer: {body:.200}"))?;
    if map["status"].as_u64() != Some(u64::from(status)) {
        return Err(format!(
            "status field differs from HTTP {status}: {body:.200}"
        ));
    }
    if map["message"].as_str().is_none_or(|m| m.is_empty()) {
        return Err(format!("empty or non-string message: {body:.200}"));
    }
    if map["more_info"].as_str() != Some(&format!("https://www.twilio.com/docs/errors/{code}")) {
        return Err(format!("more_info does not name code {code}: {body:.200}"));
    }
    if map.get("detail").is_some_and(|d| !d.is_string()) {
        return Err(format!("detail is not a string: {body:.200}"));
    }
    Ok(())
}

async fn messages_page_works(known: &Known) {
    let (user, password) = &known.good_auth[0];
    let path = endpoints::MESSAGES.path(&known.account_sids[0], None);
    let response = client()
        .get(format!("{}{path}?PageSize=2", known.base_url))
        .header(reqwest::header::HOST, "api.twilio.com")
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("the simulator still answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a JSON page");
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_random_requests_get_only_twilio_errors_or_valid_pages() {
    let handle = twilio_sim::spawn(config()).await.expect("spawn simulator");
    let known = known(&handle);
    let all = endpoints::all();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    let mut requests = Vec::with_capacity(RANDOM_REQUESTS);
    for _ in 0..RANDOM_REQUESTS {
        let (ep, path) = random_path(&mut rng, &known, &all);
        let host = match rng.random_range(0..10) {
            0 => random_unicode(&mut rng).replace('%', ""),
            1 | 2 => HOSTS[rng.random_range(0..HOSTS.len())].to_string(),
            _ => ep.host.to_string(),
        };
        let path = format!("{path}{}", random_query(&mut rng));
        let auth = random_auth(&mut rng, &known);
        let junk_header = rng
            .random_bool(0.2)
            .then(|| "x".repeat(rng.random_range(1..8000)));
        let method = match rng.random_range(0..20) {
            0 => reqwest::Method::POST,
            1 => reqwest::Method::DELETE,
            2 => reqwest::Method::PUT,
            3 => reqwest::Method::PATCH,
            4 => reqwest::Method::OPTIONS,
            _ => reqwest::Method::GET,
        };
        requests.push((method, host, path, auth, junk_header));
    }
    let client = client();
    let base_url = known.base_url.clone();
    let results: Vec<Result<u16, String>> = futures::stream::iter(requests)
        .map(|(method, host, path, auth, junk)| {
            let client = client.clone();
            let base_url = base_url.clone();
            async move {
                let mut request = client
                    .request(method.clone(), format!("{base_url}{path}"))
                    .header(reqwest::header::HOST, &host);
                if let Some(auth) = &auth {
                    request = request.header(reqwest::header::AUTHORIZATION, auth);
                }
                if let Some(junk) = &junk {
                    request = request.header("X-Junk", junk);
                }
                let response = match request.send().await {
                    Ok(r) => r,
                    Err(e) if e.is_builder() => return Ok(0), // the client refused to send it
                    Err(e) => return Err(format!("{host} {path:.200}: transport error {e}")),
                };
                // The URL parser resolves `..` before sending: judge what went on the wire.
                let sent = response.url().path().to_string();
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = response.text().await.unwrap_or_default();
                let verdict = if method != reqwest::Method::GET && status < 300 {
                    Err(format!("{status} to a read-only simulator: {body:.200}"))
                } else {
                    judge(&host, &sent, status, &headers, &body)
                };
                verdict.map(|()| status).map_err(|e| {
                    format!("Host {host:.60} {method} {path:.300}\n  -> {status}: {e}")
                })
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let mut by_status = std::collections::BTreeMap::new();
    for status in results.iter().filter_map(|r| r.as_ref().ok()) {
        *by_status.entry(*status).or_insert(0) += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {RANDOM_REQUESTS} answers were not Twilio errors or valid pages (statuses {by_status:?}); first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("statuses: {by_status:?}");
    // The mix must actually reach the handlers and the error paths, or the test proves little.
    assert!(
        by_status.get(&200).copied().unwrap_or(0) > RANDOM_REQUESTS / 20,
        "{by_status:?}"
    );
    for status in [400, 401, 404] {
        assert!(
            by_status.get(&status).copied().unwrap_or(0) > 10,
            "{by_status:?}"
        );
    }
    messages_page_works(&known).await;
    handle.shutdown().await;
}

/// Raw bytes a well-behaved client would never send.
fn raw_request(rng: &mut ChaCha8Rng, known: &Known) -> Vec<u8> {
    let account = &known.account_sids[0];
    let path = format!("/2010-04-01/Accounts/{account}/Messages.json");
    let mut bytes: Vec<u8> = match rng.random_range(0..16) {
        0 => (0..rng.random_range(1..400)).map(|_| rng.random()).collect(),
        1 => format!("GET {path}\r\n\r\n").into_bytes(),
        2 => format!("GET {path} HTTP/9.9\r\nHost: api.twilio.com\r\n\r\n").into_bytes(),
        3 => b"GET\r\n\r\n".to_vec(),
        4 => {
            let mut v = b"GET /2010-04-01/Accounts/".to_vec();
            v.extend((0..40).map(|_| rng.random_range(0x80..=0xffu8)));
            v.extend(b"/Messages.json HTTP/1.1\r\nHost: api.twilio.com\r\n\r\n");
            v
        }
        5 => format!(
            "GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\nX-Big: {}\r\n\r\n",
            "y".repeat(rng.random_range(10_000..200_000))
        )
        .into_bytes(),
        6 => format!("GET {path} HTTP/1.1\r\nHost api.twilio.com\r\n\r\n").into_bytes(),
        7 => format!(
            "GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
        )
        .into_bytes(),
        8 => format!("GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\nContent-Length: -5\r\n\r\n")
            .into_bytes(),
        9 => {
            let mut v = format!("GET {path} HTTP/1.1\r\nHost: ").into_bytes();
            v.extend((0..20).map(|_| rng.random_range(0x80..=0xffu8)));
            v.extend(b"\r\n\r\n");
            v
        }
        10 => format!("GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\nAuthorization: Basic \x7f\x01\r\n\r\n")
            .into_bytes(),
        11 => format!("GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\n").into_bytes(), // never ends
        12 => format!("GET {}{path} HTTP/1.1\r\nHost: api.twilio.com\r\n\r\n", "/".repeat(5000))
            .into_bytes(),
        13 => format!(
            "GET {path}?{} HTTP/1.1\r\nHost: api.twilio.com\r\n\r\n",
            "PageSize=1&".repeat(rng.random_range(1000..8000))
        )
        .into_bytes(),
        14 => format!(
            "GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\n\r\nGET {path} HTTP/1.1\r\nHost: \0\r\n\r\n"
        )
        .into_bytes(),
        _ => format!("DELETE {path} HTTP/1.1\r\nHost: api.twilio.com\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    };
    // Mostly authenticated, so the oddities reach the router and handlers, not only auth.
    let host_line = b"Host: api.twilio.com\r\n";
    if rng.random_bool(0.7)
        && let Some(at) = bytes.windows(host_line.len()).position(|w| w == host_line)
    {
        let header = format!("Authorization: {}\r\n", known.authorization);
        bytes.splice(
            at + host_line.len()..at + host_line.len(),
            header.into_bytes(),
        );
    }
    if rng.random_bool(0.1) {
        let cut = rng.random_range(0..bytes.len().max(1));
        bytes.truncate(cut);
    }
    bytes
}

/// Reads what the server sends back until it closes, stalls for a moment or sends a lot.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 16384];
    while answer.len() < 1 << 20 {
        match tokio::time::timeout(Duration::from_millis(400), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
    answer
}

/// Splits the first HTTP response out of raw bytes: status, and the body when it has one.
fn first_response(answer: &[u8]) -> Option<(u16, String, String)> {
    let text = String::from_utf8_lossy(answer);
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let status = head
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse::<u16>()
        .ok()?;
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    Some((
        status,
        head.to_string(),
        rest.chars().take(length).collect(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_raw_http_gets_an_error_or_a_closed_connection_and_the_server_stays_up() {
    let handle = twilio_sim::spawn(config()).await.expect("spawn simulator");
    let known = known(&handle);
    let addr = handle.addr();
    let mut rng = ChaCha8Rng::seed_from_u64(0xbad);
    let requests: Vec<Vec<u8>> = (0..RAW_REQUESTS)
        .map(|_| raw_request(&mut rng, &known))
        .collect();
    let outcomes: Vec<Result<String, String>> = futures::stream::iter(requests)
        .map(|bytes| async move {
            let mut stream = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect failed: {e}"))?;
            // The server may answer and close before reading everything; that is fine.
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            let answer = read_answer(&mut stream).await;
            if answer.is_empty() {
                return Ok("closed".to_string());
            }
            let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]).into_owned();
            let (status, head, body) = first_response(&answer).ok_or_else(|| {
                format!(
                    "not an HTTP/1.1 answer to {shown:?}: {:?}",
                    String::from_utf8_lossy(&answer[..answer.len().min(200)])
                )
            })?;
            if status >= 500 {
                return Err(format!("{status} to {shown:?}"));
            }
            if body.is_empty() && matches!(status, 400 | 414 | 431) {
                // Refused by the HTTP parser before routing: no body to judge, as any front
                // (Twilio's included) answers unparseable HTTP.
                return Ok(format!("{status} empty"));
            }
            if status == 200 {
                return Ok("200".into());
            }
            check_error_body(status, &body)
                .map(|()| format!("{status} twilio"))
                .map_err(|e| format!("{shown:?} -> {head:.200}\n  {e}"))
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failures: Vec<&String> = outcomes.iter().filter_map(|r| r.as_ref().err()).collect();
    let mut kinds = std::collections::BTreeMap::new();
    for kind in outcomes.iter().filter_map(|r| r.as_ref().ok()) {
        *kinds.entry(kind.as_str()).or_insert(0) += 1;
    }
    println!("raw answers: {kinds:?}");
    assert!(
        failures.is_empty(),
        "{} of {RAW_REQUESTS} raw requests got a bad answer ({kinds:?}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    messages_page_works(&known).await;
    handle.shutdown().await;
}

#[test]
fn the_error_body_check_refuses_what_twilio_would_not_send() {
    let good = r#"{"code": 20404, "message": "The requested resource /x was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#;
    assert_eq!(check_error_body(404, good), Ok(()));
    let with_detail = r#"{"code": 20003, "detail": "", "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#;
    assert_eq!(check_error_body(401, with_detail), Ok(()));
    let bad = [
        (404, good.replace("\"status\": 404", "\"status\": 400")),
        (404, good.replace("errors/20404", "errors/20403")),
        (404, good.replace(", \"status\": 404", "")),
        (404, good.replace("}", ", \"extra\": 1}")),
        (404, good.replace("20404,", "\"20404\",")),
        (
            404,
            good.replace("The requested resource /x was not found", ""),
        ),
        (404, "<html>Not Found</html>".to_string()),
        (404, "[]".to_string()),
    ];
    for (status, body) in bad {
        assert!(check_error_body(status, &body).is_err(), "accepted {body}");
    }
}

#[test]
fn paths_map_to_their_endpoint_templates() {
    let sid = "AC0123456789abcdef0123456789abcdef";
    let messages = format!("/2010-04-01/Accounts/{sid}/Messages.json?PageSize=2");
    assert_eq!(
        endpoint_for("api.twilio.com", &messages).map(|e| e.template),
        Some(endpoints::MESSAGES.template)
    );
    let message = format!("/2010-04-01/Accounts/{sid}/Messages/SM0123.json");
    assert_eq!(
        endpoint_for("API.twilio.com:443", &message).map(|e| e.template),
        Some(endpoints::MESSAGE.template)
    );
    assert_eq!(
        endpoint_for(
            "api.twilio.com",
            &format!("/2010-04-01/Accounts/{sid}.json")
        )
        .map(|e| e.template),
        Some(endpoints::ACCOUNT.template)
    );
    assert!(endpoint_for("messaging.twilio.com", &messages).is_none());
    assert!(endpoint_for("messaging.twilio.com", "//v1/Services").is_none());
    assert!(endpoint_for("messaging.twilio.com", "/v1//Services").is_none());
    assert!(endpoint_for("api.twilio.com", "/2010-04-01/Accounts/.json").is_none());
    assert_eq!(
        endpoint_for("insights.twilio.com", "/v1/Voice/Summaries?x=1").map(|e| e.template),
        Some(endpoints::VOICE_SUMMARIES.template)
    );
}

/// The admin surface takes input too: malformed or out-of-range fault settings are refused
/// with a 4xx and a JSON error, and leave the faults as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_fault_settings_are_refused_and_change_nothing() {
    let handle = twilio_sim::spawn(config()).await.expect("spawn simulator");
    let known = known(&handle);
    let client = client();
    let url = format!("{}/__sim/faults", known.base_url);
    let before: Value = client
        .get(&url)
        .send()
        .await
        .expect("GET faults")
        .json()
        .await
        .expect("faults JSON");
    let mut rng = ChaCha8Rng::seed_from_u64(0xad);
    let mut bodies: Vec<Vec<u8>> = vec![
        br#"{"rate_429": 2}"#.to_vec(),
        br#"{"rate_500": -0.5}"#.to_vec(),
        br#"{"malformed_rate": 1.5}"#.to_vec(),
        br#"{"concurrency_limit": 0}"#.to_vec(),
        br#"{"concurrency_limit": -3}"#.to_vec(),
        br#"{"slow_body": {"chunk_bytes": 0, "interval_ms": 5}}"#.to_vec(),
        br#"{"latency_ms": "soon"}"#.to_vec(),
        br#"{"latency_ms": 1e400}"#.to_vec(),
        br#"{"latency_ms": 18446744073709551615}"#.to_vec(),
        br#"{"latency_ms": 18446744073709551616}"#.to_vec(),
        br#"{"jitter_ms": 86400000000}"#.to_vec(),
        br#"{"slow_body": {"chunk_bytes": 1, "interval_ms": 18446744073709551615}}"#.to_vec(),
        br#"{"no_such_fault": true}"#.to_vec(),
        br#"{"usage_daily_404": [{"start": "2026-02-30", "end": "2026-03-01"}]}"#.to_vec(),
        br#"[1, 2, 3]"#.to_vec(),
        b"null".to_vec(),
        Vec::new(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        vec![b'{'; 3 << 20],
    ];
    bodies.extend((0..40).map(|_| {
        let len = rng.random_range(1..2000);
        (0..len).map(|_| rng.random()).collect()
    }));
    for body in bodies {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let response = client
            .put(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {shown:?}: {e}"));
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "PUT {shown:?} -> {status}");
        if status == 400 {
            let error: Value = response.json().await.expect("a JSON error");
            assert!(error["error"].is_string(), "{error}");
        }
    }
    let after: Value = client
        .get(&url)
        .send()
        .await
        .expect("GET faults")
        .json()
        .await
        .expect("faults JSON");
    assert_eq!(after, before, "a refused setting changed the faults");
    messages_page_works(&known).await;
    handle.shutdown().await;
}
