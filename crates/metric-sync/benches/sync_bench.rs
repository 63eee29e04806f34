//! Benchmarks of a sync, each against its baseline in the same run.
//!
//! (1) A 90-day backfill of 2,000 messages a day, the simulator adding 150 ms per request:
//!     the sync (day windows in parallel within the in-flight limit) against the plain
//!     sequential next-page walk over the whole range.
//! (2) A sync of 100 pages of 1000 messages end to end (pages read as text, parsed once into
//!     the engine's representation, evaluated, folded, stored, raw pages kept) against only
//!     fetching the same pages and parsing them into `serde_json::Value` through the connector;
//!     each in its own process, whose peak resident memory (VmHWM) is reported.
//!     `--parts` times the stages of a page's work instead (a diagnostic).
//!
//! `cargo bench -p metric-sync --bench sync_bench`

use std::sync::Arc;
use std::time::{Duration, Instant};

use connector::{BaseUrl, Connector, ConnectorConfig, Credentials};
use domain::{AccountSid, ApiKeySid, Secret};
use metric_sync::{SyncConfig, SyncOptions, Syncer};
use serde_json::json;
use store::{MasterKey, NewConnection, NewMetric, SqliteStore, Store};
use twilio_request::{Param, RequestSpec};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

const IN_FLIGHT: usize = 8;

fn now() -> jiff::Timestamp {
    "2026-11-20T12:00:00Z".parse().unwrap()
}

fn spec() -> RequestSpec {
    let p = |k: &str, v: &str| Param {
        key: k.into(),
        value: v.into(),
    };
    RequestSpec {
        host: "api.twilio.com".into(),
        path: "/2010-04-01/Accounts/{AccountSid}/Messages.json".into(),
        params: vec![
            p("DateSent>", "{{date_from|iso}}"),
            p("DateSent<", "{{date_to|iso}}"),
            p("PageSize", "1000"),
        ],
        headers: vec![],
        pagination: Default::default(),
    }
}

async fn sim(messages_per_day: u32, days: u32, latency_ms: u64) -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 11,
        now: now(),
        sizes: Sizes {
            messages_per_day,
            calls_per_day: 1,
            days,
            subaccounts: 0,
            conferences_per_day: 0,
            verify_attempts_per_day: 0,
            ..Sizes::default()
        },
        faults: Faults {
            latency_ms,
            ..Faults::default()
        },
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

fn connector(sim: &SimHandle, max_pages: u32) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        max_in_flight: IN_FLIGHT,
        max_pages,
        ..ConnectorConfig::default()
    })
    .unwrap()
}

fn creds(sim: &SimHandle) -> Credentials {
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    Credentials::parse(&a.sid, &k.sid, Secret::new(k.secret.clone())).unwrap()
}

async fn store_with_metric(
    sim: &SimHandle,
) -> (Arc<SqliteStore>, store::MetricId, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("sync-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let key =
        MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").unwrap();
    let store = Arc::new(SqliteStore::open_dir(&dir, key).await.unwrap());
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    let conn = store
        .create_connection(
            &NewConnection {
                label: "sim".into(),
                account_sid: AccountSid::parse(&a.sid).unwrap(),
                api_key_sid: ApiKeySid::parse(&k.sid).unwrap(),
                secret: Secret::new(k.secret.clone()),
            },
            0,
        )
        .await
        .unwrap();
    let definition = json!({
        "version": 1,
        "connection": "sim",
        "request": spec(),
        "extraction": {"expression": r#"messages.{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": status}"#},
        "description": {"name": "Messages by status", "aggregation": "sum", "favourable": "up",
                        "format": {"unit": "count"}, "interval": "day"}
    });
    let metric = store
        .create_metric(
            &NewMetric {
                name: "Messages by status".into(),
                connection_id: Some(conn.id),
                definition: definition.to_string(),
            },
            0,
        )
        .await
        .unwrap();
    (store, metric.id, dir)
}

/// The plain walk other tools do: one request over the whole range, then next page after next
/// page, with a plain HTTP client (the connector refuses more than 100 pages per fetch).
async fn plain_walk(
    sim: &SimHandle,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> (Duration, u32, usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    let window = twilio_request::Window::new(from, to).unwrap();
    let rendered = spec()
        .render(&AccountSid::parse(&a.sid).unwrap(), Some(window))
        .unwrap();
    let started = Instant::now();
    let (mut pages, mut records) = (0u32, 0usize);
    let mut next = Some(rendered.path_and_query());
    while let Some(pq) = next.take() {
        let body = http
            .get(format!("{}{pq}", sim.base_url()))
            .header("Host", "api.twilio.com")
            .basic_auth(&k.sid, Some(&k.secret))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        pages += 1;
        records += page["messages"].as_array().map_or(0, Vec::len);
        next = page["next_page_uri"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    }
    (started.elapsed(), pages, records)
}

/// Only fetching and parsing, through the same connector the sync uses.
async fn bare_walk(
    sim: &SimHandle,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> (Duration, u32, usize) {
    let c = connector(sim, 100);
    let started = Instant::now();
    let mut records = 0usize;
    let window = twilio_request::Window::new(from, to).unwrap();
    let ledger = c
        .fetch(&creds(sim), &spec(), Some(window), |page| {
            records += page.value["messages"].as_array().map_or(0, Vec::len);
            Ok::<(), std::io::Error>(())
        })
        .await
        .unwrap();
    (started.elapsed(), ledger.pages, records)
}

async fn backfill() {
    let sim = sim(2000, 90, 150).await;
    let to = now();
    let from = to - jiff::SignedDuration::from_hours(90 * 24);
    let (store, metric, dir) = store_with_metric(&sim).await;
    let syncer = Syncer::new(
        store.clone(),
        connector(&sim, 100),
        SyncConfig {
            backfill: Duration::from_secs(90 * 86_400),
            ..SyncConfig::default()
        },
    );
    let started = Instant::now();
    let report = syncer.sync_metric(metric, now()).await.unwrap();
    let sync_time = started.elapsed();
    let peak = sim.peak_concurrency();
    sim.clear_request_log();
    let (bare_time, bare_pages, records) = plain_walk(&sim, from, to).await;
    println!(
        "(1) 90-day backfill, 2,000 messages/day, +150 ms per request, in-flight limit {IN_FLIGHT}"
    );
    println!(
        "    sync:     {:>7.2} s  ({} windows, {} requests, {} rows, status {:?}, peak in flight {peak})",
        sync_time.as_secs_f64(),
        report.ledger.windows_stored,
        report.ledger.requests,
        report.ledger.rows_stored,
        report.status
    );
    println!(
        "    baseline: {:>7.2} s  (sequential next-page walk: {bare_pages} pages, {records} records)",
        bare_time.as_secs_f64()
    );
    println!(
        "    ratio:    {:.2}x faster (goal >= 4x, peak in flight {peak} <= {IN_FLIGHT})",
        bare_time.as_secs_f64() / sync_time.as_secs_f64()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// User plus system CPU time of this process so far, from `/proc/self/stat` (in clock ticks of
/// 10 ms): what a mode costs the machine, which the wall time on a loaded machine hides.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The newest (at most) 100,000 messages, from a whole hour to now: one window of 100 pages of
/// 1000 at most.
async fn hundred_pages(mode: &str) {
    let sim = sim(2000, 60, 0).await;
    let mut instants: Vec<i64> = sim
        .dataset()
        .main_account()
        .messages
        .iter()
        .map(|m| m.sort_ms())
        .collect();
    instants.sort_unstable_by(|a, b| b.cmp(a));
    let hour = 3_600_000;
    let from_ms = (instants[99_999].div_euclid(hour) + 1) * hour;
    let total = instants.iter().filter(|&&t| t >= from_ms).count();
    let to = now();
    let from = jiff::Timestamp::from_millisecond(from_ms).unwrap();
    let (elapsed, cpu, pages) = if mode == "bare" {
        let cpu = cpu_seconds();
        let (t, pages, _) = bare_walk(&sim, from, to).await;
        (t, cpu_seconds() - cpu, pages)
    } else {
        let (store, metric, dir) = store_with_metric(&sim).await;
        let syncer = Syncer::new(
            store.clone(),
            connector(&sim, 100),
            SyncConfig {
                window: Duration::from_secs(61 * 86_400),
                ..SyncConfig::default()
            },
        );
        let options = SyncOptions {
            range: Some((from.as_millisecond(), to.as_millisecond())),
            progress: None,
        };
        let cpu = cpu_seconds();
        let started = Instant::now();
        let report = syncer
            .sync_metric_with(metric, &options, now())
            .await
            .unwrap();
        let t = started.elapsed();
        let cpu = cpu_seconds() - cpu;
        assert_eq!(
            report.ledger.splits, 0,
            "the range should fit in one window: {:?}",
            report.ledger
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
        (t, cpu, report.ledger.pages)
    };
    println!(
        "{mode} {} {pages} {total} {} {cpu}",
        elapsed.as_secs_f64(),
        vm_hwm_kb()
    );
}

/// Where the time of a page goes (`--parts`): a diagnostic, not a benchmark. The pages are
/// fetched as text, as the sync reads them; each stage of the sync's work on a page is timed
/// over all of them, beside the parse into `serde_json::Value` the bare walk does.
async fn parts() {
    use std::io::Write;
    let sim = sim(2000, 10, 0).await;
    let c = connector(&sim, 10);
    let to = now();
    let from = to - jiff::SignedDuration::from_hours(10 * 24);
    let window = twilio_request::Window::new(from, to).unwrap();
    let mut texts = Vec::new();
    c.fetch_text_with(
        &creds(&sim),
        &spec(),
        Some(window),
        &Default::default(),
        |p| {
            texts.push(p.text);
            Ok::<(), std::io::Error>(())
        },
    )
    .await
    .unwrap();
    let expr = metric::Expression::compile(
        r#"messages.{"value": 1, "date": date_sent ? date_sent : date_created, "dimension": status}"#,
        metric::Limits::default(),
    )
    .unwrap();
    let fields = metric::fields_read(&expr);
    let ctx = metric::extract::sync_context(now());
    let t = Instant::now();
    for text in &texts {
        let _: serde_json::Value = serde_json::from_str(text).unwrap();
    }
    let value_parse = t.elapsed();
    let t = Instant::now();
    let parsed: Vec<_> = texts
        .iter()
        .map(|text| fields.parse_page(text).unwrap())
        .collect();
    let parse = t.elapsed();
    let t = Instant::now();
    let results: Vec<_> = parsed
        .iter()
        .map(|p| expr.evaluate_page(p, &ctx).unwrap())
        .collect();
    let eval = t.elapsed();
    let t = Instant::now();
    let sets: Vec<_> = results
        .iter()
        .map(|r| metric::rows_from_result(r.as_ref(), now()))
        .collect();
    let rows = t.elapsed();
    let t = Instant::now();
    let n: usize = sets.iter().map(|s| metric::fold_rows(&s.rows).len()).sum();
    let fold = t.elapsed();
    let t = Instant::now();
    let mut raw = 0usize;
    for p in &parsed {
        let text = serde_json::to_vec(&p.to_json()).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        raw += gz.finish().unwrap().len();
    }
    let keep = t.elapsed();
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "{} pages ({bytes} bytes): parse into Value {value_parse:?} (the bare walk's); the sync's: \
         parse cut {parse:?}, eval {eval:?}, rows {rows:?}, fold {fold:?} ({n} buckets), \
         raw page to_json+serialize+gzip {keep:?} ({raw} bytes)",
        texts.len(),
    );
}

fn run_child(mode: &str) -> (f64, u32, usize, u64, f64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(mode)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(mode))
        .unwrap_or_else(|| {
            panic!(
                "{mode} child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let f: Vec<&str> = line.split_whitespace().collect();
    (
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].parse().unwrap(),
        f[4].parse().unwrap(),
        f[5].parse().unwrap(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.iter().any(|a| a == "--parts") {
        rt.block_on(parts());
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let mode = args.get(i + 1).cloned().unwrap_or_default();
        rt.block_on(hundred_pages(&mode));
        return;
    }
    let only = |name: &str| {
        !args.iter().any(|a| a.starts_with("only="))
            || args.iter().any(|a| a == &format!("only={name}"))
    };
    if only("backfill") {
        rt.block_on(backfill());
    }
    if only("pages") {
        let (bare, bare_pages, total, bare_kb, bare_cpu) = run_child("bare");
        let (sync, sync_pages, _, sync_kb, sync_cpu) = run_child("sync");
        println!(
            "(2) {sync_pages} pages of up to 1000 messages ({total} messages), no added latency; one process per mode"
        );
        println!(
            "    sync end to end: {sync:>6.2} s, CPU {sync_cpu:.2} s, peak RSS {:.0} MB",
            sync_kb as f64 / 1024.0
        );
        println!(
            "    fetch+parse:     {bare:>6.2} s, CPU {bare_cpu:.2} s, peak RSS {:.0} MB ({bare_pages} pages)",
            bare_kb as f64 / 1024.0
        );
        println!(
            "    ratio:           {:.2}x the bare time (goal <= 1.2x, peak < 200 MB), CPU {:.2}x",
            sync / bare,
            sync_cpu / bare_cpu
        );
    }
}
