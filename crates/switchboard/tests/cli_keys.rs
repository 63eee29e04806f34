//! The master key and schema upgrades through the binary: a store restored without its key
//! opens and serves its data, a wrong key changes nothing on disk, `key reset` and
//! `connection update` bring syncs back, PostgreSQL never writes a data folder, the key's
//! sources, and `migrate` with the refusal of an older schema.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::{add_main_connection, fixture, ok, postgres_url, scratch_dir, small_sim, text};
use twilio_sim::SimHandle;

const METRIC: &str = "Messages by status";
const FROM: &str = "2026-03-06";
const TO: &str = "2026-03-15";

/// Runs the binary in `cwd` with the simulator as Twilio, no key or database from the caller's
/// environment, `envs` added and `stdin` fed.
fn run_in(
    cwd: &Path,
    sim: &SimHandle,
    args: &[&str],
    envs: &[(&str, &str)],
    stdin: &str,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.current_dir(cwd)
        .args(args)
        .env("SWITCHBOARD_TWILIO_BASE_URL", sim.base_url())
        .env_remove("SWITCHBOARD_DATA_DIR")
        .env_remove("SWITCHBOARD_MASTER_KEY")
        .env_remove("SWITCHBOARD_MASTER_KEY_FILE")
        .env_remove("SWITCHBOARD_DATABASE")
        .env_remove("SWITCHBOARD_DATABASE_FILE")
        .env_remove("SWITCHBOARD_API_KEY_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("switchboard runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("switchboard exits")
}

/// Runs the binary on the data folder `dir`.
fn run(dir: &Path, sim: &SimHandle, args: &[&str], envs: &[(&str, &str)], stdin: &str) -> Output {
    let mut all = envs.to_vec();
    let dir_text = dir.display().to_string();
    all.push(("SWITCHBOARD_DATA_DIR", &dir_text));
    run_in(dir, sim, args, &all, stdin)
}

fn main_key_secret(sim: &SimHandle) -> String {
    let account = sim.dataset().main_account();
    account
        .keys
        .iter()
        .find(|k| k.key_type == twilio_sim::KeyType::Main)
        .expect("a Main key")
        .secret
        .clone()
}

fn data_args() -> Vec<&'static str> {
    vec![
        "data",
        METRIC,
        "--from",
        FROM,
        "--to",
        TO,
        "--interval",
        "day",
        "--format",
        "json",
    ]
}

fn sync_args() -> Vec<&'static str> {
    vec!["sync", METRIC, "--from", FROM, "--to", TO]
}

/// A data folder with the simulator's connection, a synced metric and a person.
fn seeded_folder(sim: &SimHandle, name: &str) -> PathBuf {
    let dir = scratch_dir(name);
    add_main_connection(&dir, sim, &[]);
    ok(
        &dir,
        sim,
        &["metric", "import", &fixture("messages_by_status.json")],
    );
    ok(&dir, sim, &sync_args());
    let out = run(
        &dir,
        sim,
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        &[],
        "a long enough password 123\n",
    );
    assert!(out.status.success(), "user add: {}", text(&out));
    dir
}

/// Every file of the folder and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).expect("file"),
            )
        })
        .collect()
}

fn other_key() -> String {
    store::MasterKey::generate()
        .expect("key")
        .to_base64()
        .expose()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_restored_without_its_key_serves_its_data_and_secrets_come_back() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let dir = seeded_folder(&sim, "restored");
        let before = ok(&dir, &sim, &data_args());
        let total = serde_json::from_str::<serde_json::Value>(&before).expect("json")["total"]
            .as_f64()
            .expect("a total");
        assert!(total > 0.0, "the range holds messages: {before}");

        // The backup held the database but not the key.
        std::fs::remove_file(dir.join(store::KEY_FILE_NAME)).expect("key removed");
        let out = run(&dir, &sim, &data_args(), &[], "");
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), before);
        assert!(
            text(&out).contains("no master key file at"),
            "{}",
            text(&out)
        );
        assert!(ok(&dir, &sim, &["user", "list"]).contains("ada"));
        let listed = ok(&dir, &sim, &["connection", "list"]);
        assert!(
            listed.contains("secret unavailable: re-enter it"),
            "{listed}"
        );
        let synced = run(&dir, &sim, &sync_args(), &[], "");
        assert!(!synced.status.success());
        assert!(
            text(&synced).contains("switchboard connection update 'prod' --secret-stdin"),
            "{}",
            text(&synced)
        );
        // The failed sync left one ledger saying the same.
        let runs = ok(&dir, &sim, &["runs"]);
        assert_eq!(
            runs.matches("connection update 'prod' --secret-stdin")
                .count(),
            1,
            "{runs}"
        );
        assert!(
            !dir.join(store::KEY_FILE_NAME).exists(),
            "no key file is made for a store that has one recorded"
        );

        let reset = ok(&dir, &sim, &["key", "reset", "--forget-secrets"]);
        assert!(
            reset.contains("connection 'prod': secret dropped"),
            "{reset}"
        );
        assert!(dir.join(store::KEY_FILE_NAME).exists());
        let out = run(
            &dir,
            &sim,
            &["connection", "update", "prod", "--secret-stdin"],
            &[],
            &format!("{}\n", main_key_secret(&sim)),
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(!ok(&dir, &sim, &["connection", "list"]).contains("unavailable"));
        ok(&dir, &sim, &sync_args());
        assert_eq!(ok(&dir, &sim, &data_args()), before);
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_changes_nothing_in_the_data_folder() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let dir = seeded_folder(&sim, "wrong-key");
        let before = files(&dir);
        let wrong = other_key();
        let env = [("SWITCHBOARD_MASTER_KEY", wrong.as_str())];
        // Opening and reading only: a sync would record its failure in the ledger, as it should.
        for args in [
            vec!["connection", "list"],
            vec!["user", "list"],
            data_args(),
            vec!["runs"],
            vec!["connection", "test", "prod"],
        ] {
            let out = run(&dir, &sim, &args, &env, "");
            assert!(
                text(&out).contains("not the key this store's secrets were sealed with"),
                "{args:?}: {}",
                text(&out)
            );
        }
        let after = files(&dir);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &before {
            assert!(after[name] == *bytes, "{name} changed");
        }
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_master_key_is_refused() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let dir = scratch_dir("empty-key");
        let out = run(
            &dir,
            &sim,
            &["user", "list"],
            &[("SWITCHBOARD_MASTER_KEY", "")],
            "",
        );
        assert!(!out.status.success());
        assert!(
            text(&out).contains("SWITCHBOARD_MASTER_KEY is empty"),
            "{}",
            text(&out)
        );
        let empty = dir.join("empty.key");
        std::fs::write(&empty, "\n").expect("file");
        let path = empty.display().to_string();
        let out = run(
            &dir,
            &sim,
            &["user", "list", "--master-key-file", &path],
            &[],
            "",
        );
        assert!(!out.status.success());
        assert!(text(&out).contains("is empty"), "{}", text(&out));
        assert!(!dir.join(store::KEY_FILE_NAME).exists(), "no fall-back key");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_flag_and_its_variable_name_the_key() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let dir = scratch_dir("key-file");
        let key_file = scratch_dir("key-file-home").join("master.key");
        let key_path = key_file.display().to_string();
        let secret = format!("{}\n", main_key_secret(&sim));
        let account = sim.dataset().main_account();
        let key_sid = account
            .keys
            .iter()
            .find(|k| k.key_type == twilio_sim::KeyType::Main)
            .expect("a Main key")
            .sid
            .clone();
        let out = run(
            &dir,
            &sim,
            &[
                "connection",
                "add",
                "prod",
                "--account-sid",
                account.sid.as_str(),
                "--api-key-sid",
                key_sid.as_str(),
                "--secret-stdin",
                "--master-key-file",
                &key_path,
            ],
            &[],
            &secret,
        );
        assert!(out.status.success(), "{}", text(&out));
        // Made for the new store, 0600, and not in the data folder.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!dir.join(store::KEY_FILE_NAME).exists());
        let listed = run(
            &dir,
            &sim,
            &["connection", "test", "prod"],
            &[("SWITCHBOARD_MASTER_KEY_FILE", &key_path)],
            "",
        );
        assert!(listed.status.success(), "{}", text(&listed));
        // Named but missing beside a store with secrets: an error naming it, nothing made.
        let missing = dir.join("elsewhere.key").display().to_string();
        let out = run(
            &dir,
            &sim,
            &["connection", "list", "--master-key-file", &missing],
            &[],
            "",
        );
        assert!(!out.status.success());
        assert!(text(&out).contains(&missing), "{}", text(&out));
        assert!(!Path::new(&missing).exists());
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_never_writes_a_data_folder_and_opens_without_its_key() {
    let Some(base) = postgres_url() else { return };
    let sim = small_sim().await;
    let name = format!(
        "sb_keys_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond()
    );
    let psql = |sql: String| {
        let status = Command::new("psql")
            .args([base.as_str(), "-q", "-c", &sql])
            .status()
            .expect("psql runs");
        assert!(status.success(), "psql {sql}");
    };
    psql(format!("CREATE DATABASE {name}"));
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("the test database URL has no database part: {base}"),
    };
    let cwd = scratch_dir("pg-cwd");
    tokio::task::block_in_place(|| {
        let db = [("SWITCHBOARD_DATABASE", url.as_str())];
        // A new store without a key is refused, saying how to make one.
        let out = run_in(&cwd, &sim, &["user", "list"], &db, "");
        assert!(!out.status.success());
        assert!(
            text(&out).contains("switchboard key generate"),
            "{}",
            text(&out)
        );
        let out = run_in(&cwd, &sim, &["key", "generate", "k.key"], &[], "");
        assert!(out.status.success(), "{}", text(&out));
        let again = run_in(&cwd, &sim, &["key", "generate", "k.key"], &[], "");
        assert!(!again.status.success(), "a key file is never overwritten");
        let account = sim.dataset().main_account();
        let key_sid = account
            .keys
            .iter()
            .find(|k| k.key_type == twilio_sim::KeyType::Main)
            .expect("a Main key")
            .sid
            .clone();
        let out = run_in(
            &cwd,
            &sim,
            &[
                "connection",
                "add",
                "prod",
                "--account-sid",
                account.sid.as_str(),
                "--api-key-sid",
                key_sid.as_str(),
                "--secret-stdin",
                "--master-key-file",
                "k.key",
            ],
            &db,
            &format!("{}\n", main_key_secret(&sim)),
        );
        assert!(out.status.success(), "{}", text(&out));
        // Without the key the existing store opens, its secret unavailable.
        let out = run_in(&cwd, &sim, &["connection", "list"], &db, "");
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("secret unavailable"),
            "{}",
            text(&out)
        );
        // The URL from a file (a Docker or systemd secret) works the same.
        let url_file = cwd.join("db.url");
        std::fs::write(&url_file, format!("{url}\n")).expect("url file");
        let out = run_in(
            &cwd,
            &sim,
            &["connection", "test", "prod", "--master-key-file", "k.key"],
            &[("SWITCHBOARD_DATABASE_FILE", &url_file.display().to_string())],
            "",
        );
        assert!(out.status.success(), "{}", text(&out));
    });
    assert!(
        !cwd.join(store::DEFAULT_DATA_DIR).exists(),
        "PostgreSQL wrote a data folder in the working directory"
    );
    psql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// The highest migration number among the store's SQLite migration files.
fn highest_migration() -> (i64, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations/sqlite");
    std::fs::read_dir(dir)
        .expect("migrations")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let (number, rest) = name.strip_suffix(".sql")?.split_once('_')?;
            Some((number.parse().ok()?, rest.replace('_', " ")))
        })
        .max()
        .expect("a migration")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_schema_is_refused_and_a_dry_run_changes_nothing() {
    let sim = small_sim().await;
    let dir = scratch_dir("older");
    tokio::task::block_in_place(|| {
        ok(&dir, &sim, &["user", "list"]);
    });
    let (last, description) = highest_migration();
    let db = dir.join(store::DATABASE_FILE);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .expect("database");
    let previous: i64 =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE version < $1")
            .bind(last)
            .fetch_one(&pool)
            .await
            .expect("previous");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(last)
        .execute(&pool)
        .await
        .expect("older");
    pool.close().await;
    tokio::task::block_in_place(|| {
        let before = files(&dir);
        let out = run(&dir, &sim, &["user", "list"], &[], "");
        assert!(!out.status.success());
        assert!(
            text(&out).contains(&format!(
                "the database schema is at {previous}, this Switchboard needs {last}: run `switchboard migrate`"
            )),
            "{}",
            text(&out)
        );
        let listed = ok(&dir, &sim, &["migrate", "--dry-run"]);
        assert!(
            listed.contains(&format!("{last:04} {description}")),
            "{listed}"
        );
        assert!(listed.contains("nothing was changed"), "{listed}");
        assert_eq!(files(&dir), before);
    });
}

#[test]
fn version_names_the_commit_and_the_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--version")
        .output()
        .expect("runs");
    let shown = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let (schema, _) = highest_migration();
    assert_eq!(
        shown,
        format!(
            "switchboard {} (commit {commit}, schema {schema})",
            env!("CARGO_PKG_VERSION")
        )
    );
}
