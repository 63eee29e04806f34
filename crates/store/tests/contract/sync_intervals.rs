//! A metric's own sync interval: kept in the store (so every process schedules from it and it
//! outlives a restart), set and cleared, and read with the runs by `sync_states`, the one query
//! the scheduler decides from.

use store::{MetricId, Store, StoreError};

use crate::support::{Harness, key_a, metric};

async fn a_new_metric_has_no_interval_of_its_own<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    assert_eq!(store.metric(id).await.expect("read").sync_interval_s, None);
}

async fn a_set_interval_reads_back_everywhere_a_metric_is_read<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    let saved = store
        .set_metric_sync_interval(id, Some(900), 5)
        .await
        .expect("set");
    assert_eq!((saved.id, saved.sync_interval_s), (id, Some(900)));
    assert_eq!(
        store.metric(id).await.expect("read").sync_interval_s,
        Some(900)
    );
    let by_name = store
        .metric_by_name("sms")
        .await
        .expect("by name")
        .expect("found");
    assert_eq!(by_name.sync_interval_s, Some(900));
    let listed = store.list_metrics().await.expect("list");
    assert_eq!(listed[0].sync_interval_s, Some(900));
}

async fn clearing_the_interval_puts_the_metric_back_on_the_default<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    store
        .set_metric_sync_interval(id, Some(900), 5)
        .await
        .expect("set");
    let cleared = store
        .set_metric_sync_interval(id, None, 6)
        .await
        .expect("clear");
    assert_eq!(cleared.sync_interval_s, None);
    assert_eq!(store.metric(id).await.expect("read").sync_interval_s, None);
}

async fn a_new_definition_version_keeps_the_interval<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    store
        .set_metric_sync_interval(id, Some(1_800), 5)
        .await
        .expect("set");
    let updated = store
        .update_metric_definition(id, "{\"v\": 2}", 7)
        .await
        .expect("update");
    assert_eq!((updated.version, updated.sync_interval_s), (2, Some(1_800)));
}

async fn sync_states_carry_each_metrics_interval<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let fast = metric(&store, "fast", true).await;
    let hourly = metric(&store, "hourly", true).await;
    let unused = metric(&store, "unused", false).await;
    store
        .set_metric_sync_interval(fast, Some(900), 5)
        .await
        .expect("set");
    store
        .set_metric_sync_interval(unused, Some(600), 5)
        .await
        .expect("set");
    let states = store.sync_states().await.expect("states");
    let carried: Vec<(MetricId, Option<i64>)> =
        states.iter().map(|s| (s.id, s.sync_interval_s)).collect();
    // A metric in no use is not scheduled, whatever its interval.
    assert_eq!(carried, vec![(fast, Some(900)), (hourly, None)]);
    let figures = store.ops_figures(10).await.expect("figures");
    assert_eq!(figures.metrics, states, "/metrics reads the same states");
}

async fn an_interval_survives_closing_and_reopening_the_store<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    store
        .set_metric_sync_interval(id, Some(900), 5)
        .await
        .expect("set");
    store.close().await;
    let store = h.open(key_a()).await.expect("reopen");
    assert_eq!(
        store.metric(id).await.expect("read").sync_interval_s,
        Some(900)
    );
    assert_eq!(
        store.sync_states().await.expect("states")[0].sync_interval_s,
        Some(900)
    );
}

async fn the_interval_of_a_missing_metric_is_not_found<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let err = store
        .set_metric_sync_interval(MetricId(404), Some(900), 5)
        .await
        .expect_err("no such metric");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn an_interval_that_is_not_positive_is_refused_and_changes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let id = metric(&store, "sms", true).await;
    for bad in [0, -60] {
        let err = store
            .set_metric_sync_interval(id, Some(bad), 5)
            .await
            .expect_err("not positive");
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    }
    assert_eq!(store.metric(id).await.expect("read").sync_interval_s, None);
}

crate::contract_tests!(
    a_new_metric_has_no_interval_of_its_own,
    a_set_interval_reads_back_everywhere_a_metric_is_read,
    clearing_the_interval_puts_the_metric_back_on_the_default,
    a_new_definition_version_keeps_the_interval,
    sync_states_carry_each_metrics_interval,
    an_interval_survives_closing_and_reopening_the_store,
    the_interval_of_a_missing_metric_is_not_found,
    an_interval_that_is_not_positive_is_refused_and_changes_nothing,
);
