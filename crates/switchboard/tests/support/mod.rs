//! Shared helpers for the binary's end-to-end tests: a simulator on loopback, a scratch data
//! folder, and a way to run `switchboard` against both.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use twilio_sim::{SimConfig, SimHandle, Sizes};

pub const NOW: &str = "2026-03-15T12:00:00Z";

/// A small simulator with a fixed clock, so its data (and so every expected value) is fixed.
pub async fn small_sim() -> SimHandle {
    let config = SimConfig {
        seed: 7,
        now: NOW.parse().expect("fixed clock"),
        sizes: Sizes {
            messages_per_day: 20,
            calls_per_day: 5,
            days: 10,
            subaccounts: 0,
            ..Sizes::default()
        },
        ..SimConfig::default()
    };
    twilio_sim::spawn(config).await.expect("simulator starts")
}

/// A fresh, empty data folder under the system temp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "switchboard-test-{name}-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the binary with `args`, the data folder and the simulator as Twilio, feeding `stdin`.
pub fn switchboard(data_dir: &PathBuf, sim: &SimHandle, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_TWILIO_BASE_URL", sim.base_url())
        .env_remove("SWITCHBOARD_MASTER_KEY")
        .env_remove("SWITCHBOARD_DATABASE")
        .env_remove("SWITCHBOARD_API_KEY_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("switchboard binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("switchboard exits")
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs the binary with extra environment (e.g. a PostgreSQL URL) and no stdin.
pub fn command(data_dir: &PathBuf, sim: &SimHandle, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args(args)
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_TWILIO_BASE_URL", sim.base_url())
        .env_remove("SWITCHBOARD_MASTER_KEY")
        .env_remove("SWITCHBOARD_DATABASE")
        .env_remove("SWITCHBOARD_API_KEY_SECRET")
        .stdin(Stdio::null());
    cmd
}

/// Saves the simulator's main account under the label `prod` (the label the fixtures name).
pub fn add_main_connection(data_dir: &PathBuf, sim: &SimHandle, extra: &[&str]) {
    let account = sim.dataset().main_account();
    let key = account
        .keys
        .iter()
        .find(|k| k.key_type == twilio_sim::KeyType::Main)
        .expect("a Main key");
    let mut args = vec![
        "connection",
        "add",
        "prod",
        "--account-sid",
        account.sid.as_str(),
        "--api-key-sid",
        key.sid.as_str(),
        "--secret-stdin",
    ];
    args.extend_from_slice(extra);
    let out = switchboard(data_dir, sim, &args, &format!("{}\n", key.secret));
    assert!(out.status.success(), "connection add: {}", text(&out));
}

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary and insists that it succeeds.
pub fn ok(data_dir: &PathBuf, sim: &SimHandle, args: &[&str]) -> String {
    let out = switchboard(data_dir, sim, args, "");
    let shown = text(&out);
    assert!(out.status.success(), "switchboard {args:?} failed: {shown}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PostgreSQL URL for tests, or None (said loudly) when it is unreachable and not required.
pub fn postgres_url() -> Option<String> {
    test_support::pg_url_or_skip()
}

/// A PostgreSQL database of a test's own (its rows are all the test's to count), dropped when
/// this goes, even after a failed assertion.
pub struct Database {
    pub url: String,
    name: String,
    base_url: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.base_url.as_str(),
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}

/// Creates `<prefix>_<pid>_<ms>` on the server of `base_url`.
pub fn fresh_database(base_url: &str, prefix: &str) -> Database {
    let name = format!(
        "sb_{prefix}_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond()
    );
    let status = Command::new("psql")
        .args([base_url, "-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(status.success(), "could not create database {name}");
    let url = match base_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("the test database URL has no database part: {base_url}"),
    };
    Database {
        url,
        name,
        base_url: base_url.to_owned(),
    }
}
