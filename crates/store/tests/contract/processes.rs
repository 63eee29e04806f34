//! The processes using a store: what `key rotate` reads to refuse running beside a server.

use store::Store;

use crate::support::{Harness, key_a};

async fn a_process_is_seen_until_it_goes_or_falls_silent<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    assert!(store.live_processes(0).await.unwrap().is_empty());
    store
        .process_seen("serve 1@a", "serve", 1_000)
        .await
        .unwrap();
    store
        .process_seen("worker 2@b", "worker", 2_000)
        .await
        .unwrap();
    // A refresh keeps the start and moves the last sighting.
    store
        .process_seen("serve 1@a", "serve", 5_000)
        .await
        .unwrap();
    let live = store.live_processes(0).await.unwrap();
    let seen: Vec<(&str, &str, i64, i64)> = live
        .iter()
        .map(|p| (p.id.as_str(), p.kind.as_str(), p.started_ms, p.seen_ms))
        .collect();
    assert_eq!(
        seen,
        [
            ("serve 1@a", "serve", 1_000, 5_000),
            ("worker 2@b", "worker", 2_000, 2_000)
        ]
    );
    // Silent since before the cut-off: no longer counted.
    let recent = store.live_processes(3_000).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].id, "serve 1@a");
    store.process_gone("serve 1@a").await.unwrap();
    assert!(store.live_processes(3_000).await.unwrap().is_empty());
    store.process_gone("never there").await.unwrap();
}

crate::contract_tests!(a_process_is_seen_until_it_goes_or_falls_silent);
