//! A store written by an earlier Switchboard opens under this one: `serve` migrates it at start
//! and then serves the numbers it held, on both backends.
//!
//! The stores are fixtures in `tests/fixtures/upgrade/`, written by the binary of schema 9 (see
//! `make-fixtures.sh` there and `fixture.json`, which says what they hold). The expected
//! numbers are counted from the simulator's dataset for the fixture's seed and clock, not read
//! from the code under test.

mod ops;
mod support;

use std::io::Read;
use std::path::{Path, PathBuf};

use ops::{DAY_MS, PgDatabase, Serve, bin, calls_by_status, day_ms, get_json, messages_by_status};
use support::scratch_dir;
use twilio_sim::{SimConfig, Sizes};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade")
}

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture_dir().join("fixture.json")).expect("fixture.json");
    serde_json::from_str(&text).expect("fixture.json is JSON")
}

fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

/// The dataset the fixture was synced from, as `sim dump` prints it.
fn dataset(fixture: &serde_json::Value) -> serde_json::Value {
    let sim = &fixture["sim"];
    let n = |key: &str| u32::try_from(sim[key].as_u64().expect(key)).expect(key);
    let config = SimConfig {
        seed: sim["seed"].as_u64().expect("seed"),
        now: sim["now"].as_str().expect("now").parse().expect("now"),
        sizes: Sizes {
            days: n("days"),
            messages_per_day: n("messages_per_day"),
            calls_per_day: n("calls_per_day"),
            subaccounts: n("subaccounts"),
            ..Sizes::default()
        },
        ..SimConfig::default()
    };
    serde_json::to_value(twilio_sim::generate(&config)).expect("dataset as JSON")
}

/// The highest migration this source tree carries for `backend`, read from the folder.
fn newest_migration(backend: &str) -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../store/migrations/{backend}"));
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.split('_').next()?.parse::<i64>().ok()
        })
        .max()
        .expect("at least one migration")
}

/// What `serve` must show on the upgraded store: every metric's totals by status per day over
/// the synced range as the dataset has them, the board, its block and the goal.
async fn serves_the_fixtures_numbers(serve: &Serve, token: &str, fixture: &serde_json::Value) {
    let data = dataset(fixture);
    let from = fixture["synced"]["from"].as_str().expect("from");
    let to = fixture["synced"]["to"].as_str().expect("to");
    let (from_ms, to_ms) = (day_ms(from), day_ms(to));

    let metrics = get_json(&serve.addr, "/api/v1/metrics", token).await;
    let metrics = metrics["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 2, "{metrics:?}");
    for (name, count) in [
        (
            "Messages by status",
            messages_by_status as fn(&_, _, _) -> _,
        ),
        ("Calls by status", calls_by_status),
    ] {
        let id = metrics
            .iter()
            .find(|m| m["metric"]["name"] == name)
            .unwrap_or_else(|| panic!("no metric {name} in {metrics:?}"))["metric"]["id"]
            .as_i64()
            .expect("id");
        let answer = get_json(
            &serve.addr,
            &format!("/api/v1/metrics/{id}/data?from={from}&to={to}&interval=day&tz=UTC"),
            token,
        )
        .await;
        let result = &answer["result"];
        let expected = count(&data, from_ms, to_ms);
        let total: u64 = expected.values().sum();
        assert!(total > 0, "the fixture's range holds {name}");
        assert_eq!(
            result["total"].as_f64(),
            Some(total as f64),
            "{name}: {answer}"
        );
        let breakdown: std::collections::BTreeMap<String, u64> = result["breakdown"]
            .as_array()
            .expect("breakdown")
            .iter()
            .map(|d| {
                (
                    d["dimension"].as_str().expect("dimension").to_owned(),
                    d["value"].as_f64().expect("value") as u64,
                )
            })
            .collect();
        assert_eq!(breakdown, expected, "{name} by status");
        let series = result["series"].as_array().expect("series");
        assert_eq!(series.len() as i64, (to_ms - from_ms) / DAY_MS, "{answer}");
        for point in series {
            let start: jiff::Timestamp = point["start"]
                .as_str()
                .expect("start")
                .parse()
                .expect("start");
            let day = start.as_millisecond();
            let expected: u64 = count(&data, day, day + DAY_MS).values().sum();
            assert_eq!(
                point["value"].as_f64(),
                Some(expected as f64),
                "{name} on {start}"
            );
        }
    }

    let boards = get_json(&serve.addr, "/api/v1/boards", token).await;
    let board = boards["boards"]
        .as_array()
        .expect("boards")
        .iter()
        .find(|b| b["name"] == fixture["board"])
        .unwrap_or_else(|| panic!("no board {} in {boards}", fixture["board"]))
        .clone();
    let board = get_json(
        &serve.addr,
        &format!("/api/v1/boards/{}", board["id"]),
        token,
    )
    .await;
    assert_eq!(board["blocks"].as_array().map(Vec::len), Some(1), "{board}");
    let goals = get_json(&serve.addr, "/api/v1/goals", token).await;
    assert!(
        goals["goals"]
            .as_array()
            .expect("goals")
            .iter()
            .any(|g| g["name"] == fixture["goal"]),
        "{goals}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_store_of_schema_9_opens_migrated_under_serve_with_its_numbers() {
    let fixture = fixture();
    assert_eq!(
        fixture["schema"], 9,
        "the fixture says which schema wrote it"
    );
    let dir = scratch_dir("upgrade-sqlite");
    let db = dir.join(store::DATABASE_FILE);
    std::fs::write(&db, gunzip(&fixture_dir().join("sqlite/switchboard.db.gz"))).expect("db");
    ops::copy_private(
        &fixture_dir().join("sqlite/master.key"),
        &dir.join(store::KEY_FILE_NAME),
    );
    let token = fixture["sqlite_token"].as_str().expect("token");

    let mut cmd = bin();
    cmd.env("SWITCHBOARD_DATA_DIR", &dir);
    let serve = Serve::start(cmd);
    serves_the_fixtures_numbers(&serve, token, &fixture).await;
    serve.stop();

    // The copy `backup` writes says which schema the file is at now.
    let copy = dir.join("after-upgrade.db");
    let (ok, out, err) = ops::run(
        bin()
            .env("SWITCHBOARD_DATA_DIR", &dir)
            .arg("backup")
            .arg(&copy),
    );
    assert!(ok, "backup after the upgrade: {out}{err}");
    let newest = newest_migration("sqlite");
    assert!(
        out.contains(&format!("(schema {newest}, integrity ok)")),
        "the store is at migration {newest} after serve: {out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_store_of_schema_9_opens_migrated_under_serve_with_its_numbers() {
    let fixture = fixture();
    let Some(db) = PgDatabase::create("sb_upgrade") else {
        return;
    };
    db.load(&gunzip(&fixture_dir().join("postgres.sql.gz")));
    let key = std::fs::read_to_string(fixture_dir().join("sqlite/master.key")).expect("key");
    let token = fixture["postgres_token"].as_str().expect("token");
    let dir = scratch_dir("upgrade-pg");

    let mut cmd = bin();
    cmd.env("SWITCHBOARD_DATA_DIR", &dir)
        .env("SWITCHBOARD_DATABASE", &db.url)
        .env("SWITCHBOARD_MASTER_KEY", key.trim());
    let serve = Serve::start(cmd);
    serves_the_fixtures_numbers(&serve, token, &fixture).await;
    serve.stop();

    let newest = newest_migration("postgres");
    let (ok, out, err) = ops::run(
        std::process::Command::new("psql")
            .args(["-tA", &db.url, "-c"])
            .arg("SELECT max(version) FROM _sqlx_migrations WHERE success"),
    );
    assert!(ok, "psql: {err}");
    assert_eq!(
        out.trim(),
        newest.to_string(),
        "migrated to the newest schema"
    );
    std::fs::remove_dir_all(&dir).ok();
}
