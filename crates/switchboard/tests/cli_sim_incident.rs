//! `switchboard sim dump --incident`: a bad value is refused naming the part that is wrong, a
//! good one is listed in the dump.

use std::process::{Command, Output};

fn sim_dump(incident: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "sim",
            "dump",
            "--now",
            "2026-03-15T12:00:00Z",
            "--days",
            "3",
            "--messages-per-day",
            "5",
            "--calls-per-day",
            "2",
            "--incident",
            incident,
        ])
        .env_remove("SWITCHBOARD_SIM_SEED")
        .output()
        .expect("switchboard runs")
}

fn refusal(incident: &str) -> String {
    let out = sim_dump(incident);
    assert!(!out.status.success(), "{incident} was accepted");
    assert!(out.stdout.is_empty(), "nothing is dumped for {incident}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_incident_is_refused_naming_the_wrong_part_and_the_kinds() {
    let kinds = "carrier-filtering, voice-outage, traffic-drop, spend-spike";
    let e = refusal("2026-03-14:meltdown");
    assert!(e.contains("\"meltdown\"") && e.contains(kinds), "{e}");
    let e = refusal("2026-14-03:voice-outage");
    assert!(
        e.contains("\"2026-14-03\"") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
    let e = refusal("2026-03-14:voice-outage:500");
    assert!(e.contains("\"500\"") && e.contains("1 to 168"), "{e}");
    let e = refusal("2025-03-14:voice-outage");
    assert!(
        e.contains("outside the data") && e.contains("2026-03-12"),
        "{e}"
    );
}

#[test]
fn a_good_incident_is_listed_in_the_dump() {
    let out = sim_dump("2026-03-14T10:traffic-drop:2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the dump is JSON");
    let listed = &dump["incidents"][0];
    assert_eq!(listed["kind"], "traffic-drop");
    assert_eq!(listed["start"], "2026-03-14T10:00:00Z");
    assert_eq!(listed["end"], "2026-03-14T12:00:00Z");
}
