//! A connection's Twilio accounts (issue 21): listings recorded with what they changed, accounts
//! that disappear kept as gone, access problems, per-account synced spans, and the window write
//! scoped to one account's dimensions that leaves the others (and their daily rollups) alone.

use domain::{AccountSid, ApiKeySid, Secret};
use store::{
    AccountStatus, BucketQuery, BucketRow, ConnectionId, FoldedQuery, HOUR_MS, ListedAccount,
    MetricId, NewConnection, Store, StoreError, TwilioAccountStore,
};

use crate::support::{Harness, key_a, metric};

const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const PARENT: &str = "AC00000000000000000000000000000000";
const SUB_A: &str = "AC0000000000000000000000000000000a";
const SUB_B: &str = "AC0000000000000000000000000000000b";

fn sid(s: &str) -> AccountSid {
    AccountSid::parse(s).expect("sid")
}

fn listed(s: &str, name: &str, status: AccountStatus) -> ListedAccount {
    ListedAccount {
        sid: sid(s),
        friendly_name: name.to_owned(),
        status,
        is_parent: s == PARENT,
    }
}

async fn connection<S: Store>(store: &S) -> ConnectionId {
    store
        .create_connection(
            &NewConnection {
                label: "prod".into(),
                account_sid: sid(PARENT),
                api_key_sid: ApiKeySid::parse("SK00000000000000000000000000000000").expect("sk"),
                secret: Secret::new("secret"),
            },
            1,
        )
        .await
        .expect("connection")
        .id
}

fn bucket(dimension: &str, hour: i64, value: f64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms: T0 + hour * HOUR_MS,
        sum: value,
        count: 1,
        min: value,
        max: value,
        latest: value,
        latest_at_ms: T0 + hour * HOUR_MS,
    }
}

async fn a_listing_is_recorded_parent_first_with_what_it_changed<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store).await;
    let first = vec![
        listed(SUB_B, "Brand B", AccountStatus::Active),
        listed(PARENT, "Parent", AccountStatus::Active),
        listed(SUB_A, "Brand A", AccountStatus::Active),
    ];
    let changes = store
        .record_account_listing(c, &first, 10)
        .await
        .expect("record");
    assert_eq!(changes.joined.len(), 3);
    let accounts = store.twilio_accounts(c).await.expect("list");
    let order: Vec<&str> = accounts.iter().map(|a| a.sid.as_str()).collect();
    assert_eq!(order, [PARENT, SUB_A, SUB_B]);
    assert!(accounts[0].is_parent && !accounts[1].is_parent);
    assert!(accounts.iter().all(|a| a.first_seen_ms == 10));

    let second = vec![
        listed(PARENT, "Parent", AccountStatus::Active),
        listed(SUB_A, "Brand A (EU)", AccountStatus::Closed),
    ];
    let changes = store
        .record_account_listing(c, &second, 20)
        .await
        .expect("record again");
    assert!(changes.joined.is_empty());
    assert_eq!(changes.renamed, [sid(SUB_A)]);
    let mut changed = changes.status_changed.clone();
    changed.sort();
    assert_eq!(
        changed,
        [
            (sid(SUB_A), AccountStatus::Closed),
            (sid(SUB_B), AccountStatus::Gone)
        ]
    );
    let accounts = store.twilio_accounts(c).await.expect("list");
    let a = accounts
        .iter()
        .find(|a| a.sid.as_str() == SUB_A)
        .expect("a");
    assert_eq!(
        (
            a.friendly_name.as_str(),
            a.status,
            a.status_changed_ms,
            a.first_seen_ms
        ),
        ("Brand A (EU)", AccountStatus::Closed, 20, 10)
    );
    let b = accounts
        .iter()
        .find(|a| a.sid.as_str() == SUB_B)
        .expect("b kept");
    assert_eq!((b.status, b.last_seen_ms), (AccountStatus::Gone, 10));
    let parent = &accounts[0];
    assert_eq!((parent.status_changed_ms, parent.last_seen_ms), (10, 20));
}

async fn an_access_problem_is_kept_and_cleared<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = connection(&store).await;
    store
        .record_account_listing(c, &[listed(SUB_A, "A", AccountStatus::Active)], 1)
        .await
        .expect("record");
    let why = "Twilio refused this key for the account (HTTP 401, code 20003)";
    store
        .set_account_access(c, &sid(SUB_A), Some(why))
        .await
        .expect("set");
    let a = &store.twilio_accounts(c).await.expect("list")[0];
    assert_eq!(a.access_problem.as_deref(), Some(why));
    assert!(!a.is_requested());
    store
        .set_account_access(c, &sid(SUB_A), None)
        .await
        .expect("clear");
    assert!(store.twilio_accounts(c).await.expect("list")[0].is_requested());
    let err = store
        .set_account_access(c, &sid(SUB_B), None)
        .await
        .expect_err("unknown account");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn account_spans_widen_and_are_forgotten_on_request<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    let a = sid(SUB_A);
    store
        .extend_metric_account_span(None, m, &a, T0, T0 + DAY_MS, 1)
        .await
        .expect("first");
    store
        .extend_metric_account_span(None, m, &a, T0 + DAY_MS, T0 + 2 * DAY_MS, 2)
        .await
        .expect("later");
    store
        .extend_metric_account_span(None, m, &sid(SUB_B), T0, T0 + HOUR_MS, 2)
        .await
        .expect("other");
    let spans = store.metric_account_spans(m).await.expect("spans");
    assert_eq!(spans.len(), 2);
    assert_eq!(
        (spans[0].account.as_str(), spans[0].from_ms, spans[0].to_ms),
        (SUB_A, T0, T0 + 2 * DAY_MS)
    );
    let err = store
        .extend_metric_account_span(None, m, &a, T0, T0, 3)
        .await
        .expect_err("empty span");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    store.clear_metric_account_spans(m).await.expect("clear");
    assert!(
        store
            .metric_account_spans(m)
            .await
            .expect("spans")
            .is_empty()
    );
}

async fn hours<S: Store>(store: &S, m: MetricId) -> Vec<BucketRow> {
    store
        .buckets(&BucketQuery {
            metric: m,
            dimension: None,
            from_ms: T0 - DAY_MS,
            to_ms: T0 + 3 * DAY_MS,
        })
        .await
        .expect("hours")
}

async fn a_prefix_window_replaces_only_that_accounts_dimensions<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    let (a, b) = (format!("{SUB_A}|"), format!("{SUB_B}|"));
    let first: Vec<BucketRow> = (0..30)
        .flat_map(|hour| {
            [
                bucket(&format!("{a}sent"), hour, 1.0),
                bucket(&format!("{b}sent"), hour, 2.0),
            ]
        })
        .collect();
    store
        .replace_window(m, T0, T0 + 2 * DAY_MS, &first)
        .await
        .expect("both accounts");
    let version = store.data_versions(&[m]).await.expect("versions")[&m];
    let again = vec![bucket(&format!("{a}failed"), 3, 8.0)];
    let replaced = store
        .replace_prefix_window_under(None, m, &a, T0, T0 + DAY_MS, &again)
        .await
        .expect("account a only");
    assert_eq!((replaced.deleted, replaced.inserted), (24, 1));
    assert!(store.data_versions(&[m]).await.expect("versions")[&m] > version);
    let rows = hours(&store, m).await;
    let sum_of = |prefix: &str| -> f64 {
        rows.iter()
            .filter(|r| r.dimension.starts_with(prefix))
            .map(|r| r.sum)
            .sum()
    };
    // Account b keeps all 30 hours; account a keeps its 6 hours of the second day and the new one.
    assert_eq!(sum_of(&b), 60.0);
    assert_eq!(sum_of(&a), 6.0 + 8.0);
    let days = store
        .folded_buckets(&FoldedQuery {
            metric: m,
            days: vec![(T0, T0 + 2 * DAY_MS)],
            ..FoldedQuery::new(m)
        })
        .await
        .expect("days");
    let day_sum = |prefix: &str| -> f64 {
        days.iter()
            .filter(|r| r.dimension.starts_with(prefix))
            .map(|r| r.sum)
            .sum()
    };
    assert_eq!((day_sum(&a), day_sum(&b)), (14.0, 60.0));
}

async fn a_prefix_window_refuses_buckets_of_another_prefix_and_writes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let m = metric(&store, "sms", true).await;
    let a = format!("{SUB_A}|");
    let existing = vec![bucket(&format!("{a}sent"), 1, 1.0)];
    store
        .replace_window(m, T0, T0 + DAY_MS, &existing)
        .await
        .expect("write");
    let stray = vec![bucket(&format!("{SUB_B}|sent"), 2, 5.0)];
    let err = store
        .replace_prefix_window_under(None, m, &a, T0, T0 + DAY_MS, &stray)
        .await
        .expect_err("wrong prefix");
    assert!(matches!(err, StoreError::BadWindow { .. }), "{err}");
    let err = store
        .replace_prefix_window_under(None, m, "", T0, T0 + DAY_MS, &[])
        .await
        .expect_err("empty prefix");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert_eq!(hours(&store, m).await, existing);
}

crate::contract_tests!(
    a_listing_is_recorded_parent_first_with_what_it_changed,
    an_access_problem_is_kept_and_cleared,
    account_spans_widen_and_are_forgotten_on_request,
    a_prefix_window_replaces_only_that_accounts_dimensions,
    a_prefix_window_refuses_buckets_of_another_prefix_and_writes_nothing,
);
