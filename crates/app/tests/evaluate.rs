//! The running evaluator against real receivers on loopback: what it decides is queued and
//! sent through `notify`, and a send that hangs never holds an evaluation back.

use std::time::Duration;

use domain::Secret;
use notify::{Backoff, EventKind, Message, Policy, Sender, Timeouts};
use store::{DeliverySource, MasterKey, NewChannel, NewDelivery, SqliteStore, WatchStore};
use test_support::silent::SilentServer;
use test_support::webhook::WebhookReceiver;
use watch::{ChannelConfig, SmtpTls};

async fn store() -> (SqliteStore, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "app-evaluate-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let s = SqliteStore::open_dir(&dir, MasterKey::generate().unwrap())
        .await
        .unwrap();
    (s, dir)
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

/// An email channel to `port` on loopback, in the clear (allowed to this machine only).
async fn email_channel(s: &SqliteStore, name: &str, port: u16, now_ms: i64) -> store::ChannelId {
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
        now_ms,
    )
    .await
    .unwrap()
    .id
}

async fn webhook_channel(
    s: &SqliteStore,
    name: &str,
    url: String,
    now_ms: i64,
) -> store::ChannelId {
    s.create_channel(
        &NewChannel {
            name: name.into(),
            config: ChannelConfig::Webhook { url },
            secret: Some(Secret::new("k")),
        },
        now_ms,
    )
    .await
    .unwrap()
    .id
}

/// Issue 15, finding 3, the running loop: while a send hangs (timeouts far longer than this
/// test), the evaluator keeps evaluating, and the message of an alert that fires meanwhile goes
/// out through another channel at once, not after the stuck send.
#[tokio::test]
async fn finding_3_while_a_send_hangs_the_running_evaluator_fires_an_alert_and_sends_it() {
    use store::{NewAlert, NewMetric, NewSyncRun, RunStatus, Store as _, SyncRunEnd};
    let silent = SilentServer::start().await;
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let s = std::sync::Arc::new(s);
    let now = jiff::Timestamp::now().as_millisecond();
    enqueue(
        &s,
        email_channel(&s, "silent", silent.port(), now).await,
        now - 1_000,
    )
    .await;
    let hook = webhook_channel(&s, "hook", rx.url("/h"), now).await;
    let patient = Sender::new(Policy {
        allow_loopback: true,
        timeouts: Timeouts {
            connect: Duration::from_secs(120),
            smtp_step: Duration::from_secs(120),
            request: Duration::from_secs(120),
            send: Duration::from_secs(120),
        },
    })
    .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app::evaluate::run_evaluator(
        s.clone(),
        patient,
        Backoff::default(),
        Duration::from_millis(100),
        app::Clock::system(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    assert!(
        silent
            .wait_for_connections(1, Duration::from_secs(10))
            .await,
        "the stuck send started"
    );

    // Now a metric's sync fails, and its built-in alert is there to notice.
    let m = s
        .create_metric(
            &NewMetric {
                name: "Messages".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            now,
        )
        .await
        .unwrap();
    let run = s
        .start_sync_run(&NewSyncRun {
            metric_id: m.id,
            from_ms: now - 3_600_000,
            to_ms: now,
            started_ms: now,
        })
        .await
        .unwrap();
    s.finish_sync_run(
        run,
        &SyncRunEnd {
            status: RunStatus::Failed,
            ledger: serde_json::json!({}),
            error: Some("Twilio said no".into()),
            finished_ms: now,
        },
    )
    .await
    .unwrap();
    s.create_alert(
        &NewAlert {
            name: "sync failed".into(),
            metric_id: m.id,
            spec: watch::AlertSpec::Sync {
                builtin: watch::alert::BuiltinAlert::SyncFailed,
            },
            enabled: true,
            channels: vec![hook],
        },
        now,
    )
    .await
    .unwrap();

    let started = std::time::Instant::now();
    while rx.received().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the alert's webhook waited behind the stuck send"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rx.received()[0].json()["event"], "alert.fired");
    let _ = stop_tx.send(());
    // The stuck send is still stuck: stopping is the binary's deadline, not this loop's.
    running.abort();
}

/// The loop reads the clock it is given, for evaluating and for sending: a metric synced now
/// goes stale only when that clock moves two days on, and the alert's message is stamped and
/// sent at the clock's instant, not the system's.
#[tokio::test]
async fn the_running_evaluator_evaluates_and_sends_at_its_clocks_instant() {
    use store::{NewAlert, NewMetric, NewSyncRun, RunStatus, Store as _, SyncRunEnd};
    const DAY_MS: i64 = 24 * 3_600_000;
    let rx = WebhookReceiver::start().await;
    let (s, _dir) = store().await;
    let s = std::sync::Arc::new(s);
    let now = jiff::Timestamp::now().as_millisecond();
    let hook = webhook_channel(&s, "hook", rx.url("/h"), now).await;
    let m = s
        .create_metric(
            &NewMetric {
                name: "Messages".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            now,
        )
        .await
        .unwrap();
    let run = s
        .start_sync_run(&NewSyncRun {
            metric_id: m.id,
            from_ms: now - 3_600_000,
            to_ms: now,
            started_ms: now,
        })
        .await
        .unwrap();
    s.finish_sync_run(
        run,
        &SyncRunEnd {
            status: RunStatus::Succeeded,
            ledger: serde_json::json!({}),
            error: None,
            finished_ms: now,
        },
    )
    .await
    .unwrap();
    s.create_alert(
        &NewAlert {
            name: "stale".into(),
            metric_id: m.id,
            spec: watch::AlertSpec::Sync {
                builtin: watch::alert::BuiltinAlert::Stale { after_ms: DAY_MS },
            },
            enabled: true,
            channels: vec![hook],
        },
        now,
    )
    .await
    .unwrap();

    let time = app::ManualTime::at(now);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app::evaluate::run_evaluator(
        s.clone(),
        Sender::new(Policy {
            allow_loopback: true,
            ..Policy::default()
        })
        .unwrap(),
        Backoff::default(),
        Duration::from_millis(50),
        time.clone().into(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    // Several passes at the synced instant: nothing is stale yet.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(rx.received().is_empty(), "fired before the clock moved");

    let later = now + 2 * DAY_MS;
    time.set(later);
    let started = std::time::Instant::now();
    while rx.received().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the alert did not fire when the loop's clock moved on"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let at = jiff::Timestamp::from_millisecond(later)
        .unwrap()
        .to_string();
    let body = rx.received()[0].json();
    assert_eq!(body["event"], "alert.fired");
    assert_eq!(body["data"]["at"], at.as_str());
    assert_eq!(body["sent_at"], at.as_str());
    let _ = stop_tx.send(());
    running.await.unwrap();
}
