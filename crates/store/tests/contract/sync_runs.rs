use serde_json::json;
use store::{MetricId, NewMetric, NewSyncRun, RunStatus, Store, StoreError, SyncRunEnd};

use crate::support::{Harness, key_a};

async fn metric<S: Store>(store: &S, name: &str) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id
}

async fn ledger_round_trips<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let id = store
        .start_sync_run(&NewSyncRun {
            metric_id: m,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms: 100,
        })
        .await
        .expect("start");
    let running = store.sync_runs(Some(m), 10).await.expect("runs");
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].status, RunStatus::Running);
    assert_eq!(running[0].finished_ms, None);
    let ledger =
        json!({"windows": 3, "requests": 7, "retries": 2, "rows": {"stored": 120, "bad": 1}});
    let end = SyncRunEnd {
        status: RunStatus::Partial,
        ledger: ledger.clone(),
        error: Some("one hour hit the page cap".into()),
        finished_ms: 900,
    };
    store.finish_sync_run(id, &end).await.expect("finish");
    let run = &store.sync_runs(Some(m), 10).await.expect("runs")[0];
    assert_eq!(run.id, id);
    assert_eq!(run.status, RunStatus::Partial);
    assert_eq!(run.ledger, ledger);
    assert_eq!(run.error.as_deref(), Some("one hour hit the page cap"));
    assert_eq!(
        (run.from_ms, run.to_ms, run.started_ms, run.finished_ms),
        (0, 3_600_000, 100, Some(900))
    );
}

async fn last_good_sync_skips_failed_and_running_runs<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let other = metric(&store, "calls").await;
    let mut ids = Vec::new();
    for (i, status) in [
        RunStatus::Succeeded,
        RunStatus::Partial,
        RunStatus::Failed,
        RunStatus::Running,
    ]
    .into_iter()
    .enumerate()
    {
        let started = 1_000 * (i as i64 + 1);
        let id = store
            .start_sync_run(&NewSyncRun {
                metric_id: m,
                from_ms: 0,
                to_ms: started,
                started_ms: started,
            })
            .await
            .expect("start");
        if status != RunStatus::Running {
            let end = SyncRunEnd {
                status,
                ledger: json!({}),
                error: None,
                finished_ms: started + 1,
            };
            store.finish_sync_run(id, &end).await.expect("finish");
        }
        ids.push(id);
    }
    store
        .start_sync_run(&NewSyncRun {
            metric_id: other,
            from_ms: 0,
            to_ms: 9_000,
            started_ms: 9_000,
        })
        .await
        .expect("other");
    let good = store
        .last_good_sync(m)
        .await
        .expect("last good")
        .expect("some");
    assert_eq!(good.id, ids[1]);
    assert!(store.last_good_sync(other).await.expect("other").is_none());
    let listed: Vec<_> = store
        .sync_runs(Some(m), 10)
        .await
        .expect("runs")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, ids.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(store.sync_runs(None, 2).await.expect("all").len(), 2);
}

async fn recent_sync_runs_keeps_the_newest_of_each_metric<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = metric(&store, "sms").await;
    let b = metric(&store, "calls").await;
    let c = metric(&store, "unasked").await;
    let mut started = Vec::new();
    for (m, at) in [(a, 10), (b, 20), (a, 30), (c, 35), (a, 40), (b, 50)] {
        let id = store
            .start_sync_run(&NewSyncRun {
                metric_id: m,
                from_ms: 0,
                to_ms: at,
                started_ms: at,
            })
            .await
            .expect("start");
        started.push((m, at, id));
    }
    let runs = store.recent_sync_runs(&[a, b], 2).await.expect("recent");
    let got: Vec<(MetricId, i64)> = runs.iter().map(|r| (r.metric_id, r.started_ms)).collect();
    // Expected from the list above: per metric, newest first, at most two.
    let mut expected = Vec::new();
    for m in [a, b] {
        let mut mine: Vec<i64> = started
            .iter()
            .filter(|(x, _, _)| *x == m)
            .map(|(_, at, _)| *at)
            .collect();
        mine.sort_unstable_by(|x, y| y.cmp(x));
        mine.truncate(2);
        expected.extend(mine.into_iter().map(|at| (m, at)));
    }
    let mut got_sorted = got.clone();
    got_sorted.sort_by_key(|(m, at)| (m.0, -at));
    let mut expected_sorted = expected.clone();
    expected_sorted.sort_by_key(|(m, at)| (m.0, -at));
    assert_eq!(got_sorted, expected_sorted);
    assert!(
        store
            .recent_sync_runs(&[], 5)
            .await
            .expect("none")
            .is_empty(),
        "no ids, no runs"
    );
}

async fn corrupt_ledger_is_an_error_not_a_gap<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let id = store
        .start_sync_run(&NewSyncRun {
            metric_id: m,
            from_ms: 0,
            to_ms: 1,
            started_ms: 1,
        })
        .await
        .expect("start");
    h.execute_raw(format!(
        "UPDATE sync_runs SET ledger = '{{not json', status = 'succeeded' WHERE id = {}",
        id.0
    ))
    .await;
    let err = store
        .sync_runs(Some(m), 10)
        .await
        .expect_err("corrupt ledger");
    assert!(
        matches!(
            err,
            StoreError::CorruptRow {
                table: "sync_runs",
                ..
            }
        ),
        "{err}"
    );
    h.execute_raw(format!(
        "UPDATE sync_runs SET ledger = '{{}}', status = 'exploded' WHERE id = {}",
        id.0
    ))
    .await;
    let err = store
        .last_good_sync(m)
        .await
        .map(|_| ())
        .and(store.sync_runs(Some(m), 10).await.map(|_| ()));
    assert!(matches!(err, Err(StoreError::CorruptRow { .. })), "{err:?}");
}

crate::contract_tests!(
    recent_sync_runs_keeps_the_newest_of_each_metric,
    ledger_round_trips,
    last_good_sync_skips_failed_and_running_runs,
    corrupt_ledger_is_an_error_not_a_gap
);

/// The live pages' poll: a version that moves with bucket writes, a pending job keyed to the
/// metric, a running run, and the end of the latest finished run, each for its own metric.
async fn metric_activity_reports_versions_jobs_and_runs<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms").await;
    let other = metric(&store, "calls").await;
    let before = store
        .metric_activity("sync", "metric:")
        .await
        .expect("read");
    assert_eq!(before.len(), 2);
    let of = |list: &[store::MetricActivity], id: MetricId| {
        list.iter().find(|a| a.id == id).cloned().expect("listed")
    };
    let quiet = of(&before[..], m);
    assert!(!quiet.queued && !quiet.running);
    assert_eq!(quiet.last_finished_ms, None);

    store
        .enqueue(
            &store::NewJob {
                kind: "sync".into(),
                key: format!("metric:{}", m.0),
                payload: json!({}),
                run_at_ms: 10,
            },
            10,
        )
        .await
        .expect("enqueue");
    let run = store
        .start_sync_run(&NewSyncRun {
            metric_id: m,
            from_ms: 0,
            to_ms: 3_600_000,
            started_ms: 20,
        })
        .await
        .expect("start");
    let busy = store
        .metric_activity("sync", "metric:")
        .await
        .expect("read");
    assert!(of(&busy[..], m).queued && of(&busy[..], m).running);
    assert!(!of(&busy[..], other).queued && !of(&busy[..], other).running);

    store
        .add_points(
            m,
            &[store::Point {
                dimension: String::new(),
                at_ms: 5,
                value: 1.0,
            }],
        )
        .await
        .expect("points");
    store
        .finish_sync_run(
            run,
            &SyncRunEnd {
                status: RunStatus::Succeeded,
                ledger: json!({}),
                error: None,
                finished_ms: 900,
            },
        )
        .await
        .expect("finish");
    let after = store
        .metric_activity("sync", "metric:")
        .await
        .expect("read");
    let done = of(&after[..], m);
    assert!(done.data_version > quiet.data_version);
    assert!(!done.running);
    assert_eq!(done.last_finished_ms, Some(900));
    assert_eq!(of(&after[..], other), of(&before[..], other));
}

crate::contract_tests!(metric_activity_reports_versions_jobs_and_runs);
