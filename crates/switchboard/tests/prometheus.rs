//! `/metrics` from the real binary, read by a real Prometheus parser (the Python
//! `prometheus_client`'s `text_string_to_metric_families`): `serve`'s and a worker's
//! `--metrics-addr` both parse, and the store's counters only grow, across a sync and across a
//! restart of `serve`.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};

use support::{add_main_connection, command, fixture, ok, scratch_dir, small_sim};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twilio_sim::SimHandle;

/// Reads the text with the real parser and prints every sample as JSON; exits 3 when the
/// module is missing, so the test can skip loudly.
const PARSE: &str = r#"
import json, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit(3)
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

/// A bounded sync of the imported metric: the simulator's last nine days.
const SYNC: [&str; 6] = [
    "sync",
    "Messages by status",
    "--from",
    "2026-03-06",
    "--to",
    "2026-03-15",
];

/// One sample: its name with its labels in the text format's order-free form, and its value.
type Samples = BTreeMap<String, f64>;

/// Parses `text` with `prometheus_client`; `None` (after a loud skip) when the module is
/// missing. Panics when the parser refuses the text.
fn parse(text: &str) -> Option<(Samples, BTreeMap<String, String>)> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()
        .or_else(|| test_support::skip("the Prometheus parser test", "python3 is not installed"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the text");
    let out = child.wait_with_output().expect("python3 runs");
    if out.status.code() == Some(3) {
        return test_support::skip(
            "the Prometheus parser test",
            "the Python module prometheus_client is missing (pip install prometheus_client)",
        );
    }
    assert!(
        out.status.success(),
        "prometheus_client refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let mut samples = Samples::new();
    let mut types = BTreeMap::new();
    for s in parsed {
        let labels = s["labels"]
            .as_object()
            .map(|m| {
                let mut pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                pairs.sort();
                pairs.join(",")
            })
            .unwrap_or_default();
        let name = s["name"].as_str().expect("name").to_owned();
        types.insert(
            name.clone(),
            s["type"].as_str().unwrap_or_default().to_owned(),
        );
        samples.insert(
            format!("{name}{{{labels}}}"),
            s["value"].as_f64().expect("value"),
        );
    }
    Some((samples, types))
}

/// The samples of the store's counters (shared by every process, kept across restarts).
fn store_counters(samples: &Samples) -> Samples {
    samples
        .iter()
        .filter(|(k, _)| k.starts_with("switchboard_sync_") || k.starts_with("switchboard_twilio_"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// `GET path` over a fresh connection; the body.
async fn get(addr: &str, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "GET {path} on {addr}: {reply}"
    );
    reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads what the process still writes, so its writes never fail on a closed pipe.
fn drain(mut from: impl BufRead + Send + 'static) {
    std::thread::spawn(move || std::io::copy(&mut from, &mut std::io::sink()));
}

/// Starts `serve --no-worker` on a free port; its address from its first line.
fn start_serve(dir: &PathBuf, sim: &SimHandle) -> Running {
    let mut child = command(dir, sim, &["serve", "--addr", "127.0.0.1:0", "--no-worker"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut line).expect("a line");
    drain(stdout);
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Running { child, addr }
}

/// Starts `worker --metrics-addr` on a free port; its address from what it says it serves.
fn start_worker(dir: &PathBuf, sim: &SimHandle) -> Running {
    let mut child = command(
        dir,
        sim,
        &["worker", "--no-schedule", "--metrics-addr", "127.0.0.1:0"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("worker starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() && stderr.read_line(&mut line).expect("a line") > 0 {
        if let Some(rest) = line.split("serves /metrics at http://").nth(1) {
            addr = rest.split('/').next().map(str::to_owned);
        }
        line.clear();
    }
    drain(stderr);
    let addr = addr.expect("the worker says where it serves /metrics");
    Running { child, addr }
}

/// A data folder with the simulator's connection and one imported metric.
fn prepared(sim: &SimHandle, name: &str) -> PathBuf {
    let dir = scratch_dir(name);
    add_main_connection(&dir, sim, &[]);
    ok(
        &dir,
        sim,
        &["metric", "import", &fixture("messages_by_status.json")],
    );
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_and_worker_metrics_parse_and_show_the_same_store_counters() {
    let sim = small_sim().await;
    let dir = prepared(&sim, "prom-parse");
    tokio::task::block_in_place(|| ok(&dir, &sim, &SYNC));
    let serve = tokio::task::block_in_place(|| start_serve(&dir, &sim));
    let worker = tokio::task::block_in_place(|| start_worker(&dir, &sim));

    let Some((from_serve, types)) = parse(&get(&serve.addr, "/metrics").await) else {
        return;
    };
    let Some((from_worker, _)) = parse(&get(&worker.addr, "/metrics").await) else {
        return;
    };
    assert_eq!(
        types.get("switchboard_sync_runs_total").map(String::as_str),
        Some("counter")
    );
    assert_eq!(
        from_serve.get("switchboard_sync_runs_total{outcome=\"succeeded\"}"),
        Some(&1.0),
        "{from_serve:#?}"
    );
    assert_eq!(store_counters(&from_serve), store_counters(&from_worker));
    for process in ["process_resident_memory_bytes{}", "process_open_fds{}"] {
        assert!(from_worker[process] > 0.0, "{process} in {from_worker:#?}");
    }
    assert!(
        from_worker
            .keys()
            .all(|k| !k.starts_with("switchboard_http_")),
        "a worker serves no HTTP requests of the app"
    );
    assert_eq!(get(&worker.addr, "/healthz").await, "ok\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn store_counters_only_grow_across_a_sync_and_a_restart_of_serve() {
    let sim = small_sim().await;
    let dir = prepared(&sim, "prom-grow");
    let serve = tokio::task::block_in_place(|| start_serve(&dir, &sim));
    let Some((before, _)) = parse(&get(&serve.addr, "/metrics").await) else {
        return;
    };

    sim.clear_request_log();
    tokio::task::block_in_place(|| ok(&dir, &sim, &SYNC));
    let requests = sim.request_log().len() as f64;
    assert!(requests > 0.0, "the sync asked the simulator");

    let Some((after, _)) = parse(&get(&serve.addr, "/metrics").await) else {
        return;
    };
    let before = store_counters(&before);
    let after = store_counters(&after);
    for (name, value) in &before {
        assert!(
            after[name] >= *value,
            "{name} fell from {value} to {}",
            after[name]
        );
    }
    assert_eq!(
        after["switchboard_sync_runs_total{outcome=\"succeeded\"}"]
            - before["switchboard_sync_runs_total{outcome=\"succeeded\"}"],
        1.0
    );
    assert_eq!(
        after["switchboard_twilio_requests_total{}"]
            - before["switchboard_twilio_requests_total{}"],
        requests,
        "every request the simulator saw is counted once"
    );

    drop(serve);
    let again = tokio::task::block_in_place(|| start_serve(&dir, &sim));
    let Some((restarted, _)) = parse(&get(&again.addr, "/metrics").await) else {
        return;
    };
    assert_eq!(
        store_counters(&restarted),
        after,
        "a restart resets nothing"
    );
}
