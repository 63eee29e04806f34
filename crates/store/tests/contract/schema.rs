use store::{Backend, Store, StoreError};

use crate::support::{Harness, key_a};

const FUTURE_VERSION: i64 = 99_990_101_000_000;

async fn newer_schema_stops_with_a_clear_error_and_keeps_data<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let metric = store
        .create_metric(
            &store::NewMetric {
                name: "m".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric");
    store.close().await;
    let fake = match h.backend() {
        Backend::Sqlite => format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({FUTURE_VERSION}, 'from a newer binary', TRUE, X'00', 0)"
        ),
        Backend::Postgres => format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({FUTURE_VERSION}, 'from a newer binary', TRUE, '\\x00'::bytea, 0)"
        ),
    };
    h.execute_raw(fake).await;
    let err = h.open(key_a()).await.expect_err("a newer schema must stop");
    match &err {
        StoreError::SchemaTooNew { applied, known } => {
            assert_eq!(*applied, FUTURE_VERSION);
            assert!(*known < FUTURE_VERSION);
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
    // Nothing was dropped: the metric row is still there underneath.
    let name_sql = match h.backend() {
        Backend::Sqlite => format!(
            "SELECT CAST(name AS BLOB) FROM metrics WHERE id = {}",
            metric.id.0
        ),
        Backend::Postgres => format!(
            "SELECT convert_to(name, 'UTF8') FROM metrics WHERE id = {}",
            metric.id.0
        ),
    };
    assert_eq!(h.read_bytes(name_sql).await, b"m");
}

async fn reopening_applies_no_migration_twice<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    store
        .create_metric(
            &store::NewMetric {
                name: "kept".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("metric");
    store.close().await;
    let store = h.open(key_a()).await.expect("reopen");
    assert_eq!(store.list_metrics().await.expect("list").len(), 1);
    assert_eq!(store.backend(), h.backend());
    store.ping().await.expect("ping");
    store.close().await;
    assert!(
        store.ping().await.is_err(),
        "a closed store does not answer"
    );
}

crate::contract_tests!(
    newer_schema_stops_with_a_clear_error_and_keeps_data,
    reopening_applies_no_migration_twice
);
