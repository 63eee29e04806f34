//! Twilio's pushed events on a real socket: `web::serve` on a loopback port, status callbacks
//! and Event Streams deliveries signed in the test from Twilio's documented algorithm (HMAC-SHA1
//! under the Auth Token over the URL and the sorted parameters, base64; `bodySHA256` for JSON),
//! never with the code under test.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use store::{ConnectionId, LiveStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use web::WebConfig;

use support::TestApp;

/// An Auth Token as Twilio shapes them (32 hex digits).
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// The signature Twilio sends: base64(HMAC-SHA1(token, url + each param's name and value, sorted
/// by name)).
fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(b.1)));
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn form(params: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn hex_sha256(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn message_sid(n: u32) -> String {
    format!("SM{n:032x}")
}

/// A message status callback's parameters, as Twilio sends them.
fn message_params<'a>(sid: &'a str, status: &'a str, account: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("AccountSid", account),
        ("From", "+15005550006"),
        ("To", "+15558675310"),
        ("ApiVersion", "2010-04-01"),
    ]
}

/// The app served on a loopback port; the server stops when the sender drops.
struct Served {
    app: TestApp,
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    connection: ConnectionId,
    hook_key: String,
    account: String,
    metric: store::StoredMetric,
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Served {
    async fn start(app: TestApp) -> Served {
        let admin = app.admin().await;
        let metric = app
            .add_connection_and_library_metric(&admin, "twilio", "messages-delivered")
            .await;
        let connection = app
            .state
            .store()
            .connection_by_label("twilio")
            .await
            .unwrap()
            .unwrap()
            .id;
        let hook_key = app
            .state
            .store()
            .set_connection_auth_token(
                connection,
                Some(&domain::Secret::new(TOKEN)),
                jiff::Timestamp::now().as_millisecond(),
            )
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(web::serve(listener, app.state.clone(), async move {
            let _ = stopped.await;
        }));
        Served {
            app,
            addr,
            _stop: stop,
            connection,
            hook_key,
            account: support::shared().account_sid.clone(),
            metric,
        }
    }

    fn path(&self, last: &str) -> String {
        format!("/hooks/twilio/{}/{last}", self.hook_key)
    }

    /// The URL Twilio would have requested: this server's loopback address.
    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// POSTs `body` to `path_and_query` over a fresh connection and reads the whole answer.
    async fn post(
        &self,
        path_and_query: &str,
        content_type: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let mut head = format!(
            "POST {path_and_query} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.addr,
            body.len()
        );
        if let Some(s) = signature {
            head.push_str(&format!("X-Twilio-Signature: {s}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Answer {
            status,
            head: head.to_ascii_lowercase(),
            body: body.to_owned(),
        }
    }

    /// A message callback signed for this server's URL with `token`.
    async fn message_callback(&self, sid: &str, status: &str, token: Option<&str>) -> Answer {
        let path = self.path("messages");
        let params = message_params(sid, status, &self.account);
        let signature = token.map(|t| twilio_signature(t, &self.url(&path), &params));
        self.post(
            &path,
            "application/x-www-form-urlencoded",
            signature.as_deref(),
            &form(&params),
        )
        .await
    }

    async fn events(&self) -> Vec<store::LiveEventSummary> {
        self.app
            .state
            .store()
            .recent_live_events(self.connection, 100)
            .await
            .unwrap()
    }

    /// The metric's stored total over the hours around now.
    async fn total(&self) -> f64 {
        let now = jiff::Timestamp::now().as_millisecond();
        metric_sync::buckets(
            self.app.state.store().as_ref(),
            self.metric.id,
            now - 3 * 3_600_000,
            now + 3 * 3_600_000,
        )
        .await
        .unwrap()
        .iter()
        .map(|b| b.sum)
        .sum()
    }
}

async fn served_with(config: WebConfig) -> Served {
    Served::start(support::spawn_app_with(config).await).await
}

async fn served() -> Served {
    served_with(WebConfig::default()).await
}

async fn a_signed_message_callback_is_stored_and_answered_204(s: Served) {
    let sid = message_sid(1);
    let r = s.message_callback(&sid, "delivered", Some(TOKEN)).await;
    assert_eq!(r.status, 204, "{} {}", r.head, r.body);
    assert!(r.body.is_empty(), "{}", r.body);
    let events = s.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].sid, sid);
    assert_eq!(events[0].status, "delivered");
    assert_eq!(events[0].source, "callback");
}

#[tokio::test]
async fn a_signed_message_callback_is_stored_on_sqlite() {
    a_signed_message_callback_is_stored_and_answered_204(served().await).await;
}

#[tokio::test]
async fn a_signed_message_callback_is_stored_on_postgres() {
    let Some((app, _schema)) = support::spawn_app_pg_with(WebConfig::default()).await else {
        return;
    };
    a_signed_message_callback_is_stored_and_answered_204(Served::start(app).await).await;
}

#[tokio::test]
async fn an_unsigned_callback_is_refused_and_changes_nothing() {
    let s = served().await;
    let r = s.message_callback(&message_sid(2), "delivered", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(s.events().await.is_empty());
    let stats = s.app.state.realtime().stats(s.connection);
    assert_eq!(stats.refused.get("no signature"), Some(&1), "{stats:?}");
}

#[tokio::test]
async fn a_callback_signed_with_another_token_is_refused() {
    let s = served().await;
    let other = "fedcba9876543210fedcba9876543210";
    let r = s
        .message_callback(&message_sid(3), "delivered", Some(other))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(s.events().await.is_empty());
}

#[tokio::test]
async fn a_callback_whose_signed_parameters_were_changed_is_refused() {
    let s = served().await;
    let path = s.path("messages");
    let sid = message_sid(4);
    let signed = message_params(&sid, "delivered", &s.account);
    let signature = twilio_signature(TOKEN, &s.url(&path), &signed);
    let sent = message_params(&sid, "failed", &s.account);
    let r = s
        .post(
            &path,
            "application/x-www-form-urlencoded",
            Some(&signature),
            &form(&sent),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(s.events().await.is_empty());
}

#[tokio::test]
async fn a_callback_to_an_unknown_hook_key_is_refused_without_saying_why() {
    let s = served().await;
    let path = "/hooks/twilio/no-such-key/messages";
    let sid = message_sid(5);
    let params = message_params(&sid, "delivered", &s.account);
    let signature = twilio_signature(TOKEN, &s.url(path), &params);
    let r = s
        .post(
            path,
            "application/x-www-form-urlencoded",
            Some(&signature),
            &form(&params),
        )
        .await;
    assert_eq!(r.status, 403);
    // The same words as a bad signature: a caller learns nothing about which keys exist.
    let bad = s.message_callback(&sid, "delivered", None).await;
    assert_eq!(r.body, bad.body);
    assert!(s.events().await.is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_never_echoed() {
    let s = served_with(WebConfig {
        realtime: app::RealtimeConfig {
            max_form_bytes: 1024,
            ..app::RealtimeConfig::default()
        },
        ..WebConfig::default()
    })
    .await;
    let path = s.path("messages");
    let sid = message_sid(6);
    let filler = "Z".repeat(2000);
    let mut params = message_params(&sid, "delivered", &s.account);
    params.push(("Body", &filler));
    let signature = twilio_signature(TOKEN, &format!("http://localhost{path}"), &params);
    // In process: a socket would reset under a client still sending what the server refused.
    let r = s
        .app
        .send(
            Request::post(&path)
                .header(header::HOST, "localhost")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("x-twilio-signature", signature)
                .body(Body::from(form(&params)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(!r.body.contains("ZZZ"), "{}", r.body);
    assert!(s.events().await.is_empty());
}

#[tokio::test]
async fn a_replayed_callback_is_answered_but_changes_nothing_twice() {
    let s = served().await;
    let sid = message_sid(7);
    let first = s.message_callback(&sid, "delivered", Some(TOKEN)).await;
    let again = s.message_callback(&sid, "delivered", Some(TOKEN)).await;
    assert_eq!((first.status, again.status), (204, 204));
    let stats = s.app.state.realtime().stats(s.connection);
    assert_eq!((stats.accepted, stats.duplicates), (1, 1), "{stats:?}");
    let events = s.events().await;
    assert!(
        events.iter().filter(|e| e.outcome == "applied").count() == 1,
        "{events:?}"
    );
}

#[tokio::test]
async fn callbacks_beyond_the_rate_are_answered_429_with_retry_after() {
    let s = served_with(WebConfig {
        realtime: app::RealtimeConfig {
            rate_per_second: 1,
            burst: 2,
            ..app::RealtimeConfig::default()
        },
        ..WebConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    let mut last = None;
    for n in 0..3 {
        let r = s
            .message_callback(&message_sid(10 + n), "sent", Some(TOKEN))
            .await;
        statuses.push(r.status);
        last = Some(r);
    }
    assert_eq!(statuses, vec![204, 204, 429]);
    let last = last.unwrap();
    assert!(last.head.contains("retry-after: 1"), "{}", last.head);
    assert_eq!(s.events().await.len(), 2);
}

#[tokio::test]
async fn an_event_streams_batch_signed_through_body_sha256_is_stored() {
    let s = served().await;
    let sid = message_sid(20);
    let body = serde_json::to_vec(&serde_json::json!([{
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.delivered",
        "source": format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", s.account),
        "id": "EZ00000000000000000000000000000001",
        "datacontenttype": "application/json",
        "time": jiff::Timestamp::now().to_string(),
        "data": {
            "messageSid": sid,
            "accountSid": s.account,
            "messageStatus": "DELIVERED",
            "from": "+15005550006",
            "to": "+15558675310",
        }
    }]))
    .unwrap();
    let path = format!("{}?bodySHA256={}", s.path("events"), hex_sha256(&body));
    let signature = twilio_signature(TOKEN, &s.url(&path), &[]);
    let r = s
        .post(&path, "application/json", Some(&signature), &body)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let events = s.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].sid.as_str(), events[0].source.as_str()),
        (sid.as_str(), "event_stream")
    );

    // The same URL and signature over another body: its hash no longer matches.
    let mut changed = body.clone();
    changed.extend_from_slice(b" ");
    let r = s
        .post(&path, "application/json", Some(&signature), &changed)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn the_signed_url_is_the_public_url_with_its_port_and_the_query() {
    let public = "https://hooks.example.test:8443";
    let s = served_with(WebConfig {
        public_url: Some(web::client::PublicUrl::parse(public).unwrap()),
        ..WebConfig::default()
    })
    .await;
    let path = format!("{}?tag=eu&n=1", s.path("messages"));
    let sid = message_sid(30);
    let params = message_params(&sid, "delivered", &s.account);

    // Signed for the loopback address the server really listens on: not what Twilio asked.
    let loopback = twilio_signature(TOKEN, &s.url(&path), &params);
    let r = s
        .post(
            &path,
            "application/x-www-form-urlencoded",
            Some(&loopback),
            &form(&params),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let signature = twilio_signature(TOKEN, &format!("{public}{path}"), &params);
    let r = s
        .post(
            &path,
            "application/x-www-form-urlencoded",
            Some(&signature),
            &form(&params),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.events().await.len(), 1);
}

/// New delivered messages raise the synced metric's stored value before any poll, by exactly
/// their number: duplicates, a message only sent and an out-of-order `sent` add nothing.
async fn callbacks_raise_a_synced_metric_by_the_new_delivered_messages(s: Served) {
    support::sync_now(&s.app, s.metric.id).await;
    let before = s.total().await;
    // The cutoff is the end of the sync: events must come after it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let delivered: Vec<String> = (0..3).map(|n| message_sid(100 + n)).collect();
    let only_sent = message_sid(200);
    let sends: Vec<(&str, &str)> = vec![
        (&delivered[0], "sent"),
        (&delivered[0], "delivered"),
        (&delivered[1], "sent"),
        (&delivered[1], "delivered"),
        // Out of order: the later status first.
        (&delivered[2], "delivered"),
        (&delivered[2], "sent"),
        // Delivered twice.
        (&delivered[0], "delivered"),
        (&only_sent, "sent"),
    ];
    for (sid, status) in &sends {
        let r = s.message_callback(sid, status, Some(TOKEN)).await;
        assert_eq!(r.status, 204, "{sid} {status}: {}", r.body);
    }
    let answered = Instant::now();
    let expected = before + delivered.len() as f64;
    let mut now = s.total().await;
    while now != expected && answered.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(25)).await;
        now = s.total().await;
    }
    assert_eq!(
        now,
        expected,
        "after {:?}: {before} before, {} delivered",
        answered.elapsed(),
        delivered.len()
    );
    let stats = s.app.state.realtime().stats(s.connection);
    assert_eq!((stats.duplicates, stats.stale), (1, 1), "{stats:?}");
}

#[tokio::test]
async fn callbacks_raise_a_synced_metric_within_2_s_on_sqlite() {
    callbacks_raise_a_synced_metric_by_the_new_delivered_messages(served().await).await;
}

#[tokio::test]
async fn callbacks_raise_a_synced_metric_within_2_s_on_postgres() {
    let Some((app, _schema)) = support::spawn_app_pg_with(WebConfig::default()).await else {
        return;
    };
    callbacks_raise_a_synced_metric_by_the_new_delivered_messages(Served::start(app).await).await;
}

#[tokio::test]
async fn a_signed_call_callback_is_stored() {
    let s = served().await;
    let path = s.path("calls");
    let sid = format!("CA{:032x}", 1);
    let params = [
        ("CallSid", sid.as_str()),
        ("AccountSid", s.account.as_str()),
        ("CallStatus", "completed"),
        ("StatusCallbackEvent", "completed"),
        ("CallDuration", "42"),
        ("Timestamp", "Sat, 05 Dec 2026 12:00:00 +0000"),
        ("SequenceNumber", "3"),
        ("From", "+15005550006"),
        ("To", "+15558675310"),
    ];
    let signature = twilio_signature(TOKEN, &s.url(&path), &params);
    let r = s
        .post(
            &path,
            "application/x-www-form-urlencoded",
            Some(&signature),
            &form(&params),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let events = s.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].kind.as_str(), events[0].status.as_str()),
        ("call", "completed")
    );
}

#[tokio::test]
async fn a_signed_body_that_is_no_callback_is_answered_400_in_words_without_echoing_it() {
    let s = served().await;
    let path = s.path("messages");
    // No MessageSid: Twilio's request, but not a status callback.
    let params = [
        ("AccountSid", s.account.as_str()),
        ("MessageStatus", "delivered"),
        ("Marker", "ECHO-ME-NOT"),
    ];
    let signature = twilio_signature(TOKEN, &s.url(&path), &params);
    let r = s
        .post(
            &path,
            "application/x-www-form-urlencoded",
            Some(&signature),
            &form(&params),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("MessageSid"), "{}", r.body);
    assert!(!r.body.contains("ECHO-ME-NOT"), "{}", r.body);
    assert!(s.events().await.is_empty());
}

#[tokio::test]
async fn a_burst_of_concurrent_callbacks_is_stored_whole() {
    let s = std::sync::Arc::new(served().await);
    let n = 200u32;
    let mut sending = tokio::task::JoinSet::new();
    for i in 0..n {
        let s = std::sync::Arc::clone(&s);
        sending.spawn(async move {
            s.message_callback(&message_sid(1000 + i), "sent", Some(TOKEN))
                .await
                .status
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = sending.join_next().await {
        statuses.push(status.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    let stats = s.app.state.realtime().stats(s.connection);
    assert_eq!(stats.accepted, u64::from(n), "{stats:?}");
    let stored = s
        .app
        .state
        .store()
        .recent_live_events(s.connection, 1000)
        .await
        .unwrap();
    assert_eq!(stored.len(), n as usize);
}

/// A live part computed while a poll ran can land on top of the poll's values (computed under
/// the old cutoff, written after the poll's window): once the poll's run is recorded, the next
/// pass computes those hours again under the new cutoff, and the stored value is the poll's.
#[tokio::test]
async fn a_live_part_left_on_top_of_a_poll_is_dropped_once_the_poll_is_recorded() {
    use store::{BucketQuery, LiveHour, Store as _};
    let s = served().await;
    support::sync_now(&s.app, s.metric.id).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    for n in 0..2 {
        let r = s
            .message_callback(&message_sid(300 + n), "delivered", Some(TOKEN))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    s.app.state.realtime().flush().await;
    let store = s.app.state.store();
    let hour = jiff::Timestamp::now()
        .as_millisecond()
        .div_euclid(3_600_000)
        * 3_600_000;
    let seen = store
        .buckets(&BucketQuery {
            metric: s.metric.id,
            dimension: None,
            from_ms: hour,
            to_ms: hour + 3_600_000,
        })
        .await
        .unwrap();
    let polled_total = s.total().await;
    // The poll saw the two messages too: it writes the hour as it is now.
    store
        .replace_window(s.metric.id, hour, hour + 3_600_000, &seen)
        .await
        .unwrap();
    assert_eq!(s.total().await, polled_total);
    // The recompute that ran under the old cutoff lands after the poll's window.
    let dimension = seen
        .first()
        .map_or_else(String::new, |b| b.dimension.clone());
    let stale = store::BucketRow {
        dimension,
        hour_ms: hour,
        sum: 2.0,
        count: 2,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: hour,
    };
    store
        .write_live_hours(
            s.metric.id,
            &[LiveHour {
                hour_ms: hour,
                buckets: vec![stale],
            }],
        )
        .await
        .unwrap();
    assert_eq!(s.total().await, polled_total + 2.0, "counted twice for now");
    // The poll's run is recorded: its end is the metric's new cutoff.
    support::good_run(store, s.metric.id, hour, hour + 3_600_000).await;
    s.app.state.realtime().flush().await;
    assert_eq!(
        s.total().await,
        polled_total,
        "the hour is the poll's value again"
    );
}
