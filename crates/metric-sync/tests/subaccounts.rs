//! Metrics over every account of a connection (issue 21), against the simulator with 100
//! subaccounts over loopback, on both backends. Expected values come from the simulator's dump,
//! account by account, never from our own code.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use metric::accounts::split;
use metric_sync::{SyncOptions, SyncReport};
use serde_json::{Value, json};
use store::{BucketQuery, ConnectionId, MetricId, RunStatus, Store, TwilioAccountStore};
use support::*;
use twilio_sim::{Faults, SimHandle, Sizes};

const SUBACCOUNTS: u32 = 100;

fn sizes() -> Sizes {
    Sizes {
        messages_per_day: 6,
        calls_per_day: 0,
        days: 10,
        subaccounts: SUBACCOUNTS,
        conferences_per_day: 0,
        verify_attempts_per_day: 0,
        ..Sizes::default()
    }
}

fn every_account(mut definition: Value) -> Value {
    definition["accounts"] = json!("active");
    definition
}

/// `(account, hour, own dimension)` → `(count, sum)`.
type PerAccount = BTreeMap<(String, i64, String), (i64, f64)>;

fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

fn accounts_of(dump: &Value) -> &Vec<Value> {
    dump["accounts"].as_array().unwrap()
}

/// Every account's messages in `[from, to)`, by hour and status, from the dump.
fn expected_per_account(dump: &Value, from: i64, to: i64) -> PerAccount {
    let mut map = PerAccount::new();
    for account in accounts_of(dump) {
        let sid = account["sid"].as_str().unwrap();
        for m in account["messages"].as_array().unwrap() {
            let date = m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap();
            let at = rfc2822_ms(date);
            if from <= at && at < to {
                let key = (
                    sid.to_owned(),
                    hour_of(at),
                    m["status"].as_str().unwrap().to_owned(),
                );
                let e = map.entry(key).or_insert((0, 0.0));
                e.0 += 1;
                e.1 += 1.0;
            }
        }
    }
    map
}

/// The stored buckets read back by account (the composite dimension split).
async fn stored_per_account<S: Store>(
    store: &S,
    metric: MetricId,
    from: i64,
    to: i64,
) -> PerAccount {
    let rows = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: from,
            to_ms: to,
        })
        .await
        .unwrap();
    let mut map = PerAccount::new();
    for b in rows {
        let (sid, own) = split(&b.dimension)
            .unwrap_or_else(|| panic!("{:?} is not an account's dimension", b.dimension));
        let e = map
            .entry((sid.to_owned(), b.hour_ms, own.unwrap_or("").to_owned()))
            .or_insert((0, 0.0));
        e.0 += b.count;
        e.1 += b.sum;
    }
    map
}

struct Setup<S> {
    sim: SimHandle,
    dump: Value,
    store: Arc<S>,
    conn: ConnectionId,
}

async fn setup<H: Harness>(h: &H, faults: Faults) -> Setup<H::S> {
    let sim = sim(sizes(), faults).await;
    let dump = dump(&sim);
    let store = Arc::new(h.open().await);
    let conn = add_connection(store.as_ref(), &sim).await;
    Setup {
        sim,
        dump,
        store,
        conn,
    }
}

/// The messages-by-status metric over every active account of the setup's connection.
async fn every_account_messages<S: Store>(s: &Setup<S>) -> MetricId {
    add_metric(
        s.store.as_ref(),
        s.conn,
        &every_account(messages_by_status(1000)),
    )
    .await
}

async fn sync_at<S: Store>(s: &Setup<S>, metric: MetricId, now: jiff::Timestamp) -> SyncReport {
    let report = syncer(s.store.clone(), &s.sim, 8)
        .sync_metric_with(metric, &SyncOptions::default(), now)
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded, "{:?}", report.ledger);
    report
}

async fn discovery_lists_every_account_with_names<H: Harness>(h: &H) {
    let s = setup(h, Faults::default()).await;
    let metric = every_account_messages(&s).await;
    let report = sync_at(&s, metric, sim_now()).await;

    let recorded = s.store.twilio_accounts(s.conn).await.unwrap();
    let recorded: BTreeMap<String, (String, bool)> = recorded
        .into_iter()
        .map(|a| (a.sid.to_string(), (a.friendly_name, a.is_parent)))
        .collect();
    let expected: BTreeMap<String, (String, bool)> = accounts_of(&s.dump)
        .iter()
        .map(|a| {
            (
                a["sid"].as_str().unwrap().to_owned(),
                (
                    a["friendly_name"].as_str().unwrap().to_owned(),
                    !a["is_subaccount"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(expected.len(), SUBACCOUNTS as usize + 1);
    assert_eq!(recorded, expected);
    assert_eq!(report.ledger.accounts_requested, SUBACCOUNTS + 1);
    assert_eq!(report.ledger.accounts_read, SUBACCOUNTS + 1);
}

async fn each_accounts_hourly_series_equals_its_records<H: Harness>(h: &H) {
    let s = setup(h, Faults::default()).await;
    let metric = every_account_messages(&s).await;
    sync_at(&s, metric, sim_now()).await;

    let (from, to) = whole_range(&s.dump);
    let stored = stored_per_account(s.store.as_ref(), metric, from, to).await;
    let expected = expected_per_account(&s.dump, from, to);
    let accounts: std::collections::BTreeSet<_> = expected.keys().map(|k| k.0.clone()).collect();
    assert_eq!(
        accounts.len(),
        SUBACCOUNTS as usize + 1,
        "every account has messages"
    );
    assert_eq!(stored, expected);
}

async fn message_total_is_the_sum_of_the_accounts<H: Harness>(h: &H) {
    let s = setup(h, Faults::default()).await;
    let metric = every_account_messages(&s).await;
    sync_at(&s, metric, sim_now()).await;

    let (from, to) = whole_range(&s.dump);
    let total = metric_sync::buckets(s.store.as_ref(), metric, from, to)
        .await
        .unwrap();
    let mut stored: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for b in total {
        *stored
            .entry((b.hour, b.dimension.unwrap_or_default()))
            .or_default() += b.count as i64;
    }
    let mut expected: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for ((_, hour, status), (count, _)) in expected_per_account(&s.dump, from, to) {
        *expected.entry((hour, status)).or_default() += count;
    }
    assert_eq!(stored, expected);
}

async fn spend_total_equals_the_parents_usage_with_subaccounts<H: Harness>(h: &H) {
    let s = setup(h, Faults::default()).await;
    let metric = add_metric(
        s.store.as_ref(),
        s.conn,
        &every_account(spend_by_category()),
    )
    .await;
    sync_at(&s, metric, sim_now()).await;

    let (from, to) = whole_range(&s.dump);
    // The parent's Daily usage as Twilio serves it by default: subaccounts included.
    let expected = expected_spend(&s.dump, from, to);
    let total = metric_sync::buckets(s.store.as_ref(), metric, from, to)
        .await
        .unwrap();
    let mut stored = Daily::new();
    for b in total {
        let e = stored
            .entry((day_of(b.hour), b.dimension.unwrap_or_default()))
            .or_insert((0, 0.0));
        e.0 += b.count as i64;
        e.1 += b.sum;
    }
    // Every account's own record of a day and category is one row: the count is per account.
    let accounts = SUBACCOUNTS as i64 + 1;
    for (key, (count, sum)) in &expected {
        let (c, got) = stored.get(key).copied().unwrap_or_default();
        assert_eq!(c, count * accounts, "rows of {key:?}");
        assert!(
            (got - sum).abs() <= 1e-6,
            "{key:?}: stored {got}, expected {sum}"
        );
    }
    assert_eq!(stored.len(), expected.len());
    let usage: Vec<_> = s
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.path.contains("/Usage/Records"))
        .collect();
    assert!(!usage.is_empty());
    assert!(
        usage
            .iter()
            .all(|r| r.query.contains("IncludeSubaccounts=false")),
        "every usage request leaves the subaccounts out"
    );
}

backend_tests!(
    discovery_lists_every_account_with_names,
    each_accounts_hourly_series_equals_its_records,
    message_total_is_the_sum_of_the_accounts,
    spend_total_equals_the_parents_usage_with_subaccounts,
);

mod lifecycle {
    use super::*;
    use twilio_sim::AccountState;

    fn sid_of(dump: &Value, index: usize) -> String {
        accounts_of(dump)[index]["sid"].as_str().unwrap().to_owned()
    }

    fn only(map: &PerAccount, sid: &str) -> PerAccount {
        map.iter()
            .filter(|((s, _, _), _)| s == sid)
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// An hour after the simulator's clock: the recorded listing is then read again.
    fn an_hour_later() -> jiff::Timestamp {
        sim_now() + jiff::SignedDuration::from_hours(1)
    }

    async fn closed_subaccount_keeps_history_and_is_not_requested<H: Harness>(h: &H) {
        let s = setup(h, Faults::default()).await;
        let metric = every_account_messages(&s).await;
        sync_at(&s, metric, sim_now()).await;
        let closed = sid_of(&s.dump, 5);
        let (from, to) = whole_range(&s.dump);
        let before = only(
            &stored_per_account(s.store.as_ref(), metric, from, to).await,
            &closed,
        );
        assert_eq!(
            before,
            only(&expected_per_account(&s.dump, from, to), &closed)
        );

        s.sim
            .set_account_state(&closed, AccountState::Closed)
            .unwrap();
        let requests_before = s.sim.request_log().len();
        let report = sync_at(&s, metric, an_hour_later()).await;

        let after = only(
            &stored_per_account(s.store.as_ref(), metric, from, to).await,
            &closed,
        );
        assert_eq!(after, before, "the closed account's history stays");
        let asked: Vec<_> = s.sim.request_log()[requests_before..]
            .iter()
            .filter(|r| r.path.contains(&format!("/Accounts/{closed}/")))
            .map(|r| r.path.clone())
            .collect();
        assert!(
            asked.is_empty(),
            "the closed account was requested: {asked:?}"
        );
        assert_eq!(report.ledger.accounts_requested, SUBACCOUNTS);
        let recorded = s.store.twilio_accounts(s.conn).await.unwrap();
        let account = recorded.iter().find(|a| a.sid.as_str() == closed).unwrap();
        assert_eq!(account.status, store::AccountStatus::Closed);
    }

    async fn new_subaccount_backfills_at_the_next_sync<H: Harness>(h: &H) {
        let s = setup(h, Faults::default()).await;
        let newcomer = sid_of(&s.dump, 7);
        s.sim
            .set_account_state(&newcomer, AccountState::Absent)
            .unwrap();
        let metric = every_account_messages(&s).await;
        sync_at(&s, metric, sim_now()).await;
        let (from, to) = whole_range(&s.dump);
        assert!(
            only(
                &stored_per_account(s.store.as_ref(), metric, from, to).await,
                &newcomer
            )
            .is_empty()
        );

        s.sim
            .set_account_state(&newcomer, AccountState::Active)
            .unwrap();
        sync_at(&s, metric, an_hour_later()).await;
        let stored = only(
            &stored_per_account(s.store.as_ref(), metric, from, to).await,
            &newcomer,
        );
        let expected = only(&expected_per_account(&s.dump, from, to), &newcomer);
        assert!(!expected.is_empty());
        assert_eq!(
            stored, expected,
            "the new account's whole history is backfilled"
        );
    }

    async fn denied_subaccount_is_recorded_while_the_others_sync<H: Harness>(h: &H) {
        let sizes_dump = {
            let probe = sim(sizes(), Faults::default()).await;
            dump(&probe)
        };
        let denied = sid_of(&sizes_dump, 3);
        let s = setup(
            h,
            Faults {
                deny_subaccounts: vec![denied.clone()],
                ..Faults::default()
            },
        )
        .await;
        let metric = every_account_messages(&s).await;
        let report = sync_at(&s, metric, sim_now()).await;

        let skipped: Vec<_> = report
            .ledger
            .accounts_skipped
            .iter()
            .map(|a| a.account.clone())
            .collect();
        assert_eq!(skipped, vec![denied.clone()]);
        assert_eq!(report.ledger.accounts_read, SUBACCOUNTS);
        let recorded = s.store.twilio_accounts(s.conn).await.unwrap();
        let account = recorded.iter().find(|a| a.sid.as_str() == denied).unwrap();
        let problem = account.access_problem.as_deref().unwrap_or("");
        assert!(
            problem.contains("cannot read this account") && problem.contains("HTTP 401"),
            "{problem}"
        );
        let (from, to) = whole_range(&s.dump);
        let stored = stored_per_account(s.store.as_ref(), metric, from, to).await;
        let mut expected = expected_per_account(&s.dump, from, to);
        expected.retain(|(sid, _, _), _| *sid != denied);
        assert_eq!(stored, expected, "every other account is stored");
    }

    crate::backend_tests!(
        closed_subaccount_keeps_history_and_is_not_requested,
        new_subaccount_backfills_at_the_next_sync,
        denied_subaccount_is_recorded_while_the_others_sync,
    );
}
