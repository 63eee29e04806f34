//! Several `switchboard worker` processes sharing one PostgreSQL queue: every job is done
//! exactly once, and a worker killed with SIGKILL has its jobs finished by the others.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use metric_sync::SyncJob;
use store::{JobState, MasterKey, NewMetric, RunStatus, Store};
use support::{
    add_main_connection, command, fixture, fresh_database, postgres_url, scratch_dir, small_sim,
};

const JOBS: usize = 300;

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_do_every_job_once_and_take_over_a_killed_workers_jobs() {
    let Some(base) = postgres_url() else { return };
    let db = fresh_database(&base, "workers");
    let url = db.url.clone();
    let sim = small_sim().await;
    // Each job is one request; latency keeps every worker busy, so the killed one holds a job.
    sim.set_faults(twilio_sim::Faults {
        latency_ms: 60,
        ..twilio_sim::Faults::default()
    });
    let dir = scratch_dir("workers");
    // The connection goes in through the binary, like a user's; the master key file it creates
    // (named explicitly: PostgreSQL never gets one by default) is the one the workers and this
    // test then use.
    let key_file = dir.join("master.key");
    let key_arg = key_file.display().to_string();
    tokio::task::block_in_place(|| {
        add_main_connection(
            &dir,
            &sim,
            &["--database", &url, "--master-key-file", &key_arg],
        )
    });
    let key_text = std::fs::read_to_string(&key_file).expect("key file");
    let key = MasterKey::from_base64(key_text.trim(), "test key file").expect("key");

    let store = Arc::new(store::open(&url, key).await.expect("store opens"));
    let connection = store
        .connection_by_label("prod")
        .await
        .expect("query")
        .expect("saved");
    let template = std::fs::read_to_string(fixture("balance.json")).expect("fixture");
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let mut metrics = Vec::new();
    for i in 0..JOBS {
        let definition =
            template.replace("\"Account balance\"", &format!("\"Account balance {i}\""));
        let m = store
            .create_metric(
                &NewMetric {
                    name: format!("Account balance {i}"),
                    connection_id: Some(connection.id),
                    definition,
                },
                now_ms,
            )
            .await
            .expect("metric saved");
        let job = SyncJob {
            metrics: vec![m.id],
            from_ms: None,
            to_ms: None,
        }
        .to_new_job(now_ms);
        store.enqueue(&job, now_ms).await.expect("enqueued");
        metrics.push(m.id);
    }

    let mut workers: Vec<std::process::Child> = (0..3)
        .map(|i| {
            command(
                &dir,
                &sim,
                &[
                    "worker",
                    "--no-schedule",
                    "--poll-secs",
                    "0.05",
                    // Long enough that a renewal delayed by a loaded CI machine (two cores,
                    // rustc beside us) does not hand a live worker's job to another: that
                    // would run it twice, which this test counts as a failure.
                    "--lease-secs",
                    "8",
                    "--id",
                    &format!("worker-{i}"),
                ],
            )
            .env("SWITCHBOARD_DATABASE", &url)
            .env("SWITCHBOARD_MASTER_KEY_FILE", &key_file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("worker starts")
        })
        .collect();

    let done = |store: Arc<store::AnyStore>| async move {
        store
            .list_jobs(Some(JobState::Done), (JOBS * 2) as u32)
            .await
            .expect("jobs")
            .len()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while done(store.clone()).await < JOBS / 5 {
        assert!(Instant::now() < deadline, "workers made no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Slow Twilio down so worker-0 is surely in the middle of a job, wait until it holds one,
    // then SIGKILL it: no chance to release its lease or finish its run.
    sim.set_faults(twilio_sim::Faults {
        latency_ms: 3_000,
        ..twilio_sim::Faults::default()
    });
    let held = loop {
        assert!(Instant::now() < deadline, "worker-0 never held a job");
        let running = store
            .list_jobs(Some(JobState::Running), JOBS as u32)
            .await
            .expect("jobs");
        if let Some(job) = running
            .into_iter()
            .find(|j| j.locked_by.as_deref() == Some("worker-0"))
        {
            break job.id;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    workers[0].kill().expect("kill -9");
    let _ = workers[0].wait();
    sim.set_faults(twilio_sim::Faults {
        latency_ms: 60,
        ..twilio_sim::Faults::default()
    });
    while done(store.clone()).await < JOBS {
        assert!(
            Instant::now() < deadline,
            "the remaining workers did not finish every job"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for w in workers.iter_mut().skip(1) {
        let _ = w.kill();
        let _ = w.wait();
    }

    let jobs = store
        .list_jobs(None, (JOBS * 2) as u32)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), JOBS, "no job may be created twice");
    assert!(
        jobs.iter().all(|j| j.state == JobState::Done),
        "every job is done"
    );
    let killed_job = jobs.iter().find(|j| j.id == held).expect("the held job");
    assert!(
        killed_job.attempts >= 2 && killed_job.locked_by.as_deref() != Some("worker-0"),
        "the killed worker's job must be finished by another worker: {killed_job:?}"
    );
    for id in &metrics {
        let runs = store.sync_runs(Some(*id), 10).await.expect("runs");
        let succeeded = runs
            .iter()
            .filter(|r| r.status == RunStatus::Succeeded)
            .count();
        assert_eq!(succeeded, 1, "metric {id} was synced {succeeded} times");
    }
    store.close().await;
}
