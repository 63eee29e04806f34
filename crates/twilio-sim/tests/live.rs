//! Live mode over real HTTP on loopback: records appear in the lists as the clock runs, their
//! statuses only move forward, and every status change is pushed signed as Twilio signs it (the
//! expected signatures computed here from Twilio's documented algorithm), with the faults asked
//! for.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Digest;
use support::*;
use twilio_sim::{LiveConfig, LiveError, LiveFaults, LiveStats, SimHandle};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Pushed {
    /// `http://host:port/path?query`, as requested.
    url: String,
    path: String,
    signature: Option<String>,
    content_type: String,
    user_agent: String,
    body: Bytes,
}

impl Pushed {
    fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
    fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

type Inbox = Arc<Mutex<Vec<Pushed>>>;

struct Receiver {
    base: String,
    inbox: Inbox,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    fn all(&self) -> Vec<Pushed> {
        self.inbox.lock().unwrap().clone()
    }
    fn at(&self, path: &str) -> Vec<Pushed> {
        self.all().into_iter().filter(|p| p.path == path).collect()
    }
}

async fn collect(
    State(inbox): State<Inbox>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let host = header("host").unwrap_or_default();
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    inbox.lock().unwrap().push(Pushed {
        url: format!("http://{host}{path_and_query}"),
        path: uri.path().to_string(),
        signature: header("x-twilio-signature"),
        content_type: header("content-type").unwrap_or_default(),
        user_agent: header("user-agent").unwrap_or_default(),
        body,
    });
    StatusCode::NO_CONTENT
}

async fn receiver() -> Receiver {
    let inbox: Inbox = Arc::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(collect))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        base: format!("http://{addr}"),
        inbox,
        _server: server,
    }
}

/// Fast enough that a message's whole path (at most 13 simulated seconds) takes ~20 ms.
fn config(rx: &Receiver, faults: LiveFaults) -> LiveConfig {
    LiveConfig {
        speed: 600.0,
        messages_per_minute: 6.0,
        calls_per_minute: 2.0,
        account: None,
        message_callback: Some(format!("{}/hooks/messages?connection=7", rx.base)),
        call_callback: Some(format!("{}/hooks/calls", rx.base)),
        event_sink: Some(format!("{}/hooks/events?sink=a", rx.base)),
        faults,
        seed: 3,
    }
}

/// Runs live mode for `real` and stops it.
async fn run(sim: &SimHandle, config: LiveConfig, real: Duration) -> LiveStats {
    let handle = sim.sim().start_live(config).expect("live mode starts");
    tokio::time::sleep(real).await;
    handle.stop().await
}

/// Twilio's algorithm, written out for the test: base64(HMAC-SHA1(token, URL + the POST
/// parameters sorted by name, each name then value)).
fn expected_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(&k);
        data.push_str(&v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hex_sha256(body: &[u8]) -> String {
    sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The events of every Event Streams delivery, in arrival order.
fn events(rx: &Receiver) -> Vec<Value> {
    rx.at("/hooks/events")
        .iter()
        .flat_map(|p| {
            serde_json::from_slice::<Vec<Value>>(&p.body).expect("a batch is a JSON array")
        })
        .collect()
}

fn message_rank(status: &str) -> u8 {
    match status {
        "queued" => 0,
        "sent" => 1,
        "delivered" | "undelivered" | "failed" => 2,
        other => panic!("unexpected message status {other}"),
    }
}

/// Every message of the main account's first pages that live mode created (not in the dataset).
async fn live_messages(sim: &SimHandle) -> HashMap<String, Value> {
    let known: HashSet<String> = sim
        .dataset()
        .main_account()
        .messages
        .iter()
        .map(|m| m.sid.to_string())
        .collect();
    let sid = main_sid(sim);
    let page = api(
        sim,
        &format!("/2010-04-01/Accounts/{sid}/Messages.json?PageSize=1000"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !known.contains(m["sid"].as_str().unwrap()))
        .map(|m| (m["sid"].as_str().unwrap().to_string(), m.clone()))
        .collect()
}

#[tokio::test]
async fn live_messages_appear_in_the_list_newest_first_and_only_move_forward() {
    let sim = start().await;
    let handle = sim
        .sim()
        .start_live(LiveConfig {
            speed: 600.0,
            messages_per_minute: 6.0,
            calls_per_minute: 0.0,
            seed: 5,
            ..LiveConfig::default()
        })
        .unwrap();
    let mut seen: HashMap<String, u8> = HashMap::new();
    let mut moved = 0;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        for (sid, m) in live_messages(&sim).await {
            let rank = message_rank(m["status"].as_str().unwrap());
            if let Some(&before) = seen.get(&sid) {
                assert!(rank >= before, "{sid} went back to {}", m["status"]);
                moved += usize::from(rank > before);
            }
            seen.insert(sid, rank);
        }
    }
    let stats = handle.stop().await;
    assert!(
        seen.len() >= 10,
        "only {} live messages appeared",
        seen.len()
    );
    assert!(moved > 0, "no status was seen moving");
    assert_eq!(
        stats.messages_created as usize,
        live_messages(&sim).await.len()
    );
    assert!(sim.sim().now() > sim.dataset().now(), "the clock ran");

    // Newest first across the whole list: live records, then the generated ones.
    let sid = main_sid(&sim);
    let page = api(
        &sim,
        &format!("/2010-04-01/Accounts/{sid}/Messages.json?PageSize=1000"),
    )
    .await;
    let instants: Vec<jiff::Timestamp> = page.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let at = m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap();
            rfc2822(at)
        })
        .collect();
    assert!(
        instants.windows(2).all(|w| w[0] >= w[1]),
        "not newest first"
    );
}

#[tokio::test]
async fn a_live_record_is_served_alone_and_pages_through_a_token() {
    let sim = start().await;
    run(
        &sim,
        LiveConfig {
            speed: 600.0,
            messages_per_minute: 6.0,
            calls_per_minute: 3.0,
            seed: 9,
            ..LiveConfig::default()
        },
        Duration::from_millis(400),
    )
    .await;
    let sid = main_sid(&sim);
    let live = live_messages(&sim).await;
    let (one, record) = live.iter().next().expect("a live message");
    let alone = api(
        &sim,
        &format!("/2010-04-01/Accounts/{sid}/Messages/{one}.json"),
    )
    .await;
    assert_eq!(alone.status, 200, "{}", alone.text);
    assert_eq!(&alone.json(), record);

    // Paging two at a time walks the live records and then the generated ones, each once.
    let pages = walk(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{sid}/Calls.json?PageSize=7"),
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    let walked: Vec<String> = pages.iter().flat_map(|p| sids(p, "calls")).collect();
    let unique: HashSet<&String> = walked.iter().collect();
    assert_eq!(unique.len(), walked.len(), "a call listed twice");
    let generated = sim.dataset().main_account().calls.len();
    let created = sim.sim().live_stats().calls_created as usize;
    assert!(created > 0);
    assert_eq!(walked.len(), generated + created);
}

#[tokio::test]
async fn every_push_is_signed_as_twilio_signs_it() {
    let sim = start().await;
    let rx = receiver().await;
    let stats = run(
        &sim,
        config(&rx, LiveFaults::default()),
        Duration::from_millis(800),
    )
    .await;
    let token = &sim.dataset().main_account().auth_token;
    let all = rx.all();
    assert!(
        stats.callbacks_sent > 10 && stats.event_batches_sent > 0,
        "{stats:?}"
    );
    assert_eq!(stats.pushes_failed, 0);
    for p in &all {
        assert_eq!(p.user_agent, "TwilioProxy/1.1");
        let signature = p.signature.as_deref().expect("signed");
        if p.path == "/hooks/events" {
            assert_eq!(p.content_type, "application/json");
            let query: HashMap<String, String> = url::Url::parse(&p.url)
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            assert_eq!(query["sink"], "a", "the configured query is kept");
            assert_eq!(query["bodySHA256"], hex_sha256(&p.body));
            assert_eq!(signature, expected_signature(token, &p.url, &[]));
        } else {
            assert_eq!(p.content_type, "application/x-www-form-urlencoded");
            assert_eq!(signature, expected_signature(token, &p.url, &p.form()));
        }
    }
    let messages = rx.at("/hooks/messages");
    assert!(messages[0].url.ends_with("/hooks/messages?connection=7"));
    assert_eq!(
        stats.callbacks_sent as usize,
        messages.len() + rx.at("/hooks/calls").len()
    );
}

#[tokio::test]
async fn callbacks_and_events_carry_twilios_fields() {
    let sim = start().await;
    let rx = receiver().await;
    let stats = run(
        &sim,
        config(&rx, LiveFaults::default()),
        Duration::from_millis(800),
    )
    .await;
    let account = main_sid(&sim);
    let messages = rx.at("/hooks/messages");
    for p in &messages {
        let status = p.param("MessageStatus").unwrap();
        assert_ne!(status, "queued", "no callback for the initial status");
        assert_eq!(p.param("SmsStatus"), Some(status.clone()));
        assert_eq!(p.param("MessageSid"), p.param("SmsSid"));
        assert_eq!(p.param("AccountSid"), Some(account.clone()));
        assert_eq!(p.param("ApiVersion").as_deref(), Some("2010-04-01"));
        let failed = status == "failed" || status == "undelivered";
        assert_eq!(p.param("ErrorCode").is_some(), failed, "{status}");
        let dlr = p.param("RawDlrDoneDate");
        assert_eq!(
            dlr.is_some(),
            status == "delivered" || status == "undelivered"
        );
        assert!(dlr.is_none_or(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit())));
    }
    let calls = rx.at("/hooks/calls");
    let mut sequences: HashMap<String, Vec<u32>> = HashMap::new();
    for p in &calls {
        let event = p.param("StatusCallbackEvent").unwrap();
        assert!(["initiated", "ringing", "answered", "completed"].contains(&event.as_str()));
        assert_eq!(p.param("CallDuration").is_some(), event == "completed");
        rfc2822(&p.param("Timestamp").unwrap());
        let seq = p.param("SequenceNumber").unwrap().parse().unwrap();
        sequences
            .entry(p.param("CallSid").unwrap())
            .or_default()
            .push(seq);
    }
    assert!(!sequences.is_empty());
    for (sid, seqs) in sequences {
        let expected: Vec<u32> = (0..seqs.len() as u32).collect();
        assert_eq!(
            seqs, expected,
            "{sid}: SequenceNumber 0, 1, 2, ... in order"
        );
    }
    let events = events(&rx);
    assert_eq!(
        events.len() as u64,
        stats.status_changes,
        "one event per change"
    );
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    for e in &events {
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["datacontenttype"], "application/json");
        e["time"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap();
        let kind = e["type"].as_str().unwrap();
        let source = e["source"].as_str().unwrap();
        if let Some(status) = kind.strip_prefix("com.twilio.messaging.message.") {
            assert_eq!(e["data"]["messageStatus"], status);
            let sid = e["data"]["messageSid"].as_str().unwrap();
            assert_eq!(
                source,
                format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json")
            );
        } else {
            let event = kind
                .strip_prefix("com.twilio.voice.status-callback.call.")
                .unwrap_or_else(|| panic!("unexpected type {kind}"));
            assert!(["initiated", "ringing", "answered", "completed"].contains(&event));
            let sid = e["data"]["CallSid"].as_str().unwrap();
            assert_eq!(
                source,
                format!("/2010-04-01/Accounts/{account}/Calls/{sid}.json")
            );
        }
    }
}

#[tokio::test]
async fn after_stop_each_record_shows_the_status_last_pushed_for_it() {
    let sim = start().await;
    let rx = receiver().await;
    run(
        &sim,
        config(&rx, LiveFaults::default()),
        Duration::from_millis(800),
    )
    .await;
    let mut last: HashMap<String, String> = HashMap::new();
    for p in rx.at("/hooks/messages") {
        last.insert(
            p.param("MessageSid").unwrap(),
            p.param("MessageStatus").unwrap(),
        );
    }
    assert!(last.len() >= 5, "only {} messages pushed", last.len());
    let listed = live_messages(&sim).await;
    for (sid, status) in &last {
        assert_eq!(listed[sid]["status"], status.as_str(), "{sid}");
    }
    // A record with no callback is one still queued when live mode stopped.
    for (sid, m) in &listed {
        if !last.contains_key(sid) {
            assert_eq!(m["status"], "queued", "{sid}");
        }
    }
    let sid = main_sid(&sim);
    for p in rx.at("/hooks/calls") {
        let call = p.param("CallSid").unwrap();
        let record = api(
            &sim,
            &format!("/2010-04-01/Accounts/{sid}/Calls/{call}.json"),
        )
        .await;
        assert_eq!(record.status, 200);
        let status = record.json()["status"].as_str().unwrap().to_string();
        let pushed = rx
            .at("/hooks/calls")
            .into_iter()
            .filter(|q| q.param("CallSid").as_deref() == Some(call.as_str()))
            .last()
            .unwrap()
            .param("CallStatus")
            .unwrap();
        let pushed = if pushed == "initiated" {
            "queued".to_string()
        } else {
            pushed
        };
        assert_eq!(status, pushed, "{call}");
    }
}

#[tokio::test]
async fn with_every_push_duplicated_each_arrives_twice() {
    let sim = start().await;
    let rx = receiver().await;
    let faults = LiveFaults {
        duplicate_pct: 100,
        ..LiveFaults::default()
    };
    let stats = run(&sim, config(&rx, faults), Duration::from_millis(600)).await;
    let mut copies: HashMap<Bytes, usize> = HashMap::new();
    for p in rx
        .at("/hooks/messages")
        .into_iter()
        .chain(rx.at("/hooks/calls"))
    {
        *copies.entry(p.body).or_default() += 1;
    }
    assert!(!copies.is_empty());
    assert!(copies.values().all(|&n| n == 2), "{copies:?}");
    let mut ids: HashMap<String, usize> = HashMap::new();
    for e in events(&rx) {
        *ids.entry(e["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(ids.values().all(|&n| n == 2));
    // Each change goes out on two channels (callback and Event Streams), each twice.
    assert_eq!(stats.duplicated, 2 * stats.status_changes);
    assert_eq!(stats.callbacks_sent as usize, 2 * copies.len());
}

#[tokio::test]
async fn with_every_push_dropped_nothing_arrives_but_polling_shows_the_records() {
    let sim = start().await;
    let rx = receiver().await;
    let faults = LiveFaults {
        drop_pct: 100,
        ..LiveFaults::default()
    };
    let stats = run(&sim, config(&rx, faults), Duration::from_millis(500)).await;
    assert!(rx.all().is_empty(), "{} pushes arrived", rx.all().len());
    assert_eq!(stats.dropped, 2 * stats.status_changes);
    assert_eq!(stats.callbacks_sent + stats.event_batches_sent, 0);
    assert!(stats.messages_created > 0);
    assert_eq!(
        live_messages(&sim).await.len() as u64,
        stats.messages_created
    );
}

#[tokio::test]
async fn a_reordered_push_arrives_after_the_next_one_of_its_resource() {
    let sim = start().await;
    let rx = receiver().await;
    let faults = LiveFaults {
        reorder_pct: 50,
        ..LiveFaults::default()
    };
    let stats = run(&sim, config(&rx, faults), Duration::from_millis(800)).await;
    assert!(stats.reordered > 0);
    // Nothing is lost: every change arrives once per channel.
    let callbacks = rx.at("/hooks/messages").len() + rx.at("/hooks/calls").len();
    assert_eq!(callbacks as u64, stats.status_changes);
    assert_eq!(events(&rx).len() as u64, stats.status_changes);
    let mut order: HashMap<String, Vec<u8>> = HashMap::new();
    for p in rx.at("/hooks/messages") {
        let rank = message_rank(&p.param("MessageStatus").unwrap());
        order
            .entry(p.param("MessageSid").unwrap())
            .or_default()
            .push(rank);
    }
    let backwards = order
        .values()
        .filter(|ranks| ranks.windows(2).any(|w| w[0] > w[1]))
        .count();
    assert!(backwards > 0, "no message callback arrived out of order");
}

#[tokio::test]
async fn delayed_pushes_are_all_sent_by_stop() {
    let sim = start().await;
    let rx = receiver().await;
    let faults = LiveFaults {
        max_delay_ms: 300,
        ..LiveFaults::default()
    };
    let stats = run(&sim, config(&rx, faults), Duration::from_millis(300)).await;
    let callbacks = rx.at("/hooks/messages").len() + rx.at("/hooks/calls").len();
    assert!(stats.status_changes > 0);
    assert_eq!(callbacks as u64, stats.status_changes);
    assert_eq!(events(&rx).len() as u64, stats.status_changes);
}

#[tokio::test]
async fn an_unreachable_receiver_is_counted_as_failed_pushes() {
    let sim = start().await;
    // A port that was just free: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap()
    };
    let config = LiveConfig {
        speed: 600.0,
        messages_per_minute: 6.0,
        calls_per_minute: 0.0,
        message_callback: Some(format!("http://{closed}/cb")),
        ..LiveConfig::default()
    };
    let stats = run(&sim, config, Duration::from_millis(300)).await;
    assert!(stats.status_changes > 0);
    assert_eq!(stats.pushes_failed, stats.status_changes);
    assert_eq!(stats.callbacks_sent, 0);
}

#[tokio::test]
async fn bad_settings_are_refused_in_words() {
    let sim = start().await;
    let refused = |config: LiveConfig| sim.sim().start_live(config).err().expect("refused");
    let e = refused(LiveConfig {
        speed: 0.0,
        ..LiveConfig::default()
    });
    assert_eq!(e, LiveError::BadSpeed("0".into()));
    let e = refused(LiveConfig {
        event_sink: Some("ftp://example.com/x".into()),
        ..LiveConfig::default()
    });
    assert!(
        e.to_string().contains("event_sink is not an http(s) URL"),
        "{e}"
    );
    let e = refused(LiveConfig {
        account: Some("AC00000000000000000000000000000000".into()),
        ..LiveConfig::default()
    });
    assert!(matches!(e, LiveError::UnknownAccount(_)), "{e}");
    let e = refused(LiveConfig {
        messages_per_minute: -1.0,
        ..LiveConfig::default()
    });
    assert!(e.to_string().contains("messages_per_minute"), "{e}");
    let e = refused(LiveConfig {
        faults: LiveFaults {
            drop_pct: 101,
            ..LiveFaults::default()
        },
        ..LiveConfig::default()
    });
    assert!(e.to_string().contains("drop_pct"), "{e}");

    let running = sim.sim().start_live(LiveConfig::default()).unwrap();
    assert_eq!(
        sim.sim().start_live(LiveConfig::default()).err(),
        Some(LiveError::AlreadyRunning)
    );
    running.stop().await;
}

#[tokio::test]
async fn live_traffic_goes_to_the_chosen_subaccount() {
    let sim = start().await;
    let sub = sim.dataset().accounts[1].clone();
    let stats = run(
        &sim,
        LiveConfig {
            speed: 600.0,
            messages_per_minute: 6.0,
            calls_per_minute: 0.0,
            account: Some(sub.sid.clone()),
            ..LiveConfig::default()
        },
        Duration::from_millis(300),
    )
    .await;
    assert!(stats.messages_created > 0);
    let page = get(
        &sim,
        "api.twilio.com",
        &format!(
            "/2010-04-01/Accounts/{}/Messages.json?PageSize=1000",
            sub.sid
        ),
        Cred::Token(&sub),
    )
    .await;
    let known: HashSet<String> = sub.messages.iter().map(|m| m.sid.to_string()).collect();
    let live = sids(&page.json(), "messages")
        .into_iter()
        .filter(|s| !known.contains(s))
        .count();
    assert_eq!(live as u64, stats.messages_created);
    assert!(
        live_messages(&sim).await.is_empty(),
        "the main account got none"
    );
}

#[tokio::test]
async fn the_admin_endpoint_shows_the_clock_and_the_counters() {
    let sim = start().await;
    let handle = sim
        .sim()
        .start_live(LiveConfig {
            speed: 600.0,
            messages_per_minute: 6.0,
            calls_per_minute: 0.0,
            ..LiveConfig::default()
        })
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = client()
        .get(format!("{}/__sim/live", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["running"], true);
    assert_eq!(body["speed"], 600.0);
    let now: jiff::Timestamp = body["now"].as_str().unwrap().parse().unwrap();
    assert!(now > sim.dataset().now());
    let created = body["stats"]["messages_created"].as_u64().unwrap();
    assert!(created > 0);
    assert_eq!(body["live_messages"].as_u64().unwrap(), created);
    handle.stop().await;
    let after: Value = client()
        .get(format!("{}/__sim/live", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["running"], false);
}

#[tokio::test]
async fn the_same_seed_creates_the_same_records_in_the_same_order() {
    async fn created(seed: u64) -> Vec<(String, String)> {
        let sim = start().await;
        run(
            &sim,
            LiveConfig {
                speed: 600.0,
                messages_per_minute: 6.0,
                calls_per_minute: 0.0,
                seed,
                ..LiveConfig::default()
            },
            Duration::from_millis(300),
        )
        .await;
        let mut live: Vec<Value> = live_messages(&sim).await.into_values().collect();
        live.sort_by_key(|m| {
            let created = rfc2822(m["date_created"].as_str().unwrap());
            (created, m["sid"].as_str().unwrap().to_string())
        });
        live.iter()
            .map(|m| {
                (
                    m["sid"].as_str().unwrap().into(),
                    m["body"].as_str().unwrap().into(),
                )
            })
            .collect()
    }
    let (a, b) = (created(11).await, created(11).await);
    // The runs stop at slightly different simulated instants: leave out the last few.
    let n = a.len().min(b.len()).saturating_sub(3);
    assert!(n >= 5, "too few records to compare");
    assert_eq!(a[..n], b[..n]);
    let c = created(12).await;
    assert_ne!(a[..n.min(c.len())], c[..n.min(c.len())]);
}
