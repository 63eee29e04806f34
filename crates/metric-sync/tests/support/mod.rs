//! Shared test helpers: a store on each backend (the store crate's skip/require rule for
//! PostgreSQL), the simulator with a fixed clock, connections and metric definitions, and the
//! expected values computed from the simulator's dump, independently of the code under test.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use connector::{BaseUrl, Connector, ConnectorConfig, RetryPolicy};
use domain::{AccountSid, ApiKeySid, Secret};
use metric_sync::{SyncConfig, Syncer};
use serde_json::{Value, json};
use store::{
    BucketQuery, ConnectionId, MasterKey, MetricId, NewConnection, NewMetric, PostgresStore,
    SqliteStore, Store,
};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

pub const DAY_MS: i64 = 86_400_000;
pub const HOUR_MS: i64 = 3_600_000;

// ---------------------------------------------------------------- stores on both backends

pub fn key() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test").unwrap()
}

/// Opens stores on one database; dropping it removes the database.
pub trait Harness: Send + Sync {
    type S: Store + std::fmt::Debug;
    fn open(&self) -> impl std::future::Future<Output = Self::S> + Send;
    /// The SQLite data folder, whose files a test may read byte by byte.
    fn sqlite_dir(&self) -> Option<&std::path::Path> {
        None
    }
}

pub struct SqliteHarness {
    pub dir: PathBuf,
}

impl SqliteHarness {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sync-test-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }
}

impl Drop for SqliteHarness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Harness for SqliteHarness {
    type S = SqliteStore;
    async fn open(&self) -> SqliteStore {
        SqliteStore::open_dir(&self.dir, key()).await.unwrap()
    }
    fn sqlite_dir(&self) -> Option<&std::path::Path> {
        Some(&self.dir)
    }
}

pub struct PgHarness {
    db: test_support::PgSchema,
}

impl PgHarness {
    /// A fresh schema, or `None` after a loud SKIPPED line when PostgreSQL is unreachable
    /// (a failure under `SWITCHBOARD_REQUIRE_ALL=1`).
    pub async fn new() -> Option<Self> {
        Some(Self {
            db: test_support::PgSchema::create("sync_test").await?,
        })
    }
}

impl Harness for PgHarness {
    type S = PostgresStore;
    async fn open(&self) -> PostgresStore {
        PostgresStore::connect_with(self.db.options(), 8, key())
            .await
            .unwrap()
    }
}

/// Runs each generic test body `async fn NAME<H: Harness>(h: &H)` as `NAME::sqlite` and
/// `NAME::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let h = $crate::support::SqliteHarness::new();
                    super::$name(&h).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(h) = $crate::support::PgHarness::new().await else { return };
                    super::$name(&h).await;
                }
            }
        )*
    };
}

// ---------------------------------------------------------------- the simulator

/// The simulator's fixed clock: mid-morning, so the last window is a part of a day.
pub fn sim_now() -> jiff::Timestamp {
    "2026-11-20T10:30:00Z".parse().unwrap()
}

pub fn small_sizes() -> Sizes {
    Sizes {
        messages_per_day: 30,
        calls_per_day: 12,
        days: 12,
        subaccounts: 0,
        ..Sizes::default()
    }
}

pub async fn sim(sizes: Sizes, faults: Faults) -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 7,
        now: sim_now(),
        sizes,
        faults,
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

pub fn dump(sim: &SimHandle) -> Value {
    serde_json::to_value(sim.dataset()).unwrap()
}

pub fn connector(sim: &SimHandle, max_in_flight: usize) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        max_in_flight,
        retry: RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(10),
        },
        ..ConnectorConfig::default()
    })
    .unwrap()
}

/// Backfills everything the small simulator holds.
pub fn config() -> SyncConfig {
    SyncConfig {
        backfill: Duration::from_secs(30 * 86_400),
        ..SyncConfig::default()
    }
}

pub fn syncer<S: Store>(store: Arc<S>, sim: &SimHandle, max_in_flight: usize) -> Syncer<S> {
    Syncer::new(store, connector(sim, max_in_flight), config())
}

pub async fn add_connection<S: Store>(store: &S, sim: &SimHandle) -> ConnectionId {
    let account = sim.dataset().main_account();
    let key = account.main_key().unwrap();
    store
        .create_connection(
            &NewConnection {
                label: "sim".into(),
                account_sid: AccountSid::parse(&account.sid).unwrap(),
                api_key_sid: ApiKeySid::parse(&key.sid).unwrap(),
                secret: Secret::new(key.secret.clone()),
            },
            0,
        )
        .await
        .unwrap()
        .id
}

pub async fn add_metric<S: Store>(
    store: &S,
    connection: ConnectionId,
    definition: &Value,
) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: definition["description"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                connection_id: Some(connection),
                definition: definition.to_string(),
            },
            0,
        )
        .await
        .unwrap()
        .id
}

// ---------------------------------------------------------------- definitions

fn definition(name: &str, path: &str, params: Value, expression: &str, unit: Value) -> Value {
    json!({
        "version": 1,
        "connection": "sim",
        "request": {"host": "api.twilio.com", "path": path, "params": params},
        "extraction": {"expression": expression},
        "description": {
            "name": name,
            "aggregation": "sum",
            "favourable": "up",
            "format": unit,
            "interval": "day"
        }
    })
}

pub const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";

pub fn message_params(page_size: u32) -> Value {
    json!([
        {"key": "DateSent>", "value": "{{date_from|iso}}"},
        {"key": "DateSent<", "value": "{{date_to|iso}}"},
        {"key": "PageSize", "value": page_size.to_string()}
    ])
}

/// Messages by status, dated when sent (or created, while not sent: the instant Twilio's
/// `DateSent` filter uses).
pub fn messages_by_status(page_size: u32) -> Value {
    definition(
        "Messages by status",
        MESSAGES,
        message_params(page_size),
        r#"messages.{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": status}"#,
        json!({"unit": "count"}),
    )
}

/// The same request as [`messages_by_status`], another expression: the shared fetch plan.
pub fn message_segments(page_size: u32) -> Value {
    definition(
        "Message segments by direction",
        MESSAGES,
        message_params(page_size),
        r#"messages.{"value": $number(num_segments), "date": date_sent ? date_sent : date_created, "dimension": direction}"#,
        json!({"unit": "count"}),
    )
}

pub fn call_minutes() -> Value {
    definition(
        "Call minutes",
        "/2010-04-01/Accounts/{AccountSid}/Calls.json",
        json!([
            {"key": "StartTime>", "value": "{{date_from|iso}}"},
            {"key": "StartTime<", "value": "{{date_to|iso}}"},
            {"key": "PageSize", "value": "1000"}
        ]),
        r#"calls.{"value": duration ? $number(duration) / 60 : null, "date": start_time}"#,
        json!({"unit": "count"}),
    )
}

pub fn spend_by_category() -> Value {
    definition(
        "Spend by usage category",
        "/2010-04-01/Accounts/{AccountSid}/Usage/Records/Daily.json",
        json!([
            {"key": "StartDate", "value": "{{date_from}}"},
            {"key": "EndDate", "value": "{{date_to}}"},
            {"key": "PageSize", "value": "1000"}
        ]),
        r#"usage_records.{"value": price, "date": start_date, "dimension": category}"#,
        json!({"unit": "currency", "currency": "USD"}),
    )
}

pub fn balance() -> Value {
    definition(
        "Balance",
        "/2010-04-01/Accounts/{AccountSid}/Balance.json",
        json!([]),
        r#"{"value": balance, "date": $sync_time}"#,
        json!({"unit": "currency", "currency": "USD"}),
    )
}

// ---------------------------------------------------------------- expected and stored values

/// `(day start ms, dimension)` → `(count, sum)`.
pub type Daily = BTreeMap<(i64, String), (i64, f64)>;

pub fn rfc2822_ms(text: &str) -> i64 {
    jiff::fmt::rfc2822::parse(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 2822: {e}"))
        .timestamp()
        .as_millisecond()
}

pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

fn add(map: &mut Daily, day: i64, dim: &str, value: f64) {
    let e = map.entry((day, dim.to_owned())).or_insert((0, 0.0));
    e.0 += 1;
    e.1 += value;
}

fn records<'a>(dump: &'a Value, list: &str) -> &'a Vec<Value> {
    dump["accounts"][0][list].as_array().unwrap()
}

/// Keeps the records dated in `[from, to)`.
pub fn expected_messages(dump: &Value, from: i64, to: i64) -> Daily {
    let mut map = Daily::new();
    for m in records(dump, "messages") {
        let date = m["date_sent"]
            .as_str()
            .or(m["date_created"].as_str())
            .unwrap();
        let at = rfc2822_ms(date);
        if from <= at && at < to {
            add(&mut map, day_of(at), m["status"].as_str().unwrap(), 1.0);
        }
    }
    map
}

pub fn expected_call_minutes(dump: &Value, from: i64, to: i64) -> Daily {
    let mut map = Daily::new();
    for c in records(dump, "calls") {
        let at = rfc2822_ms(c["start_time"].as_str().unwrap());
        let seconds = match &c["duration"] {
            Value::String(s) => s.parse::<f64>().unwrap(),
            Value::Number(n) => n.as_f64().unwrap(),
            _ => continue,
        };
        if from <= at && at < to {
            add(&mut map, day_of(at), "", seconds / 60.0);
        }
    }
    map
}

pub fn expected_spend(dump: &Value, from: i64, to: i64) -> Daily {
    let mut map = Daily::new();
    for r in records(dump, "usage_records_daily") {
        let day: jiff::civil::Date = r["start_date"].as_str().unwrap().parse().unwrap();
        let at = day
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        let price: f64 = r["price"].as_str().unwrap().parse().unwrap();
        if from <= at && at < to {
            add(&mut map, at, r["category"].as_str().unwrap(), price);
        }
    }
    map
}

/// The stored buckets of `[from, to)` summed per day and dimension.
pub async fn stored_daily<S: Store>(store: &S, metric: MetricId, from: i64, to: i64) -> Daily {
    let rows = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: from,
            to_ms: to,
        })
        .await
        .unwrap();
    let mut map = Daily::new();
    for b in rows {
        let e = map
            .entry((day_of(b.hour_ms), b.dimension.clone()))
            .or_insert((0, 0.0));
        e.0 += b.count;
        e.1 += b.sum;
    }
    map
}

/// Equal keys, equal counts, sums within 1e-9.
pub fn assert_same(stored: &Daily, expected: &Daily, what: &str) {
    assert!(
        !expected.is_empty(),
        "{what}: the test data should not be empty"
    );
    let stored_keys: Vec<_> = stored.keys().collect();
    let expected_keys: Vec<_> = expected.keys().collect();
    assert_eq!(
        stored_keys, expected_keys,
        "{what}: days and dimensions differ"
    );
    for (k, (count, sum)) in expected {
        let (c, s) = stored[k];
        assert_eq!(c, *count, "{what}: count of {k:?}");
        assert!(
            (s - sum).abs() <= 1e-9,
            "{what}: sum of {k:?}: stored {s}, expected {sum}"
        );
    }
}

/// Everything the simulator holds: from its first day to the first hour after its clock.
pub fn whole_range(dump: &Value) -> (i64, i64) {
    let first: jiff::civil::Date = dump["first_day"].as_str().unwrap().parse().unwrap();
    let from = first
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond();
    let now = sim_now().as_millisecond();
    (from, (now.div_euclid(HOUR_MS) + 1) * HOUR_MS)
}
