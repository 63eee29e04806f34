//! Real time end to end (issue 22): the simulator in live mode pushes signed status callbacks and
//! Event Streams batches, with duplicates and reordering, to the app served on a loopback port.
//! A board's Number block moves with them before any poll; after the poll the metric's buckets and
//! the block equal those of a poll-only run against the same simulator.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::Secret;
use serde_json::json;
use store::{AnyStore, BucketQuery, LiveStore as _, MetricId, Store as _};
use support::{Session, TestApp};
use twilio_sim::{LiveConfig, LiveFaults, SimConfig, SimHandle, Sizes};

async fn live_sim() -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 22,
        now: jiff::Timestamp::now(),
        sizes: Sizes {
            messages_per_day: 40,
            calls_per_day: 4,
            days: 2,
            subaccounts: 0,
            conferences_per_day: 0,
            verify_attempts_per_day: 0,
            ..Sizes::default()
        },
        faults: Default::default(),
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

fn connector_for(sim: &SimHandle) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        max_in_flight: 4,
        ..ConnectorConfig::default()
    })
    .unwrap()
}

/// What one app of the test holds: the metric "Messages delivered" of the simulator's main
/// account and a board with one Number block of it over today.
struct Watched {
    app: TestApp,
    admin: Session,
    connector: Connector,
    metric: MetricId,
    connection: store::ConnectionId,
    csv_path: String,
}

async fn watched(sim: &SimHandle, app: TestApp) -> Watched {
    let admin = app.admin().await;
    let account = sim.dataset().main_account();
    let key = account.main_key().unwrap();
    let saved = app
        .post_form(
            "/connections",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("label", "live"),
                ("account_sid", &account.sid),
                ("api_key_sid", &key.sid),
                ("secret", &key.secret),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let added = app
        .post_form(
            "/library/add",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("slug", "messages-delivered"),
                ("connection", "live"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let store = app.state.store();
    let metric = store
        .list_metrics()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Messages delivered")
        .expect("the library metric")
        .id;
    let connection = store
        .connection_by_label("live")
        .await
        .unwrap()
        .expect("the saved connection")
        .id;
    let token = app.token(&admin).await;
    let board = app
        .state
        .app()
        .create_board(app::BoardName::parse("Live").unwrap())
        .await
        .unwrap();
    let reply = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{}/blocks", board.id.0),
            Some(&token),
            Some(json!({ "kind": "number", "title": "Delivered today", "metrics": [metric.0], "range": "today" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let block = reply.json()["block"]["id"].as_i64().unwrap();
    Watched {
        connector: connector_for(sim),
        csv_path: format!("/boards/{}/blocks/{block}.csv", board.id.0),
        app,
        admin,
        metric,
        connection,
    }
}

impl Watched {
    async fn poll(&self) {
        let syncer = metric_sync::Syncer::new(
            Arc::clone(self.app.state.store()),
            self.connector.clone(),
            metric_sync::SyncConfig::default(),
        );
        let report = syncer
            .sync_metric(self.metric, jiff::Timestamp::now())
            .await
            .unwrap();
        assert!(report.error().is_none(), "{:?}", report.error());
    }

    /// The block's value as its CSV export gives it (what the board draws), `None` when the
    /// block shows no data.
    async fn block_value(&self) -> Option<f64> {
        let reply = self.app.get(&self.csv_path, Some(&self.admin)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let mut total = None;
        for line in reply.body.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            // title, metric, dimension, start, end, value
            if cells.len() >= 6 && cells[2].is_empty() && !cells[5].is_empty() {
                *total.get_or_insert(0.0) += cells[5].parse::<f64>().unwrap();
            }
        }
        total
    }

    async fn all_buckets(&self) -> Vec<store::BucketRow> {
        let mut rows = self
            .app
            .state
            .store()
            .buckets(&BucketQuery {
                metric: self.metric,
                dimension: None,
                from_ms: 0,
                to_ms: i64::MAX / 2,
            })
            .await
            .unwrap();
        rows.sort_by(|a, b| (a.hour_ms, &a.dimension).cmp(&(b.hour_ms, &b.dimension)));
        rows
    }
}

async fn serve(app: &TestApp) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_pushes_move_a_board_block_before_the_poll_which_then_equals_a_poll_only_run() {
    let sim = live_sim().await;
    let live = watched(
        &sim,
        support::spawn_app_with_connector(connector_for(&sim)).await,
    )
    .await;
    live.poll().await;
    let before = live
        .block_value()
        .await
        .expect("a synced metric has a value");

    let store: &Arc<AnyStore> = live.app.state.store();
    let auth_token = sim.dataset().main_account().auth_token.clone();
    let hook = store
        .set_connection_auth_token(
            live.connection,
            Some(&Secret::new(auth_token)),
            jiff::Timestamp::now().as_millisecond(),
        )
        .await
        .unwrap();
    let (addr, _stop) = serve(&live.app).await;
    let base = format!("http://{addr}/hooks/twilio/{hook}");

    let running = sim
        .sim()
        .start_live(LiveConfig {
            speed: 1.0,
            messages_per_minute: 600.0,
            calls_per_minute: 0.0,
            account: None,
            message_callback: Some(format!("{base}/messages")),
            call_callback: None,
            event_sink: Some(format!("{base}/events")),
            faults: LiveFaults {
                duplicate_pct: 30,
                reorder_pct: 30,
                max_delay_ms: 300,
                drop_pct: 0,
            },
            seed: 22,
        })
        .unwrap();

    // No poll runs from here until the traffic stops: whatever moves the block is pushed.
    let mut seen = vec![before];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(12) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(v) = live.block_value().await {
            seen.push(v);
        }
    }
    let stats = running.stop().await;
    assert!(stats.messages_created > 0, "{stats:?}");
    assert!(
        stats.duplicated > 0 && stats.reordered > 0,
        "faults on: {stats:?}"
    );
    assert_eq!(
        stats.pushes_failed, 0,
        "every push reached the app: {stats:?}"
    );
    let moved = seen.iter().copied().fold(before, f64::max);
    assert!(
        moved > before,
        "the block never moved above its polled {before} before the poll: {seen:?}"
    );
    // Duplicates and out-of-order pushes count once: never more delivered than were created.
    assert!(
        moved - before <= stats.messages_created as f64,
        "the block rose by {} with {} messages created: {seen:?}",
        moved - before,
        stats.messages_created
    );

    live.poll().await;
    let after_poll = live.block_value().await;
    let ledger = store.realtime_ledger(live.metric, 10).await.unwrap();
    assert!(!ledger.is_empty(), "the poll records how far real time was");
    let ledgers = live
        .app
        .get(
            &format!("/metrics/{}?tab=ledgers", live.metric.0),
            Some(&live.admin),
        )
        .await;
    assert!(
        ledgers
            .body
            .contains("Real-time matched the polled value exactly")
            || ledgers.body.contains("Real-time was within"),
        "the metric's ledgers say how far real time was: {}",
        ledgers.body
    );

    // The same simulator, polled only, after the traffic.
    let polled_only = watched(
        &sim,
        support::spawn_app_with_connector(connector_for(&sim)).await,
    )
    .await;
    polled_only.poll().await;
    assert_eq!(
        live.all_buckets().await,
        polled_only.all_buckets().await,
        "after the poll the live app holds exactly the poll-only run's buckets"
    );
    assert_eq!(after_poll, polled_only.block_value().await);
}
