//! The raw pages setting of `serve` and `worker`: a value other than `on`/`off` is refused with
//! the accepted ones, and a worker started with raw pages off deletes the stored ones.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use store::{MasterKey, SqliteStore, Store};
use support::{add_main_connection, command, fixture, ok, scratch_dir, small_sim, text};

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_pages_setting_other_than_on_or_off_is_refused() {
    let sim = small_sim().await;
    let dir = scratch_dir("raw-pages-bad");
    let out = tokio::task::block_in_place(|| {
        command(&dir, &sim, &["worker", "--raw-pages", "sometimes"])
            .output()
            .expect("runs")
    });
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(
        shown.contains("'sometimes' is not a raw pages setting: give 'on'"),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn raw_page_sets(dir: &std::path::Path) -> u64 {
    let (key, _) = MasterKey::from_environment(dir).expect("the key file");
    let store = SqliteStore::open_dir(dir, key).await.expect("store opens");
    let sets = store.raw_pages_usage().await.expect("usage").sets;
    store.close().await;
    sets
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_with_raw_pages_off_deletes_the_stored_ones_at_start() {
    let sim = small_sim().await;
    let dir = scratch_dir("raw-pages-off");
    tokio::task::block_in_place(|| {
        add_main_connection(&dir, &sim, &[]);
        ok(
            &dir,
            &sim,
            &["metric", "import", &fixture("messages_by_status.json")],
        );
        ok(
            &dir,
            &sim,
            &[
                "sync",
                "Messages by status",
                "--from",
                "2026-03-10",
                "--to",
                "2026-03-12",
            ],
        );
    });
    assert_eq!(raw_page_sets(&dir).await, 1, "the sync kept its pages");

    let mut child = command(&dir, &sim, &["worker", "--no-schedule"])
        .env("SWITCHBOARD_RAW_PAGES", "off")
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("started on")) {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => lines.push(line),
            Err(_) if started.elapsed() < Duration::from_secs(30) => {}
            Err(_) => {
                let _ = child.kill();
                panic!("the worker did not start: {lines:?}");
            }
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = tokio::task::block_in_place(|| child.wait());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("raw pages are off: deleted the stored raw pages (1 sets)")),
        "{lines:?}"
    );
    assert_eq!(raw_page_sets(&dir).await, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
