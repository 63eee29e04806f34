use store::{NewMetric, Store, StoreError};

use crate::support::{Harness, key_a};

fn new_metric(name: &str, definition: &str) -> NewMetric {
    NewMetric {
        name: name.to_owned(),
        connection_id: None,
        definition: definition.to_owned(),
    }
}

async fn every_save_keeps_the_previous_version<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let definitions = [r#"{"v":1}"#, r#"{"v":2}"#, r#"{"v":3}"#];
    let created = store
        .create_metric(&new_metric("sms", definitions[0]), 10)
        .await
        .expect("create");
    assert_eq!(created.version, 1);
    let mut last = created.clone();
    for (i, d) in definitions.iter().enumerate().skip(1) {
        last = store
            .update_metric_definition(created.id, d, 10 + i as i64)
            .await
            .expect("update");
    }
    assert_eq!(last.version, 3);
    assert_eq!(last.definition, definitions[2]);
    assert_eq!(last.created_ms, 10);
    assert_eq!(last.updated_ms, 12);
    let versions = store.metric_versions(created.id).await.expect("versions");
    let seen: Vec<(i64, &str)> = versions
        .iter()
        .map(|v| (v.version, v.definition.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, definitions[0]),
            (2, definitions[1]),
            (3, definitions[2])
        ]
    );
    assert_eq!(store.metric(created.id).await.expect("read"), last);
}

async fn metric_names_are_unique<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    store
        .create_metric(&new_metric("sms", "{}"), 1)
        .await
        .expect("create");
    let err = store
        .create_metric(&new_metric("sms", "{}"), 2)
        .await
        .expect_err("duplicate");
    assert!(
        matches!(err, StoreError::Duplicate { what: "metric", .. }),
        "{err}"
    );
    assert!(
        store
            .metric_by_name("sms")
            .await
            .expect("by name")
            .is_some()
    );
    assert!(
        store
            .metric_by_name("calls")
            .await
            .expect("by name")
            .is_none()
    );
}

async fn usage_marks_a_metric_in_use<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = store
        .create_metric(&new_metric("sms", "{}"), 1)
        .await
        .expect("create");
    assert!(!m.in_use());
    let used = vec!["metrics-screen".to_owned(), "board:4".to_owned()];
    store.set_metric_usage(m.id, &used, 2).await.expect("use");
    let read = store.metric(m.id).await.expect("read");
    assert!(read.in_use());
    assert_eq!(read.used_by, used);
    store.set_metric_usage(m.id, &[], 3).await.expect("unuse");
    assert!(!store.metric(m.id).await.expect("read").in_use());
}

async fn missing_metric_is_not_found<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let err = store
        .metric(store::MetricId(424242))
        .await
        .expect_err("missing");
    assert!(
        matches!(err, StoreError::NotFound { what: "metric", .. }),
        "{err}"
    );
    let err = store
        .update_metric_definition(store::MetricId(424242), "{}", 1)
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn deleting_a_metric_removes_its_data<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = store
        .create_metric(&new_metric("sms", "{}"), 1)
        .await
        .expect("create");
    let bucket = store::BucketRow {
        dimension: String::new(),
        hour_ms: 0,
        sum: 1.0,
        count: 1,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: 0,
    };
    store
        .replace_window(m.id, 0, store::HOUR_MS, &[bucket])
        .await
        .expect("buckets");
    assert!(store.delete_metric(m.id).await.expect("delete"));
    let q = store::BucketQuery {
        metric: m.id,
        dimension: None,
        from_ms: 0,
        to_ms: store::HOUR_MS,
    };
    assert!(store.buckets(&q).await.expect("query").is_empty());
    assert!(
        store
            .metric_versions(m.id)
            .await
            .expect("versions")
            .is_empty()
    );
}

crate::contract_tests!(
    every_save_keeps_the_previous_version,
    metric_names_are_unique,
    usage_marks_a_metric_in_use,
    missing_metric_is_not_found,
    deleting_a_metric_removes_its_data,
);
