//! A thousand metrics on ten connections kept fresh by one `switchboard serve` (release build,
//! SQLite, its in-process worker) against the simulator: the initial backfill, then hourly
//! incremental rounds, with the CPU time and peak memory of the `serve` process alone.
//!
//! The simulator runs inside this bench process (`twilio_sim::spawn`, the main account and nine
//! subaccounts, each a connection), and `serve` is a child process, so the CPU time read from
//! `/proc/<pid>/stat` and the `VmHWM` read from `/proc/<pid>/status` are its own.
//!
//! Baseline in the same run: the same rounds for a tenth of the metrics on one connection.
//!
//! `cargo bench -p switchboard --bench scale` (add `-- --quick` for a smoke run: 100 metrics
//! on ten connections against 10 on one, one round, a short idle; `--rounds N`,
//! `--idle-seconds S` to change the full run). Issue 19's goal: a round under 60 s, under 10 %
//! of one core averaged over the hour, `serve`'s peak RSS under 300 MB.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metric::{DatePick, Filter, MetricDefinition, Picks, ValuePick};
use metric_sync::SyncJob;
use store::{AnyStore, MetricId, SqliteStore, Store as _};

/// The key both this process and `serve` open the store with (a bench's throwaway store).
const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The longest a backfill or a round may take before the bench gives up on it.
const GIVE_UP: Duration = Duration::from_secs(3600);

struct Options {
    quick: bool,
    rounds: usize,
    idle: Duration,
}

impl Options {
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let quick = args.iter().any(|a| a == "--quick");
        let value = |name: &str| {
            args.iter()
                .skip_while(|a| *a != name)
                .nth(1)
                .and_then(|s| s.parse::<u64>().ok())
        };
        Self {
            quick,
            rounds: value("--rounds").map_or(if quick { 1 } else { 3 }, |n| n.max(1) as usize),
            idle: Duration::from_secs(value("--idle-seconds").unwrap_or(if quick {
                20
            } else {
                90
            })),
        }
    }
}

/// One configuration's figures.
struct Figures {
    name: String,
    metrics: usize,
    connections: usize,
    jobs_per_round: usize,
    backfill: Duration,
    backfill_cpu: f64,
    rounds: Vec<Round>,
    idle_rate: f64,
    vm_hwm_mb: f64,
    rss_after_mb: f64,
}

struct Round {
    wall: Duration,
    cpu: f64,
    requests: i64,
    failed: usize,
}

fn main() {
    let options = Options::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let sim = twilio_sim::spawn(twilio_sim::SimConfig {
            seed: 19,
            now: jiff::Timestamp::now(),
            sizes: twilio_sim::Sizes {
                subaccounts: 9,
                days: 30,
                ..twilio_sim::Sizes::default()
            },
            faults: twilio_sim::Faults::default(),
            incidents: Vec::new(),
        })
        .await
        .expect("the simulator starts");
        let (big, small) = if options.quick {
            (100, 10)
        } else {
            (1000, 100)
        };
        let ticks = clock_ticks();
        println!(
            "machine: {} cores, load average {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            load_average()
        );
        // The baseline first, so the figures of the big run are not taken on a machine still
        // busy with a previous store.
        let baseline = run(&sim, "baseline", small, 1, &options, ticks).await;
        let scale = run(&sim, "scale", big, 10, &options, ticks).await;
        report(&[&baseline, &scale]);
        sim.shutdown().await;
    });
}

/// Makes a store with `metrics` metrics on `connections` connections, starts `serve` on it,
/// waits for the backfill, then times the rounds and the idle time between them.
async fn run(
    sim: &twilio_sim::SimHandle,
    name: &str,
    metrics: usize,
    connections: usize,
    options: &Options,
    ticks: f64,
) -> Figures {
    let dir = std::env::temp_dir().join(format!("sb-scale-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = store::MasterKey::from_base64(KEY_B64, "bench").unwrap();
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::open_dir(&dir, key)
            .await
            .expect("the store opens"),
    ));
    let ids = populate(&store, sim, metrics, connections).await;
    let groups = share_groups(&store, &ids).await;
    println!(
        "{name}: {} metrics on {connections} connections, {} fetch groups",
        ids.len(),
        groups.len()
    );

    let started = Instant::now();
    let mut serve = start_serve(&dir, &sim.base_url());
    let pid = serve.id();
    let since_ms = jiff::Timestamp::now().as_millisecond() - 1;
    let (_, failed) = wait_round(&store, &ids, since_ms).await;
    let backfill = started.elapsed();
    let backfill_cpu = cpu_seconds(pid, ticks);
    println!(
        "{name}: backfill {:.1} s, {:.1} s of CPU, {failed} failed, VmHWM {:.0} MB",
        backfill.as_secs_f64(),
        backfill_cpu,
        vm_kb(pid, "VmHWM:") / 1024.0
    );

    let mut rounds = Vec::new();
    let mut idle_cpu = 0.0;
    let mut idle_time = Duration::ZERO;
    for r in 0..options.rounds {
        // Idle first: the backfill's or the last round's tail (logs, connections closing) is
        // counted in the idle time, not lost.
        let cpu0 = cpu_seconds(pid, ticks);
        let at = Instant::now();
        tokio::time::sleep(options.idle).await;
        idle_cpu += cpu_seconds(pid, ticks) - cpu0;
        idle_time += at.elapsed();

        let requests0 = requests(&store).await;
        let cpu0 = cpu_seconds(pid, ticks);
        let at = Instant::now();
        let since_ms = jiff::Timestamp::now().as_millisecond();
        enqueue_round(&store, &groups, since_ms).await;
        let (_, failed) = wait_round(&store, &ids, since_ms).await;
        let round = Round {
            wall: at.elapsed(),
            cpu: cpu_seconds(pid, ticks) - cpu0,
            requests: requests(&store).await - requests0,
            failed,
        };
        println!(
            "{name}: round {}: {:.2} s, {:.2} s of CPU, {} Twilio requests, {} failed",
            r + 1,
            round.wall.as_secs_f64(),
            round.cpu,
            round.requests,
            round.failed
        );
        rounds.push(round);
    }
    let figures = Figures {
        name: name.to_owned(),
        metrics: ids.len(),
        connections,
        jobs_per_round: groups.len(),
        backfill,
        backfill_cpu,
        rounds,
        idle_rate: idle_cpu / idle_time.as_secs_f64(),
        vm_hwm_mb: vm_kb(pid, "VmHWM:") / 1024.0,
        rss_after_mb: vm_kb(pid, "VmRSS:") / 1024.0,
    };
    stop(&mut serve);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    figures
}

/// The connections (the simulator's main account, then its subaccounts) and the metrics,
/// spread evenly over them: the library's metrics first, then builder-style definitions
/// (picks over the Messages and Calls lists), all on the Metrics screen (in use).
async fn populate(
    store: &Arc<AnyStore>,
    sim: &twilio_sim::SimHandle,
    metrics: usize,
    connections: usize,
) -> Vec<MetricId> {
    let connector = connector::Connector::new(connector::ConnectorConfig {
        base_url: Some(connector::BaseUrl::parse(&sim.base_url()).unwrap()),
        ..connector::ConnectorConfig::default()
    })
    .unwrap();
    let app = app::App::new(Arc::clone(store), connector);
    let accounts = &sim.dataset().accounts;
    assert!(
        accounts.len() >= connections,
        "the simulator has enough accounts"
    );
    let library = library::list(None).unwrap();
    let mut ids = Vec::new();
    for (c, account) in accounts.iter().take(connections).enumerate() {
        let label = format!("account-{c}");
        let key = account.main_key().expect("a Main key");
        app.add_connection(
            &app::Label::parse(&label).unwrap(),
            app::connections::parse_credentials(
                &account.sid,
                &key.sid,
                domain::Secret::new(key.secret.clone()),
            )
            .unwrap(),
        )
        .await
        .expect("the connection is added");
        let share = metrics / connections + usize::from(c < metrics % connections);
        for i in 0..share {
            let mut def = match library.get(i) {
                Some(entry) => entry.definition.clone(),
                None => builder_style(i - library.len()),
            };
            def.connection = label.clone();
            def.description.name = format!("{} ({label})", def.description.name);
            let m = app
                .import_metric(&def, true)
                .await
                .expect("the metric is saved");
            ids.push(m.id);
        }
    }
    ids
}

/// The `n`th builder-style definition: a count or a field of Messages or Calls, maybe filtered,
/// maybe broken down, over one of four page sizes (so they fall into several fetch groups, as
/// definitions made by different people would).
fn builder_style(n: usize) -> MetricDefinition {
    let messages = n.is_multiple_of(2);
    let base = library::find(if messages {
        "messages-by-status"
    } else {
        "calls-by-status"
    })
    .unwrap();
    let mut def = base.definition.clone();
    let page_size = ["1000", "500", "200", "100"][(n / 2) % 4];
    for p in &mut def.request.params {
        if p.key == "PageSize" {
            p.value = page_size.to_owned();
        }
    }
    let variant = n / 8;
    let (records, date, statuses, dimensions, fields): (_, _, &[&str], &[&str], &[&str]) =
        if messages {
            (
                "messages",
                "date_created",
                &["delivered", "failed", "undelivered", "sent", "received"],
                &["status", "direction", "error_code", "messaging_service_sid"],
                &["num_segments", "price"],
            )
        } else {
            (
                "calls",
                "start_time",
                &["completed", "busy", "no-answer", "failed", "canceled"],
                &["status", "direction"],
                &["duration", "price"],
            )
        };
    let picks = Picks {
        records: Some(records.to_owned()),
        value: match variant % 3 {
            0 => ValuePick::Count,
            k => ValuePick::Field {
                path: fields[(k - 1) % fields.len()].to_owned(),
            },
        },
        dimension: (variant % 2 == 1).then(|| dimensions[variant % dimensions.len()].to_owned()),
        date: DatePick::Field {
            path: date.to_owned(),
        },
        filters: if variant % 4 < 2 {
            vec![Filter {
                field: "status".to_owned(),
                equals: Some(statuses[variant % statuses.len()].into()),
                one_of: None,
            }]
        } else {
            Vec::new()
        },
    };
    def.extraction.expression = Some(picks.to_expression().unwrap());
    def.extraction.picks = Some(picks);
    def.description.name = format!(
        "Built {} {n} (page size {page_size})",
        if messages { "messages" } else { "calls" }
    );
    def
}

/// The metrics grouped as the scheduler groups them: one job per connection and request.
async fn share_groups(store: &AnyStore, ids: &[MetricId]) -> Vec<Vec<MetricId>> {
    let metrics = store.list_metrics().await.unwrap();
    metric_sync::share_groups(metrics.iter().filter(|m| ids.contains(&m.id)))
}

/// Queues the round's jobs, the very jobs the scheduler queues when every metric is due.
async fn enqueue_round(store: &AnyStore, groups: &[Vec<MetricId>], now_ms: i64) {
    for metrics in groups {
        let job = SyncJob {
            metrics: metrics.clone(),
            from_ms: None,
            to_ms: None,
        };
        store
            .enqueue(&job.to_new_job(now_ms), now_ms)
            .await
            .unwrap();
    }
}

/// Waits until every metric has a run that started at or after `since_ms` and the queue is
/// empty; returns the time and how many metrics' last run failed.
async fn wait_round(store: &AnyStore, ids: &[MetricId], since_ms: i64) -> (Duration, usize) {
    let at = Instant::now();
    loop {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let figures = store.ops_figures(now_ms).await.unwrap();
        let states: BTreeMap<MetricId, &store::MetricSyncState> =
            figures.metrics.iter().map(|s| (s.id, s)).collect();
        let all_ran = ids.iter().all(|id| {
            states.get(id).is_some_and(|s| {
                s.last_started_ms.is_some_and(|t| t >= since_ms)
                    && s.last_finished_status.is_some()
                    && (s.last_good_finished_ms.is_some_and(|t| t >= since_ms)
                        || s.last_finished_status == Some(store::RunStatus::Failed))
            })
        });
        if all_ran && figures.queue.waiting == 0 && figures.queue.running == 0 {
            let failed = ids
                .iter()
                .filter(|id| {
                    states[id]
                        .last_good_finished_ms
                        .is_none_or(|t| t < since_ms)
                })
                .count();
            return (at.elapsed(), failed);
        }
        assert!(at.elapsed() < GIVE_UP, "the round finishes within an hour");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn requests(store: &AnyStore) -> i64 {
    let now_ms = jiff::Timestamp::now().as_millisecond();
    store
        .ops_figures(now_ms)
        .await
        .unwrap()
        .counters
        .iter()
        .filter(|c| c.name == store::counter::TWILIO_REQUESTS)
        .map(|c| c.value)
        .sum()
}

fn start_serve(dir: &std::path::Path, sim_url: &str) -> Child {
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--twilio-base-url",
            sim_url,
        ])
        .env("SWITCHBOARD_DATA_DIR", dir)
        .env("SWITCHBOARD_MASTER_KEY", KEY_B64)
        .env_remove("SWITCHBOARD_DATABASE")
        .env_remove("SWITCHBOARD_DATABASE_FILE")
        .env_remove("SWITCHBOARD_MASTER_KEY_FILE")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("switchboard serve starts")
}

fn stop(serve: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
}

/// utime + stime of the process, in seconds.
fn cpu_seconds(pid: u32, ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("serve is running");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: f64 = fields[11].parse().unwrap();
    let stime: f64 = fields[12].parse().unwrap();
    (utime + stime) / ticks
}

fn vm_kb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The hour's average share of one core: the rounds' mean CPU, plus the idle rate over the
/// rest of the hour.
fn hourly_share(f: &Figures) -> (f64, f64, f64) {
    let n = f.rounds.len() as f64;
    let wall = f.rounds.iter().map(|r| r.wall.as_secs_f64()).sum::<f64>() / n;
    let cpu = f.rounds.iter().map(|r| r.cpu).sum::<f64>() / n;
    let share = (cpu + f.idle_rate * (3600.0 - wall)) / 3600.0;
    (wall, cpu, share)
}

fn report(runs: &[&Figures]) {
    println!("load average at the end: {}", load_average());
    println!(
        "| run | metrics / connections / jobs | backfill | round (mean, max) | round CPU | Twilio requests a round | idle CPU | share of one core over the hour | serve VmHWM | RSS after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for f in runs {
        let (wall, cpu, share) = hourly_share(f);
        let max = f
            .rounds
            .iter()
            .map(|r| r.wall.as_secs_f64())
            .fold(0.0, f64::max);
        let reqs = f.rounds.iter().map(|r| r.requests).sum::<i64>() / f.rounds.len() as i64;
        let failed: usize = f.rounds.iter().map(|r| r.failed).sum();
        println!(
            "| {} | {} / {} / {} | {:.1} s ({:.1} s CPU) | {:.2} s, {:.2} s | {:.2} s | {}{} | {:.2} % | **{:.2} %** | {:.0} MB | {:.0} MB |",
            f.name,
            f.metrics,
            f.connections,
            f.jobs_per_round,
            f.backfill.as_secs_f64(),
            f.backfill_cpu,
            wall,
            max,
            cpu,
            reqs,
            if failed > 0 {
                format!(" ({failed} failed runs)")
            } else {
                String::new()
            },
            f.idle_rate * 100.0,
            share * 100.0,
            f.vm_hwm_mb,
            f.rss_after_mb
        );
    }
    if let [base, scale] = runs {
        let (bw, bc, bs) = hourly_share(base);
        let (sw, sc, ss) = hourly_share(scale);
        println!(
            "scale / baseline: metrics {:.1}x, round time {:.2}x, round CPU {:.2}x, hourly share {:.2}x, VmHWM {:.2}x",
            scale.metrics as f64 / base.metrics as f64,
            sw / bw,
            sc / bc.max(1e-9),
            ss / bs.max(1e-9),
            scale.vm_hwm_mb / base.vm_hwm_mb.max(1e-9)
        );
    }
}
