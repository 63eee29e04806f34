//! Chaos on one PostgreSQL database: three `worker` and two `serve` processes share the job
//! queue while the simulator answers 20 % of requests with 429 or 5xx and, every 20 s, a process
//! chosen by a seeded RNG is SIGKILLed and started again. At the end every metric's buckets equal
//! a clean run's (one worker, no faults, no kills, another database, the same simulator data),
//! and every job ran to success once as its fencing token shows: one successful run per metric,
//! carrying the job's final fence.
//!
//! Not yet covered here (issue 19 asks for it): an alert and a scorecard delivered to a webhook
//! receiver, counted by event id.

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metric_sync::SyncJob;
use store::{BucketQuery, JobState, MasterKey, MetricId, NewMetric, RunStatus, Store};
use support::{NOW, add_main_connection, command, fixture, postgres_url, scratch_dir, small_sim};

const METRICS: usize = 8;
const KILL_EVERY: Duration = Duration::from_secs(20);
const CHAOS_FOR: Duration = Duration::from_secs(70);
const DRAIN_WITHIN: Duration = Duration::from_secs(120);
const HOUR_MS: i64 = 3_600_000;

fn fresh_database(base_url: &str, what: &str) -> (String, String) {
    let name = format!(
        "sb_chaos_{what}_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond()
    );
    let status = std::process::Command::new("psql")
        .args([base_url, "-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(status.success(), "could not create database {name}");
    let url = match base_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("the test database URL has no database part: {base_url}"),
    };
    (url, name)
}

fn drop_database(base_url: &str, name: &str) {
    let _ = std::process::Command::new("psql")
        .args([
            base_url,
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .status();
}

/// xorshift64*: the kill choices are reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// One store with the simulator's connection and `METRICS` metrics, a master key file, and the
/// sync range: the simulator's whole history.
struct Setup {
    url: String,
    db_name: String,
    dir: std::path::PathBuf,
    key_file: std::path::PathBuf,
    store: Arc<store::AnyStore>,
    metrics: Vec<(String, MetricId)>,
}

async fn setup(base: &str, what: &str, sim: &twilio_sim::SimHandle) -> Setup {
    let (url, db_name) = fresh_database(base, what);
    let dir = scratch_dir(&format!("chaos-{what}"));
    let key_file = dir.join("master.key");
    let key_arg = key_file.display().to_string();
    tokio::task::block_in_place(|| {
        add_main_connection(
            &dir,
            sim,
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
    let template = std::fs::read_to_string(fixture("messages_by_status.json")).expect("fixture");
    let mut metrics = Vec::new();
    for i in 0..METRICS {
        let name = format!("Messages by status {i}");
        let definition = template.replace("\"Messages by status\"", &format!("\"{name}\""));
        let m = store
            .create_metric(
                &NewMetric {
                    name: name.clone(),
                    connection_id: Some(connection.id),
                    definition,
                },
                0,
            )
            .await
            .expect("metric saved");
        metrics.push((name, m.id));
    }
    Setup {
        url,
        db_name,
        dir,
        key_file,
        store,
        metrics,
    }
}

fn range() -> (i64, i64) {
    let now: jiff::Timestamp = NOW.parse().expect("fixed clock");
    let to = now.as_millisecond() / HOUR_MS * HOUR_MS;
    (to - 12 * 24 * HOUR_MS, to)
}

async fn enqueue_round(s: &Setup) {
    let (from, to) = range();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    for (_, id) in &s.metrics {
        let job = SyncJob {
            metrics: vec![*id],
            from_ms: Some(from),
            to_ms: Some(to),
        }
        .to_new_job(now_ms);
        s.store.enqueue(&job, now_ms).await.expect("enqueued");
    }
}

fn spawn(s: &Setup, sim: &twilio_sim::SimHandle, kind: &str, n: usize) -> Child {
    let id = format!("{kind}-{n}");
    let args: Vec<&str> = match kind {
        "worker" => vec![
            "worker",
            "--no-schedule",
            "--poll-secs",
            "0.2",
            "--lease-secs",
            "6",
            "--id",
            &id,
        ],
        _ => vec!["serve", "--addr", "127.0.0.1:0"],
    };
    command(&s.dir, sim, &args)
        .env("SWITCHBOARD_DATABASE", &s.url)
        .env("SWITCHBOARD_MASTER_KEY_FILE", &s.key_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("process starts")
}

async fn all_done(store: &store::AnyStore, jobs: usize) -> bool {
    let all = store.list_jobs(None, 1_000).await.expect("jobs");
    all.len() == jobs && all.iter().all(|j| j.state == JobState::Done)
}

async fn buckets_by_name(s: &Setup) -> BTreeMap<String, Vec<store::BucketRow>> {
    let (from, to) = range();
    let mut out = BTreeMap::new();
    for (name, id) in &s.metrics {
        let rows = s
            .store
            .buckets(&BucketQuery {
                metric: *id,
                dimension: None,
                from_ms: from,
                to_ms: to,
            })
            .await
            .expect("buckets");
        out.insert(name.clone(), rows);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_workers_and_servers_under_faults_end_like_a_clean_run() {
    let Some(base) = postgres_url() else { return };
    let seed = std::env::var("SWITCHBOARD_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| jiff::Timestamp::now().as_nanosecond() as u64 | 1);
    eprintln!("chaos seed: {seed} (set SWITCHBOARD_CHAOS_SEED to repeat the kill choices)");
    let mut rng = Rng(seed);

    // The clean run: one worker, no faults, no kills.
    let clean_sim = small_sim().await;
    let clean = setup(&base, "clean", &clean_sim).await;
    enqueue_round(&clean).await;
    let mut one = spawn(&clean, &clean_sim, "worker", 0);
    let deadline = Instant::now() + DRAIN_WITHIN;
    while !all_done(&clean.store, METRICS).await {
        assert!(Instant::now() < deadline, "the clean run did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = one.kill();
    let _ = one.wait();
    let expected = buckets_by_name(&clean).await;
    assert!(
        expected.values().all(|rows| !rows.is_empty()),
        "the clean run stored buckets for every metric"
    );

    // The chaos run.
    let sim = small_sim().await;
    sim.set_faults(twilio_sim::Faults {
        rate_429: 0.1,
        rate_500: 0.05,
        rate_503: 0.05,
        latency_ms: 40,
        ..twilio_sim::Faults::default()
    });
    let chaos = setup(&base, "faults", &sim).await;
    enqueue_round(&chaos).await;
    let kinds = [
        ("worker", 0),
        ("worker", 1),
        ("worker", 2),
        ("serve", 0),
        ("serve", 1),
    ];
    let mut procs: Vec<Child> = kinds
        .iter()
        .map(|(k, n)| spawn(&chaos, &sim, k, *n))
        .collect();
    let started = Instant::now();
    let mut second_round = false;
    let mut kills = Vec::new();
    while started.elapsed() < CHAOS_FOR {
        tokio::time::sleep(KILL_EVERY).await;
        let i = rng.below(procs.len());
        let _ = procs[i].kill();
        let _ = procs[i].wait();
        kills.push(format!("{}-{}", kinds[i].0, kinds[i].1));
        procs[i] = spawn(&chaos, &sim, kinds[i].0, kinds[i].1);
        if !second_round {
            // A second round of jobs while the first may still run: more jobs, more leases.
            enqueue_round(&chaos).await;
            second_round = true;
        }
    }
    eprintln!("killed, in order: {kills:?}");
    let jobs = chaos
        .store
        .list_jobs(None, 1_000)
        .await
        .expect("jobs")
        .len();
    let deadline = Instant::now() + DRAIN_WITHIN;
    while !all_done(&chaos.store, jobs).await {
        if Instant::now() > deadline {
            let open: Vec<_> = chaos
                .store
                .list_jobs(None, 1_000)
                .await
                .expect("jobs")
                .into_iter()
                .filter(|j| j.state != JobState::Done)
                .collect();
            panic!("jobs not done after the drain (seed {seed}): {open:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for p in &mut procs {
        let _ = p.kill();
        let _ = p.wait();
    }

    let got = buckets_by_name(&chaos).await;
    for (name, rows) in &expected {
        assert_eq!(
            got.get(name),
            Some(rows),
            "{name}: buckets differ from the clean run's (seed {seed})"
        );
    }
    let done = chaos.store.list_jobs(None, 1_000).await.expect("jobs");
    for job in &done {
        let payload: SyncJob = serde_json::from_value(job.payload.clone()).expect("payload");
        for metric in payload.metrics {
            let runs = chaos
                .store
                .sync_runs(Some(metric), 1_000)
                .await
                .expect("runs");
            let good: Vec<_> = runs
                .iter()
                .filter(|r| {
                    r.status == RunStatus::Succeeded && r.lease.is_some_and(|l| l.job == job.id)
                })
                .map(|r| r.lease)
                .collect();
            assert_eq!(
                good,
                vec![Some(job.lease())],
                "job {} (seed {seed}): one successful run for metric {metric}, with its final fence",
                job.id
            );
        }
    }
    drop_database(&base, &clean.db_name);
    drop_database(&base, &chaos.db_name);
}
