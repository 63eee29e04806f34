//! Which account is out of line, over stored hours of a multi-account metric on SQLite and
//! PostgreSQL: 100 accounts' composite buckets written straight into the store, one planted far
//! below the others. The median, MAD and z-score expected are worked out here from the test's
//! own values, never from `watch::outliers`.

mod support;

use app::outliers::account_outliers;
use domain::AccountSid;
use jiff::tz::TimeZone;
use metric::accounts::{AccountScope, compose};
use metric::definition::Unit;
use metric::range::LastUnit;
use metric::{Aggregation, NamedRange, Trend};
use store::{
    AccountStatus, AnyStore, BucketRow, ListedAccount, MetricId, NewMetric, Store,
    TwilioAccountStore,
};
use support::T0;

const HOUR_MS: i64 = 3_600_000;
const DAYS: i64 = 7;
const START: i64 = T0 - DAYS * 24 * HOUR_MS;
const ACCOUNTS: usize = 100;
/// The account whose delivery rate is far below the others'.
const PLANTED: usize = 42;
const PLANTED_RATE: f64 = 70.0;
/// An account with too few rows to judge, whatever its rate.
const TINY: usize = 77;
/// Rows per account per hour and per own dimension.
const ROWS: u64 = 3;

fn sid(i: usize) -> String {
    format!("AC{i:032x}")
}

/// Each account's delivery rate: spread between 93.5 % and 96.5 %, the planted one at 70 %.
fn rate(i: usize) -> f64 {
    if i == PLANTED {
        PLANTED_RATE
    } else {
        95.0 + ((i * 37 % 11) as f64 - 5.0) * 0.3
    }
}

/// A delivery-rate metric (an average, more is better) over every active account.
async fn rate_metric(s: &AnyStore, scope: AccountScope) -> MetricId {
    let entry = library::find("messages-sent-per-hour").expect("a library metric");
    let mut definition = entry.definition.clone();
    definition.accounts = scope;
    definition.description.name = "Delivery rate".into();
    definition.description.aggregation = Aggregation::Average;
    definition.description.favourable = Trend::Up;
    definition.description.format.unit = Unit::Percent;
    definition.description.format.currency = None;
    s.create_metric(
        &NewMetric {
            name: "Delivery rate".into(),
            connection_id: None,
            definition: definition.to_json_pretty(),
        },
        START,
    )
    .await
    .unwrap()
    .id
}

/// Every hour of the week for every account, under two own dimensions ("sms", "mms"), so the
/// account view has to add them; the tiny account has one hour only.
fn buckets() -> Vec<BucketRow> {
    let mut rows = Vec::new();
    for i in 0..ACCOUNTS {
        let hours = if i == TINY { 1 } else { DAYS * 24 };
        let value = if i == TINY { 5.0 } else { rate(i) };
        for h in 0..hours {
            for own in ["sms", "mms"] {
                let hour_ms = START + h * HOUR_MS;
                rows.push(BucketRow {
                    dimension: compose(&sid(i), Some(own)),
                    hour_ms,
                    sum: value * ROWS as f64,
                    count: ROWS as i64,
                    min: value,
                    max: value,
                    latest: value,
                    latest_at_ms: hour_ms,
                });
            }
        }
    }
    rows
}

async fn name_accounts(app: &app::App) {
    let c = support::connection(app, "parent").await;
    let listed: Vec<ListedAccount> = (0..ACCOUNTS)
        .map(|i| ListedAccount {
            sid: AccountSid::parse(&sid(i)).unwrap(),
            friendly_name: format!("Brand {i:03}"),
            status: AccountStatus::Active,
            is_parent: i == 0,
        })
        .collect();
    app.store()
        .record_account_listing(c.id, &listed, START)
        .await
        .unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn last_week() -> NamedRange {
    NamedRange::LastN(DAYS as u16, LastUnit::Days)
}

#[tokio::test]
async fn the_planted_account_ranks_first_and_is_flagged_against_the_median_and_mad() {
    // The judged accounts are every account but the tiny one; each one's average is its rate.
    let judged: Vec<f64> = (0..ACCOUNTS).filter(|&i| i != TINY).map(rate).collect();
    let med = median(judged.clone());
    let mad = median(judged.iter().map(|v| (v - med).abs()).collect());
    assert!(mad > 0.0, "the test's spread must not be degenerate");
    let expected_z = 0.6745 * (PLANTED_RATE - med) / mad;
    for b in support::backends("outliers_rank").await {
        name_accounts(&b.app).await;
        let s = b.app.store().as_ref();
        let m = rate_metric(s, AccountScope::Active).await;
        s.replace_window(m, START, T0, &buckets()).await.unwrap();
        support::good_run(s, m, START, T0).await;

        let out = account_outliers(s, m, &last_week(), &TimeZone::UTC, T0)
            .await
            .unwrap();
        let ranked = out.ranked.as_ref().expect("a ranking");
        assert!((ranked.median - med).abs() < 1e-9, "{}", b.name);
        let first = &ranked.rows[0];
        assert_eq!(first.account_sid, sid(PLANTED), "{}", b.name);
        assert_eq!(first.account, format!("Brand {PLANTED:03}"));
        assert!(
            (first.z - expected_z).abs() < 1e-6,
            "{} vs {expected_z}",
            first.z
        );
        assert!(first.out_of_line && first.unfavourable);
        assert_eq!(first.volume, ROWS * 2 * (DAYS * 24) as u64);
        assert_eq!(first.value_text, "70.0%");
        assert_eq!(out.flagged().count(), 1, "{}", b.name);
        assert_eq!(ranked.rows.len(), ACCOUNTS - 1);
    }
}

#[tokio::test]
async fn an_account_with_too_few_rows_is_listed_apart_and_not_ranked() {
    for b in support::backends("outliers_tiny").await {
        name_accounts(&b.app).await;
        let s = b.app.store().as_ref();
        let m = rate_metric(s, AccountScope::Active).await;
        s.replace_window(m, START, T0, &buckets()).await.unwrap();
        support::good_run(s, m, START, T0).await;

        let out = account_outliers(s, m, &last_week(), &TimeZone::UTC, T0)
            .await
            .unwrap();
        assert_eq!(out.too_few.len(), 1, "{}", b.name);
        assert_eq!(out.too_few[0].account_sid, sid(TINY));
        assert_eq!(out.too_few[0].volume, ROWS * 2);
        let ranked = out.ranked.as_ref().expect("a ranking");
        assert!(ranked.rows.iter().all(|r| r.account_sid != sid(TINY)));
    }
}

#[tokio::test]
async fn a_range_without_synced_hours_says_there_is_no_data() {
    for b in support::backends("outliers_empty").await {
        let s = b.app.store().as_ref();
        let m = rate_metric(s, AccountScope::Active).await;
        let out = account_outliers(s, m, &last_week(), &TimeZone::UTC, T0)
            .await
            .unwrap();
        assert!(!out.has_data, "{}", b.name);
        assert!(out.ranked.is_none() && out.too_few.is_empty());
    }
}

#[tokio::test]
async fn a_metric_of_one_account_is_refused_in_words() {
    for b in support::backends("outliers_single").await {
        let s = b.app.store().as_ref();
        let m = rate_metric(s, AccountScope::Connection).await;
        let err = account_outliers(s, m, &last_week(), &TimeZone::UTC, T0)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("reads only its connection's own account"),
            "{err}"
        );
    }
}
