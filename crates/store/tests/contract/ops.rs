//! What the scheduler and `/metrics` read: each metric in use's latest runs, the counters that
//! only go up, and the job queue.

use std::time::Duration;

use serde_json::json;
use store::{
    CounterRow, MetricId, MetricSyncState, NewJob, NewSyncRun, QueueFigures, RunCounts, RunStatus,
    Store, SyncRunEnd, counter,
};

use crate::support::{Harness, key_a, metric};

/// A run of `m` started at `started_ms`; finished `ms` later with `status` unless `status` is
/// `Running`.
async fn run<S: Store>(
    store: &S,
    m: MetricId,
    started_ms: i64,
    status: RunStatus,
    counts: RunCounts,
) -> store::SyncRunId {
    let id = store
        .start_sync_run(&NewSyncRun {
            metric_id: m,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms,
        })
        .await
        .expect("start");
    if status != RunStatus::Running {
        store
            .finish_sync_run_counted(
                id,
                &SyncRunEnd {
                    status,
                    ledger: json!({}),
                    error: None,
                    finished_ms: started_ms + 50,
                },
                &counts,
            )
            .await
            .expect("finish");
    }
    id
}

async fn sync_states_give_each_metric_in_use_its_latest_start_good_end_and_outcome<H: Harness>(
    h: &H,
) {
    let store = h.open(key_a()).await.expect("open");
    let synced = metric(&store, "synced", true).await;
    let fresh = metric(&store, "fresh", true).await;
    let unused = metric(&store, "unused", false).await;
    let none = RunCounts::default();
    run(&store, synced, 100, RunStatus::Succeeded, none).await;
    run(&store, synced, 300, RunStatus::Partial, none).await;
    run(&store, synced, 500, RunStatus::Failed, none).await;
    run(&store, synced, 700, RunStatus::Running, none).await;
    run(&store, unused, 100, RunStatus::Succeeded, none).await;

    let states = store.sync_states().await.expect("states");
    assert_eq!(
        states,
        vec![
            MetricSyncState {
                id: synced,
                last_started_ms: Some(700),
                last_good_finished_ms: Some(350),
                last_finished_status: Some(RunStatus::Failed),
                sync_interval_s: None,
            },
            MetricSyncState {
                id: fresh,
                last_started_ms: None,
                last_good_finished_ms: None,
                last_finished_status: None,
                sync_interval_s: None,
            },
        ]
    );
    let figures = store.ops_figures(1_000).await.expect("figures");
    assert_eq!(figures.metrics, states, "/metrics reads the same states");
}

fn value(counters: &[CounterRow], name: &str, label: &str) -> i64 {
    counters
        .iter()
        .find(|c| c.name == name && c.label == label)
        .map_or(0, |c| c.value)
}

async fn counters_grow_with_finished_runs_and_outlive_the_metric<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    let first = RunCounts {
        twilio_requests: 7,
        twilio_throttled: 2,
        twilio_retries: 1,
        pages: 5,
        rows: 120,
    };
    let second = RunCounts {
        twilio_requests: 3,
        pages: 3,
        rows: 30,
        ..RunCounts::default()
    };
    run(&store, m, 100, RunStatus::Succeeded, first).await;
    run(&store, m, 200, RunStatus::Failed, second).await;
    run(&store, m, 300, RunStatus::Succeeded, RunCounts::default()).await;
    // Left running, then abandoned by the next start: a failed run too.
    run(&store, m, 400, RunStatus::Running, RunCounts::default()).await;
    assert_eq!(
        store
            .abandon_running_sync_runs(m, 500)
            .await
            .expect("abandon"),
        1
    );
    assert!(store.delete_metric(m).await.expect("delete"));

    let c = store.ops_figures(1_000).await.expect("figures").counters;
    let expected = [
        (counter::SYNC_RUNS, "succeeded", 2),
        (counter::SYNC_RUNS, "failed", 2),
        (counter::SYNC_RUNS, "partial", 0),
        (counter::TWILIO_REQUESTS, "", 10),
        (counter::TWILIO_THROTTLED, "", 2),
        (counter::TWILIO_RETRIES, "", 1),
        (counter::PAGES, "", 8),
        (counter::ROWS, "", 150),
    ];
    for (name, label, want) in expected {
        assert_eq!(value(&c, name, label), want, "{name}{{{label}}} in {c:?}");
    }
}

fn job(key: &str, run_at_ms: i64) -> NewJob {
    NewJob {
        kind: "sync".into(),
        key: key.into(),
        payload: json!({}),
        run_at_ms,
    }
}

async fn queue_figures_count_due_waiting_jobs_and_live_leases<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    for (key, run_at) in [("a", 1_000), ("b", 2_000), ("later", 10_000)] {
        store.enqueue(&job(key, run_at), 0).await.expect("enqueue");
    }
    let lease = Duration::from_secs(60);
    let claimed = store
        .claim("w1", lease)
        .await
        .expect("claim")
        .expect("a is due");
    assert_eq!(claimed.key, "a");
    let until = claimed.locked_until_ms.expect("leased");

    let now = store.ops_figures(3_000).await.expect("figures").queue;
    assert_eq!(
        now,
        QueueFigures {
            waiting: 1,
            running: 1,
            oldest_waiting_since_ms: Some(2_000),
        }
    );
    // After the lease lapses (on the database's clock), the claimed job waits again, beside the
    // others.
    let lapsed = store.ops_figures(until + 1).await.expect("figures").queue;
    assert_eq!(
        lapsed,
        QueueFigures {
            waiting: 3,
            running: 0,
            oldest_waiting_since_ms: Some(2_000),
        }
    );
}

crate::contract_tests!(
    sync_states_give_each_metric_in_use_its_latest_start_good_end_and_outcome,
    counters_grow_with_finished_runs_and_outlive_the_metric,
    queue_figures_count_due_waiting_jobs_and_live_leases,
);

/// Waits at most 10 s for `store.job_enqueued()`; whether it resolved.
async fn woken<S: Store>(
    store: std::sync::Arc<S>,
    enqueue: impl std::future::Future<Output = ()>,
) -> bool {
    let waiter = tokio::spawn(async move {
        tokio::time::timeout(Duration::from_secs(10), store.job_enqueued())
            .await
            .is_ok()
    });
    // Let the waiter start listening before the job comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    enqueue.await;
    waiter.await.expect("the waiter runs")
}

async fn a_job_enqueued_through_the_same_store_wakes_its_waiting_worker<H: Harness>(h: &H) {
    let store = std::sync::Arc::new(h.open(key_a()).await.expect("open"));
    let enqueuer = std::sync::Arc::clone(&store);
    let enqueue = async move {
        enqueuer.enqueue(&job("a", 0), 0).await.expect("enqueue");
    };
    assert!(woken(store, enqueue).await, "the waiter was not woken");
}

/// On PostgreSQL any process's new job wakes a waiting worker (LISTEN/NOTIFY); on SQLite only
/// the enqueuing handle's waiters wake, which the test above covers.
async fn a_job_enqueued_by_another_process_wakes_a_waiting_worker_on_postgres<H: Harness>(h: &H) {
    if h.backend() == store::Backend::Sqlite {
        return;
    }
    let waiting = std::sync::Arc::new(h.open(key_a()).await.expect("open"));
    let other = h.open(key_a()).await.expect("open another handle");
    let enqueue = async move {
        other.enqueue(&job("b", 0), 0).await.expect("enqueue");
    };
    assert!(woken(waiting, enqueue).await, "the waiter was not woken");
}

crate::contract_tests!(
    a_job_enqueued_through_the_same_store_wakes_its_waiting_worker,
    a_job_enqueued_by_another_process_wakes_a_waiting_worker_on_postgres,
);
