//! `switchboard sim --live`: settings out of range are refused naming the flag before any data
//! is generated; a good start prints what live mode will do.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn sim(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args([
        "sim",
        "--port",
        "0",
        "--now",
        "2026-03-15T12:00:00Z",
        "--days",
        "1",
    ])
    .args([
        "--messages-per-day",
        "5",
        "--calls-per-day",
        "2",
        "--subaccounts",
        "0",
    ])
    .args(args)
    .env_remove("SWITCHBOARD_SIM_SEED")
    .env_remove("SWITCHBOARD_SIM_PORT");
    cmd
}

fn refusal(args: &[&str]) -> String {
    let out: Output = sim(args).output().expect("switchboard runs");
    assert!(!out.status.success(), "{args:?} was accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn live_settings_out_of_range_are_refused_naming_the_flag() {
    let e = refusal(&["--live", "--speed", "0"]);
    assert!(e.contains("--speed 0") && e.contains("at most 3600"), "{e}");
    let e = refusal(&["--live", "--event-sink", "ftp://example.com/x"]);
    assert!(e.contains("--event-sink") && e.contains("http://"), "{e}");
    let e = refusal(&["--live", "--drop-pct", "120"]);
    assert!(e.contains("--drop-pct 120"), "{e}");
    let e = refusal(&[
        "--live",
        "--live-account",
        "AC00000000000000000000000000000000",
    ]);
    assert!(
        e.contains("--live-account") && e.contains("no such account"),
        "{e}"
    );
}

#[test]
fn a_live_flag_without_live_is_refused() {
    let e = refusal(&["--duplicate-pct", "5"]);
    assert!(e.contains("--live"), "{e}");
}

#[test]
fn a_live_start_prints_its_settings() {
    let mut child = sim(&[
        "--live",
        "--speed",
        "60",
        "--live-messages-per-minute",
        "6",
        "--message-callback",
        "http://127.0.0.1:9/cb",
        "--reorder-pct",
        "20",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("switchboard starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.contains("counters and clock"))
        .collect();
    child.kill().expect("the simulator stops");
    let _ = child.wait();
    let text = lines.join("\n");
    assert!(
        text.contains("clock starting at 2026-03-15T12:00:00Z"),
        "{text}"
    );
    assert!(
        text.contains("live mode: the clock runs at 60x; 6/min messages"),
        "{text}"
    );
    assert!(
        text.contains("message callbacks  http://127.0.0.1:9/cb"),
        "{text}"
    );
    assert!(text.contains("reorder 20 %"), "{text}");
}
