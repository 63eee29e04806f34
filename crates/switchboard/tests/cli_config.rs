//! `--config FILE`: settings from a TOML file, below flags and the environment.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::{scratch_dir, small_sim, text};

/// Runs the binary with no `SWITCHBOARD_*` variable of the tests' own, so only the file (and
/// `env`) set anything.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_") && name != "SWITCHBOARD_REQUIRE_ALL" {
            cmd.env_remove(name);
        }
    }
    let mut child = cmd
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("switchboard runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin");
    child.wait_with_output().expect("switchboard exits")
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

fn main_key(sim: &twilio_sim::SimHandle) -> (String, String, String) {
    let account = sim.dataset().main_account();
    let key = account
        .keys
        .iter()
        .find(|k| k.key_type == twilio_sim::KeyType::Main)
        .expect("a Main key");
    (account.sid.clone(), key.sid.clone(), key.secret.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_config_file_gives_the_data_folder_and_the_twilio_base_url() {
    let sim = small_sim().await;
    let dir = scratch_dir("config");
    let data = dir.join("data");
    let config = write_config(
        &dir,
        &format!(
            "# Settings for the tests\ndata_dir = {:?}\ntwilio_base_url = {:?}\nmax_in_flight = 2\n",
            data.display().to_string(),
            sim.base_url()
        ),
    );
    let config = config.to_str().expect("utf-8 path");
    let (ac, sk, secret) = main_key(&sim);
    let add = tokio::task::block_in_place(|| {
        run(
            &[
                "--config",
                config,
                "connection",
                "add",
                "prod",
                "--account-sid",
                &ac,
                "--api-key-sid",
                &sk,
                "--secret-stdin",
            ],
            &[],
            &format!("{secret}\n"),
        )
    });
    assert!(add.status.success(), "{}", text(&add));
    assert!(
        data.join("master.key").exists(),
        "the store is in the configured data folder"
    );
    // The same file through the environment variable instead of the flag.
    let list = tokio::task::block_in_place(|| {
        run(
            &["connection", "list"],
            &[("SWITCHBOARD_CONFIG", config)],
            "",
        )
    });
    assert!(text(&list).contains("prod"), "{}", text(&list));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flag_overrides_the_config_file() {
    let dir = scratch_dir("config-flag");
    let config = write_config(&dir, "data_dir = \"/nonexistent/switchboard/data\"\n");
    let own = dir.join("own");
    let out = tokio::task::block_in_place(|| {
        run(
            &[
                "connection",
                "list",
                "--config",
                config.to_str().expect("utf-8"),
                "--data-dir",
                own.to_str().expect("utf-8"),
            ],
            &[],
            "",
        )
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(own.join("master.key").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_setting_is_refused_with_the_known_ones() {
    let dir = scratch_dir("config-unknown");
    let config = write_config(&dir, "data_dri = \"x\"\n");
    let out = tokio::task::block_in_place(|| {
        run(
            &[
                "--config",
                config.to_str().expect("utf-8"),
                "connection",
                "list",
            ],
            &[],
            "",
        )
    });
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(shown.contains("unknown setting `data_dri`"), "{shown}");
    assert!(
        shown.contains("data_dir") && shown.contains("twilio_base_url"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_config_file_names_the_file_and_the_line() {
    let dir = scratch_dir("config-bad");
    let config = write_config(&dir, "data_dir = \"a\"\naddr = \n");
    let out = tokio::task::block_in_place(|| {
        run(
            &[
                "--config",
                config.to_str().expect("utf-8"),
                "connection",
                "list",
            ],
            &[],
            "",
        )
    });
    assert!(!out.status.success());
    let shown = text(&out);
    assert!(
        shown.contains("switchboard.toml is not valid TOML") && shown.contains("line 2"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_config_file_is_an_error() {
    let out = tokio::task::block_in_place(|| {
        run(
            &[
                "--config",
                "/nonexistent/switchboard.toml",
                "connection",
                "list",
            ],
            &[],
            "",
        )
    });
    assert!(!out.status.success());
    assert!(
        text(&out).contains("could not read the config file /nonexistent/switchboard.toml"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_mistyped_database_url_is_refused_before_anything_is_written() {
    let dir = scratch_dir("typo");
    let data = dir.join("data");
    let out = run(
        &[
            "connection",
            "list",
            "--data-dir",
            data.to_str().unwrap(),
            "--database",
            "postgress://sb:hunter2@127.0.0.1/sb",
        ],
        &[],
        "",
    );
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("'postgress://'"), "{said}");
    assert!(
        said.contains("postgres://"),
        "names the forms it takes: {said}"
    );
    assert!(!said.contains("hunter2"), "{said}");
    assert!(!data.exists(), "no data folder, no key file was created");
    assert!(
        !std::path::Path::new("postgress:").exists(),
        "no folder named after the URL"
    );
}
