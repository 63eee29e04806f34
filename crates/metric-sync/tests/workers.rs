//! Scheduling and workers on one store, both backends: due metrics, concurrent workers each doing
//! every job exactly once, a lapsed lease taken over, failures retried or not, the loop's
//! shutdown, and freshness from the ledgers.

mod support;

use std::sync::Arc;
use std::time::Duration;

use metric_sync::{
    Clock, Freshness, Outcome, Schedule, Scheduler, SyncJob, SyncOptions, Worker, WorkerConfig,
    freshness, run_worker,
};
use store::{JobState, MetricId, NewMetric, RunStatus, Store};
use support::*;
use twilio_sim::Faults;

/// A clock that stands still at the simulator's now.
struct Fixed(jiff::Timestamp);

impl Clock for Fixed {
    fn now(&self) -> jiff::Timestamp {
        self.0
    }
}

fn worker_config() -> WorkerConfig {
    WorkerConfig {
        schedule: None,
        sync: config(),
        ..WorkerConfig::default()
    }
}

fn worker<S: Store>(store: Arc<S>, sim: &twilio_sim::SimHandle, id: &str) -> Worker<S> {
    Worker::new(
        syncer(store, sim, 4),
        id,
        worker_config(),
        Arc::new(Fixed(sim_now())),
    )
}

async fn enqueue_sync<S: Store>(store: &S, metric: MetricId) -> store::JobId {
    let job = SyncJob {
        metrics: vec![metric],
        from_ms: None,
        to_ms: None,
    };
    store
        .enqueue(
            &job.to_new_job(sim_now().as_millisecond()),
            sim_now().as_millisecond(),
        )
        .await
        .unwrap()
        .id
}

async fn concurrent_workers_do_each_job_exactly_once<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let mut metrics = Vec::new();
    for i in 0..40 {
        let mut def = balance();
        def["description"]["name"] = format!("Balance {i}").into();
        let id = add_metric(store.as_ref(), conn, &def).await;
        enqueue_sync(store.as_ref(), id).await;
        metrics.push(id);
    }
    let mut loops = Vec::new();
    for w in 0..4 {
        let worker = worker(store.clone(), &sim, &format!("worker-{w}"));
        loops.push(tokio::spawn(async move {
            let mut done = Vec::new();
            while let Some(outcome) = worker.try_execute_job(sim_now()).await.unwrap() {
                match outcome {
                    Outcome::Done { job, .. } => done.push(job),
                    other => panic!("unexpected outcome {other:?}"),
                }
            }
            done
        }));
    }
    let mut done = Vec::new();
    for l in loops {
        done.extend(l.await.unwrap());
    }
    done.sort();
    let before = done.len();
    done.dedup();
    assert_eq!((before, done.len()), (40, 40), "40 jobs, each done once");
    for id in metrics {
        let runs = store.sync_runs(Some(id), 10).await.unwrap();
        assert_eq!(runs.len(), 1, "metric {id} synced exactly once");
        assert_eq!(runs[0].status, RunStatus::Succeeded);
    }
    assert_eq!(
        store
            .list_jobs(Some(JobState::Done), 100)
            .await
            .unwrap()
            .len(),
        40
    );
}

async fn a_lapsed_lease_is_taken_over<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let job = enqueue_sync(store.as_ref(), metric).await;
    // A worker takes the job and dies without a word; its lease lapses on the database's clock.
    let lease = Duration::from_millis(800);
    let dead = store.claim("dead-worker", lease).await.unwrap().unwrap();
    assert_eq!(dead.id, job);
    let survivor = worker(store.clone(), &sim, "survivor");
    assert!(survivor.try_execute_job(sim_now()).await.unwrap().is_none());
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    let outcome = survivor.try_execute_job(sim_now()).await.unwrap();
    assert!(
        matches!(outcome, Some(Outcome::Done { job: j, .. }) if j == job),
        "{outcome:?}"
    );
    let stored = store.job(job).await.unwrap();
    assert_eq!((stored.state, stored.attempts), (JobState::Done, 2));
    assert!(
        store
            .complete(dead.lease(), &[], sim_now().as_millisecond())
            .await
            .is_err(),
        "the dead worker's lease is gone"
    );
    assert_eq!(store.sync_runs(Some(metric), 10).await.unwrap().len(), 1);
}

async fn a_stalled_worker_whose_lease_passed_on_writes_nothing<H: Harness>(h: &H) {
    // Two simulators with one seed hold the same data; A's answers each request after 3 s.
    let slow = sim(
        small_sizes(),
        Faults {
            latency_ms: 3000,
            ..Faults::default()
        },
    )
    .await;
    let fast = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &fast).await;
    let metric = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let job = enqueue_sync(store.as_ref(), metric).await;
    let clock = Arc::new(metric_sync::SystemClock);
    // A stalls: a short lease it never renews in time, as a paused process would.
    let stalled = Worker::new(
        syncer(store.clone(), &slow, 4),
        "a",
        WorkerConfig {
            lease: Duration::from_millis(700),
            renew_every: Duration::from_secs(3600),
            ..worker_config()
        },
        clock.clone(),
    );
    let b = Worker::new(syncer(store.clone(), &fast, 4), "b", worker_config(), clock);
    let a = tokio::spawn(async move { stalled.try_execute_job(sim_now()).await });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let b_outcome = b.try_execute_job(sim_now()).await.unwrap();
    assert!(
        matches!(b_outcome, Some(Outcome::Done { job: j, .. }) if j == job),
        "{b_outcome:?}"
    );
    let a_outcome = a.await.unwrap().unwrap();
    assert!(
        matches!(a_outcome, Some(Outcome::LeaseLost { job: j }) if j == job),
        "A's late writes are refused and it stops quietly: {a_outcome:?}"
    );
    let stored = store.job(job).await.unwrap();
    assert_eq!((stored.state, stored.fence), (JobState::Done, 2));

    let dump = dump(&fast);
    let (from, to) = whole_range(&dump);
    assert_same(
        &stored_daily(store.as_ref(), metric, from, to).await,
        &expected_messages(&dump, from, to),
        "buckets after the takeover",
    );
    let runs = store.sync_runs(Some(metric), 10).await.unwrap();
    let good: Vec<_> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .map(|r| r.lease)
        .collect();
    assert_eq!(
        good,
        vec![Some(stored.lease())],
        "one good run, B's: {runs:?}"
    );
}

async fn a_broken_definition_fails_for_good_and_twilio_errors_are_retried<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let broken = store
        .create_metric(
            &NewMetric {
                name: "broken".into(),
                connection_id: Some(conn),
                definition: "{\"version\": 1}".into(),
            },
            0,
        )
        .await
        .unwrap()
        .id;
    let job = enqueue_sync(store.as_ref(), broken).await;
    let w = worker(store.clone(), &sim, "w");
    match w.try_execute_job(sim_now()).await.unwrap() {
        Some(Outcome::Failed {
            job: j,
            error,
            retry_at_ms,
        }) => {
            assert_eq!(j, job);
            assert!(error.contains("broken"), "{error}");
            assert_eq!(retry_at_ms, None);
        }
        other => panic!("expected a final failure, got {other:?}"),
    }
    assert_eq!(store.job(job).await.unwrap().state, JobState::Failed);
    // Its ledger says why, so it shows as stale.
    let runs = store.sync_runs(Some(broken), 1).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);

    // Twilio answering 500 to everything: the job comes back later.
    sim.set_faults(Faults {
        rate_500: 1.0,
        ..Faults::default()
    });
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let job = enqueue_sync(store.as_ref(), metric).await;
    match w.try_execute_job(sim_now()).await.unwrap() {
        Some(Outcome::Failed {
            job: j,
            retry_at_ms,
            ..
        }) => {
            assert_eq!(j, job);
            assert!(retry_at_ms.is_some_and(|t| t > sim_now().as_millisecond()));
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(store.job(job).await.unwrap().state, JobState::Pending);
}

async fn only_metrics_in_use_are_due_on_their_interval<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let used = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let also_used = add_metric(store.as_ref(), conn, &message_segments(50)).await;
    let unused = add_metric(store.as_ref(), conn, &call_minutes()).await;
    let fast = add_metric(store.as_ref(), conn, &spend_by_category()).await;
    for id in [used, also_used, fast] {
        store
            .set_metric_usage(id, &["metrics-screen".to_owned()], 0)
            .await
            .unwrap();
    }
    // A stored minute (below the floor the app allows) gets the five-minute floor.
    store
        .set_metric_sync_interval(fast, Some(60), 0)
        .await
        .unwrap();
    let scheduler = Scheduler::new(store.clone(), Schedule::default());
    let t0 = sim_now();
    let mut due = scheduler.due(t0).await.unwrap();
    due.sort();
    assert_eq!(due, vec![used, also_used, fast]);
    assert!(
        !due.contains(&unused),
        "a metric in no use is synced only by hand"
    );

    let tick = scheduler.tick(t0).await.unwrap();
    // The two message metrics share a request: one job for both.
    assert_eq!(tick.enqueued.len(), 2);
    let jobs = store.list_jobs(Some(JobState::Pending), 10).await.unwrap();
    let shared = jobs
        .iter()
        .find_map(|j| {
            serde_json::from_value::<SyncJob>(j.payload.clone())
                .ok()
                .filter(|p| p.metrics.len() == 2)
        })
        .expect("a shared job");
    assert_eq!(shared.metrics, vec![used, also_used]);
    assert!(
        scheduler.tick(t0).await.unwrap().enqueued.is_empty(),
        "no second job while one waits"
    );

    let syncer = syncer(store.clone(), &sim, 4);
    for (_, r) in syncer
        .sync_many(&[used, also_used, fast], &SyncOptions::default(), t0)
        .await
    {
        r.unwrap();
    }
    let at = |mins: i64| t0 + jiff::SignedDuration::from_mins(mins);
    assert!(scheduler.due(at(4)).await.unwrap().is_empty());
    assert_eq!(scheduler.due(at(5)).await.unwrap(), vec![fast]);
    let mut hourly = scheduler.due(at(60)).await.unwrap();
    hourly.sort();
    assert_eq!(hourly, vec![used, also_used, fast]);
}

async fn the_scheduler_says_when_the_next_metric_not_yet_due_will_be<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let hourly = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let fast = add_metric(store.as_ref(), conn, &spend_by_category()).await;
    for id in [hourly, fast] {
        store
            .set_metric_usage(id, &["metrics-screen".to_owned()], 0)
            .await
            .unwrap();
    }
    store
        .set_metric_sync_interval(fast, Some(600), 0)
        .await
        .unwrap();
    let scheduler = Scheduler::new(store.clone(), Schedule::default());
    let t0 = sim_now();
    let syncer = syncer(store.clone(), &sim, 4);
    for (_, r) in syncer
        .sync_many(&[hourly, fast], &SyncOptions::default(), t0)
        .await
    {
        r.unwrap();
    }
    let plan = scheduler
        .plan(t0 + jiff::SignedDuration::from_mins(1))
        .await
        .unwrap();
    assert!(plan.due.is_empty());
    // The runs started at t0: the ten-minute metric comes due first.
    assert_eq!(plan.next_ms, Some(t0.as_millisecond() + 600_000));
}

/// A metric set to 15 minutes is due again 15 minutes after its sync started and one on the
/// default is not (it is at 60), and the scheduler of a store opened afresh (a restarted
/// process) decides the same from the stored interval.
async fn a_stored_interval_is_honoured_and_survives_a_restart<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let hourly = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let quarter = add_metric(store.as_ref(), conn, &spend_by_category()).await;
    for id in [hourly, quarter] {
        store
            .set_metric_usage(id, &["metrics-screen".to_owned()], 0)
            .await
            .unwrap();
    }
    store
        .set_metric_sync_interval(quarter, Some(15 * 60), 0)
        .await
        .unwrap();
    let t0 = sim_now();
    let syncer = syncer(store.clone(), &sim, 4);
    for (_, r) in syncer
        .sync_many(&[hourly, quarter], &SyncOptions::default(), t0)
        .await
    {
        r.unwrap();
    }
    let at = |mins: i64| t0 + jiff::SignedDuration::from_mins(mins);
    let scheduler = Scheduler::new(store.clone(), Schedule::default());
    assert!(scheduler.due(at(14)).await.unwrap().is_empty());
    assert_eq!(scheduler.due(at(15)).await.unwrap(), vec![quarter]);
    drop(scheduler);
    drop(syncer);
    store.close().await;
    drop(store);

    let reopened = Arc::new(h.open().await);
    let scheduler = Scheduler::new(reopened.clone(), Schedule::default());
    assert!(reopened.metric(quarter).await.unwrap().sync_interval_s == Some(900));
    assert!(scheduler.due(at(14)).await.unwrap().is_empty());
    assert_eq!(scheduler.due(at(15)).await.unwrap(), vec![quarter]);
    assert_eq!(scheduler.due(at(59)).await.unwrap(), vec![quarter]);
    let mut hour = scheduler.due(at(60)).await.unwrap();
    hour.sort();
    assert_eq!(hour, vec![hourly, quarter]);
}

/// A change of interval is seen at the scheduler's next pass, with no new scheduler.
async fn a_changed_interval_takes_effect_at_the_next_pass<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let id = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    store
        .set_metric_usage(id, &["metrics-screen".to_owned()], 0)
        .await
        .unwrap();
    let t0 = sim_now();
    let syncer = syncer(store.clone(), &sim, 4);
    syncer.sync_metric(id, t0).await.unwrap();
    let scheduler = Scheduler::new(store.clone(), Schedule::default());
    let at_20 = t0 + jiff::SignedDuration::from_mins(20);
    assert!(scheduler.due(at_20).await.unwrap().is_empty());
    store
        .set_metric_sync_interval(id, Some(600), 0)
        .await
        .unwrap();
    assert_eq!(scheduler.due(at_20).await.unwrap(), vec![id]);
    store.set_metric_sync_interval(id, None, 0).await.unwrap();
    assert!(scheduler.due(at_20).await.unwrap().is_empty());
}

async fn a_fetch_shared_by_two_metrics_counts_its_twilio_requests_once<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    // Same request, two expressions: one shared fetch.
    let a = add_metric(store.as_ref(), conn, &messages_by_status(50)).await;
    let b = add_metric(store.as_ref(), conn, &message_segments(50)).await;
    sim.clear_request_log();
    let syncer = syncer(store.clone(), &sim, 4);
    for (_, r) in syncer
        .sync_many(&[a, b], &SyncOptions::default(), sim_now())
        .await
    {
        assert_eq!(r.unwrap().status, RunStatus::Succeeded);
    }
    let sent = sim.request_log().len() as i64;
    assert!(sent > 0);
    let figures = store.ops_figures(0).await.unwrap();
    let counter = |name: &str, label: &str| {
        figures
            .counters
            .iter()
            .find(|c| c.name == name && c.label == label)
            .map_or(0, |c| c.value)
    };
    assert_eq!(counter(store::counter::TWILIO_REQUESTS, ""), sent);
    assert_eq!(counter(store::counter::SYNC_RUNS, "succeeded"), 2);
}

async fn freshness_follows_the_ledgers<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let hour = Duration::from_secs(3600);
    let now = sim_now().as_millisecond();
    let runs = |s: Arc<H::S>| async move { s.sync_runs(Some(metric), 10).await.unwrap() };
    assert_eq!(
        freshness(&runs(store.clone()).await, hour, now),
        Freshness::Never
    );
    let syncer = syncer(store.clone(), &sim, 4);
    syncer.sync_metric(metric, sim_now()).await.unwrap();
    let r = runs(store.clone()).await;
    assert_eq!(freshness(&r, hour, now + 1000), Freshness::Fresh);
    assert_eq!(freshness(&r, hour, now + 3 * 3_600_000), Freshness::Stale);
    sim.set_faults(Faults {
        rate_500: 1.0,
        ..Faults::default()
    });
    let failed = syncer
        .sync_metric(metric, sim_now() + jiff::SignedDuration::from_mins(10))
        .await
        .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(
        freshness(&runs(store.clone()).await, hour, now + 700_000),
        Freshness::Stale
    );
}

async fn the_worker_loop_works_until_shut_down<H: Harness>(h: &H) {
    let sim = sim(small_sizes(), Faults::default()).await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = WorkerConfig {
        poll: Duration::from_millis(20),
        ..worker_config()
    };
    let handle = tokio::spawn(run_worker(
        store.clone(),
        connector(&sim, 4),
        "looper".into(),
        config,
        async move {
            let _ = stopped.await;
        },
    ));
    // The loop reads the system clock, so the job is due now.
    let now = jiff::Timestamp::now().as_millisecond();
    let job = SyncJob {
        metrics: vec![metric],
        from_ms: None,
        to_ms: None,
    };
    let id = store.enqueue(&job.to_new_job(now), now).await.unwrap().id;
    let mut state = JobState::Pending;
    for _ in 0..500 {
        state = store.job(id).await.unwrap().state;
        if state == JobState::Done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, JobState::Done);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("the loop stops on shutdown")
        .unwrap()
        .unwrap();
}

async fn a_working_worker_keeps_its_lease<H: Harness>(h: &H) {
    // Each request takes 4 s, the lease 2 s: only renewals keep the job.
    let sim = sim(
        small_sizes(),
        Faults {
            latency_ms: 4000,
            ..Faults::default()
        },
    )
    .await;
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    let metric = add_metric(store.as_ref(), conn, &balance()).await;
    let job = enqueue_sync(store.as_ref(), metric).await;
    let config = WorkerConfig {
        lease: Duration::from_secs(2),
        renew_every: Duration::from_millis(200),
        ..worker_config()
    };
    let clock = Arc::new(metric_sync::SystemClock);
    let busy = Worker::new(
        syncer(store.clone(), &sim, 4),
        "busy",
        config.clone(),
        clock.clone(),
    );
    let other = Worker::new(syncer(store.clone(), &sim, 4), "other", config, clock);
    let start = jiff::Timestamp::now().max(sim_now());
    let working = tokio::spawn(async move { busy.try_execute_job(start).await });
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let now = jiff::Timestamp::now().max(start + jiff::SignedDuration::from_millis(2600));
    assert!(
        other.try_execute_job(now).await.unwrap().is_none(),
        "the lease was renewed"
    );
    let outcome = working.await.unwrap().unwrap();
    assert!(
        matches!(outcome, Some(Outcome::Done { job: j, .. }) if j == job),
        "{outcome:?}"
    );
    assert_eq!(store.job(job).await.unwrap().attempts, 1);
}

backend_tests!(
    a_working_worker_keeps_its_lease,
    concurrent_workers_do_each_job_exactly_once,
    a_lapsed_lease_is_taken_over,
    a_stalled_worker_whose_lease_passed_on_writes_nothing,
    a_broken_definition_fails_for_good_and_twilio_errors_are_retried,
    only_metrics_in_use_are_due_on_their_interval,
    freshness_follows_the_ledgers,
    the_worker_loop_works_until_shut_down,
    the_scheduler_says_when_the_next_metric_not_yet_due_will_be,
    a_fetch_shared_by_two_metrics_counts_its_twilio_requests_once,
    a_stored_interval_is_honoured_and_survives_a_restart,
    a_changed_interval_takes_effect_at_the_next_pass,
);
