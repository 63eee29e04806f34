//! A `switchboard sync` killed with SIGKILL in the middle loses nothing: after a restart the
//! stored data equals that of an uninterrupted sync.

mod support;

use std::time::{Duration, Instant};

use support::{add_main_connection, command, fixture, ok, scratch_dir, small_sim};

const FROM: &str = "2026-03-06";
const TO: &str = "2026-03-15";

fn sync_args() -> Vec<&'static str> {
    vec![
        "sync",
        "Messages by status",
        "--from",
        FROM,
        "--to",
        TO,
        "--max-in-flight",
        "1",
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_midway_and_restarted_stores_what_an_uninterrupted_one_does() {
    let sim = small_sim().await;
    // One request at a time, each slow: the sync takes seconds, so the kill lands inside it.
    sim.set_faults(twilio_sim::Faults {
        latency_ms: 400,
        ..twilio_sim::Faults::default()
    });
    let killed = scratch_dir("killed");
    let clean = scratch_dir("clean");
    for dir in [&killed, &clean] {
        tokio::task::block_in_place(|| {
            add_main_connection(dir, &sim, &[]);
            ok(
                dir,
                &sim,
                &["metric", "import", &fixture("messages_by_status.json")],
            );
        });
    }

    let mut child = command(&killed, &sim, &sync_args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sync starts");
    let started = Instant::now();
    // Wait until some windows were fetched, then kill without warning.
    while sim.request_log().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the sync never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        child.try_wait().expect("status").is_none(),
        "the sync finished before the kill: the test proves nothing"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    sim.set_faults(twilio_sim::Faults::default());
    tokio::task::block_in_place(|| {
        ok(&killed, &sim, &sync_args());
        ok(&clean, &sim, &sync_args());
    });
    let data = |dir| {
        tokio::task::block_in_place(|| {
            ok(
                dir,
                &sim,
                &[
                    "data",
                    "Messages by status",
                    "--from",
                    FROM,
                    "--to",
                    TO,
                    "--interval",
                    "hour",
                    "--format",
                    "json",
                    "--top",
                    "100",
                ],
            )
        })
    };
    let after_kill = data(&killed);
    let uninterrupted = data(&clean);
    let total =
        serde_json::from_str::<serde_json::Value>(&uninterrupted).expect("json")["total"].as_f64();
    assert!(
        total.is_some_and(|t| t > 0.0),
        "the range holds messages: {uninterrupted}"
    );
    assert_eq!(after_kill, uninterrupted);
}
