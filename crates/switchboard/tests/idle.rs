//! An idle worker costs PostgreSQL little (issue 18, "Idle load": one idle worker with 53
//! metrics made about 25 transactions a second, reading every metric's last run on every
//! poll). Measured on a database of the test's own, from the server's own statistics.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use store::{NewMetric, NewSyncRun, RunStatus, Store as _, SyncRunEnd};
use support::{fixture, scratch_dir};

const METRICS: usize = 50;
/// Long enough for the worker to start, migrate, take its first look at what is due, and for
/// the server to publish those transactions' counts (within 10 s for an idle backend).
const WARM_UP: Duration = Duration::from_secs(30);
/// Two whole rounds of the evaluator and the presence refresh (every 15 s each), so the figure
/// does not depend on where the window falls.
const MEASURED: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_worker_with_50_fresh_metrics_commits_under_one_transaction_a_second() {
    let Some(db) = test_support::pgdb::PgDatabase::create("sb_idle").await else {
        return;
    };
    let key = store::MasterKey::generate().expect("a key");
    let key_text = key.to_base64();
    let definition = std::fs::read_to_string(fixture("messages_by_status.json")).expect("fixture");
    {
        let store = store::open(&db.url, key).await.expect("open the store");
        let now_ms = jiff::Timestamp::now().as_millisecond();
        for i in 0..METRICS {
            let m = store
                .create_metric(
                    &NewMetric {
                        name: format!("metric {i}"),
                        connection_id: None,
                        definition: definition.clone(),
                    },
                    now_ms,
                )
                .await
                .expect("metric");
            store
                .set_metric_usage(m.id, &["board:1".to_owned()], now_ms)
                .await
                .expect("in use");
            // Synced a moment ago: none is due for an hour.
            let run = store
                .start_sync_run(&NewSyncRun {
                    metric_id: m.id,
                    from_ms: now_ms - 3_600_000,
                    to_ms: now_ms,
                    started_ms: now_ms,
                })
                .await
                .expect("run");
            store
                .finish_sync_run(
                    run,
                    &SyncRunEnd {
                        status: RunStatus::Succeeded,
                        ledger: serde_json::json!({}),
                        error: None,
                        finished_ms: now_ms,
                    },
                )
                .await
                .expect("finish");
        }
        // As after a first start: the one-time upgrade step (which reads every metric once)
        // is done, so what is measured is the idle worker, not its first start.
        let scrub = metric_sync::redact_stored_credentials(&store, jiff::Timestamp::now())
            .await
            .expect("the upgrade step");
        assert!(scrub.failures.is_empty(), "{:?}", scrub.failures);
        store.close().await;
    }

    // A new database's catalogs have no statistics yet: autovacuum would analyze them while
    // we measure, and its transactions count on the database too. Done now, it has nothing to do.
    db.execute("VACUUM ANALYZE").await;
    // SB_IDLE_LOG=1 logs every statement on this database to the server's log, to see which
    // loop a figure comes from.
    if std::env::var("SB_IDLE_LOG").is_ok() {
        let _ = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"])
            .arg(format!(
                "ALTER DATABASE {} SET log_statement = 'all'",
                db.name
            ))
            .status();
    }
    let dir = scratch_dir("idle");
    let mut worker = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("worker")
        .env("SWITCHBOARD_DATABASE", &db.url)
        .env("SWITCHBOARD_MASTER_KEY", key_text.expose())
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env_remove("SWITCHBOARD_TWILIO_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts");
    tokio::time::sleep(WARM_UP).await;
    let before = db.xact_commit().await;
    // Read every 7.5 s too, for the figures the test prints.
    let mut last = before;
    let mut steps = Vec::new();
    for _ in 0..4 {
        tokio::time::sleep(MEASURED / 4).await;
        let now = db.xact_commit().await;
        steps.push(now - last);
        last = now;
    }
    let after = last;
    let still_running = worker.try_wait().expect("status").is_none();
    let _ = worker.kill();
    let _ = worker.wait();
    assert!(still_running, "the worker exited during the measurement");

    let per_second = (after - before) as f64 / MEASURED.as_secs_f64();
    eprintln!(
        "idle worker, {METRICS} fresh metrics in use: {} transactions in {} s = \
         {per_second:.2}/s (per 7.5 s: {steps:?})",
        after - before,
        MEASURED.as_secs()
    );
    assert!(
        per_second < 1.0,
        "an idle worker made {per_second:.2} transactions a second"
    );
}
