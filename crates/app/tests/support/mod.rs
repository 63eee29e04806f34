//! An [`app::App`] on each backend: SQLite in a temporary folder, and PostgreSQL in a fresh
//! schema (skipped loudly when PostgreSQL is unreachable, unless `SWITCHBOARD_REQUIRE_ALL=1`).
//! The clock is a manual one, so what an operation stamps can be checked.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use app::{App, ManualTime};
use connector::{Connector, ConnectorConfig};
use store::{AnyStore, MasterKey, NewConnection, NewMetric, PostgresStore, SqliteStore, Store};

/// The instant the manual clock starts at: 2026-03-01T00:00:00Z.
pub const T0: i64 = 1_772_323_200_000;

pub struct Backend {
    pub name: &'static str,
    pub app: App,
    pub time: ManualTime,
    // Keeps the PostgreSQL schema until the test ends.
    _schema: Option<test_support::PgSchema>,
}

fn key() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test")
        .expect("valid key")
}

fn app_on(store: AnyStore, time: &ManualTime, connector: &Connector) -> App {
    let connector = connector.clone();
    App::new(Arc::new(store), connector).with_clock(time.clone().into())
}

/// Every backend this machine has: SQLite always, PostgreSQL when reachable.
pub async fn backends(prefix: &str) -> Vec<Backend> {
    let connector = Connector::new(ConnectorConfig::default()).expect("connector");
    backends_with(prefix, connector).await
}

/// [`backends`] whose apps reach Twilio (or the simulator) through `connector`.
pub async fn backends_with(prefix: &str, connector: Connector) -> Vec<Backend> {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "app-test-{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = SqliteStore::open_dir(&dir, key()).await.expect("sqlite");
    let time = ManualTime::at(T0);
    let mut out = vec![Backend {
        name: "sqlite",
        app: app_on(AnyStore::Sqlite(sqlite), &time, &connector),
        time,
        _schema: None,
    }];
    if let Some(schema) = test_support::PgSchema::create(&format!("app_{prefix}")).await {
        let pg = PostgresStore::connect_with(schema.options(), 4, key())
            .await
            .expect("postgres");
        let time = ManualTime::at(T0);
        out.push(Backend {
            name: "postgres",
            app: app_on(AnyStore::Postgres(pg), &time, &connector),
            time,
            _schema: Some(schema),
        });
    }
    out
}

/// A connection saved straight in the store (no Twilio in these tests).
pub async fn connection(app: &App, label: &str) -> store::Connection {
    app.store()
        .create_connection(
            &NewConnection {
                label: label.to_owned(),
                account_sid: domain::AccountSid::parse("AC0123456789abcdef0123456789abcdef")
                    .unwrap(),
                api_key_sid: domain::ApiKeySid::parse("SK0123456789abcdef0123456789abcdef")
                    .unwrap(),
                secret: domain::Secret::new("s3cret"),
            },
            T0,
        )
        .await
        .expect("connection")
}

/// A metric whose definition names `connection`.
pub async fn metric(app: &App, name: &str, connection: &store::Connection) -> store::StoredMetric {
    let definition =
        serde_json::json!({"connection": connection.label, "description": {"name": name}});
    app.store()
        .create_metric(
            &NewMetric {
                name: name.to_owned(),
                connection_id: Some(connection.id),
                definition: definition.to_string(),
            },
            T0,
        )
        .await
        .expect("metric")
}

/// Records a successful sync run of `metric` over `[from_ms, to_ms)`, finished at `to_ms`: what
/// makes those hours known (a synced hour without rows is a real zero).
pub async fn good_run(store: &AnyStore, metric: store::MetricId, from_ms: i64, to_ms: i64) {
    let run = store
        .start_sync_run(&store::NewSyncRun {
            metric_id: metric,
            from_ms,
            to_ms,
            started_ms: to_ms,
        })
        .await
        .unwrap();
    store
        .finish_sync_run(
            run,
            &store::SyncRunEnd {
                status: store::RunStatus::Succeeded,
                ledger: serde_json::json!({}),
                error: None,
                finished_ms: to_ms,
            },
        )
        .await
        .unwrap();
}
