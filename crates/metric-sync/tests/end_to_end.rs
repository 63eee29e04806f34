//! Against the simulator over HTTP: the stored values equal those computed from its dump, on
//! both backends, also under injected 429s and 5xx with a concurrency limit.

mod support;

use std::sync::Arc;

use metric_sync::{RunLedger, SyncOptions};
use store::{RunStatus, Store};
use support::*;
use twilio_sim::Faults;

async fn three_metrics_equal_the_dump_with(h: &impl Harness, faults: Faults, in_flight: usize) {
    let sim = sim(small_sizes(), faults.clone()).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let messages = add_metric(store.as_ref(), conn, &messages_by_status(20)).await;
    let calls = add_metric(store.as_ref(), conn, &call_minutes()).await;
    let spend = add_metric(store.as_ref(), conn, &spend_by_category()).await;

    let syncer = syncer(store.clone(), &sim, in_flight);
    let results = syncer
        .sync_many(
            &[messages, calls, spend],
            &SyncOptions::default(),
            sim_now(),
        )
        .await;
    let reports: Vec<_> = results.into_iter().map(|(_, r)| r.unwrap()).collect();
    for r in &reports {
        assert_eq!(r.status, RunStatus::Succeeded, "{}: {:?}", r.name, r.ledger);
    }

    let (from, to) = whole_range(&dump);
    assert_same(
        &stored_daily(store.as_ref(), messages, from, to).await,
        &expected_messages(&dump, from, to),
        "messages by status",
    );
    assert_same(
        &stored_daily(store.as_ref(), calls, from, to).await,
        &expected_call_minutes(&dump, from, to),
        "call minutes",
    );
    assert_same(
        &stored_daily(store.as_ref(), spend, from, to).await,
        &expected_spend(&dump, from, to),
        "spend by category",
    );

    // The ledgers count every retry and every 429 the simulator answered.
    let log = sim.request_log();
    let failed = log.iter().filter(|r| r.status != 200).count() as u32;
    let throttled = log.iter().filter(|r| r.status == 429).count() as u32;
    let retries: u32 = reports.iter().map(|r| r.ledger.retries).sum();
    let counted_429: u32 = reports.iter().map(|r| r.ledger.throttled).sum();
    let requests: u32 = reports.iter().map(|r| r.ledger.requests).sum();
    assert_eq!(
        retries, failed,
        "every failed answer was retried and counted"
    );
    assert_eq!(counted_429, throttled);
    assert_eq!(requests as usize, log.len());
    if faults != Faults::default() {
        assert!(failed > 20, "the faults should have been hit: {failed}");
    }
    assert!(
        sim.peak_concurrency() as usize <= in_flight,
        "peak concurrency {} above the in-flight limit {in_flight}",
        sim.peak_concurrency()
    );

    // The stored ledger is the report's.
    let runs = store.sync_runs(Some(messages), 1).await.unwrap();
    let report = reports.iter().find(|r| r.metric == messages).unwrap();
    assert_eq!(
        RunLedger::from_json(&runs[0].ledger).as_ref(),
        Some(&report.ledger)
    );
}

async fn messages_calls_and_spend_equal_the_dump<H: Harness>(h: &H) {
    three_metrics_equal_the_dump_with(h, Faults::default(), 4).await;
}

async fn faults_and_a_concurrency_limit_of_two_change_nothing<H: Harness>(h: &H) {
    let faults = Faults {
        concurrency_limit: Some(2),
        rate_429: 0.1,
        rate_500: 0.1,
        rate_503: 0.1,
        ..Faults::default()
    };
    three_metrics_equal_the_dump_with(h, faults, 2).await;
}

backend_tests!(
    messages_calls_and_spend_equal_the_dump,
    faults_and_a_concurrency_limit_of_two_change_nothing,
);
