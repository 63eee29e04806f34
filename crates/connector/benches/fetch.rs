//! 100 pages of 1000 messages from the simulator at zero latency, fetched and parsed through the
//! connector, against a bare loop (one reqwest client, GET and parse, no limits, retries or
//! validation) in the same run, alternating rounds. Prints both times and the ratio; then the
//! cost of redacting credentials on one page against parsing it.
//!
//! `cargo bench -p connector --bench fetch`

use connector::twilio_request::{Pagination, Param, RequestSpec};
use connector::{BaseUrl, Connector, ConnectorConfig, Credentials};
use domain::Secret;
use std::time::{Duration, Instant};

const PAGES: u32 = 100;
const PAGE_SIZE: usize = 1000;
const ROUNDS: usize = 8;
const REDACT_RUNS: usize = 61;

async fn bare_loop(
    client: &reqwest::Client,
    base: &str,
    creds: &Credentials,
    first: &str,
) -> (u32, usize) {
    let mut next = Some(first.to_owned());
    let (mut pages, mut records) = (0, 0);
    while let Some(path) = next.take() {
        if pages == PAGES {
            break;
        }
        let body = client
            .get(format!("{base}{path}"))
            .header("host", "api.twilio.com")
            .basic_auth(creds.api_key_sid.as_str(), Some(creds.secret.expose()))
            .send()
            .await
            .expect("bare GET")
            .bytes()
            .await
            .expect("bare body");
        let page: serde_json::Value = serde_json::from_slice(&body).expect("bare parse");
        records += page["messages"].as_array().map_or(0, Vec::len);
        pages += 1;
        next = page["next_page_uri"].as_str().map(str::to_owned);
    }
    (pages, records)
}

async fn through_connector(
    connector: &Connector,
    creds: &Credentials,
    spec: &RequestSpec,
) -> (u32, usize) {
    let mut records = 0;
    let ledger = connector
        .fetch(creds, spec, None, |page| {
            records += page.value["messages"].as_array().map_or(0, Vec::len);
            Ok::<(), std::convert::Infallible>(())
        })
        .await
        .expect("connector fetch");
    assert!(
        ledger.cap_hit,
        "the dataset must hold more than {PAGES} pages"
    );
    (ledger.pages, records)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    }
}

#[tokio::main]
async fn main() {
    let config = twilio_sim::SimConfig {
        seed: 3,
        now: "2026-01-15T12:00:00Z".parse().unwrap(),
        sizes: twilio_sim::Sizes {
            messages_per_day: 1000,
            days: 130,
            ..twilio_sim::Sizes::default()
        },
        faults: twilio_sim::Faults::default(),
        incidents: Vec::new(),
    };
    let sim = twilio_sim::spawn(config).await.expect("simulator");
    let account = sim.dataset().main_account();
    assert!(
        account.messages.len() > PAGES as usize * PAGE_SIZE,
        "too few messages: {}",
        account.messages.len()
    );
    let key = account.main_key().expect("main key");
    let creds =
        Credentials::parse(&account.sid, &key.sid, Secret::new(key.secret.clone())).unwrap();
    let base = sim.base_url();

    let connector = Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&base).unwrap()),
        ..ConnectorConfig::default()
    })
    .unwrap();
    let spec = RequestSpec {
        host: "api.twilio.com".into(),
        path: "/2010-04-01/Accounts/{AccountSid}/Messages.json".into(),
        params: vec![Param {
            key: "PageSize".into(),
            value: PAGE_SIZE.to_string(),
        }],
        headers: vec![],
        pagination: Pagination::NextPage,
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let first = format!(
        "/2010-04-01/Accounts/{}/Messages.json?PageSize={PAGE_SIZE}",
        account.sid
    );

    // Warm both paths (connections, simulator caches) before timing.
    bare_loop(&client, &base, &creds, &first).await;
    through_connector(&connector, &creds, &spec).await;

    let (mut bare_times, mut conn_times) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which loop goes first, so neither always runs on a warmer or cooler machine.
        let timed_bare = async {
            let started = Instant::now();
            (
                bare_loop(&client, &base, &creds, &first).await,
                started.elapsed(),
            )
        };
        let timed_conn = async {
            let started = Instant::now();
            (
                through_connector(&connector, &creds, &spec).await,
                started.elapsed(),
            )
        };
        let ((bare, bare_time), (conn, conn_time)) = if round % 2 == 0 {
            let b = timed_bare.await;
            (b, timed_conn.await)
        } else {
            let c = timed_conn.await;
            (timed_bare.await, c)
        };
        assert_eq!(bare, (PAGES, PAGES as usize * PAGE_SIZE));
        assert_eq!(conn, bare, "both loops must read the same pages");
        println!(
            "round {round}: bare {:.3} s, connector {:.3} s, ratio {:.3}",
            bare_time.as_secs_f64(),
            conn_time.as_secs_f64(),
            conn_time.as_secs_f64() / bare_time.as_secs_f64()
        );
        bare_times.push(bare_time);
        conn_times.push(conn_time);
    }
    let (bare, conn) = (median(bare_times), median(conn_times));
    println!(
        "median of {ROUNDS} rounds, {PAGES} pages x {PAGE_SIZE} messages: bare loop {:.3} s ({:.0} pages/s), connector {:.3} s ({:.0} pages/s), connector/bare = {:.3} (goal <= 1.15)",
        bare.as_secs_f64(),
        f64::from(PAGES) / bare.as_secs_f64(),
        conn.as_secs_f64(),
        f64::from(PAGES) / conn.as_secs_f64(),
        conn.as_secs_f64() / bare.as_secs_f64()
    );

    // What redacting credentials adds to every page, apart from the simulator and the network:
    // one page of 1000 messages parsed, against the same parse followed by the redaction walk,
    // alternating, each figure the median of its runs.
    let body = client
        .get(format!("{base}{first}"))
        .header("host", "api.twilio.com")
        .basic_auth(creds.api_key_sid.as_str(), Some(creds.secret.expose()))
        .send()
        .await
        .expect("one page")
        .bytes()
        .await
        .expect("its body");
    let (mut parse_times, mut redact_times) = (Vec::new(), Vec::new());
    for _ in 0..REDACT_RUNS {
        let started = Instant::now();
        let page: serde_json::Value = serde_json::from_slice(&body).expect("parse");
        parse_times.push(started.elapsed());
        std::hint::black_box(page);
        let started = Instant::now();
        let mut page: serde_json::Value = serde_json::from_slice(&body).expect("parse");
        let redacted = connector::redact_credentials(&mut page);
        redact_times.push(started.elapsed());
        assert_eq!(redacted, 0, "messages carry no credentials");
        std::hint::black_box(page);
    }
    let (parse, redact) = (median(parse_times), median(redact_times));
    println!(
        "one page of {PAGE_SIZE} messages ({} bytes), median of {REDACT_RUNS}: parse {:.3} ms, parse + redact {:.3} ms, ratio {:.3}",
        body.len(),
        parse.as_secs_f64() * 1e3,
        redact.as_secs_f64() * 1e3,
        redact.as_secs_f64() / parse.as_secs_f64()
    );
    sim.shutdown().await;
}
