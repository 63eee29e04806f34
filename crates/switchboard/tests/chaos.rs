//! Chaos on one PostgreSQL database: three `worker` and two `serve` processes share the job
//! queue while the simulator answers 20 % of requests with 429 or 5xx and, every 20 s, a process
//! chosen by a seeded RNG is SIGKILLed and started again. At the end every metric's buckets equal
//! a clean run's (one worker, no faults, no kills, another database, the same simulator data),
//! and every job ran to success once as its fencing token shows: one successful run per metric,
//! carrying the job's final fence.
//!
//! The chaos run also watches: after the first kill, a webhook channel to a receiver on
//! loopback, an alert that the synced data breaches and a scorecard due a little later are
//! created through one server's REST API, so all five processes' evaluators fire, run and send
//! them while the kills go on. No alert event or scorecard run is queued or sent twice: one
//! delivery row per alert event and one per scorecard run, and the receiver sees one delivery id
//! per event and per run (a repeat of an id only as a recorded retry of that delivery).

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metric_sync::SyncJob;
use serde_json::{Value, json};
use store::{
    AlertEventKind, AlertId, BucketQuery, DeliverySource, DeliveryState, JobState, MasterKey,
    MetricId, NewMetric, RunStatus, ScorecardId, Store, WatchStore,
};
use support::{
    Database, add_main_connection, command, fixture, fresh_database, postgres_url, scratch_dir,
    switchboard, text,
};
use test_support::webhook::WebhookReceiver;

const METRICS: usize = 8;
const KILL_EVERY: Duration = Duration::from_secs(20);
const CHAOS_FOR: Duration = Duration::from_secs(70);
const DRAIN_WITHIN: Duration = Duration::from_secs(120);
const HOUR_MS: i64 = 3_600_000;
/// How long after its creation the scorecard comes due: after the second kill's moment, so a
/// kill and a restart fall between the alert's firing and the scorecard's run.
const SCORECARD_DUE_AFTER: Duration = Duration::from_secs(22);

/// The simulator of both runs: the same seed and sizes as the other binary tests, with its clock
/// at `now` (this hour, so the alert's "last 24 hours" finds the synced messages).
async fn sim_at(now: jiff::Timestamp) -> twilio_sim::SimHandle {
    let config = twilio_sim::SimConfig {
        seed: 7,
        now,
        sizes: twilio_sim::Sizes {
            messages_per_day: 20,
            calls_per_day: 5,
            days: 10,
            subaccounts: 0,
            ..twilio_sim::Sizes::default()
        },
        ..twilio_sim::SimConfig::default()
    };
    twilio_sim::spawn(config).await.expect("simulator starts")
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
    db: Database,
    dir: std::path::PathBuf,
    key_file: std::path::PathBuf,
    store: Arc<store::AnyStore>,
    metrics: Vec<(String, MetricId)>,
    /// The end of the synced range: the simulator's clock, on the hour.
    to_ms: i64,
}

async fn setup(base: &str, what: &str, sim: &twilio_sim::SimHandle) -> Setup {
    let db = fresh_database(base, &format!("chaos_{what}"));
    let url = db.url.clone();
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
        db,
        dir,
        key_file,
        store,
        metrics,
        to_ms: sim.dataset().now_ms / HOUR_MS * HOUR_MS,
    }
}

impl Setup {
    /// The sync range: the simulator's whole history.
    fn range(&self) -> (i64, i64) {
        (self.to_ms - 12 * 24 * HOUR_MS, self.to_ms)
    }
}

async fn enqueue_round(s: &Setup) {
    let (from, to) = s.range();
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

/// How the chaos run's processes differ from the clean run's worker.
#[derive(Clone, Copy, Default)]
struct Watching {
    /// Let the evaluators send to the loopback receiver.
    loopback: bool,
    /// The fixed port of `serve-0`, whose REST API creates the channel, alert and scorecard.
    serve_port: Option<u16>,
}

fn spawn(
    s: &Setup,
    sim: &twilio_sim::SimHandle,
    kind: &str,
    n: usize,
    watching: Watching,
) -> Child {
    let id = format!("{kind}-{n}");
    let addr = match watching.serve_port {
        Some(port) if n == 0 => format!("127.0.0.1:{port}"),
        _ => "127.0.0.1:0".to_owned(),
    };
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
        _ => vec!["serve", "--addr", &addr],
    };
    let mut cmd = command(&s.dir, sim, &args);
    if watching.loopback {
        cmd.env("SWITCHBOARD_ALLOW_LOOPBACK_CHANNELS", "true");
    }
    cmd.env("SWITCHBOARD_DATABASE", &s.db.url)
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
    let (from, to) = s.range();
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

/// An Admin's API token, made through the CLI as a person would.
fn admin_token(s: &Setup, sim: &twilio_sim::SimHandle) -> String {
    let key = s.key_file.display().to_string();
    let store_args = [
        "--database",
        s.db.url.as_str(),
        "--master-key-file",
        key.as_str(),
    ];
    let mut add = vec![
        "user",
        "add",
        "chaos",
        "--role",
        "admin",
        "--password-stdin",
    ];
    add.extend_from_slice(&store_args);
    let out = switchboard(&s.dir, sim, &add, "a long chaos passphrase 1\n");
    assert!(out.status.success(), "user add: {}", text(&out));
    let mut create = vec!["token", "create", "--user", "chaos"];
    create.extend_from_slice(&store_args);
    let out = switchboard(&s.dir, sim, &create, "");
    assert!(out.status.success(), "token create: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A port free on loopback now, for a server that is started (and restarted) on it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One `serve` process's REST API as a script reaches it: a Bearer token.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// Waits (bounded) for the server to answer; it may have just been restarted.
    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = self
                .http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return;
            }
            assert!(Instant::now() < deadline, "{} did not come up", self.base);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// POSTs `body` and returns the created object under `key`.
    async fn create(&self, path: &str, key: &str, body: Value) -> Value {
        let reply = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("the API answers");
        let status = reply.status();
        let text = reply.text().await.expect("a body");
        assert_eq!(status, reqwest::StatusCode::CREATED, "POST {path}: {text}");
        let mut created: Value = serde_json::from_str(&text).expect("JSON");
        created[key].take()
    }
}

/// What the chaos run watches, as the API created it.
struct Watched {
    alert: AlertId,
    scorecard: ScorecardId,
}

/// A webhook channel to `rx`, an alert on `metric` that fires while any message was sent in the
/// last 24 complete hours, and a daily scorecard of `metric` due [`SCORECARD_DUE_AFTER`] from now.
async fn watch_through_the_api(api: &Api, rx: &WebhookReceiver, metric: MetricId) -> Watched {
    api.ready().await;
    let channel = api
        .create(
            "/api/v1/channels",
            "channel",
            json!({"name": "chaos hook", "config": {"kind": "webhook", "url": rx.url("/chaos")},
                   "secret": "chaos-signing-key"}),
        )
        .await;
    let channel = channel["id"].as_i64().expect("a channel id");
    let alert = api
        .create(
            "/api/v1/alerts",
            "alert",
            json!({"name": "Messages in the last day", "metric_id": metric.0,
                   "spec": {"watch": "value", "zone": "UTC", "rule": {
                       "aggregation": "sum", "dimension": null,
                       "condition": {"kind": "above", "threshold": 0.5},
                       "range": "last24_hours", "cooldown": "PT6H"}},
                   "channels": [channel]}),
        )
        .await;
    // Seconds are kept: the run comes due within this test, and once a day after.
    let due = jiff::Timestamp::now() + SCORECARD_DUE_AFTER;
    let t = due.to_zoned(jiff::tz::TimeZone::UTC).time();
    let at = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let scorecard = api
        .create(
            "/api/v1/scorecards",
            "scorecard",
            json!({"name": "Chaos digest",
                   "spec": {"schedule": {"frequency": {"kind": "daily"}, "at": at},
                            "zone": "UTC",
                            "metrics": [{"metric_id": metric.0, "aggregation": "sum",
                                         "baseline": {"kind": "previous_period"}, "trend": "up"}]},
                   "channels": [channel]}),
        )
        .await;
    Watched {
        alert: AlertId(alert["id"].as_i64().expect("an alert id")),
        scorecard: ScorecardId(scorecard["id"].as_i64().expect("a scorecard id")),
    }
}

/// Whether the alert has fired, the scorecard has run, and every delivery queued for them has
/// left the queue (sent or given up).
async fn watching_settled(store: &store::AnyStore, w: &Watched) -> bool {
    let fired = store
        .alert_events(w.alert, 100)
        .await
        .expect("events")
        .iter()
        .any(|e| e.event.kind == AlertEventKind::Fired);
    let ran = store
        .scorecard(w.scorecard)
        .await
        .expect("scorecard")
        .last_run_ms
        .is_some();
    let queued = store.deliveries(None, 1_000).await.expect("deliveries");
    fired && ran && queued.iter().all(|d| d.state != DeliveryState::Pending)
}

/// No alert event or scorecard run was queued or sent twice, and each was sent.
async fn assert_each_sent_once(
    store: &store::AnyStore,
    w: &Watched,
    rx: &WebhookReceiver,
    seed: u64,
) {
    let events = store.alert_events(w.alert, 100).await.expect("events");
    let fired = events
        .iter()
        .filter(|e| e.event.kind == AlertEventKind::Fired)
        .count();
    assert!(fired >= 1, "the alert fired (seed {seed})");
    let alert_rows = store
        .deliveries(Some(DeliverySource::Alert(w.alert)), 1_000)
        .await
        .expect("deliveries");
    assert_eq!(
        alert_rows.len(),
        events.len(),
        "one delivery per alert event, on its one channel (seed {seed}): {events:?}"
    );
    let sc = store.scorecard(w.scorecard).await.expect("scorecard");
    let sc_rows = store
        .deliveries(Some(DeliverySource::Scorecard(w.scorecard)), 1_000)
        .await
        .expect("deliveries");
    assert_eq!(
        sc_rows.len(),
        1,
        "one delivery for the scorecard's one run in the test (seed {seed}): {sc:?}"
    );
    let rows: BTreeMap<i64, &store::DeliveryRow> = alert_rows
        .iter()
        .chain(&sc_rows)
        .map(|d| (d.id.0, d))
        .collect();
    for d in rows.values() {
        assert_eq!(
            d.state,
            DeliveryState::Sent,
            "delivery {} (seed {seed})",
            d.id.0
        );
    }

    eprintln!(
        "alert events {:?}; deliveries (id, attempts): {:?}; requests received: {}",
        events.iter().map(|e| e.event.kind).collect::<Vec<_>>(),
        rows.values()
            .map(|d| (d.id.0, d.attempts))
            .collect::<Vec<_>>(),
        rx.received().len()
    );

    // What reached the receiver, by the delivery id each body carries.
    let mut receipts: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for got in rx.received() {
        let body = got.json();
        let id = body["delivery_id"].as_i64().expect("a delivery id");
        receipts.entry(id).or_default().push(body);
    }
    assert_eq!(
        receipts.keys().collect::<Vec<_>>(),
        rows.keys().collect::<Vec<_>>(),
        "the receiver got exactly the queued deliveries (seed {seed})"
    );
    for (id, bodies) in &receipts {
        // The same id again is only the documented retry of an attempt whose process died
        // before it recorded the answer; each attempt is counted on the row.
        assert!(
            bodies.len() as u32 <= rows[id].attempts,
            "delivery {id} arrived {} times in {} attempts (seed {seed})",
            bodies.len(),
            rows[id].attempts
        );
    }
    let ids_of = |event: &str, key: &str, id: i64| {
        receipts
            .iter()
            .filter(|(_, b)| b[0]["event"] == event && b[0]["data"][key] == id)
            .count()
    };
    assert_eq!(
        ids_of("alert.fired", "alert_id", w.alert.0),
        fired,
        "each firing reached the receiver under one delivery id (seed {seed})"
    );
    assert_eq!(
        ids_of("scorecard", "scorecard_id", w.scorecard.0),
        1,
        "the scorecard's run reached the receiver under one delivery id (seed {seed})"
    );
    for bodies in receipts.values() {
        if bodies[0]["event"] == "alert.fired" {
            assert!(
                bodies[0]["data"]["current"]
                    .as_f64()
                    .is_some_and(|c| c > 0.5),
                "a firing carries the breaching value: {}",
                bodies[0]
            );
        }
    }
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

    // Both simulators' clocks: this hour, so the data is the same in both runs and recent
    // enough for the alert's range.
    let now = jiff::Timestamp::from_millisecond(
        jiff::Timestamp::now().as_millisecond() / HOUR_MS * HOUR_MS,
    )
    .expect("an instant");

    // The clean run: one worker, no faults, no kills.
    let clean_sim = sim_at(now).await;
    let clean = setup(&base, "clean", &clean_sim).await;
    enqueue_round(&clean).await;
    let mut one = spawn(&clean, &clean_sim, "worker", 0, Watching::default());
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
    let sim = sim_at(now).await;
    sim.set_faults(twilio_sim::Faults {
        rate_429: 0.1,
        rate_500: 0.05,
        rate_503: 0.05,
        latency_ms: 40,
        ..twilio_sim::Faults::default()
    });
    let chaos = setup(&base, "faults", &sim).await;
    let rx = WebhookReceiver::start().await;
    let serve_port = free_port();
    let watching = Watching {
        loopback: true,
        serve_port: Some(serve_port),
    };
    // The workspace builds rustls without a default provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{serve_port}"),
        token: tokio::task::block_in_place(|| admin_token(&chaos, &sim)),
    };
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
        .map(|(k, n)| spawn(&chaos, &sim, k, *n, watching))
        .collect();
    let started = Instant::now();
    let mut second_round = false;
    let mut watched = None;
    let mut kills = Vec::new();
    while started.elapsed() < CHAOS_FOR {
        tokio::time::sleep(KILL_EVERY).await;
        let i = rng.below(procs.len());
        let _ = procs[i].kill();
        let _ = procs[i].wait();
        kills.push(format!("{}-{}", kinds[i].0, kinds[i].1));
        procs[i] = spawn(&chaos, &sim, kinds[i].0, kinds[i].1, watching);
        if !second_round {
            // A second round of jobs while the first may still run: more jobs, more leases.
            enqueue_round(&chaos).await;
            second_round = true;
        }
        if watched.is_none() {
            // Created now, the alert fires and the scorecard runs between later kills.
            let metric = chaos.metrics[0].1;
            watched = Some(watch_through_the_api(&api, &rx, metric).await);
        }
    }
    let watched = watched.expect("created after the first kill");
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
    while !watching_settled(&chaos.store, &watched).await {
        assert!(
            Instant::now() < deadline,
            "the alert did not fire, the scorecard did not run or a delivery is still queued after the drain (seed {seed}): {:?}",
            chaos.store.deliveries(None, 1_000).await
        );
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
    // The workers' own schedule may have queued a sync since the drain, still pending (a
    // retry after a fault) or under way: every job that is done, and at least those drained,
    // must have ended with one good run under its last lease.
    let done: Vec<_> = chaos
        .store
        .list_jobs(None, 1_000)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.state == JobState::Done)
        .collect();
    assert!(
        done.len() >= jobs,
        "{} jobs done, {jobs} drained (seed {seed})",
        done.len()
    );
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
                // Partial is a good end too: the simulator's newest messages may still be queued,
                // with no date to count them at, depending on the hour the test runs in.
                .filter(|r| {
                    matches!(r.status, RunStatus::Succeeded | RunStatus::Partial)
                        && r.lease.is_some_and(|l| l.job == job.id)
                })
                .map(|r| r.lease)
                .collect();
            assert_eq!(
                good,
                vec![Some(job.lease())],
                "job {} (seed {seed}): one finished run for metric {metric}, with its final fence; the job: {job:?}; the metric's runs: {runs:?}",
                job.id
            );
        }
    }
    assert_each_sent_once(&chaos.store, &watched, &rx, seed).await;
}
