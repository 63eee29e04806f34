//! What ships beside the binary: the systemd units pass `systemd-analyze verify` and keep a
//! low exposure score, and `switchboard healthcheck` (the container's HEALTHCHECK) tells a
//! healthy `serve` from none.

mod ops;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ops::{Serve, bin, run};
use support::scratch_dir;

const UNITS: [&str; 2] = ["switchboard.service", "switchboard-worker.service"];

fn unit_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging/systemd")
        .join(name)
}

/// The units with `ExecStart` pointing at this test's binary (verify insists that it exists),
/// in a folder of their own; `None` after a loud skip without systemd-analyze.
fn units_here(test: &str) -> Option<Vec<PathBuf>> {
    if !ops::have("systemd-analyze") {
        return test_support::skip(
            "systemd-analyze is not installed",
            "it checks the systemd units (Debian: apt-get install systemd)",
        );
    }
    let dir = scratch_dir(test);
    Some(
        UNITS
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(unit_source(name)).expect("the unit");
                assert!(
                    text.contains("ExecStart=/usr/local/bin/switchboard "),
                    "{name} runs /usr/local/bin/switchboard"
                );
                let here = text.replace(
                    "/usr/local/bin/switchboard",
                    env!("CARGO_BIN_EXE_switchboard"),
                );
                let path = dir.join(name);
                std::fs::write(&path, here).expect("write the unit");
                path
            })
            .collect(),
    )
}

#[test]
fn the_systemd_units_pass_systemd_analyze_verify_without_a_warning() {
    let Some(units) = units_here("units-verify") else {
        return;
    };
    for unit in &units {
        let (ok, out, err) = run(Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(unit));
        assert!(ok, "{}: {out}{err}", unit.display());
        // Unknown or misspelt settings are only warnings, on stderr, with success.
        assert!(err.trim().is_empty(), "{}: {err}", unit.display());
    }
}

#[test]
fn the_systemd_units_have_an_exposure_score_of_at_most_2() {
    let Some(units) = units_here("units-security") else {
        return;
    };
    for unit in &units {
        let (ok, out, err) = run(Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(unit));
        assert!(ok, "{}: {out}{err}", unit.display());
        // "→ Overall exposure level for NAME: 1.8 OK"
        let score: f64 = out
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|rest| rest.split_once(": "))
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level in {out}{err}"));
        eprintln!("{}: exposure {score}", unit.display());
        assert!(
            score <= 2.0,
            "{}: exposure {score} (0 best, 10 worst)",
            unit.display()
        );
    }
}

#[test]
fn healthcheck_succeeds_against_a_running_serve_and_fails_without_one() {
    let dir = scratch_dir("healthcheck");
    let mut cmd = bin();
    cmd.env("SWITCHBOARD_DATA_DIR", &dir);
    let serve = Serve::start(cmd);
    let url = format!("http://{}/healthz", serve.addr);
    let (ok, out, err) = run(bin().args(["healthcheck", &url]));
    assert!(ok, "healthcheck of a running serve: {out}{err}");
    let (ok, out, err) = run(bin().args([
        "healthcheck",
        &format!("http://{}/no-such-page", serve.addr),
    ]));
    assert!(!ok, "a 404 is not healthy: {out}");
    assert!(err.contains("404"), "{err}");
    serve.stop();
    let (ok, out, err) = run(bin().args(["healthcheck", "--timeout", "3", &url]));
    assert!(!ok, "healthcheck with serve stopped: {out}");
    assert!(err.contains("could not connect"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
