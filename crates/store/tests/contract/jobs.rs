use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use store::{JobId, JobState, NewJob, Store, StoreError};

use crate::support::{Harness, key_a};

const LEASE: Duration = Duration::from_secs(30);

fn job(key: &str, run_at_ms: i64) -> NewJob {
    NewJob {
        kind: "sync".into(),
        key: key.into(),
        payload: json!({"metric": key}),
        run_at_ms,
    }
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
    let claimed = store
        .claim("w1", LEASE, 10)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(claimed.id, first.id);
    let next = store.enqueue(&job("metric:1", 0), 11).await.expect("next");
    assert!(next.created);
    assert_ne!(next.id, first.id);
}

async fn claim_returns_due_jobs_oldest_first<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let later = store
        .enqueue(&job("later", 500), 0)
        .await
        .expect("later")
        .id;
    let sooner = store
        .enqueue(&job("sooner", 100), 0)
        .await
        .expect("sooner")
        .id;
    assert!(
        store.claim("w", LEASE, 50).await.expect("claim").is_none(),
        "nothing is due yet"
    );
    let j = store
        .claim("w", LEASE, 200)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(j.id, sooner);
    assert_eq!(j.state, JobState::Running);
    assert_eq!(j.attempts, 1);
    assert_eq!(j.locked_by.as_deref(), Some("w"));
    assert_eq!(j.locked_until_ms, Some(200 + 30_000));
    assert_eq!(j.payload, json!({"metric": "sooner"}));
    assert!(store.claim("w", LEASE, 200).await.expect("claim").is_none());
    assert_eq!(
        store
            .claim("w", LEASE, 600)
            .await
            .expect("claim")
            .expect("due")
            .id,
        later
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
            while let Some(j) = store.claim(&worker, LEASE, 1_000).await.expect("claim") {
                store
                    .complete(j.id, &worker, 1_001)
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
    let lease = Duration::from_millis(1_000);
    assert_eq!(
        store
            .claim("dead", lease, 0)
            .await
            .expect("claim")
            .expect("job")
            .id,
        id
    );
    assert!(
        store
            .claim("other", lease, 999)
            .await
            .expect("claim")
            .is_none(),
        "lease still held"
    );
    let again = store
        .claim("other", lease, 1_001)
        .await
        .expect("claim")
        .expect("lapsed");
    assert_eq!(again.id, id);
    assert_eq!(again.attempts, 2);
    assert_eq!(again.locked_by.as_deref(), Some("other"));
    // The dead worker coming back cannot finish or renew what is no longer its own.
    let err = store.complete(id, "dead", 1_002).await.expect_err("lost");
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    assert!(matches!(
        store.renew(id, "dead", lease, 1_002).await,
        Err(StoreError::LeaseLost { .. })
    ));
    store.complete(id, "other", 1_003).await.expect("complete");
    assert_eq!(store.job(id).await.expect("job").state, JobState::Done);
    assert!(
        store
            .claim("third", lease, 10_000)
            .await
            .expect("claim")
            .is_none(),
        "done jobs stay done"
    );
}

async fn renewing_keeps_the_lease<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = store
        .enqueue(&job("metric:1", 0), 0)
        .await
        .expect("enqueue")
        .id;
    let lease = Duration::from_millis(1_000);
    store
        .claim("w", lease, 0)
        .await
        .expect("claim")
        .expect("job");
    store.renew(id, "w", lease, 900).await.expect("renew");
    assert!(
        store
            .claim("other", lease, 1_500)
            .await
            .expect("claim")
            .is_none(),
        "renewed lease holds"
    );
    assert_eq!(
        store.job(id).await.expect("job").locked_until_ms,
        Some(1_900)
    );
    assert!(
        store
            .claim("other", lease, 1_901)
            .await
            .expect("claim")
            .is_some(),
        "lapses after the renewal"
    );
}

async fn failed_job_retries_or_stops<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store.enqueue(&job("a", 0), 0).await.expect("a").id;
    store.claim("w", LEASE, 0).await.expect("claim").expect("a");
    store
        .fail(a, "w", "HTTP 500 from Twilio", Some(5_000), 10)
        .await
        .expect("fail with retry");
    let read = store.job(a).await.expect("job");
    assert_eq!(
        (read.state, read.run_at_ms, read.last_error.as_deref()),
        (JobState::Pending, 5_000, Some("HTTP 500 from Twilio"))
    );
    assert!(
        store
            .claim("w", LEASE, 4_999)
            .await
            .expect("claim")
            .is_none()
    );
    assert_eq!(
        store
            .claim("w", LEASE, 5_000)
            .await
            .expect("claim")
            .expect("retry")
            .id,
        a
    );
    store
        .fail(a, "w", "bad credentials", None, 5_001)
        .await
        .expect("fail for good");
    assert_eq!(store.job(a).await.expect("job").state, JobState::Failed);
    assert!(
        store
            .claim("w", LEASE, 99_999)
            .await
            .expect("claim")
            .is_none()
    );
}

async fn retry_of_a_superseded_job_fails_it<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store.enqueue(&job("a", 0), 0).await.expect("a").id;
    store.claim("w", LEASE, 0).await.expect("claim").expect("a");
    let newer = store.enqueue(&job("a", 0), 1).await.expect("newer");
    assert!(newer.created);
    store
        .fail(a, "w", "timeout", Some(100), 2)
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
    let b = store.enqueue(&job("b", 0), 1).await.expect("b").id;
    store.claim("w", LEASE, 2).await.expect("claim").expect("a");
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
