use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use store::{JobId, JobState, NewJob, Store, StoreError};

use crate::support::{Harness, key_a};

const LEASE: Duration = Duration::from_secs(30);
/// Short enough to lapse within a test, long enough to outlast the claims made right after.
const SHORT: Duration = Duration::from_millis(700);
const HOUR_MS: i64 = 3_600_000;

fn job(key: &str, run_at_ms: i64) -> NewJob {
    NewJob {
        kind: "sync".into(),
        key: key.into(),
        payload: json!({"metric": key}),
        run_at_ms,
    }
}

/// This machine's clock; the database runs on it too in these tests, and leases are timed by
/// the database's.
fn wall_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

async fn lapse(lease: Duration) {
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
}

async fn enqueue_keeps_one_pending_job_per_key<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let first = store.enqueue(&job("metric:1", 0), 0).await.expect("first");
    assert!(first.created);
    let again = store.enqueue(&job("metric:1", 0), 1).await.expect("again");
    assert_eq!((again.id, again.created), (first.id, false));
    let other = store.enqueue(&job("metric:2", 0), 1).await.expect("other");
    assert!(other.created);
    // Once the first is running, a new pending one for the same key is allowed.
    let claimed = store.claim("w1", LEASE).await.expect("claim").expect("job");
    assert_eq!(claimed.id, first.id);
    let next = store.enqueue(&job("metric:1", 0), 11).await.expect("next");
    assert!(next.created);
    assert_ne!(next.id, first.id);
}

async fn claim_returns_due_jobs_oldest_first<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let now = wall_ms();
    let later = store
        .enqueue(&job("later", now - 1_000), 0)
        .await
        .expect("later")
        .id;
    let sooner = store
        .enqueue(&job("sooner", now - 2_000), 0)
        .await
        .expect("sooner")
        .id;
    store
        .enqueue(&job("future", now + HOUR_MS), 0)
        .await
        .expect("future");
    let before = wall_ms();
    let j = store.claim("w", LEASE).await.expect("claim").expect("due");
    let after = wall_ms();
    assert_eq!(j.id, sooner);
    assert_eq!(j.state, JobState::Running);
    assert_eq!(j.attempts, 1);
    assert_eq!(j.fence, 1, "the first claim's fence");
    assert_eq!(j.locked_by.as_deref(), Some("w"));
    let until = j.locked_until_ms.expect("leased");
    // The lease ends `LEASE` after the database's now, which is this machine's clock here
    // (a second's slack for the clocks' rounding).
    assert!(
        (before + 30_000 - 1_000..=after + 30_000 + 1_000).contains(&until),
        "lease until {until}, claimed between {before} and {after}"
    );
    assert_eq!(j.payload, json!({"metric": "sooner"}));
    assert_eq!(
        store
            .claim("w", LEASE)
            .await
            .expect("claim")
            .expect("due")
            .id,
        later
    );
    assert!(
        store.claim("w", LEASE).await.expect("claim").is_none(),
        "a job due in an hour is not taken"
    );
}

async fn concurrent_claims_take_each_job_exactly_once<H: Harness>(h: &H) {
    let store = Arc::new(h.open(key_a()).await.expect("open"));
    let total = 120;
    for i in 0..total {
        store
            .enqueue(&job(&format!("metric:{i}"), 0), 0)
            .await
            .expect("enqueue");
    }
    let mut tasks = Vec::new();
    for w in 0..12 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut mine = Vec::new();
            while let Some(j) = store.claim(&worker, LEASE).await.expect("claim") {
                store
                    .complete(j.lease(), &[], 1_001)
                    .await
                    .expect("complete");
                mine.push(j.id);
            }
            mine
        }));
    }
    let mut seen: HashMap<JobId, usize> = HashMap::new();
    for t in tasks {
        for id in t.await.expect("task") {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), total, "every job claimed");
    assert!(
        seen.values().all(|&n| n == 1),
        "a job was claimed twice: {seen:?}"
    );
    for id in seen.keys() {
        assert_eq!(store.job(*id).await.expect("job").state, JobState::Done);
    }
}

async fn lapsed_lease_makes_the_job_claimable_again<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = store
        .enqueue(&job("metric:1", 0), 0)
        .await
        .expect("enqueue")
        .id;
    let dead = store
        .claim("dead", SHORT)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(dead.id, id);
    assert!(
        store.claim("other", SHORT).await.expect("claim").is_none(),
        "lease still held"
    );
    lapse(SHORT).await;
    let again = store
        .claim("other", LEASE)
        .await
        .expect("claim")
        .expect("lapsed");
    assert_eq!(again.id, id);
    assert_eq!((again.attempts, again.fence), (2, 2));
    assert_eq!(again.locked_by.as_deref(), Some("other"));
    // The dead worker coming back cannot finish or renew what is no longer its own.
    let err = store
        .complete(dead.lease(), &[], 1_002)
        .await
        .expect_err("lost");
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    assert!(matches!(
        store.renew(dead.lease(), LEASE).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.fail(dead.lease(), &[], "late", None, 1_002).await,
        Err(StoreError::LeaseLost { .. })
    ));
    store
        .complete(again.lease(), &[], 1_003)
        .await
        .expect("complete");
    assert_eq!(store.job(id).await.expect("job").state, JobState::Done);
    assert!(
        store.claim("third", SHORT).await.expect("claim").is_none(),
        "done jobs stay done"
    );
}

async fn renewing_keeps_the_lease<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    store
        .enqueue(&job("metric:1", 0), 0)
        .await
        .expect("enqueue");
    let held = store.claim("w", SHORT).await.expect("claim").expect("job");
    let first_until = held.locked_until_ms.expect("leased");
    // Renewed half-way twice: the lease outlives its first end.
    for _ in 0..2 {
        tokio::time::sleep(SHORT / 2).await;
        store.renew(held.lease(), SHORT).await.expect("renew");
    }
    let read = store.job(held.id).await.expect("job");
    assert!(read.locked_until_ms.expect("leased") > first_until);
    assert!(
        store.claim("other", SHORT).await.expect("claim").is_none(),
        "renewed lease holds past its first end"
    );
    lapse(SHORT).await;
    let taken = store
        .claim("other", SHORT)
        .await
        .expect("claim")
        .expect("lapses after the last renewal");
    assert_eq!(taken.fence, held.fence + 1);
}

async fn failed_job_retries_or_stops<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store.enqueue(&job("a", 0), 0).await.expect("a").id;
    let first = store.claim("w", LEASE).await.expect("claim").expect("a");
    let retry_at = wall_ms() + 1_000;
    store
        .fail(
            first.lease(),
            &[],
            "HTTP 500 from Twilio",
            Some(retry_at),
            10,
        )
        .await
        .expect("fail with retry");
    let read = store.job(a).await.expect("job");
    assert_eq!(
        (read.state, read.run_at_ms, read.last_error.as_deref()),
        (JobState::Pending, retry_at, Some("HTTP 500 from Twilio"))
    );
    assert!(
        store.claim("w", LEASE).await.expect("claim").is_none(),
        "not before its retry time"
    );
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let second = store
        .claim("w", LEASE)
        .await
        .expect("claim")
        .expect("retry");
    assert_eq!((second.id, second.fence), (a, 2));
    store
        .fail(second.lease(), &[], "bad credentials", None, 5_001)
        .await
        .expect("fail for good");
    assert_eq!(store.job(a).await.expect("job").state, JobState::Failed);
    assert!(store.claim("w", LEASE).await.expect("claim").is_none());
}

async fn retry_of_a_superseded_job_fails_it<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store.enqueue(&job("a", 0), 0).await.expect("a").id;
    let held = store.claim("w", LEASE).await.expect("claim").expect("a");
    let newer = store.enqueue(&job("a", 0), 1).await.expect("newer");
    assert!(newer.created);
    store
        .fail(held.lease(), &[], "timeout", Some(100), 2)
        .await
        .expect("fail");
    assert_eq!(store.job(a).await.expect("job").state, JobState::Failed);
    assert_eq!(
        store.job(newer.id).await.expect("job").state,
        JobState::Pending
    );
}

async fn jobs_are_listed_by_state<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store.enqueue(&job("a", 0), 0).await.expect("a").id;
    let b = store
        .enqueue(&job("b", wall_ms() + HOUR_MS), 1)
        .await
        .expect("b")
        .id;
    store.claim("w", LEASE).await.expect("claim").expect("a");
    let pending: Vec<JobId> = store
        .list_jobs(Some(JobState::Pending), 10)
        .await
        .expect("pending")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(pending, vec![b]);
    let running: Vec<JobId> = store
        .list_jobs(Some(JobState::Running), 10)
        .await
        .expect("running")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(running, vec![a]);
    assert_eq!(store.list_jobs(None, 10).await.expect("all").len(), 2);
    assert_eq!(store.list_jobs(None, 1).await.expect("limited").len(), 1);
}

crate::contract_tests!(
    jobs_are_listed_by_state,
    enqueue_keeps_one_pending_job_per_key,
    claim_returns_due_jobs_oldest_first,
    concurrent_claims_take_each_job_exactly_once,
    lapsed_lease_makes_the_job_claimable_again,
    renewing_keeps_the_lease,
    failed_job_retries_or_stops,
    retry_of_a_superseded_job_fails_it,
);
