//! Real time (issue 22): a connection's callback hook and its sealed Auth Token, pushed events
//! deduplicated and applied forward only, the provisional overlay of a metric's hours (visible
//! through every ordinary read), and its reconciliation by a poll's window write with the ledger.

use domain::{AccountSid, ApiKeySid, Secret};
use store::{
    BucketQuery, BucketRow, ConnectionId, FoldedQuery, HOUR_MS, KeyState, LiveEventRow, LiveHour,
    LiveOutcome, LiveStore, MetricId, NewConnection, Store, StoreError, Unavailability,
};

use crate::support::{Harness, key_a, key_b, metric};

const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const ACCOUNT: &str = "AC00000000000000000000000000000000";
const TOKEN: &str = "auth-token-0123456789abcdef";

async fn connection<S: Store>(store: &S, label: &str) -> ConnectionId {
    store
        .create_connection(
            &NewConnection {
                label: label.into(),
                account_sid: AccountSid::parse(ACCOUNT).expect("sid"),
                api_key_sid: ApiKeySid::parse("SK00000000000000000000000000000000").expect("sk"),
                secret: Secret::new("api-key-secret"),
            },
            1,
        )
        .await
        .expect("connection")
        .id
}

/// A message status event, `minutes` after T0.
fn event(key: &str, sid: &str, status: &str, rank: i64, minutes: i64) -> LiveEventRow {
    LiveEventRow {
        key: key.to_owned(),
        kind: "message".to_owned(),
        sid: sid.to_owned(),
        account_sid: ACCOUNT.to_owned(),
        status: status.to_owned(),
        rank,
        at_ms: T0 + minutes * 60_000,
        received_ms: T0 + minutes * 60_000 + 500,
        source: "callback".to_owned(),
        fields: format!(r#"{{"MessageStatus":"{status}"}}"#),
    }
}

fn bucket(dimension: &str, hour: i64, sum: f64, count: i64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms: T0 + hour * HOUR_MS,
        sum,
        count,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: T0 + hour * HOUR_MS + 60_000,
    }
}

async fn hours<S: Store>(store: &S, m: MetricId) -> Vec<BucketRow> {
    let mut rows = store
        .buckets(&BucketQuery {
            metric: m,
            dimension: None,
            from_ms: T0 - DAY_MS,
            to_ms: T0 + 3 * DAY_MS,
        })
        .await
        .expect("hours");
    rows.sort_by(|a, b| (a.hour_ms, &a.dimension).cmp(&(b.hour_ms, &b.dimension)));
    rows
}

async fn day_sum<S: Store>(store: &S, m: MetricId) -> (f64, i64) {
    let days = store
        .folded_buckets(&FoldedQuery {
            days: vec![(T0, T0 + DAY_MS)],
            ..FoldedQuery::new(m)
        })
        .await
        .expect("days");
    days.iter()
        .fold((0.0, 0), |(s, c), b| (s + b.sum, c + b.count))
}

async fn the_auth_token_is_sealed_and_opens_only_under_the_master_key<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let hook = store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    let stored = h
        .read_bytes(format!(
            "SELECT auth_token_sealed FROM connection_hooks WHERE connection_id = {}",
            c.0
        ))
        .await;
    assert!(
        !stored.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the Auth Token is stored in the clear"
    );
    let auth = store
        .callback_auth(&hook)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(auth.connection, c);
    assert_eq!(auth.account_sid.as_str(), ACCOUNT);
    assert_eq!(auth.auth_token.expect("opens").expose(), TOKEN);
    store.close().await;
    let other = h.open(key_b()).await.expect("open with another key");
    assert_eq!(other.key_state(), KeyState::Mismatched);
    let auth = other
        .callback_auth(&hook)
        .await
        .expect("read")
        .expect("known");
    let err = auth
        .auth_token
        .expect_err("must not open under another key");
    assert_eq!(err.why, Unavailability::WrongKey);
    assert!(err.to_string().contains("'prod'"), "{err}");
}

async fn the_hook_key_stays_when_the_token_changes_or_goes<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    assert_eq!(store.connection_hook(c).await.expect("read"), None);
    let first = store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    assert_eq!(first.len(), 32);
    assert!(first.chars().all(|ch| ch.is_ascii_hexdigit()), "{first}");
    let second = store
        .set_connection_auth_token(c, Some(&Secret::new("another-token")), 6)
        .await
        .expect("change");
    assert_eq!(second, first);
    let auth = store
        .callback_auth(&first)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(auth.auth_token.expect("opens").expose(), "another-token");
    let hook = store.connection_hook(c).await.expect("read").expect("hook");
    assert_eq!(
        (hook.has_auth_token, hook.auth_token_set_ms),
        (true, Some(6))
    );
    let third = store
        .set_connection_auth_token(c, None, 7)
        .await
        .expect("remove");
    assert_eq!(third, first);
    let hook = store.connection_hook(c).await.expect("read").expect("hook");
    assert_eq!(hook.hook_key, first);
    assert!(!hook.has_auth_token);
    let auth = store
        .callback_auth(&first)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        auth.auth_token.expect_err("removed").why,
        Unavailability::NotEntered
    );
}

async fn each_connection_gets_its_own_hook_key<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (a, b) = (connection(&store, "a").await, connection(&store, "b").await);
    let key_a = store
        .set_connection_auth_token(a, None, 1)
        .await
        .expect("a");
    let key_b = store
        .set_connection_auth_token(b, None, 1)
        .await
        .expect("b");
    assert_ne!(key_a, key_b);
    assert_eq!(
        store
            .callback_auth(&key_b)
            .await
            .expect("read")
            .expect("b")
            .connection,
        b
    );
}

async fn an_unknown_hook_key_has_no_callback_auth<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    assert_eq!(
        store
            .callback_auth("00000000000000000000000000000000")
            .await
            .expect("read"),
        None
    );
    let err = store
        .set_connection_auth_token(ConnectionId(c.0 + 100), None, 5)
        .await
        .expect_err("no such connection");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn key_rotation_reseals_the_auth_token<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let hook = store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    // The connection's API Key Secret and its Auth Token.
    assert_eq!(
        store
            .rotate_master_key(&key_a(), &key_b())
            .await
            .expect("rotate"),
        2
    );
    store.close().await;
    let store = h.open(key_b()).await.expect("new key opens");
    let auth = store
        .callback_auth(&hook)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(auth.auth_token.expect("opens").expose(), TOKEN);
}

async fn a_key_reset_forgets_the_auth_token_and_keeps_the_hook<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let hook = store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    store.close().await;
    let store = h.open(key_b()).await.expect("open with the other key");
    let forgotten = store.forget_secrets(&key_b()).await.expect("reset");
    assert_eq!(forgotten.auth_tokens, ["prod"]);
    let auth = store
        .callback_auth(&hook)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        auth.auth_token.expect_err("forgotten").why,
        Unavailability::Forgotten
    );
    assert!(
        !store
            .connection_hook(c)
            .await
            .expect("read")
            .expect("hook")
            .has_auth_token
    );
    store
        .set_connection_auth_token(c, Some(&Secret::new("re-entered")), 9)
        .await
        .expect("re-enter");
    let auth = store
        .callback_auth(&hook)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(auth.auth_token.expect("opens").expose(), "re-entered");
}

async fn a_duplicate_event_changes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let sent = event("k1", "SM1", "sent", 1, 10);
    let done = store
        .apply_live_events(c, &[sent.clone(), sent.clone()])
        .await
        .expect("apply");
    assert_eq!(
        done.outcomes,
        [LiveOutcome::Applied, LiveOutcome::Duplicate]
    );
    let again = store
        .apply_live_events(c, std::slice::from_ref(&sent))
        .await
        .expect("again");
    assert_eq!(again.outcomes, [LiveOutcome::Duplicate]);
    assert!(again.changed.is_empty());
    let resources = store
        .live_resources(c, "message", T0, T0 + DAY_MS, 0)
        .await
        .expect("resources");
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].updated_ms, sent.received_ms);
    assert_eq!(
        store.recent_live_events(c, 10).await.expect("events").len(),
        1
    );
}

async fn a_status_moves_only_forward<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let delivered = event("k-delivered", "SM1", "delivered", 3, 12);
    let sent = event("k-sent", "SM1", "sent", 2, 11);
    let done = store
        .apply_live_events(c, &[delivered.clone(), sent])
        .await
        .expect("apply");
    assert_eq!(done.outcomes, [LiveOutcome::Applied, LiveOutcome::Stale]);
    let resources = store
        .live_resources(c, "message", T0, T0 + DAY_MS, 0)
        .await
        .expect("resources");
    assert_eq!(resources[0].status, "delivered");
    assert_eq!(resources[0].rank, 3);
    assert_eq!(resources[0].fields, delivered.fields);
    let events = store.recent_live_events(c, 10).await.expect("events");
    let outcomes: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.status.as_str(), e.outcome.as_str()))
        .collect();
    // Newest first by arrival time (the out-of-order `sent` carries the earlier one).
    assert_eq!(outcomes, [("delivered", "applied"), ("sent", "stale")]);
    let read = event("k-read", "SM1", "read", 4, 13);
    let done = store.apply_live_events(c, &[read]).await.expect("read");
    assert_eq!(done.outcomes, [LiveOutcome::Applied]);
}

async fn the_creation_instant_is_the_earliest_seen_and_both_hours_change<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    // Delivered at 02:05, then the late `sent` says it existed at 01:50.
    let first = store
        .apply_live_events(c, &[event("k2", "SM1", "delivered", 3, 125)])
        .await
        .expect("delivered");
    let hour = |h: i64| (String::from("message"), T0 + h * HOUR_MS);
    let pairs = |a: &store::LiveApplied| -> Vec<(String, i64)> {
        a.changed
            .iter()
            .map(|c| (c.kind.clone(), c.hour_ms))
            .collect()
    };
    assert_eq!(pairs(&first), [hour(2)]);
    let late = store
        .apply_live_events(c, &[event("k1", "SM1", "sent", 2, 110)])
        .await
        .expect("sent");
    assert_eq!(late.outcomes, [LiveOutcome::Stale]);
    assert_eq!(pairs(&late), [hour(1), hour(2)]);
    let resource = &store
        .live_resources(c, "message", T0, T0 + DAY_MS, 0)
        .await
        .expect("resources")[0];
    assert_eq!(resource.created_ms, T0 + 110 * 60_000);
    assert_eq!(resource.status, "delivered");
}

async fn changed_names_each_kind_and_hour_once<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let mut call = event("c1", "CA1", "completed", 5, 20);
    call.kind = "call".to_owned();
    let done = store
        .apply_live_events(
            c,
            &[
                event("k1", "SM1", "sent", 2, 10),
                event("k2", "SM2", "sent", 2, 15),
                event("k3", "SM1", "delivered", 3, 16),
                call,
            ],
        )
        .await
        .expect("apply");
    let pairs: Vec<(&str, i64)> = done
        .changed
        .iter()
        .map(|c| (c.kind.as_str(), c.hour_ms))
        .collect();
    assert_eq!(pairs, [("call", T0), ("message", T0)]);
}

async fn live_resources_are_read_by_hour_and_cutoff<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    store
        .apply_live_events(
            c,
            &[
                event("k1", "SM1", "sent", 2, 10),
                event("k2", "SM2", "sent", 2, 40),
                event("k3", "SM3", "sent", 2, 70),
            ],
        )
        .await
        .expect("apply");
    let sids = |rows: Vec<store::LiveResource>| -> Vec<String> {
        rows.into_iter().map(|r| r.sid).collect()
    };
    let first_hour = store
        .live_resources(c, "message", T0, T0 + HOUR_MS, 0)
        .await
        .expect("hour");
    assert_eq!(sids(first_hour), ["SM1", "SM2"]);
    let after_cutoff = store
        .live_resources(c, "message", T0, T0 + HOUR_MS, T0 + 30 * 60_000)
        .await
        .expect("cutoff");
    assert_eq!(sids(after_cutoff), ["SM2"]);
    assert!(
        store
            .live_resources(c, "call", T0, T0 + DAY_MS, 0)
            .await
            .expect("calls")
            .is_empty()
    );
}

/// Polled hour 3: delivered 10 of 10 and failed 2 of 2; hour 4: delivered 4.
fn polled() -> Vec<BucketRow> {
    vec![
        bucket("delivered", 3, 10.0, 10),
        bucket("failed", 3, 2.0, 2),
        bucket("delivered", 4, 4.0, 4),
    ]
}

fn live_hour(hour: i64, rows: Vec<BucketRow>) -> LiveHour {
    LiveHour {
        hour_ms: T0 + hour * HOUR_MS,
        buckets: rows,
    }
}

async fn the_overlay_is_base_merged_with_live_in_every_read<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &polled())
        .await
        .expect("poll");
    let version = store.data_versions(&[m]).await.expect("versions")[&m];
    let mut live_delivered = bucket("delivered", 3, 3.0, 3);
    live_delivered.min = 0.5;
    live_delivered.latest = 7.0;
    live_delivered.latest_at_ms = T0 + 3 * HOUR_MS + 30 * 60_000;
    let live = vec![live_delivered, bucket("undelivered", 3, 1.0, 1)];
    store
        .write_live_hours(m, &[live_hour(3, live)])
        .await
        .expect("live");
    assert!(store.data_versions(&[m]).await.expect("versions")[&m] > version);
    let mut delivered = bucket("delivered", 3, 13.0, 13);
    delivered.min = 0.5;
    delivered.latest = 7.0;
    delivered.latest_at_ms = T0 + 3 * HOUR_MS + 30 * 60_000;
    assert_eq!(
        hours(&store, m).await,
        [
            delivered,
            bucket("failed", 3, 2.0, 2),
            bucket("undelivered", 3, 1.0, 1),
            bucket("delivered", 4, 4.0, 4),
        ]
    );
    // Polled 10 + 2 + 4, live 3 + 1.
    assert_eq!(day_sum(&store, m).await, (20.0, 20));
}

async fn a_second_live_write_replaces_the_live_part<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &polled())
        .await
        .expect("poll");
    for live in [3.0, 5.0] {
        store
            .write_live_hours(
                m,
                &[live_hour(
                    3,
                    vec![bucket("delivered", 3, live, live as i64)],
                )],
            )
            .await
            .expect("live");
    }
    let rows = hours(&store, m).await;
    assert_eq!(rows[0], bucket("delivered", 3, 15.0, 15));
    assert_eq!(day_sum(&store, m).await, (21.0, 21));
    store
        .write_live_hours(m, &[live_hour(3, Vec::new())])
        .await
        .expect("nothing live");
    assert_eq!(hours(&store, m).await, polled());
    assert_eq!(day_sum(&store, m).await, (16.0, 16));
    assert!(store.live_spans(&[m]).await.expect("spans").is_empty());
}

async fn a_poll_replaces_the_overlay_and_records_the_ledger<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &polled())
        .await
        .expect("poll");
    // Hour 3 has polled buckets, hour 5 none yet.
    let live = [
        live_hour(3, vec![bucket("delivered", 3, 3.0, 3)]),
        live_hour(5, vec![bucket("delivered", 5, 6.0, 6)]),
    ];
    store.write_live_hours(m, &live).await.expect("live");
    let provisional_sum: f64 = hours(&store, m)
        .await
        .iter()
        .filter(|b| b.hour_ms == T0 + 3 * HOUR_MS || b.hour_ms == T0 + 5 * HOUR_MS)
        .map(|b| b.sum)
        .sum();
    // 10 + 2 + 3 in hour 3, 6 in hour 5.
    assert_eq!(provisional_sum, 21.0);
    let poll = vec![
        bucket("delivered", 3, 12.0, 12),
        bucket("failed", 3, 3.0, 3),
        bucket("delivered", 4, 4.0, 4),
        bucket("delivered", 5, 7.0, 7),
        bucket("delivered", 6, 1.0, 1),
    ];
    store
        .replace_window(m, T0, T0 + DAY_MS, &poll)
        .await
        .expect("poll again");
    assert_eq!(hours(&store, m).await, poll);
    assert_eq!(day_sum(&store, m).await, (27.0, 27));
    assert!(store.live_spans(&[m]).await.expect("spans").is_empty());
    let ledger = store.realtime_ledger(m, 10).await.expect("ledger");
    assert_eq!(ledger.len(), 1);
    let row = &ledger[0];
    assert_eq!((row.from_ms, row.to_ms, row.hours), (T0, T0 + DAY_MS, 2));
    assert_eq!((row.provisional_sum, row.provisional_count), (21.0, 21));
    // The poll's hours 3 and 5 only: 12 + 3 + 7.
    assert_eq!((row.polled_sum, row.polled_count), (22.0, 22));
    assert!(row.recorded_ms > T0, "recorded at the database's clock");
    store
        .replace_window(m, T0, T0 + DAY_MS, &poll)
        .await
        .expect("a third poll");
    assert_eq!(store.realtime_ledger(m, 10).await.expect("ledger").len(), 1);
    // After the poll a live write starts from the poll's values.
    store
        .write_live_hours(m, &[live_hour(3, vec![bucket("delivered", 3, 1.0, 1)])])
        .await
        .expect("live again");
    assert_eq!(hours(&store, m).await[0], bucket("delivered", 3, 13.0, 13));
}

async fn live_spans_cover_the_overlaid_hours<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (m, other) = (
        metric(&store, "sms", true).await,
        metric(&store, "calls", true).await,
    );
    store
        .write_live_hours(
            m,
            &[
                live_hour(7, vec![bucket("delivered", 7, 1.0, 1)]),
                live_hour(3, vec![bucket("delivered", 3, 1.0, 1)]),
            ],
        )
        .await
        .expect("live");
    let spans = store.live_spans(&[m, other]).await.expect("spans");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[&m], (T0 + 3 * HOUR_MS, T0 + 8 * HOUR_MS));
}

async fn malformed_live_hours_are_refused_and_write_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &polled())
        .await
        .expect("poll");
    let off_hour = LiveHour {
        hour_ms: T0 + 3 * HOUR_MS + 1,
        buckets: Vec::new(),
    };
    let elsewhere = live_hour(3, vec![bucket("delivered", 4, 1.0, 1)]);
    let twice = [
        live_hour(3, vec![bucket("delivered", 3, 1.0, 1)]),
        live_hour(3, vec![bucket("delivered", 3, 1.0, 1)]),
    ];
    for hours_given in [vec![off_hour], vec![elsewhere], twice.to_vec()] {
        let err = store
            .write_live_hours(m, &hours_given)
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    }
    assert_eq!(hours(&store, m).await, polled());
    let err = store
        .write_live_hours(
            MetricId(m.0 + 100),
            &[live_hour(3, vec![bucket("delivered", 3, 1.0, 1)])],
        )
        .await
        .expect_err("no such metric");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn a_dimension_merge_keeps_the_overlay_exact<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    store
        .replace_window(m, T0, T0 + DAY_MS, &[bucket("old", 3, 10.0, 10)])
        .await
        .expect("poll");
    store
        .write_live_hours(m, &[live_hour(3, vec![bucket("old", 3, 2.0, 2)])])
        .await
        .expect("live");
    store.merge_dimension(m, "old", "new").await.expect("merge");
    assert_eq!(hours(&store, m).await, [bucket("new", 3, 12.0, 12)]);
    // The next live write under the new name replaces the live part, not adds to it.
    store
        .write_live_hours(m, &[live_hour(3, vec![bucket("new", 3, 3.0, 3)])])
        .await
        .expect("live again");
    assert_eq!(hours(&store, m).await, [bucket("new", 3, 13.0, 13)]);
}

async fn prune_drops_old_events_and_resources_but_not_the_overlay<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let m = metric(&store, "sms", true).await;
    store
        .apply_live_events(
            c,
            &[
                event("k1", "SM1", "sent", 2, 10),
                event("k2", "SM2", "sent", 2, 50),
            ],
        )
        .await
        .expect("apply");
    store
        .write_live_hours(m, &[live_hour(0, vec![bucket("sent", 0, 2.0, 2)])])
        .await
        .expect("live");
    // Both rows of the first event's minute go: its event and its resource.
    assert_eq!(store.prune_live(T0 + 30 * 60_000).await.expect("prune"), 2);
    let left = store
        .live_resources(c, "message", T0, T0 + DAY_MS, 0)
        .await
        .expect("resources");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].sid, "SM2");
    assert_eq!(
        store.recent_live_events(c, 10).await.expect("events").len(),
        1
    );
    assert_eq!(store.live_spans(&[m]).await.expect("spans").len(), 1);
    // A pruned key is no longer known: the same event would apply again.
    let again = store
        .apply_live_events(c, &[event("k1", "SM1", "sent", 2, 10)])
        .await
        .expect("again");
    assert_eq!(again.outcomes, [LiveOutcome::Applied]);
}

async fn deleting_a_connection_or_a_metric_takes_its_real_time_rows<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store, "prod").await;
    let hook = store
        .set_connection_auth_token(c, Some(&Secret::new(TOKEN)), 5)
        .await
        .expect("set");
    store
        .apply_live_events(c, &[event("k1", "SM1", "sent", 2, 10)])
        .await
        .expect("apply");
    let m = metric(&store, "sms", true).await;
    store
        .write_live_hours(m, &[live_hour(0, vec![bucket("sent", 0, 1.0, 1)])])
        .await
        .expect("live");
    store
        .replace_window(m, T0, T0 + HOUR_MS, &[])
        .await
        .expect("poll");
    assert_eq!(store.realtime_ledger(m, 10).await.expect("ledger").len(), 1);
    assert!(store.delete_connection(c).await.expect("delete"));
    assert_eq!(store.callback_auth(&hook).await.expect("read"), None);
    assert!(
        store
            .live_resources(c, "message", T0, T0 + DAY_MS, 0)
            .await
            .expect("resources")
            .is_empty()
    );
    assert!(
        store
            .recent_live_events(c, 10)
            .await
            .expect("events")
            .is_empty()
    );
    store
        .write_live_hours(m, &[live_hour(1, vec![bucket("sent", 1, 1.0, 1)])])
        .await
        .expect("live");
    assert!(store.delete_metric(m).await.expect("delete"));
    assert!(store.live_spans(&[m]).await.expect("spans").is_empty());
    assert!(
        store
            .realtime_ledger(m, 10)
            .await
            .expect("ledger")
            .is_empty()
    );
}

crate::contract_tests!(
    the_auth_token_is_sealed_and_opens_only_under_the_master_key,
    the_hook_key_stays_when_the_token_changes_or_goes,
    each_connection_gets_its_own_hook_key,
    an_unknown_hook_key_has_no_callback_auth,
    key_rotation_reseals_the_auth_token,
    a_key_reset_forgets_the_auth_token_and_keeps_the_hook,
    a_duplicate_event_changes_nothing,
    a_status_moves_only_forward,
    the_creation_instant_is_the_earliest_seen_and_both_hours_change,
    changed_names_each_kind_and_hour_once,
    live_resources_are_read_by_hour_and_cutoff,
    the_overlay_is_base_merged_with_live_in_every_read,
    a_second_live_write_replaces_the_live_part,
    a_poll_replaces_the_overlay_and_records_the_ledger,
    live_spans_cover_the_overlaid_hours,
    malformed_live_hours_are_refused_and_write_nothing,
    a_dimension_merge_keeps_the_overlay_exact,
    prune_drops_old_events_and_resources_but_not_the_overlay,
    deleting_a_connection_or_a_metric_takes_its_real_time_rows,
);
