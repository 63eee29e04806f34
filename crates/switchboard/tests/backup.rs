//! `switchboard backup` and `restore` through the binary: a backup taken while a sync writes is
//! a consistent snapshot, a restore is refused beside a running `serve` and keeps what it
//! replaces, neither ever overwrites a file; PostgreSQL round-trips through `pg_dump` and `psql`.

mod ops;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ops::{DAY_MS, PgDatabase, Serve, bin, day_ms, messages_by_status, run};
use support::{add_main_connection, ok, scratch_dir, small_sim};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

/// The binary on the data folder `dir`, Twilio being `sim`.
fn on(dir: &Path, sim: &SimHandle) -> Command {
    let mut cmd = bin();
    cmd.env("SWITCHBOARD_DATA_DIR", dir)
        .env("SWITCHBOARD_TWILIO_BASE_URL", sim.base_url());
    cmd
}

fn on_dir(dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.env("SWITCHBOARD_DATA_DIR", dir);
    cmd
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `dir` whose name starts with `prefix`.
fn files_starting(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    out.sort();
    out
}

/// Each day's value of "Messages by status" over `from..to`, as `data --format json` reads the
/// store in `dir` (no value: 0).
fn daily_values(dir: &Path, from: &str, to: &str) -> Vec<(i64, u64)> {
    let (ok, out, err) = run(on_dir(dir).args([
        "data",
        "Messages by status",
        "--from",
        from,
        "--to",
        to,
        "--interval",
        "day",
        "--format",
        "json",
    ]));
    assert!(ok, "data: {out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("data prints JSON");
    json["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| {
            let start: jiff::Timestamp =
                p["start"].as_str().expect("start").parse().expect("start");
            (
                start.as_millisecond(),
                p["value"].as_f64().unwrap_or(0.0) as u64,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_taken_while_a_sync_writes_restore_to_whole_windows_only() {
    // Thirty daily windows, each answered after 120 ms, one at a time: a sync of a few seconds
    // that commits one window per transaction all along.
    let sim = twilio_sim::spawn(SimConfig {
        seed: 11,
        now: "2026-03-15T12:00:00Z".parse().expect("clock"),
        sizes: Sizes {
            messages_per_day: 300,
            calls_per_day: 1,
            days: 31,
            subaccounts: 0,
            ..Sizes::default()
        },
        faults: Faults {
            latency_ms: 120,
            ..Faults::default()
        },
        incidents: Vec::new(),
    })
    .await
    .expect("simulator starts");
    let dataset = serde_json::to_value(sim.dataset()).expect("dataset");
    let (from, to) = ("2026-02-13", "2026-03-15");
    let (from_ms, to_ms) = (day_ms(from), day_ms(to));
    let days = ((to_ms - from_ms) / DAY_MS) as usize;
    let expected: Vec<u64> = (0..days as i64)
        .map(|d| {
            let day = from_ms + d * DAY_MS;
            messages_by_status(&dataset, day, day + DAY_MS)
                .values()
                .sum()
        })
        .collect();
    assert!(
        expected.iter().all(|&n| n > 0),
        "every day has messages: {expected:?}"
    );

    let dir = scratch_dir("backup-live");
    add_main_connection(&dir, &sim, &[]);
    ok(
        &dir,
        &sim,
        &[
            "library",
            "add",
            "messages-by-status",
            "--connection",
            "prod",
        ],
    );
    let backups = scratch_dir("backup-live-files");

    let mut sync = on(&dir, &sim)
        .env("SWITCHBOARD_MAX_IN_FLIGHT", "1")
        .args(["sync", "Messages by status", "--from", from, "--to", to])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync starts");
    let mut taken = Vec::new();
    let mut finished = None;
    while finished.is_none() && taken.len() < 60 {
        finished = sync.try_wait().expect("sync status");
        let file = backups.join(format!("live-{:02}.db", taken.len()));
        let (ok, out, err) = run(on_dir(&dir).arg("backup").arg(&file));
        assert!(ok, "backup during the sync: {out}{err}");
        assert!(out.contains("integrity ok"), "{out}");
        taken.push(file);
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = sync.wait().expect("sync ends");
    assert!(status.success(), "the sync succeeds");
    let last = backups.join("after.db");
    let (ok, out, err) = run(on_dir(&dir).arg("backup").arg(&last));
    assert!(ok, "backup after the sync: {out}{err}");
    taken.push(last);

    let key = dir.join(store::KEY_FILE_NAME);
    let mut full_counts = Vec::new();
    for file in &taken {
        let restored = scratch_dir("backup-live-restored");
        ops::copy_private(&key, &restored.join(store::KEY_FILE_NAME));
        let (ok, out, err) = run(on_dir(&restored).arg("restore").arg(file));
        assert!(ok, "restore {}: {out}{err}", file.display());
        let values = daily_values(&restored, from, to);
        assert_eq!(values.len(), days);
        // A window is stored in one transaction: a snapshot has each day whole or not at all.
        let mut full = 0;
        for ((day, got), want) in values.iter().zip(&expected) {
            assert!(
                *got == 0 || got == want,
                "{}: day {} has {got} of {want} messages: a torn window",
                file.display(),
                jiff::Timestamp::from_millisecond(*day).expect("day")
            );
            full += usize::from(got == want);
        }
        full_counts.push(full);
        std::fs::remove_dir_all(&restored).ok();
    }
    eprintln!("whole days in each backup: {full_counts:?}");
    assert_eq!(
        full_counts.last(),
        Some(&days),
        "the last backup has every day"
    );
    assert!(
        full_counts.iter().any(|&n| 0 < n && n < days),
        "some backup was taken in the middle of the sync: {full_counts:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&backups).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_is_refused_while_serve_runs_and_keeps_the_replaced_database_once_it_stops() {
    let sim = small_sim().await;
    let dir = scratch_dir("restore-serve");
    let add = |name: &str| {
        let (ok, out, err) = ops::run_with_stdin(
            on(&dir, &sim).args(["user", "add", name, "--role", "admin", "--password-stdin"]),
            "a long passphrase 1\n",
        );
        assert!(ok, "user add {name}: {out}{err}");
    };
    add("ada");
    let backup = dir.join("ada-only.db");
    let (ok, out, err) = run(on_dir(&dir).arg("backup").arg(&backup));
    assert!(ok, "{out}{err}");
    add("bob");

    let db = dir.join(store::DATABASE_FILE);
    let serve = Serve::start(on(&dir, &sim));
    // serve prints its address a moment before it records itself as running.
    let (key, _) = store::MasterKey::from_environment(&dir).expect("the key");
    let store = store::open(dir.to_str().expect("path"), key)
        .await
        .expect("open");
    let mut waited = 0;
    while store::Store::live_processes(&store, 0)
        .await
        .expect("processes")
        .is_empty()
    {
        assert!(waited < 100, "serve never recorded itself as running");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    store::Store::close(&store).await;
    let before = sha(&db);
    let (ok, out, err) = run(on_dir(&dir).arg("restore").arg(&backup));
    assert!(!ok, "restore beside a running serve must be refused: {out}");
    assert!(err.contains("still using this store"), "{err}");
    assert!(
        err.contains("serve"),
        "the refusal names the process: {err}"
    );
    assert_eq!(sha(&db), before, "the refused restore changed the database");
    assert!(files_starting(&dir, "switchboard.db.before-restore-").is_empty());
    assert!(
        files_starting(&dir, ".switchboard.db.").is_empty(),
        "no work file left"
    );
    serve.stop();

    let before = sha(&db);
    let (ok, out, err) = run(on_dir(&dir).arg("restore").arg(&backup));
    assert!(ok, "restore once serve stopped: {out}{err}");
    let kept = files_starting(&dir, "switchboard.db.before-restore-");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        out.contains(&kept[0].display().to_string()),
        "says where: {out}"
    );
    assert_eq!(
        sha(&kept[0]),
        before,
        "the replaced database is kept as it was"
    );
    let users = ok_users(&dir);
    assert_eq!(users, ["ada"], "the restored store has the backup's people");
    std::fs::remove_dir_all(&dir).ok();
}

fn ok_users(dir: &Path) -> Vec<String> {
    let (ok, out, err) = run(on_dir(dir).args(["user", "list"]));
    assert!(ok, "user list: {out}{err}");
    out.lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_backup_is_private_and_never_overwrites_a_file() {
    let dir = scratch_dir("backup-private");
    let (ok, out, err) = run(on_dir(&dir).args(["user", "list"]));
    assert!(ok, "a store to back up: {out}{err}");
    let taken = dir.join("one.db");
    let (ok, out, err) = run(on_dir(&dir).arg("backup").arg(&taken));
    assert!(ok, "{out}{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&taken)
            .expect("backup")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the backup holds password hashes");
    }
    assert!(out.contains("master key is NOT in this backup"), "{out}");
    assert!(
        out.contains(&dir.join(store::KEY_FILE_NAME).display().to_string()),
        "says where the key is: {out}"
    );

    let existing = dir.join("precious.txt");
    std::fs::write(&existing, "keep me").expect("write");
    let (ok, out, err) = run(on_dir(&dir).arg("backup").arg(&existing));
    assert!(!ok, "a backup over an existing file must be refused: {out}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&existing).expect("read"), "keep me");
    assert!(
        files_starting(&dir, ".precious.txt").is_empty(),
        "no work file left"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn restore_refuses_a_file_that_is_not_a_switchboard_database_and_changes_nothing() {
    let dir = scratch_dir("restore-bad");
    let (ok, out, err) = run(on_dir(&dir).args(["user", "list"]));
    assert!(ok, "a store to restore over: {out}{err}");
    let db = dir.join(store::DATABASE_FILE);
    let before = sha(&db);
    let junk = dir.join("notes.txt");
    std::fs::write(&junk, "this is not a database\n".repeat(100)).expect("write");
    let (ok, out, err) = run(on_dir(&dir).arg("restore").arg(&junk));
    assert!(!ok, "restoring a text file must be refused: {out}");
    assert!(err.contains("is not a Switchboard database"), "{err}");
    assert_eq!(sha(&db), before);
    assert!(files_starting(&dir, "switchboard.db.before-restore-").is_empty());
    assert!(
        files_starting(&dir, ".switchboard.db.").is_empty(),
        "no work file left"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn on_postgres_backup_and_restore_name_the_postgres_tools_instead() {
    let dir = scratch_dir("backup-pg-refused");
    let url = "postgres://switchboard:s3cret@db.example/switchboard";
    let (ok, out, err) = run(bin()
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env("SWITCHBOARD_DATABASE", url)
        .args(["backup", "dump.pgc"]));
    assert!(!ok, "{out}");
    assert!(
        err.contains("pg_dump --format=custom --no-owner --file dump.pgc"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "no password printed: {err}");
    let (ok, out, err) = run(bin()
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env("SWITCHBOARD_DATABASE", url)
        .args(["restore", "dump.pgc"]));
    assert!(!ok, "{out}");
    assert!(err.contains("pg_restore --no-owner"), "{err}");
    assert!(!err.contains("s3cret"), "no password printed: {err}");
    assert!(!dir.join("dump.pgc").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// The major version a PostgreSQL tool reports (`pg_dump (PostgreSQL) 15.20 ...`).
fn major(tool: &str) -> Option<String> {
    let (ok, out, _) = run(Command::new(tool).arg("--version"));
    ok.then(|| {
        out.split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .and_then(|v| v.split('.').next())
            .map(str::to_owned)
    })
    .flatten()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_store_round_trips_through_pg_dump_and_psql() {
    let Some(original) = PgDatabase::create("sb_dump_from") else {
        return;
    };
    let Some(server) = major("pg_dump") else {
        test_support::skip::<()>("pg_dump is not installed", "it makes PostgreSQL backups");
        return;
    };
    let (ok, version, _) =
        run(Command::new("psql").args(["-tA", &original.url, "-c", "SHOW server_version"]));
    assert!(ok, "the server answers");
    assert_eq!(
        version.trim().split('.').next(),
        Some(server.as_str()),
        "pg_dump {server} and the server {version} differ in major version: a dump needs a pg_dump at least as new as the server"
    );
    let Some(copy) = PgDatabase::create("sb_dump_to") else {
        return;
    };
    let sim = small_sim().await;
    let dataset = serde_json::to_value(sim.dataset()).expect("dataset");
    let dir = scratch_dir("pg-dump");
    let key = "bC1fHfmw0Vw3bOz9xO4mQ0Xc2n3y9pQ9hT8pT6m7Zq4=";
    let pg = |url: &str| {
        let mut cmd = on(&dir, &sim);
        cmd.env("SWITCHBOARD_DATABASE", url)
            .env("SWITCHBOARD_MASTER_KEY", key);
        cmd
    };
    let account = sim.dataset().main_account();
    let main = account.main_key().expect("a Main key");
    let (ok, out, err) = ops::run_with_stdin(
        pg(&original.url).args([
            "connection",
            "add",
            "prod",
            "--account-sid",
            &account.sid,
            "--api-key-sid",
            &main.sid,
            "--secret-stdin",
        ]),
        &format!("{}\n", main.secret),
    );
    assert!(ok, "connection add: {out}{err}");
    let (from, to) = ("2026-03-08", "2026-03-15");
    for args in [
        &[
            "library",
            "add",
            "messages-by-status",
            "--connection",
            "prod",
        ][..],
        &["sync", "Messages by status", "--from", from, "--to", to],
    ] {
        let (ok, out, err) = run(pg(&original.url).args(args));
        assert!(ok, "{args:?}: {out}{err}");
    }

    let dump = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", &original.url])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    copy.load(&dump.stdout);

    let read = |url: &str| {
        let (ok, out, err) = run(pg(url).args([
            "data",
            "Messages by status",
            "--from",
            from,
            "--to",
            to,
            "--format",
            "json",
        ]));
        assert!(ok, "data: {out}{err}");
        serde_json::from_str::<serde_json::Value>(&out).expect("JSON")
    };
    let (before, after) = (read(&original.url), read(&copy.url));
    assert_eq!(after, before, "the copy serves what the original does");
    let expected: u64 = messages_by_status(&dataset, day_ms(from), day_ms(to))
        .values()
        .sum();
    assert!(expected > 0);
    assert_eq!(after["total"].as_f64(), Some(expected as f64), "{after}");
    // The connection's secret came across sealed and still opens under the same key.
    let (ok, out, err) = run(pg(&copy.url).args(["connection", "test", "prod"]));
    assert!(ok, "connection test on the copy: {out}{err}");
    std::fs::remove_dir_all(&dir).ok();
}
