//! Benchmark of a metric over every account of a connection (issue 21), each figure against
//! its floor measured in the same run.
//!
//! (1) Backfill: 100 subaccounts (101 accounts) × 30 days of messages, the simulator adding
//!     150 ms per request, the connector's in-flight limit 8: the sync's time against the floor
//!     (requests the simulator answered ÷ 8) × 150 ms. Goal: at most 1.3× the floor.
//! (2) An hourly incremental round over the 101 accounts × 5 metrics (messages by status,
//!     message segments by direction, call minutes, calls by status, spend by category: three
//!     distinct requests, the metrics of one request sharing its fetch), each from its synced
//!     spans with the usual look-back, the simulator at 150 ms. Goal: under 30 s.
//!
//! `cargo bench -p metric-sync --bench subaccounts` (`-- --quick`: 10 subaccounts × 3 days at
//! 20 ms, a smoke run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::{AccountSid, ApiKeySid, Secret};
use metric_sync::{SyncConfig, SyncOptions, Syncer};
use serde_json::{Value, json};
use store::{ConnectionId, MasterKey, MetricId, NewConnection, NewMetric, SqliteStore, Store};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

const IN_FLIGHT: usize = 8;

struct Scale {
    subaccounts: u32,
    days: u32,
    latency_ms: u64,
}

fn now() -> jiff::Timestamp {
    "2026-11-20T12:00:00Z".parse().unwrap()
}

async fn sim(scale: &Scale) -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 21,
        now: now(),
        sizes: Sizes {
            messages_per_day: 60,
            calls_per_day: 12,
            days: scale.days,
            subaccounts: scale.subaccounts,
            conferences_per_day: 0,
            verify_attempts_per_day: 0,
            ..Sizes::default()
        },
        faults: Faults::default(),
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

fn latency(sim: &SimHandle, ms: u64) {
    sim.set_faults(Faults {
        latency_ms: ms,
        ..Faults::default()
    });
}

fn definition(name: &str, path: &str, params: Value, expression: &str) -> Value {
    json!({
        "version": 1,
        "connection": "sim",
        "accounts": "active",
        "request": {"host": "api.twilio.com", "path": path, "params": params},
        "extraction": {"expression": expression},
        "description": {"name": name, "aggregation": "sum", "favourable": "up",
                        "format": {"unit": "count"}, "interval": "day"}
    })
}

fn messages(name: &str, expression: &str) -> Value {
    definition(
        name,
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        json!([
            {"key": "DateSent>", "value": "{{date_from|iso}}"},
            {"key": "DateSent<", "value": "{{date_to|iso}}"},
            {"key": "PageSize", "value": "1000"}
        ]),
        expression,
    )
}

fn calls(name: &str, expression: &str) -> Value {
    definition(
        name,
        "/2010-04-01/Accounts/{AccountSid}/Calls.json",
        json!([
            {"key": "StartTime>", "value": "{{date_from|iso}}"},
            {"key": "StartTime<", "value": "{{date_to|iso}}"},
            {"key": "PageSize", "value": "1000"}
        ]),
        expression,
    )
}

fn five_metrics() -> Vec<Value> {
    vec![
        messages(
            "Messages by status",
            r#"messages.{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": status}"#,
        ),
        messages(
            "Message segments by direction",
            r#"messages.{"value": $number(num_segments), "date": date_sent ? date_sent : date_created, "dimension": direction}"#,
        ),
        calls(
            "Call minutes",
            r#"calls.{"value": duration ? $number(duration) / 60 : null, "date": start_time}"#,
        ),
        calls(
            "Calls by status",
            r#"calls.{"value": 1, "date": start_time, "dimension": status}"#,
        ),
        definition(
            "Spend by category",
            "/2010-04-01/Accounts/{AccountSid}/Usage/Records/Daily.json",
            json!([
                {"key": "StartDate", "value": "{{date_from}}"},
                {"key": "EndDate", "value": "{{date_to}}"},
                {"key": "PageSize", "value": "1000"}
            ]),
            r#"usage_records.{"value": price, "date": start_date, "dimension": category}"#,
        ),
    ]
}

async fn open_store(sim: &SimHandle) -> (Arc<SqliteStore>, ConnectionId, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("subaccounts-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let key =
        MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").unwrap();
    let store = Arc::new(SqliteStore::open_dir(&dir, key).await.unwrap());
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    let conn = store
        .create_connection(
            &NewConnection {
                label: "sim".into(),
                account_sid: AccountSid::parse(&a.sid).unwrap(),
                api_key_sid: ApiKeySid::parse(&k.sid).unwrap(),
                secret: Secret::new(k.secret.clone()),
            },
            0,
        )
        .await
        .unwrap();
    (store, conn.id, dir)
}

async fn add(store: &SqliteStore, conn: ConnectionId, definition: &Value) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: definition["description"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                connection_id: Some(conn),
                definition: definition.to_string(),
            },
            0,
        )
        .await
        .unwrap()
        .id
}

fn syncer(store: Arc<SqliteStore>, sim: &SimHandle, days: u32) -> Syncer<SqliteStore> {
    let connector = Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        max_in_flight: IN_FLIGHT,
        ..ConnectorConfig::default()
    })
    .unwrap();
    let config = SyncConfig {
        backfill: Duration::from_secs(u64::from(days) * 86_400),
        ..SyncConfig::default()
    };
    Syncer::new(store, connector, config)
}

async fn run(scale: Scale) {
    let sim = sim(&scale).await;
    let (store, conn, dir) = open_store(&sim).await;
    let definitions = five_metrics();
    let mut ids = Vec::new();
    for d in &definitions {
        ids.push(add(store.as_ref(), conn, d).await);
    }
    let syncer = syncer(store.clone(), &sim, scale.days);
    let accounts = scale.subaccounts + 1;

    // (1) The messages metric's backfill over every account, at the added latency.
    latency(&sim, scale.latency_ms);
    let before = sim.request_log().len();
    let started = Instant::now();
    let report = syncer
        .sync_metric_with(ids[0], &SyncOptions::default(), now())
        .await
        .unwrap();
    let took = started.elapsed();
    let requests = sim.request_log().len() - before;
    let floor =
        Duration::from_millis((requests as u64).div_ceil(IN_FLIGHT as u64) * scale.latency_ms);
    println!(
        "(1) backfill of {accounts} accounts × {} days of messages, {} ms per request, in-flight {IN_FLIGHT}:",
        scale.days, scale.latency_ms
    );
    println!(
        "    {:.2} s for {requests} requests ({} accounts read, status {:?}); floor (requests ÷ {IN_FLIGHT}) × {} ms = {:.2} s; ratio {:.2}× (goal ≤ 1.3×)",
        took.as_secs_f64(),
        report.ledger.accounts_read,
        report.status,
        scale.latency_ms,
        floor.as_secs_f64(),
        took.as_secs_f64() / floor.as_secs_f64()
    );

    // The other four metrics' backfill, without the latency: only the round below is timed.
    latency(&sim, 0);
    for r in syncer
        .sync_many(&ids[1..], &SyncOptions::default(), now())
        .await
    {
        assert!(r.1.is_ok(), "{:?}", r.1.err());
    }

    // (2) An hour later: one incremental round of the five metrics over every account.
    latency(&sim, scale.latency_ms);
    let later = now() + jiff::SignedDuration::from_hours(1);
    let before = sim.request_log().len();
    let started = Instant::now();
    let reports = syncer.sync_many(&ids, &SyncOptions::default(), later).await;
    let took = started.elapsed();
    let requests = sim.request_log().len() - before;
    let failed = reports
        .iter()
        .filter(|(_, r)| r.as_ref().map_or(true, |r| r.error().is_some()))
        .count();
    println!(
        "(2) hourly incremental round, {accounts} accounts × 5 metrics (3 distinct requests), {} ms per request:",
        scale.latency_ms
    );
    println!(
        "    {:.2} s for {requests} requests, {failed} metrics failed (goal < 30 s); floor {:.2} s",
        took.as_secs_f64(),
        (requests as u64).div_ceil(IN_FLIGHT as u64) as f64 * scale.latency_ms as f64 / 1000.0
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick {
        Scale {
            subaccounts: 10,
            days: 3,
            latency_ms: 20,
        }
    } else {
        Scale {
            subaccounts: 100,
            days: 30,
            latency_ms: 150,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(scale));
}
