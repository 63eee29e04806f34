//! What a one-time data step of an upgrade needs from the store (the redaction of credentials
//! stored before the connector redacted them, in `metric-sync`): merging one dimension's
//! buckets into another, rewriting text in sync run ledgers, and recording that a step ran.

use serde_json::json;
use store::SyncRunEnd;
use store::{BucketQuery, BucketRow, HOUR_MS, MetricId, NewMetric, NewSyncRun, RunStatus, Store};

use crate::support::{Harness, key_a};

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

async fn metric<S: Store>(store: &S, name: &str) -> MetricId {
    store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric")
        .id
}

fn bucket(dimension: &str, hour: i64, values: &[f64], latest_minute: i64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms: T0 + hour * HOUR_MS,
        sum: values.iter().sum(),
        count: values.len() as i64,
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        latest: *values.last().expect("values"),
        latest_at_ms: T0 + hour * HOUR_MS + latest_minute * 60_000,
    }
}

async fn buckets<S: Store>(store: &S, metric: MetricId) -> Vec<BucketRow> {
    store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: T0,
            to_ms: T0 + 24 * HOUR_MS,
        })
        .await
        .expect("buckets")
}

async fn a_dimension_merges_into_another_hour_by_hour<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "m").await;
    let other = metric(&store, "other").await;
    let rows = [
        bucket("secret-a", 0, &[1.0, 5.0], 50),
        bucket("secret-a", 1, &[2.0], 10),
        bucket("[redacted]", 0, &[3.0, -1.0], 20),
        bucket("kept", 0, &[7.0], 30),
    ];
    store
        .replace_window(m, T0, T0 + 2 * HOUR_MS, &rows)
        .await
        .expect("write");
    store
        .replace_window(other, T0, T0 + HOUR_MS, &[bucket("secret-a", 0, &[9.0], 1)])
        .await
        .expect("write the other metric");
    let version = store.data_versions(&[m]).await.expect("version")[&m];

    assert_eq!(
        store
            .merge_dimension(m, "secret-a", "[redacted]")
            .await
            .expect("merge"),
        2
    );
    let expected = vec![
        bucket("[redacted]", 0, &[3.0, -1.0, 1.0, 5.0], 50),
        bucket("[redacted]", 1, &[2.0], 10),
        bucket("kept", 0, &[7.0], 30),
    ];
    assert_eq!(buckets(&store, m).await, expected);
    assert!(store.data_versions(&[m]).await.expect("version")[&m] > version);
    assert_eq!(
        buckets(&store, other).await,
        [bucket("secret-a", 0, &[9.0], 1)],
        "another metric's buckets stay"
    );
    // Nothing left to move: no change, and the version stays.
    let version = store.data_versions(&[m]).await.expect("version")[&m];
    assert_eq!(
        store
            .merge_dimension(m, "secret-a", "[redacted]")
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        store
            .merge_dimension(m, "kept", "kept")
            .await
            .expect("itself"),
        0
    );
    assert_eq!(
        store.data_versions(&[m]).await.expect("version")[&m],
        version
    );
}

async fn text_is_replaced_in_one_metrics_sync_run_ledgers_and_errors<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "m").await;
    let other = metric(&store, "other").await;
    let mut runs = Vec::new();
    for (metric, ledger, error) in [
        (
            m,
            json!({"bad_examples": ["page 1, 'tok-123' is not a number"]}),
            None,
        ),
        (
            m,
            json!({"rows": 1}),
            Some("failed on tok-123 twice: tok-123"),
        ),
        (m, json!({"rows": 2}), None),
        (other, json!({"bad_examples": ["tok-123"]}), None),
    ] {
        let id = store
            .start_sync_run(&NewSyncRun {
                metric_id: metric,
                from_ms: T0,
                to_ms: T0 + HOUR_MS,
                started_ms: T0 + runs.len() as i64,
            })
            .await
            .expect("start");
        store
            .finish_sync_run(
                id,
                &SyncRunEnd {
                    status: RunStatus::Succeeded,
                    ledger,
                    error: error.map(str::to_owned),
                    finished_ms: T0 + 10,
                },
            )
            .await
            .expect("finish");
        runs.push(id);
    }
    assert_eq!(
        store
            .replace_in_sync_runs(m, "tok-123", "[redacted]")
            .await
            .expect("replace"),
        2
    );
    let mine = store.sync_runs(Some(m), 10).await.expect("runs");
    let text: Vec<String> = mine
        .iter()
        .map(|r| format!("{} {:?}", r.ledger, r.error))
        .collect();
    assert!(text.iter().all(|t| !t.contains("tok-123")), "{text:?}");
    assert!(
        text.iter()
            .any(|t| t.contains("page 1, '[redacted]' is not a number")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("failed on [redacted] twice: [redacted]")),
        "{text:?}"
    );
    let theirs = store.sync_runs(Some(other), 10).await.expect("runs");
    assert!(theirs[0].ledger.to_string().contains("tok-123"));
    assert_eq!(
        store
            .replace_in_sync_runs(m, "tok-123", "x")
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        store.replace_in_sync_runs(m, "", "x").await.expect("empty"),
        0
    );
}

async fn a_data_step_is_recorded_once_and_survives_a_reopen<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    assert!(!store.data_step_done("redact").await.expect("read"));
    store.mark_data_step_done("redact", 5).await.expect("mark");
    store
        .mark_data_step_done("redact", 6)
        .await
        .expect("mark again");
    assert!(store.data_step_done("redact").await.expect("read"));
    assert!(!store.data_step_done("another").await.expect("read"));
    store.close().await;
    let store = h.open(key_a()).await.expect("reopen");
    assert!(store.data_step_done("redact").await.expect("read"));
}

crate::contract_tests!(
    a_dimension_merges_into_another_hour_by_hour,
    text_is_replaced_in_one_metrics_sync_run_ledgers_and_errors,
    a_data_step_is_recorded_once_and_survives_a_reopen
);
