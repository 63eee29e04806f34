//! Shared by the library's tests: one simulator for the whole test binary (small sizes, a fixed
//! clock), a fresh SQLite store per test, syncing a library metric exactly as the sync crate's
//! tests do, and reading Twilio-shaped records from the simulator's dump, independently of the
//! code under test.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use connector::{BaseUrl, Connector, ConnectorConfig, RetryPolicy};
use domain::{AccountSid, ApiKeySid, Secret};
use metric_sync::{SyncConfig, SyncReport, Syncer};
use serde_json::Value;
use store::{BucketQuery, MasterKey, MetricId, NewConnection, RunStatus, SqliteStore, Store};
use twilio_sim::{SimConfig, Sizes};

pub const DAY_MS: i64 = 86_400_000;
pub const HOUR_MS: i64 = 3_600_000;
/// The label of the connection every test adds.
pub const CONNECTION: &str = "sim";

/// The simulator's fixed clock: mid-morning, so the last window is part of a day.
pub fn sim_now() -> jiff::Timestamp {
    "2026-11-20T10:30:00Z".parse().unwrap()
}

/// Small, but enough of every kind of record: failures, MMS, alerts, conferences, recordings.
pub fn sizes() -> Sizes {
    Sizes {
        messages_per_day: 40,
        calls_per_day: 14,
        days: 5,
        subaccounts: 0,
        conferences_per_day: 3,
        verify_attempts_per_day: 12,
        ..Sizes::default()
    }
}

/// The one simulator of this test binary, served from its own thread and runtime so that every
/// test (each on its own runtime) can reach it.
pub struct Shared {
    pub base_url: String,
    /// `serde_json::to_value(dataset)`: exactly `switchboard sim dump`.
    pub dump: Value,
    pub account_sid: String,
    pub key_sid: String,
    pub key_secret: String,
}

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let sim = twilio_sim::spawn(SimConfig {
                    seed: 11,
                    now: sim_now(),
                    sizes: sizes(),
                    faults: Default::default(),
                    incidents: Vec::new(),
                })
                .await
                .unwrap();
                let account = sim.dataset().main_account();
                let key = account.main_key().unwrap();
                tx.send(Shared {
                    base_url: sim.base_url(),
                    dump: serde_json::to_value(sim.dataset()).unwrap(),
                    account_sid: account.sid.clone(),
                    key_sid: key.sid.clone(),
                    key_secret: key.secret.clone(),
                })
                .unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

pub fn connector() -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&shared().base_url).unwrap()),
        max_in_flight: 4,
        retry: RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_total_wait: Duration::from_secs(10),
        },
        ..ConnectorConfig::default()
    })
    .unwrap()
}

pub fn credentials() -> connector::Credentials {
    let s = shared();
    connector::Credentials {
        account_sid: AccountSid::parse(&s.account_sid).unwrap(),
        api_key_sid: ApiKeySid::parse(&s.key_sid).unwrap(),
        secret: Secret::new(s.key_secret.clone()),
    }
}

/// Backfills everything the small simulator holds.
pub fn sync_config() -> SyncConfig {
    SyncConfig {
        backfill: Duration::from_secs(30 * 86_400),
        ..SyncConfig::default()
    }
}

// ---------------------------------------------------------------- a store per test

pub struct TempStore {
    pub dir: PathBuf,
    pub store: Arc<SqliteStore>,
}

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn key() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test").unwrap()
}

/// A fresh SQLite store holding the simulator's main account as the connection `sim`.
pub async fn store_with_connection() -> TempStore {
    let dir = std::env::temp_dir().join(format!("library-test-{:016x}", rand::random::<u64>()));
    let store = SqliteStore::open_dir(&dir, key()).await.unwrap();
    let s = shared();
    store
        .create_connection(
            &NewConnection {
                label: CONNECTION.into(),
                account_sid: AccountSid::parse(&s.account_sid).unwrap(),
                api_key_sid: ApiKeySid::parse(&s.key_sid).unwrap(),
                secret: Secret::new(s.key_secret.clone()),
            },
            0,
        )
        .await
        .unwrap();
    TempStore {
        dir,
        store: Arc::new(store),
    }
}

/// Adds the library metric `slug` through `library::add` and syncs it once at the simulator's
/// clock; the sync must succeed without bad rows.
pub async fn add_and_sync(t: &TempStore, slug: &str) -> (MetricId, SyncReport) {
    let stored = library::add(t.store.as_ref(), slug, CONNECTION, 0)
        .await
        .unwrap();
    let syncer = Syncer::new(t.store.clone(), connector(), sync_config());
    let report = syncer.sync_metric(stored.id, sim_now()).await.unwrap();
    assert_eq!(
        report.status,
        RunStatus::Succeeded,
        "{slug}: {:?}",
        report.ledger
    );
    assert_eq!(
        report.ledger.rows_bad, 0,
        "{slug}: bad rows {:?}",
        report.ledger.bad_examples
    );
    (stored.id, report)
}

// ---------------------------------------------------------------- the dump, read by hand

pub fn records(list: &str) -> &'static [Value] {
    shared().dump["accounts"][0][list]
        .as_array()
        .unwrap_or_else(|| panic!("the dump has no list {list}"))
}

pub fn text<'a>(r: &'a Value, field: &str) -> Option<&'a str> {
    r.get(field).and_then(Value::as_str)
}

/// A Twilio number: a JSON number or a numeric string; `None` for null, missing or "".
pub fn num(r: &Value, field: &str) -> Option<f64> {
    match r.get(field)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if !s.is_empty() => {
            Some(s.parse().unwrap_or_else(|_| panic!("{field}={s:?}")))
        }
        _ => None,
    }
}

/// An RFC 2822 date of the 2010 API, as epoch ms.
pub fn rfc2822(r: &Value, field: &str) -> Option<i64> {
    text(r, field).map(|s| {
        jiff::fmt::rfc2822::parse(s)
            .unwrap_or_else(|e| panic!("{field}={s:?} is not RFC 2822: {e}"))
            .timestamp()
            .as_millisecond()
    })
}

/// An ISO 8601 instant of the product APIs, as epoch ms.
pub fn iso(r: &Value, field: &str) -> Option<i64> {
    text(r, field).map(|s| {
        s.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{field}={s:?} is not ISO 8601: {e}"))
            .as_millisecond()
    })
}

/// A `YYYY-MM-DD` day of Usage Records, as the epoch ms of its midnight UTC.
pub fn ymd(r: &Value, field: &str) -> Option<i64> {
    text(r, field).map(|s| {
        let d: jiff::civil::Date = s.parse().unwrap_or_else(|e| panic!("{field}={s:?}: {e}"));
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond()
    })
}

/// When a message was sent, or created while not sent (the instant `DateSent` filters on).
pub fn message_at(m: &Value) -> i64 {
    rfc2822(m, "date_sent")
        .or_else(|| rfc2822(m, "date_created"))
        .unwrap()
}

// ---------------------------------------------------------------- expected and stored values

/// One row expected from the dump: `(instant ms, dimension or "", value)`.
pub type ExpectedRow = (i64, String, f64);

/// `(hour or day start ms, dimension)` → `(count, sum)`.
pub type Series = BTreeMap<(i64, String), (i64, f64)>;

pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// Everything the simulator holds: from its first day to the first hour after its clock.
pub fn whole_range() -> (i64, i64) {
    let first: jiff::civil::Date = shared().dump["first_day"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let from = first
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond();
    let now = sim_now().as_millisecond();
    (from, (now.div_euclid(HOUR_MS) + 1) * HOUR_MS)
}

pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// The expected rows dated in `[from, to)`, folded per hour and dimension.
pub fn hourly(rows: &[ExpectedRow], from: i64, to: i64) -> Series {
    let mut map = Series::new();
    for (at, dim, value) in rows {
        if from <= *at && *at < to {
            let e = map.entry((hour_of(*at), dim.clone())).or_insert((0, 0.0));
            e.0 += 1;
            e.1 += value;
        }
    }
    map
}

/// The stored buckets of `[from, to)`, per hour and dimension.
pub async fn stored_hourly(store: &SqliteStore, metric: MetricId, from: i64, to: i64) -> Series {
    let rows = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: from,
            to_ms: to,
        })
        .await
        .unwrap();
    let mut map = Series::new();
    for b in rows {
        let e = map
            .entry((b.hour_ms, b.dimension.clone()))
            .or_insert((0, 0.0));
        e.0 += b.count;
        e.1 += b.sum;
    }
    map
}

/// Equal hours (or days) and dimensions, equal counts, sums within 1e-9.
pub fn assert_same(stored: &Series, expected: &Series, what: &str) {
    assert!(
        expected.values().any(|(_, sum)| *sum != 0.0),
        "{what}: the test data should hold a value other than 0"
    );
    let stored_keys: Vec<_> = stored.keys().collect();
    let expected_keys: Vec<_> = expected.keys().collect();
    assert_eq!(
        stored_keys, expected_keys,
        "{what}: hours and dimensions differ"
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

/// Sums per day over every dimension.
pub fn per_day(d: &Series) -> BTreeMap<i64, (i64, f64)> {
    let mut out = BTreeMap::new();
    for ((at, _), (c, s)) in d {
        let e = out.entry(day_of(*at)).or_insert((0, 0.0));
        e.0 += c;
        e.1 += s;
    }
    out
}
