//! The binary's logs: with `--log-format json` everything `serve` writes on standard error is
//! JSON, one request event per request with its fields; a bad log filter is refused by name.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{command, scratch_dir, small_sim, switchboard, text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request on a fresh connection; the status and the `X-Request-Id` answered.
async fn get(addr: &str, path: &str) -> (u16, Option<String>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let id = reply.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("x-request-id")
            .then(|| v.trim().to_owned())
    });
    (status, id)
}

fn field<'a>(event: &'a Value, name: &str) -> &'a Value {
    &event["fields"][name]
}

/// The request events of the log, by route.
fn requests<'a>(events: &'a [Value], route: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| field(e, "message") == "request" && field(e, "route") == route)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_json_logs_writes_only_json_and_one_event_per_request() {
    let sim = small_sim().await;
    let dir = scratch_dir("logs-json");
    let mut serve = command(
        &dir,
        &sim,
        &["serve", "--addr", "127.0.0.1:0", "--log-format", "json"],
    )
    .env_remove("RUST_LOG")
    .env_remove("SWITCHBOARD_LOG")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("serve starts");
    let stderr = serve.stderr.take().expect("stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = Vec::new();
    // The address is in the "serving" event, not on standard output.
    let started = Instant::now();
    let addr = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60).saturating_sub(started.elapsed()))
            .expect("serve announced where it listens");
        seen.push(line.clone());
        if let Ok(event) = serde_json::from_str::<Value>(&line)
            && let Some(url) = field(&event, "listening").as_str()
        {
            break url.trim_start_matches("http://").to_owned();
        }
    };

    let (status, login_id) = get(&addr, "/login").await;
    assert_eq!(status, 200);
    let login_id = login_id.expect("an X-Request-Id on the answer");
    let share_token = "a-made-up-share-token-7Yq";
    get(&addr, &format!("/shared/{share_token}")).await;
    get(&addr, "/no/such/page-with-a-secret-9Zx").await;
    assert_eq!(get(&addr, "/healthz").await.0, 200);

    let sent = std::process::Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = tokio::task::block_in_place(|| serve.wait()).expect("serve exits");
    assert!(status.success(), "serve exited with {status}");
    reader.join().expect("the reader thread");
    seen.extend(lines.try_iter());
    let mut stdout = String::new();
    serve
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");

    let events: Vec<Value> = seen
        .iter()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("not JSON on stderr ({e}): {line}"))
        })
        .collect();
    assert!(
        stdout.is_empty(),
        "in JSON mode nothing goes to standard output: {stdout}"
    );
    let all = seen.join("\n");

    let login = requests(&events, "/login");
    assert_eq!(login.len(), 1, "{all}");
    let login = login[0];
    assert_eq!(login["level"], "INFO");
    assert_eq!(field(login, "method"), "GET");
    assert_eq!(field(login, "status"), 200);
    assert!(
        field(login, "duration_ms")
            .as_f64()
            .is_some_and(|ms| ms >= 0.0),
        "{login}"
    );
    assert_eq!(field(login, "request_id"), login_id.as_str());
    assert_eq!(field(login, "client"), "127.0.0.1");

    assert_eq!(requests(&events, "/shared/{token}").len(), 1, "{all}");
    assert!(!all.contains(share_token), "a share token reached the log");
    assert_eq!(requests(&events, "unmatched").len(), 1, "{all}");
    assert!(
        !all.contains("page-with-a-secret"),
        "a raw path reached the log"
    );
    assert!(
        requests(&events, "/healthz").is_empty(),
        "health checks are logged at debug only: {all}"
    );
    // No one has an account: the setup link is an event of its own.
    assert!(
        events.iter().any(|e| field(e, "setup_url")
            .as_str()
            .is_some_and(|u| u.contains("/setup?token="))),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_filter_that_is_not_one_is_refused_by_name() {
    let sim = small_sim().await;
    let dir = scratch_dir("logs-bad");
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["--log-level", "warn,debg", "library", "list"],
            "",
        )
    });
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("'debg'") && said.contains("--log-level"),
        "{said}"
    );

    let out = tokio::task::block_in_place(|| {
        command(&dir, &sim, &["library", "list"])
            .env("RUST_LOG", "web=loud")
            .env_remove("SWITCHBOARD_LOG")
            .output()
            .expect("runs")
    });
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("RUST_LOG") && said.contains("web=loud"),
        "{said}"
    );
}
