//! Writes made under a job are fenced: once the job's lease lapsed (on the database's clock) and
//! another worker claimed it, the first holder's writes are refused whole, and the new holder's
//! go through.

use std::time::Duration;

use serde_json::json;
use store::{
    BucketQuery, BucketRow, FinishedRun, HOUR_MS, Job, JobState, MetricId, NewJob, NewMetric,
    NewSyncRun, RunCounts, RunStatus, Store, StoreError, SyncRunEnd, SyncRunId,
};

use crate::support::{Harness, key_a};

const SHORT: Duration = Duration::from_millis(700);
const LEASE: Duration = Duration::from_secs(60);
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

async fn metric<S: Store>(store: &S) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: "sms".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id
}

fn bucket(value: f64) -> BucketRow {
    BucketRow {
        dimension: String::new(),
        hour_ms: T0,
        sum: value,
        count: 1,
        min: value,
        max: value,
        latest: value,
        latest_at_ms: T0 + 1,
    }
}

/// Worker A claims the job with a short lease, which lapses; worker B claims it again.
async fn taken_over<S: Store>(store: &S) -> (Job, Job) {
    store
        .enqueue(
            &NewJob {
                kind: "sync".into(),
                key: "metric:1".into(),
                payload: json!({}),
                run_at_ms: 0,
            },
            0,
        )
        .await
        .expect("enqueue");
    let a = store.claim("a", SHORT).await.expect("claim").expect("a");
    tokio::time::sleep(SHORT + Duration::from_millis(300)).await;
    let b = store.claim("b", LEASE).await.expect("claim").expect("b");
    assert_eq!(
        (a.id, a.fence + 1),
        (b.id, b.fence),
        "B holds the next fence"
    );
    (a, b)
}

fn run(m: MetricId) -> NewSyncRun {
    NewSyncRun {
        metric_id: m,
        from_ms: T0,
        to_ms: T0 + HOUR_MS,
        started_ms: T0,
    }
}

fn succeeded(run: SyncRunId) -> FinishedRun {
    FinishedRun {
        run,
        end: SyncRunEnd {
            status: RunStatus::Succeeded,
            ledger: json!({}),
            error: None,
            finished_ms: T0 + 10,
        },
        counts: RunCounts::default(),
    }
}

fn lost<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::LeaseLost { .. })),
        "expected LeaseLost, got {result:?}"
    );
}

async fn a_taken_over_lease_cannot_replace_a_window<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let (a, b) = taken_over(&store).await;
    let before = store.data_versions(&[m]).await.expect("versions");
    lost(
        store
            .replace_window_under(Some(a.lease()), m, T0, T0 + HOUR_MS, &[bucket(1.0)])
            .await,
    );
    let query = BucketQuery {
        metric: m,
        dimension: None,
        from_ms: T0,
        to_ms: T0 + HOUR_MS,
    };
    assert!(store.buckets(&query).await.expect("buckets").is_empty());
    assert_eq!(store.data_versions(&[m]).await.expect("versions"), before);
    store
        .replace_window_under(Some(b.lease()), m, T0, T0 + HOUR_MS, &[bucket(2.0)])
        .await
        .expect("the new holder writes");
    assert_eq!(
        store.buckets(&query).await.expect("buckets"),
        vec![bucket(2.0)]
    );
}

async fn a_taken_over_lease_cannot_start_a_run<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let (a, b) = taken_over(&store).await;
    lost(store.start_sync_run_under(Some(a.lease()), &run(m)).await);
    assert!(store.sync_runs(Some(m), 10).await.expect("runs").is_empty());
    let id = store
        .start_sync_run_under(Some(b.lease()), &run(m))
        .await
        .expect("the new holder starts");
    let runs = store.sync_runs(Some(m), 10).await.expect("runs");
    assert_eq!(
        runs.iter().map(|r| (r.id, r.lease)).collect::<Vec<_>>(),
        vec![(id, Some(b.lease()))]
    );
}

async fn a_taken_over_lease_cannot_finish_its_run_or_complete<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let (a, b) = taken_over(&store).await;
    // A started its run while it held the job; B's start abandons it.
    let a_run = store
        .start_sync_run(&run(m))
        .await
        .expect("a run without a lease");
    let b_run = store
        .start_sync_run_under(Some(b.lease()), &run(m))
        .await
        .expect("b starts");
    lost(store.complete(a.lease(), &[succeeded(a_run)], T0).await);
    lost(
        store
            .fail(a.lease(), &[succeeded(a_run)], "late", Some(T0), T0)
            .await,
    );
    let job = store.job(a.id).await.expect("job");
    assert_eq!((job.state, job.fence), (JobState::Running, b.fence));
    store
        .complete(b.lease(), &[succeeded(b_run)], T0)
        .await
        .expect("the new holder completes");
    assert_eq!(store.job(a.id).await.expect("job").state, JobState::Done);
    let runs = store.sync_runs(Some(m), 10).await.expect("runs");
    let good: Vec<_> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .map(|r| (r.id, r.lease))
        .collect();
    assert_eq!(good, vec![(b_run, Some(b.lease()))], "one good run: B's");
    let a_status = runs.iter().find(|r| r.id == a_run).map(|r| r.status);
    assert_eq!(a_status, Some(RunStatus::Failed), "A's run was abandoned");
}

async fn completing_records_the_runs_only_with_the_job<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    let (_, b) = taken_over(&store).await;
    let id = store
        .start_sync_run_under(Some(b.lease()), &run(m))
        .await
        .expect("start");
    let missing = SyncRunId(id.0 + 1_000);
    // A run that does not exist makes the whole completion fail: the job stays running.
    assert!(
        store
            .complete(b.lease(), &[succeeded(id), succeeded(missing)], T0)
            .await
            .is_err()
    );
    assert_eq!(store.job(b.id).await.expect("job").state, JobState::Running);
    let runs = store.sync_runs(Some(m), 10).await.expect("runs");
    assert_eq!(runs[0].status, RunStatus::Running, "nothing was recorded");
    store
        .complete(b.lease(), &[succeeded(id)], T0)
        .await
        .expect("complete");
    assert_eq!(
        store.sync_runs(Some(m), 10).await.expect("runs")[0].status,
        RunStatus::Succeeded
    );
}

async fn writes_without_a_job_are_not_fenced<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store).await;
    taken_over(&store).await;
    store
        .replace_window_under(None, m, T0, T0 + HOUR_MS, &[bucket(3.0)])
        .await
        .expect("a manual sync writes");
    let id = store
        .start_sync_run_under(None, &run(m))
        .await
        .expect("a manual sync starts");
    assert_eq!(
        store.sync_runs(Some(m), 1).await.expect("runs")[0].lease,
        None
    );
    store
        .finish_sync_run(id, &succeeded(id).end)
        .await
        .expect("and finishes");
}

crate::contract_tests!(
    a_taken_over_lease_cannot_replace_a_window,
    a_taken_over_lease_cannot_start_a_run,
    a_taken_over_lease_cannot_finish_its_run_or_complete,
    completing_records_the_runs_only_with_the_job,
    writes_without_a_job_are_not_fenced,
);
