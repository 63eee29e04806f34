//! `library::add`: a library metric stored for a connection, on the Metrics screen so the
//! scheduler syncs it; and the errors a user can meet.

mod support;

use library::{AddError, METRICS_SCREEN};
use metric_sync::{Schedule, Scheduler};
use store::Store;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_metric_is_on_the_metrics_screen_bound_to_its_connection() {
    let t = store_with_connection().await;
    let conn = t
        .store
        .connection_by_label(CONNECTION)
        .await
        .unwrap()
        .unwrap();
    let stored = library::add(t.store.as_ref(), "call-answer-rate", CONNECTION, 5)
        .await
        .unwrap();
    assert_eq!(stored.name, "Call answer rate");
    assert_eq!(stored.connection_id, Some(conn.id));
    assert_eq!(stored.used_by, vec![METRICS_SCREEN.to_owned()]);
    let def = metric::MetricDefinition::from_json(&stored.definition).unwrap();
    assert_eq!(def.connection, CONNECTION);
    let entry = library::find("call-answer-rate").unwrap();
    assert_eq!(def.request, entry.definition.request);
    assert_eq!(def.extraction, entry.definition.extraction);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_finds_an_added_metric_due() {
    let t = store_with_connection().await;
    let stored = library::add(t.store.as_ref(), "Total spend", CONNECTION, 0)
        .await
        .unwrap();
    let scheduler = Scheduler::new(t.store.clone(), Schedule::default());
    let due = scheduler.due(sim_now()).await.unwrap();
    assert_eq!(due, vec![stored.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_connection_is_refused_and_nothing_is_stored() {
    let t = store_with_connection().await;
    let err = library::add(t.store.as_ref(), "total-spend", "prod", 0)
        .await
        .unwrap_err();
    assert!(matches!(err, AddError::UnknownConnection { .. }), "{err}");
    assert!(err.to_string().contains("\"prod\""), "{err}");
    assert!(t.store.list_metrics().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_the_same_metric_twice_is_refused() {
    let t = store_with_connection().await;
    let first = library::add(t.store.as_ref(), "total-spend", CONNECTION, 0)
        .await
        .unwrap();
    let err = library::add(t.store.as_ref(), "total-spend", CONNECTION, 1)
        .await
        .unwrap_err();
    match &err {
        AddError::AlreadyAdded { id, .. } => assert_eq!(*id, first.id.0),
        other => panic!("{other}"),
    }
    assert_eq!(t.store.list_metrics().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_library_name_is_refused() {
    let t = store_with_connection().await;
    let err = library::add(t.store.as_ref(), "messages-sant", CONNECTION, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, AddError::Library(_)), "{err}");
    assert!(err.to_string().contains("library list"), "{err}");
}
