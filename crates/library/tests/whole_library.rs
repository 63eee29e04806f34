//! The whole library added to one store and synced in one run (the shared fetch plan groups the
//! metrics reading the same request): every metric succeeds, without bad rows, and each stores
//! what it stores when synced alone.

mod support;

use metric_sync::{SyncOptions, Syncer};
use store::{RunStatus, Store};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_library_metric_syncs_in_one_run_as_it_does_alone() {
    let t = store_with_connection().await;
    let mut ids = Vec::new();
    for m in library::all().unwrap() {
        ids.push(
            library::add(t.store.as_ref(), &m.slug, CONNECTION, 0)
                .await
                .unwrap()
                .id,
        );
    }
    let syncer = Syncer::new(t.store.clone(), connector(), sync_config());
    let reports = syncer
        .sync_many(&ids, &SyncOptions::default(), sim_now())
        .await;
    assert_eq!(reports.len(), ids.len());
    let mut shared = 0;
    for (id, report) in reports {
        let report = report.unwrap();
        assert_eq!(report.status, RunStatus::Succeeded, "{}", report.name);
        assert_eq!(report.ledger.rows_bad, 0, "{}", report.name);
        if !report.ledger.shared_with.is_empty() {
            shared += 1;
        }
        // The same metric alone, in a store of its own.
        let slug = &library::find(&report.name).unwrap().slug;
        let alone = store_with_connection().await;
        let (alone_id, _) = add_and_sync(&alone, slug).await;
        let (from, to) = whole_range();
        assert_same(
            &stored_hourly(&t.store, id, from, to).await,
            &stored_hourly(&alone.store, alone_id, from, to).await,
            slug,
        );
    }
    assert!(
        shared > 0,
        "metrics reading the same request share its fetch"
    );
    assert_eq!(t.store.list_metrics().await.unwrap().len(), ids.len());
}
