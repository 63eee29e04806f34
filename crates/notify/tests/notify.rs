//! Channels against real receivers on loopback: the tests' SMTP server and an axum webhook
//! receiver, through stored deliveries.

use std::time::Duration;

use domain::Secret;
use notify::{Backoff, EventKind, Message, Policy, Sender, Timeouts, deliver_due};
use store::{
    DeliverySource, DeliveryState, MasterKey, NewChannel, NewDelivery, SqliteStore, WatchStore,
};
use test_support::silent::SilentServer;
use test_support::smtp::SmtpServer;
use test_support::webhook::WebhookReceiver;
use watch::{ChannelConfig, SmtpTls};

async fn store() -> (SqliteStore, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("notify-test-{:016x}", rand_u64()));
    let s = SqliteStore::open_dir(&dir, MasterKey::generate().unwrap())
        .await
        .unwrap();
    (s, dir)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

fn loopback() -> Sender {
    Sender::new(Policy {
        allow_loopback: true,
        ..Policy::default()
    })
    .unwrap()
}

/// Loopback allowed and every bound short, for the tests of what must not hang.
fn quick() -> Sender {
    Sender::new(Policy {
        allow_loopback: true,
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            smtp_step: Duration::from_secs(1),
            request: Duration::from_secs(1),
            send: Duration::from_secs(3),
        },
    })
    .unwrap()
}

fn message() -> Message {
    Message {
        event: EventKind::AlertFired,
        title: "Failed messages above 10".into(),
        text: "Failed messages is 12 over the last hour (threshold 10).".into(),
        html: Some("<p>Failed messages is <b>12</b></p>".into()),
        data: serde_json::json!({"current": 12.0, "threshold": 10.0}),
        images: Vec::new(),
    }
}

async fn enqueue(s: &SqliteStore, channel: store::ChannelId, now_ms: i64) -> store::DeliveryId {
    s.create_delivery(
        &NewDelivery {
            channel_id: channel,
            source: DeliverySource::Test,
            message: serde_json::to_value(message()).unwrap(),
        },
        now_ms,
    )
    .await
    .unwrap()
    .id
}

const NOW: i64 = 1_767_225_600_000;

#[tokio::test]
async fn email_reaches_the_smtp_server_with_text_and_html_parts() {
    let smtp = SmtpServer::start().await;
    let (s, _dir) = store().await;
    let ch = s
        .create_channel(
            &NewChannel {
                name: "mail".into(),
                config: ChannelConfig::Email {
                    host: "127.0.0.1".into(),
                    port: smtp.port(),
                    tls: SmtpTls::None,
                    username: None,
                    from: "Switchboard <switchboard@example.com>".into(),
                    to: vec!["ops@example.com".into(), "cto@example.com".into()],
                },
                secret: None,
            },
            NOW,
        )
        .await
        .unwrap();
    let id = enqueue(&s, ch.id, NOW).await;
    let report = deliver_due(&s, &loopback(), Backoff::default(), NOW)
        .await
        .unwrap();
    assert_eq!(
        report.sent,
        1,
        "{:?}",
        s.delivery(id).await.unwrap().last_error
    );
    let mails = smtp.wait_for(1, 5).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "switchboard@example.com");
    assert_eq!(mail.to, vec!["ops@example.com", "cto@example.com"]);
    assert!(
        mail.data.contains("Subject: Failed messages above 10"),
        "{}",
        mail.data
    );
    assert!(
        mail.part("text/plain")
            .unwrap()
            .contains("Failed messages is 12 over the last hour")
    );
    assert!(mail.part("text/html").unwrap().contains("<b>12</b>"));
    assert_eq!(s.delivery(id).await.unwrap().state, DeliveryState::Sent);
}

#[tokio::test]
async fn plain_smtp_is_refused_to_another_host_and_with_credentials() {
    let (s, _dir) = store().await;
    for (host, username) in [
        ("smtp.example.com", None),
        ("127.0.0.1", Some("ops".to_owned())),
    ] {
        let ch = s
            .create_channel(
                &NewChannel {
                    name: format!("mail {host} {username:?}"),
                    config: ChannelConfig::Email {
                        host: host.into(),
                        port: 25,
                        tls: SmtpTls::None,
                        username,
                        from: "a@example.com".into(),
                        to: vec!["b@example.com".into()],
                    },
                    secret: Some(Secret::new("pw")),
                },
                NOW,
            )
            .await
            .unwrap();
        let id = enqueue(&s, ch.id, NOW).await;
        let report = deliver_due(&s, &loopback(), Backoff::default(), NOW)
            .await
            .unwrap();
        assert_eq!(report.failed, 1);
        let d = s.delivery(id).await.unwrap();
        assert_eq!(d.attempts, 1, "a refusal is not retried");
        assert!(d.last_error.unwrap().contains("TLS"));
    }
}

#[tokio::test]
async fn webhook_signature_verifies_with_the_channel_key() {
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let key = Secret::new("whsec-0123456789");
    let ch = s
        .create_channel(
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::Webhook {
                    url: rx.url("/hook"),
                },
                secret: Some(key.clone()),
            },
            NOW,
        )
        .await
        .unwrap();
    let id = enqueue(&s, ch.id, NOW).await;
    let report = deliver_due(&s, &loopback(), Backoff::default(), NOW)
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let ts = r.header(notify::TIMESTAMP_HEADER).unwrap();
    let sig = r.header(notify::SIGNATURE_HEADER).unwrap();
    assert_eq!(ts, (NOW / 1000).to_string());
    assert_eq!(
        notify::verify(&key, &ts, &r.body, &sig, NOW / 1000 + 5, 300),
        Ok(())
    );
    assert!(notify::verify(&Secret::new("wrong"), &ts, &r.body, &sig, NOW / 1000, 300).is_err());
    let body = r.json();
    assert_eq!(body["event"], "alert.fired");
    assert_eq!(body["delivery_id"], id.0);
    assert_eq!(body["data"]["current"], 12.0);
    assert_eq!(
        r.header("x-switchboard-event").as_deref(),
        Some("alert.fired")
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_then_marked_failed() {
    let rx = WebhookReceiver::start().await;
    rx.always(500);
    let (s, _dir) = store().await;
    let ch = s
        .create_channel(
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::Webhook {
                    url: rx.url("/down"),
                },
                secret: Some(Secret::new("k")),
            },
            NOW,
        )
        .await
        .unwrap();
    let id = enqueue(&s, ch.id, NOW).await;
    let backoff = Backoff {
        first: Duration::from_secs(10),
        factor: 3,
        max_attempts: 3,
    };
    let sender = loopback();
    let r1 = deliver_due(&s, &sender, backoff, NOW).await.unwrap();
    assert_eq!(r1.retrying, 1);
    let d = s.delivery(id).await.unwrap();
    assert_eq!(
        (d.state, d.attempts, d.next_attempt_ms),
        (DeliveryState::Pending, 1, NOW + 10_000)
    );
    assert_eq!(
        d.last_error.as_deref(),
        Some("the receiver answered HTTP 500")
    );
    // Not due before the backoff ends.
    assert_eq!(
        deliver_due(&s, &sender, backoff, NOW + 9_999)
            .await
            .unwrap()
            .retrying,
        0
    );
    deliver_due(&s, &sender, backoff, NOW + 10_000)
        .await
        .unwrap();
    // The second wait is three times the first.
    assert_eq!(
        s.delivery(id).await.unwrap().next_attempt_ms,
        NOW + 10_000 + 30_000
    );
    let r3 = deliver_due(&s, &sender, backoff, NOW + 40_000)
        .await
        .unwrap();
    assert_eq!(r3.failed, 1);
    let d = s.delivery(id).await.unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Failed, 3));
    assert_eq!(rx.received().len(), 3);
    assert!(
        deliver_due(&s, &sender, backoff, NOW + 10_000_000)
            .await
            .unwrap()
            == Default::default()
    );
}

#[tokio::test]
async fn a_receiver_that_recovers_gets_the_message_and_4xx_is_not_retried() {
    let rx = WebhookReceiver::start().await;
    rx.script(&[503]);
    let (s, _dir) = store().await;
    let ch = s
        .create_channel(
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::Webhook { url: rx.url("/x") },
                secret: Some(Secret::new("k")),
            },
            NOW,
        )
        .await
        .unwrap();
    let id = enqueue(&s, ch.id, NOW).await;
    let b = Backoff::default();
    deliver_due(&s, &loopback(), b, NOW).await.unwrap();
    deliver_due(&s, &loopback(), b, NOW + 30_000).await.unwrap();
    assert_eq!(s.delivery(id).await.unwrap().state, DeliveryState::Sent);

    rx.script(&[404]);
    let id = enqueue(&s, ch.id, NOW).await;
    let r = deliver_due(&s, &loopback(), b, NOW + 60_000).await.unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(s.delivery(id).await.unwrap().attempts, 1);
}

#[tokio::test]
async fn slack_gets_blocks_with_a_text_fallback() {
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let ch = s
        .create_channel(
            &NewChannel {
                name: "slack".into(),
                config: ChannelConfig::Slack,
                secret: Some(Secret::new(rx.url("/services/T/B/X"))),
            },
            NOW,
        )
        .await
        .unwrap();
    enqueue(&s, ch.id, NOW).await;
    assert_eq!(
        deliver_due(&s, &loopback(), Backoff::default(), NOW)
            .await
            .unwrap()
            .sent,
        1
    );
    let body = rx.received()[0].json();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("Failed messages above 10")
    );
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][1]["text"]["type"], "mrkdwn");
    assert_eq!(rx.received()[0].path, "/services/T/B/X");
}

#[tokio::test]
async fn without_the_test_setting_loopback_and_http_are_refused() {
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let ch = s
        .create_channel(
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::Webhook { url: rx.url("/x") },
                secret: Some(Secret::new("k")),
            },
            NOW,
        )
        .await
        .unwrap();
    let id = enqueue(&s, ch.id, NOW).await;
    let strict = Sender::new(Policy::default()).unwrap();
    let r = deliver_due(&s, &strict, Backoff::default(), NOW)
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    assert!(rx.received().is_empty());
    let d = s.delivery(id).await.unwrap();
    assert!(d.last_error.unwrap().contains("https"));
}

/// An email channel to `port` on loopback, in the clear (allowed to this machine only).
async fn email_channel(s: &SqliteStore, name: &str, port: u16) -> store::ChannelId {
    s.create_channel(
        &NewChannel {
            name: name.into(),
            config: ChannelConfig::Email {
                host: "127.0.0.1".into(),
                port,
                tls: SmtpTls::None,
                username: None,
                from: "switchboard@example.com".into(),
                to: vec!["ops@example.com".into()],
            },
            secret: None,
        },
        NOW,
    )
    .await
    .unwrap()
    .id
}

async fn webhook_channel(s: &SqliteStore, name: &str, url: String) -> store::ChannelId {
    s.create_channel(
        &NewChannel {
            name: name.into(),
            config: ChannelConfig::Webhook { url },
            secret: Some(Secret::new("k")),
        },
        NOW,
    )
    .await
    .unwrap()
    .id
}

/// Issue 15, finding 3: an SMTP server that accepts the connection and never greets held
/// `deliver_due` for ever, and every delivery queued behind it. Now the attempt fails within
/// the bound, and the other channel's delivery goes out in the same pass.
#[tokio::test]
async fn finding_3_a_silent_smtp_server_neither_hangs_a_pass_nor_holds_other_channels() {
    let silent = SilentServer::start().await;
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    // The silent channel's delivery is older, so it is claimed first.
    let stuck = enqueue(&s, email_channel(&s, "silent", silent.port()).await, NOW).await;
    let hook = enqueue(&s, webhook_channel(&s, "hook", rx.url("/h")).await, NOW).await;
    let started = std::time::Instant::now();
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        deliver_due(&s, &quick(), Backoff::default(), NOW),
    )
    .await
    .expect("a pass must not hang on a server that never greets")
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((report.sent, report.retrying), (1, 1), "{report:?}");
    assert_eq!(s.delivery(hook).await.unwrap().state, DeliveryState::Sent);
    assert_eq!(rx.received().len(), 1);
    let d = s.delivery(stuck).await.unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 1));
    let error = d.last_error.unwrap();
    assert!(
        error.contains("greet") && error.contains("127.0.0.1"),
        "{error}"
    );
}

/// Issue 15, finding 3: a delivery whose sender died (or hung) mid-attempt was claimed again
/// after a restart, attempt after attempt, never failed. Now its lapsed claim counts as one
/// failed attempt and follows the retry schedule: a retry after the backoff, then failed.
#[tokio::test]
async fn finding_3_a_claim_that_outlives_its_lease_counts_as_a_failed_attempt() {
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let ch = webhook_channel(&s, "hook", rx.url("/h")).await;
    let id = enqueue(&s, ch, NOW).await;
    let backoff = Backoff {
        first: Duration::from_secs(60),
        factor: 2,
        max_attempts: 2,
    };
    // A process claims it and dies without a word.
    let lease = Duration::from_secs(120);
    let claimed = s.claim_delivery("dead", lease, NOW).await.unwrap().unwrap();
    assert_eq!((claimed.id, claimed.attempts), (id, 1));
    // Within the lease the claim is respected: nothing is sent, nothing is counted.
    let r = deliver_due(&s, &quick(), backoff, NOW + 120_000)
        .await
        .unwrap();
    assert_eq!(r, Default::default());
    let after = NOW + 120_001;

    let r = deliver_due(&s, &quick(), backoff, after).await.unwrap();
    assert_eq!((r.sent, r.retrying, r.failed), (0, 1, 0), "{r:?}");
    assert!(rx.received().is_empty(), "the retry waits for its backoff");
    let d = s.delivery(id).await.unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 1));
    assert_eq!(d.next_attempt_ms, after + 60_000);
    assert!(d.last_error.unwrap().contains("did not finish"));

    let r = deliver_due(&s, &quick(), backoff, after + 60_000)
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(s.delivery(id).await.unwrap().attempts, 2);
    assert_eq!(rx.received().len(), 1);

    // When the lapsed attempt was the last one allowed, the delivery fails without a send.
    let id = enqueue(&s, ch, NOW).await;
    let once = Backoff {
        max_attempts: 1,
        ..backoff
    };
    s.claim_delivery("dead", lease, NOW).await.unwrap().unwrap();
    let r = deliver_due(&s, &quick(), once, after).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    let d = s.delivery(id).await.unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Failed, 1));
    assert_eq!(rx.received().len(), 1);
}

/// The HTTP side of the same bound: a webhook receiver that accepts the connection and never
/// answers fails the attempt within the request timeout.
#[tokio::test]
async fn a_webhook_receiver_that_never_answers_fails_the_attempt_within_the_bound() {
    let silent = SilentServer::start().await;
    let (s, _dir) = store().await;
    let id = enqueue(&s, webhook_channel(&s, "hook", silent.url("/h")).await, NOW).await;
    let started = std::time::Instant::now();
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        deliver_due(&s, &quick(), Backoff::default(), NOW),
    )
    .await
    .expect("a pass must not hang on a receiver that never answers")
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.retrying, 1, "{report:?}");
    assert_eq!(silent.accepted(), 1);
    let error = s.delivery(id).await.unwrap().last_error.unwrap();
    assert_eq!(error, "the receiver did not answer within 1 s");
}
