//! The sync's rules, each on both backends: a failing window keeps the old data, re-running is
//! idempotent, capped windows split, a single capped hour is partial, identical requests fetch
//! once, and snapshots add one point per run (raw pages: `raw_pages.rs`).

mod support;

use std::sync::Arc;

use metric_sync::{SyncConfig, SyncError, SyncOptions, Syncer};
use serde_json::Value;
use store::{BucketQuery, BucketRow, RunStatus, Store};
use support::*;
use twilio_sim::Faults;

async fn a_failing_window_leaves_the_old_data_intact<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    // Fails on any page holding a failed message, after the window's earlier pages were read.
    let mut def = messages_by_status(5);
    def["extraction"]["expression"] = Value::from(
        r#"messages.{"value": status = "failed" ? $error("no failed messages here") : 1, "date": date_sent ? date_sent : date_created}"#,
    );
    let metric = add_metric(store.as_ref(), conn, &def).await;
    let (from, to) = whole_range(&dump);
    let days: Vec<i64> = (0..)
        .map(|d| from + d * DAY_MS)
        .take_while(|&d| d < to)
        .collect();
    // The old data: one marker bucket per day.
    for &day in &days {
        let marker = BucketRow {
            dimension: "old".into(),
            hour_ms: day,
            sum: 42.0,
            count: 42,
            min: 1.0,
            max: 1.0,
            latest: 1.0,
            latest_at_ms: day,
        };
        store
            .replace_window(metric, day, day + DAY_MS, &[marker])
            .await
            .unwrap();
    }
    let syncer = syncer(store.clone(), &sim, 4);
    let report = syncer.sync_metric(metric, sim_now()).await.unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert!(
        report.error().unwrap().contains("no failed messages here"),
        "{:?}",
        report.error()
    );
    let failing_days: Vec<i64> = dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "failed")
        .map(|m| {
            day_of(rfc2822_ms(
                m["date_sent"]
                    .as_str()
                    .or(m["date_created"].as_str())
                    .unwrap(),
            ))
        })
        .collect();
    assert!(
        !failing_days.is_empty(),
        "the data should hold failed messages"
    );
    for day in failing_days {
        let stored = stored_daily(store.as_ref(), metric, day, day + DAY_MS).await;
        assert_eq!(
            stored.into_iter().collect::<Vec<_>>(),
            vec![((day, "old".to_owned()), (42, 42.0))],
            "the failed window of {day} must keep exactly its old data"
        );
    }
    // The run is not good: the next sync starts from the backfill again, and no raw pages of a
    // half-done sync are left to recompute from.
    assert!(store.last_good_sync(metric).await.unwrap().is_none());
    let recompute = syncer.recompute_from_raw_pages(metric, sim_now()).await;
    assert!(
        matches!(recompute, Err(SyncError::NoRawPages { .. })),
        "{recompute:?}"
    );
}

async fn rerunning_a_window_is_idempotent<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let syncer = syncer(store.clone(), &sim, 4);
    let (from, to) = whole_range(&dump);
    let all = BucketQuery {
        metric,
        dimension: None,
        from_ms: from,
        to_ms: to,
    };
    syncer.sync_metric(metric, sim_now()).await.unwrap();
    let first = store.buckets(&all).await.unwrap();
    // Again over the same range by hand, then a scheduled sync with its look-back.
    let options = SyncOptions {
        range: Some((from, to)),
        progress: None,
    };
    let again = syncer
        .sync_metric_with(metric, &options, sim_now())
        .await
        .unwrap();
    assert_eq!(again.status, RunStatus::Succeeded);
    assert_eq!(store.buckets(&all).await.unwrap(), first);
    let later = syncer.sync_metric(metric, sim_now()).await.unwrap();
    assert_eq!(
        later.range.from_ms,
        day_of(to - 2 * DAY_MS),
        "look-back of two days"
    );
    assert_eq!(store.buckets(&all).await.unwrap(), first);
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_messages(&dump, from, to),
        "messages after three syncs",
    );
}

async fn capped_windows_split_until_they_fit<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(5)).await;
    let syncer = Syncer::new(
        store.clone(),
        connector(&sim, 4),
        SyncConfig {
            max_pages: Some(2),
            ..config()
        },
    );
    let report = syncer.sync_metric(metric, sim_now()).await.unwrap();
    assert!(report.ledger.splits > 0 && report.ledger.cap_hits >= report.ledger.splits);
    assert_eq!(report.status, RunStatus::Succeeded, "{:?}", report.ledger);
    assert!(report.ledger.partial_windows.is_empty());
    let (from, to) = whole_range(&dump);
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_messages(&dump, from, to),
        "messages after splits",
    );
}

async fn a_single_capped_hour_is_stored_and_marked_partial<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(1)).await;
    let syncer = Syncer::new(
        store.clone(),
        connector(&sim, 4),
        SyncConfig {
            max_pages: Some(1),
            ..config()
        },
    );
    let day = day_of(sim_now().as_millisecond()) - DAY_MS;
    let options = SyncOptions {
        range: Some((day, day + DAY_MS)),
        progress: None,
    };
    let report = syncer
        .sync_metric_with(metric, &options, sim_now())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Partial, "{:?}", report.ledger);
    assert!(!report.ledger.partial_windows.is_empty());
    assert!(report.ledger.partial_windows.iter().all(|w| w.hours() == 1));
    // A capped hour keeps the one page it got: one message.
    for w in &report.ledger.partial_windows {
        let stored = stored_daily(store.as_ref(), metric, w.from_ms, w.to_ms).await;
        assert_eq!(stored.values().map(|(c, _)| c).sum::<i64>(), 1);
    }
    let runs = store.sync_runs(Some(metric), 1).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Partial);
}

async fn identical_requests_fetch_once<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let by_status = add_metric(store.as_ref(), conn, &messages_by_status(20)).await;
    let segments = add_metric(store.as_ref(), conn, &message_segments(20)).await;
    let results = syncer(store.clone(), &sim, 4)
        .sync_many(&[by_status, segments], &SyncOptions::default(), sim_now())
        .await;
    let reports: Vec<_> = results.into_iter().map(|(_, r)| r.unwrap()).collect();
    let log = sim.request_log();
    let mut urls: Vec<String> = log
        .iter()
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    let fetched = urls.len();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), fetched, "no page was fetched twice");
    for r in &reports {
        assert_eq!(r.ledger.requests as usize, fetched);
        assert_eq!(r.ledger.shared_with.len(), 1);
    }
    let (from, to) = whole_range(&dump);
    assert_same(
        &stored_daily(store.as_ref(), by_status, from, to).await,
        &expected_messages(&dump, from, to),
        "messages by status",
    );
    let mut segments_expected = Daily::new();
    for m in dump["accounts"][0]["messages"].as_array().unwrap() {
        let at = rfc2822_ms(
            m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap(),
        );
        let n: f64 = m["num_segments"].as_str().unwrap().parse().unwrap();
        let e = segments_expected
            .entry((day_of(at), m["direction"].as_str().unwrap().to_owned()))
            .or_insert((0, 0.0));
        e.0 += 1;
        e.1 += n;
    }
    assert_same(
        &stored_daily(store.as_ref(), segments, from, to).await,
        &segments_expected,
        "segments by direction",
    );
}

async fn a_snapshot_adds_one_point_per_run<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let syncer = syncer(store.clone(), &sim, 4);
    let at = sim_now();
    let later = at + jiff::SignedDuration::from_mins(10);
    syncer.sync_metric(metric, at).await.unwrap();
    syncer.sync_metric(metric, later).await.unwrap();
    // The same sync time again adds nothing.
    syncer.sync_metric(metric, later).await.unwrap();
    let hour = at.as_millisecond().div_euclid(HOUR_MS) * HOUR_MS;
    let rows = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: hour,
            to_ms: hour + HOUR_MS,
        })
        .await
        .unwrap();
    let balance: f64 = dump["accounts"][0]["balance"]["balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].count, 2);
    assert_eq!(rows[0].latest, balance);
    assert_eq!(rows[0].latest_at_ms, later.as_millisecond());
    assert!((rows[0].sum - 2.0 * balance).abs() < 1e-9);
}

async fn a_request_without_date_tokens_is_fetched_once_and_kept_in_range<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let mut def = balance();
    def["description"]["name"] = "Phone numbers by creation".into();
    def["request"]["path"] = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json".into();
    def["extraction"]["expression"] =
        r#"incoming_phone_numbers.{"value": 1, "date": date_created}"#.into();
    let metric = add_metric(store.as_ref(), conn, &def).await;
    // The numbers were bought 385 to 412 days ago: a 400-day backfill keeps only the newer ones.
    let syncer = Syncer::new(
        store.clone(),
        connector(&sim, 4),
        SyncConfig {
            backfill: std::time::Duration::from_secs(400 * 86_400),
            ..config()
        },
    );
    let report = syncer.sync_metric(metric, sim_now()).await.unwrap();
    assert_eq!(report.ledger.shape, "whole");
    assert_eq!(report.ledger.requests, 1);
    let (from, to) = (report.range.from_ms, report.range.to_ms);
    let mut expected = Daily::new();
    for n in dump["accounts"][0]["incoming_phone_numbers"]
        .as_array()
        .unwrap()
    {
        let at = rfc2822_ms(n["date_created"].as_str().unwrap());
        if from <= at && at < to {
            let e = expected
                .entry((day_of(at), String::new()))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += 1.0;
        }
    }
    let all = dump["accounts"][0]["incoming_phone_numbers"]
        .as_array()
        .unwrap()
        .len() as u64;
    assert_eq!(
        report.ledger.rows_stored + report.ledger.rows_outside_window,
        all
    );
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected,
        "phone numbers by creation day",
    );
}

backend_tests!(
    a_request_without_date_tokens_is_fetched_once_and_kept_in_range,
    a_failing_window_leaves_the_old_data_intact,
    rerunning_a_window_is_idempotent,
    capped_windows_split_until_they_fit,
    a_single_capped_hour_is_stored_and_marked_partial,
    identical_requests_fetch_once,
    a_snapshot_adds_one_point_per_run,
);
