//! Raw pages, each rule on both backends against the simulator: they keep only the fields the
//! metrics sharing a request read (no message body, no phone number unless a metric reads it),
//! sealed; one copy per request however many metrics read it; an edited expression recomputes
//! from them without Twilio when they hold what it reads, and fetches again when they do not,
//! giving the buckets a fresh sync gives; turned off, nothing is kept.

mod support;

use std::sync::Arc;

use metric_sync::{RawPagesSetting, SyncError, SyncOptions, Syncer, preview_stored};
use serde_json::Value;
use store::{MetricId, RawPageContent, Store};
use support::*;
use twilio_sim::Faults;

const BY_DIRECTION: &str = r#"messages.{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": direction}"#;

/// Messages per day and value of `field`, in `[from, to)`, counted from the dump.
fn expected_by(dump: &Value, field: &str, from: i64, to: i64) -> Daily {
    let mut expected = Daily::new();
    for m in dump["accounts"][0]["messages"].as_array().unwrap() {
        let at = rfc2822_ms(
            m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap(),
        );
        if from <= at && at < to {
            let e = expected
                .entry((day_of(at), m[field].as_str().unwrap().to_owned()))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += 1.0;
        }
    }
    expected
}

/// The metric's stored pages, decoded.
async fn stored_pages<S: Store>(store: &S, metric: MetricId) -> Vec<Value> {
    let raw = store
        .raw_pages(metric)
        .await
        .unwrap()
        .expect("the sync kept its raw pages");
    let RawPageContent::Open(pages) = raw.pages else {
        panic!("the store's own key opens its raw pages");
    };
    assert!(!pages.is_empty(), "pages are stored");
    pages
        .iter()
        .map(|p| metric_sync::decode_raw_page(p).unwrap().page)
        .collect()
}

/// Every object key anywhere in `value`.
fn keys(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// Every byte of the SQLite store's files (database, journal), or `None` on PostgreSQL.
fn sqlite_bytes<H: Harness>(h: &H) -> Option<Vec<u8>> {
    let dir = h.sqlite_dir()?;
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    Some(all)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The texts no store file may hold in the clear: every message body of the dump longer than a
/// word, and the first message's phone numbers.
fn private_texts(dump: &Value) -> Vec<String> {
    let messages = dump["accounts"][0]["messages"].as_array().unwrap();
    let mut texts: Vec<String> = messages
        .iter()
        .filter_map(|m| m["body"].as_str())
        .filter(|b| b.len() > 10)
        .map(str::to_owned)
        .collect();
    texts.sort();
    texts.dedup();
    assert!(texts.len() > 3, "the dump has message bodies");
    texts.push(messages[0]["to"].as_str().unwrap().to_owned());
    texts.push(messages[0]["from"].as_str().unwrap().to_owned());
    texts
}

async fn raw_pages_hold_no_body_or_number_no_metric_reads<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let report = syncer(store.clone(), &sim, 4)
        .sync_metric(metric, sim_now())
        .await
        .unwrap();
    assert_eq!(report.ledger.raw_pages, "stored");

    let mut found = std::collections::BTreeSet::new();
    for page in stored_pages(store.as_ref(), metric).await {
        keys(&page, &mut found);
    }
    let wanted: std::collections::BTreeSet<String> =
        ["messages", "date_sent", "date_created", "status"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    assert_eq!(found, wanted, "only what the expression reads is kept");
    if let Some(bytes) = sqlite_bytes(h) {
        // What is stored in the clear is found, so the search below can find things.
        assert!(contains(&bytes, "Messages by status"));
        for text in private_texts(&dump) {
            assert!(!contains(&bytes, &text), "the store's files hold {text:?}");
        }
    }
}

async fn pages_a_metric_reads_whole_are_kept_but_sealed<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    // `$keys` cannot be followed: the analysis keeps the records whole.
    let mut def = messages_by_status(50);
    def["extraction"]["expression"] = Value::from(
        r#"messages.{"value": $count($keys($)), "date": date_sent ? date_sent : date_created}"#,
    );
    let metric = add_metric(store.as_ref(), conn, &def).await;
    syncer(store.clone(), &sim, 4)
        .sync_metric(metric, sim_now())
        .await
        .unwrap();
    let pages = stored_pages(store.as_ref(), metric).await;
    let text: String = pages.iter().map(Value::to_string).collect();
    let bodies = private_texts(&dump);
    assert!(
        bodies.iter().any(|b| text.contains(b.as_str())),
        "the pages keep the bodies this expression may read"
    );
    if let Some(bytes) = sqlite_bytes(h) {
        for text in bodies {
            assert!(!contains(&bytes, &text), "the store's files hold {text:?}");
        }
    }
}

async fn five_metrics_on_one_request_store_one_copy<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let mut ids = Vec::new();
    for (i, field) in ["status", "direction", "num_segments", "error_code", "price"]
        .into_iter()
        .enumerate()
    {
        let mut def = messages_by_status(50);
        def["description"]["name"] = Value::from(format!("Messages {i}"));
        def["extraction"]["expression"] = Value::from(format!(
            r#"messages.{{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": $string({field})}}"#
        ));
        ids.push(add_metric(store.as_ref(), conn, &def).await);
    }
    let syncer = syncer(store.clone(), &sim, 4);
    for (_, report) in syncer
        .sync_many(&ids, &SyncOptions::default(), sim_now())
        .await
    {
        assert_eq!(report.unwrap().ledger.raw_pages, "stored");
    }
    let usage = store.raw_pages_usage().await.unwrap();
    assert_eq!((usage.sets, usage.readers), (1, 5), "{usage:?}");
    let mut sorted = ids.clone();
    sorted.sort();
    for id in &ids {
        let raw = store.raw_pages(*id).await.unwrap().unwrap();
        assert_eq!(raw.readers, sorted);
    }
    // The one copy keeps the union of the five metrics' fields, and no more.
    let mut found = std::collections::BTreeSet::new();
    for page in stored_pages(store.as_ref(), ids[0]).await {
        keys(&page, &mut found);
    }
    for field in ["status", "direction", "num_segments", "error_code", "price"] {
        assert!(found.contains(field), "{field} is kept");
    }
    for field in ["body", "to", "from", "sid"] {
        assert!(!found.contains(field), "{field} is not kept");
    }
}

async fn an_edit_reading_kept_fields_recomputes_without_twilio<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    // The second metric reads `direction`, so the shared pages keep it.
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let other = add_metric(store.as_ref(), conn, &message_segments(50)).await;
    let syncer = syncer(store.clone(), &sim, 4);
    let reports = syncer
        .sync_many(&[metric, other], &SyncOptions::default(), sim_now())
        .await;
    let first = reports.into_iter().next().unwrap().1.unwrap();
    let requests_before = sim.request_log().len();

    let mut def = messages_by_status(50);
    def["extraction"]["expression"] = Value::from(BY_DIRECTION);
    store
        .update_metric_definition(metric, &def.to_string(), 1)
        .await
        .unwrap();
    let preview = preview_stored(store.as_ref(), metric, BY_DIRECTION, 3)
        .await
        .unwrap();
    assert_eq!(preview.rows.len(), 3);
    let report = syncer
        .recompute_from_raw_pages(metric, sim_now())
        .await
        .unwrap();
    assert!(report.ledger.recomputed);
    assert_eq!(
        sim.request_log().len(),
        requests_before,
        "no request to Twilio"
    );
    let (from, to) = (first.range.from_ms, first.range.to_ms);
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_by(&dump, "direction", from, to),
        "recomputed by direction",
    );
}

async fn an_edit_reading_a_field_the_pages_lack_refetches<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let syncer = syncer(store.clone(), &sim, 4);
    let first = syncer.sync_metric(metric, sim_now()).await.unwrap();
    let requests_before = sim.request_log().len();

    // The pages keep `status`, not `direction`.
    let mut def = messages_by_status(50);
    def["extraction"]["expression"] = Value::from(BY_DIRECTION);
    store
        .update_metric_definition(metric, &def.to_string(), 1)
        .await
        .unwrap();
    let preview = preview_stored(store.as_ref(), metric, BY_DIRECTION, 3).await;
    assert!(
        matches!(preview, Err(SyncError::RawPagesLackFields { .. })),
        "{preview:?}"
    );
    let report = syncer
        .recompute_from_raw_pages(metric, sim_now())
        .await
        .unwrap();
    assert!(!report.ledger.recomputed, "fetched again, not recomputed");
    assert!(report.ledger.error.is_none(), "{:?}", report.ledger.error);
    assert!(
        sim.request_log().len() > requests_before,
        "the pages are fetched again"
    );
    let (from, to) = (first.range.from_ms, first.range.to_ms);
    assert_eq!((report.range.from_ms, report.range.to_ms), (from, to));
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_by(&dump, "direction", from, to),
        "fetched again by direction",
    );
    // The pages stored by that fetch hold what the new expression reads.
    assert_eq!(
        preview_stored(store.as_ref(), metric, BY_DIRECTION, 3)
            .await
            .unwrap()
            .rows
            .len(),
        3
    );
}

async fn raw_pages_off_keep_nothing_and_recompute_refetches<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    // Pages an earlier run kept go when the setting is applied at start.
    syncer(store.clone(), &sim, 4)
        .sync_metric(metric, sim_now())
        .await
        .unwrap();
    assert_eq!(store.raw_pages_usage().await.unwrap().sets, 1);
    let deleted = metric_sync::raw::apply_setting(store.as_ref(), RawPagesSetting::Off)
        .await
        .unwrap();
    assert_eq!(deleted, 1);

    let mut config = config();
    config.raw_pages = RawPagesSetting::Off;
    let off = Syncer::new(store.clone(), connector(&sim, 4), config);
    let report = off.sync_metric(metric, sim_now()).await.unwrap();
    assert_eq!(report.ledger.raw_pages, "not kept (raw pages are off)");
    assert_eq!(
        store.raw_pages_usage().await.unwrap(),
        store::RawPagesUsage::default()
    );
    assert!(store.raw_pages(metric).await.unwrap().is_none());

    let mut def = messages_by_status(50);
    def["extraction"]["expression"] = Value::from(BY_DIRECTION);
    store
        .update_metric_definition(metric, &def.to_string(), 1)
        .await
        .unwrap();
    let requests_before = sim.request_log().len();
    let recompute = off
        .recompute_from_raw_pages(metric, sim_now())
        .await
        .unwrap();
    assert!(sim.request_log().len() > requests_before, "fetched again");
    let (from, to) = (recompute.range.from_ms, recompute.range.to_ms);
    assert_eq!((from, to), (report.range.from_ms, report.range.to_ms));
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_by(&dump, "direction", from, to),
        "fetched again by direction",
    );
    assert_eq!(store.raw_pages_usage().await.unwrap().sets, 0);
}

backend_tests!(
    raw_pages_hold_no_body_or_number_no_metric_reads,
    pages_a_metric_reads_whole_are_kept_but_sealed,
    five_metrics_on_one_request_store_one_copy,
    an_edit_reading_kept_fields_recomputes_without_twilio,
    an_edit_reading_a_field_the_pages_lack_refetches,
    raw_pages_off_keep_nothing_and_recompute_refetches,
);
