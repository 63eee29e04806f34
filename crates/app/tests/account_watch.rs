//! Alerts and goals over a metric of several Twilio accounts, on SQLite and PostgreSQL: buckets
//! written under composite dimensions (account and own dimension) for two accounts, an alert
//! "for any account" firing naming exactly the account below the threshold and resolving, and
//! a goal over one account counting only that account. Expected values come from the rows the
//! test wrote.

mod support;

use app::{AlertInput, AppError, GoalInput};
use metric::accounts::compose;
use serde_json::json;
use store::{
    AccountStatus, AlertEventKind, BucketRow, ListedAccount, Store as _, TwilioAccountStore as _,
    WatchStore as _,
};
use support::{T0, backends, connection, metric};

const HOUR_MS: i64 = 3_600_000;
const PARENT: &str = "AC0123456789abcdef0123456789abcdef";
const BRAND_B: &str = "AC00000000000000000000000000000b02";

/// Delivery rate per account and hour (from T0), in percent.
const RATES: [(&str, [f64; 2]); 2] = [(PARENT, [95.0, 96.0]), (BRAND_B, [85.0, 93.0])];

fn bucket(dimension: String, hour_ms: i64, v: f64) -> BucketRow {
    BucketRow {
        dimension,
        hour_ms,
        sum: v,
        count: 1,
        min: v,
        max: v,
        latest: v,
        latest_at_ms: hour_ms,
    }
}

/// Two accounts named by a listing, and a metric with each one's rate per hour.
async fn seed(app: &app::App) -> store::StoredMetric {
    let store = app.store();
    let c = connection(app, "prod").await;
    let listed = |sid: &str, name: &str| ListedAccount {
        sid: sid.parse().unwrap(),
        friendly_name: name.into(),
        status: AccountStatus::Active,
        is_parent: sid == PARENT,
    };
    store
        .record_account_listing(
            c.id,
            &[listed(PARENT, "Parent"), listed(BRAND_B, "Brand B")],
            T0,
        )
        .await
        .unwrap();
    let m = metric(app, "Delivery rate", &c).await;
    let mut rows = Vec::new();
    for (sid, rates) in RATES {
        for (h, rate) in rates.iter().enumerate() {
            rows.push(bucket(
                compose(sid, Some("sms")),
                T0 + h as i64 * HOUR_MS,
                *rate,
            ));
        }
    }
    store
        .replace_window(m.id, T0, T0 + 2 * HOUR_MS, &rows)
        .await
        .unwrap();
    m
}

fn below_90(extra: serde_json::Value) -> watch::AlertSpec {
    let mut rule = json!({"aggregation": "average", "dimension": null,
        "condition": {"kind": "below", "threshold": 90.0}, "range": "last_hour",
        "cooldown": "PT0S"});
    rule.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(json!({"watch": "value", "zone": "UTC", "rule": rule})).unwrap()
}

fn alert_input(metric: i64, spec: watch::AlertSpec) -> AlertInput {
    AlertInput {
        name: "Delivery below 90 %".into(),
        metric_id: metric,
        spec,
        enabled: true,
        channels: Vec::new(),
        silent: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_for_any_account_fires_naming_the_breaching_account_and_resolves() {
    for b in backends("account_alert").await {
        let app = &b.app;
        let m = seed(app).await;
        let alert = app
            .create_alert(alert_input(m.id.0, below_90(json!({"per_account": true}))))
            .await
            .unwrap();
        // The hour from T0: only Brand B is below 90.
        let first_hour_b = RATES[1].1[0];
        let at = T0 + HOUR_MS + 300_000;
        let t = app::evaluate::evaluate_alert(app.store().as_ref(), &alert, at)
            .await
            .unwrap();
        assert_eq!(t, watch::Transition::Fire, "{}", b.name);
        let events = app.store().alert_events(alert.id, 10).await.unwrap();
        let fired = &events[0].event;
        assert_eq!(fired.kind, AlertEventKind::Fired);
        assert!(
            fired
                .message
                .contains(&format!("breaching: Brand B {first_hour_b}")),
            "{}: {}",
            b.name,
            fired.message
        );
        assert!(!fired.message.contains("Parent"), "{}", fired.message);

        // The next hour every account is at 90 or more: resolved.
        let alert = app.store().alert(alert.id).await.unwrap();
        let t = app::evaluate::evaluate_alert(app.store().as_ref(), &alert, at + HOUR_MS)
            .await
            .unwrap();
        assert_eq!(t, watch::Transition::Resolve, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_over_the_accounts_together_does_not_fire_for_one_account() {
    for b in backends("account_total").await {
        let app = &b.app;
        let m = seed(app).await;
        let alert = app
            .create_alert(alert_input(m.id.0, below_90(json!({}))))
            .await
            .unwrap();
        // The average over both accounts' first hour is above 90.
        let together = (RATES[0].1[0] + RATES[1].1[0]) / 2.0;
        assert!(together >= 90.0);
        let t = app::evaluate::evaluate_alert(app.store().as_ref(), &alert, T0 + HOUR_MS + 1)
            .await
            .unwrap();
        assert_eq!(t, watch::Transition::Nothing, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_naming_a_malformed_account_is_refused() {
    for b in backends("account_refused").await {
        let app = &b.app;
        let m = seed(app).await;
        let refused = app
            .create_alert(alert_input(m.id.0, below_90(json!({"accounts": ["AC1"]}))))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid { message, .. } if message.contains("entry 0")),
            "{refused:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_over_one_account_counts_only_that_account() {
    for b in backends("account_goal").await {
        let app = &b.app;
        let m = seed(app).await;
        let spec: watch::GoalSpec = serde_json::from_value(json!({
            "goal": {"target": 1000.0, "criterion": "reach", "trend": "up",
                "period": {"kind": "calendar", "unit": "month", "start": "2026-01-01",
                "repeat": true}},
            "aggregation": "sum", "zone": "UTC", "accounts": [BRAND_B]}))
        .unwrap();
        let goal = app
            .create_goal(GoalInput {
                name: "Brand B".into(),
                metric_id: m.id.0,
                spec,
            })
            .await
            .unwrap();
        let now = T0 + 3 * HOUR_MS;
        let period = goal
            .spec
            .goal
            .period
            .at(
                jiff::Timestamp::from_millisecond(now).unwrap(),
                &jiff::tz::TimeZone::UTC,
            )
            .unwrap();
        let progress = app::evaluate::goal_progress(app.store().as_ref(), &goal, period, now)
            .await
            .unwrap();
        let brand_b: f64 = RATES[1].1.iter().sum();
        assert_eq!(progress.current, Some(brand_b), "{}", b.name);
    }
}
