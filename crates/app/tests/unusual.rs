//! "Unusual" alerts over stored hours, on SQLite and PostgreSQL: the evaluator and the
//! back-test agree instant for instant, the why names the dimension value the test injected,
//! and a metric with two weeks of history is learning. Where an incident is, and its values,
//! come from the test's own data, never from the model.

mod support;

use jiff::{SignedDuration, Timestamp};
use metric::Aggregation;
use store::{
    AlertRow, BucketRow, DeliverySource, NewAlert, NewChannel, Store as _, WatchStore as _,
};
use support::{T0, backends, connection, metric};
use watch::alert::Transition;
use watch::unusual::{Sensitivity, UnusualDirection, UnusualRule};
use watch::{AlertSpec, ChannelConfig, Zone};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The stored history: 70 days up to T0.
const DAYS: i64 = 70;
const START: i64 = T0 - DAYS * DAY;
/// Hours from START of the incidents: day 63 at 14:00 and day 65 at 10:00 (business hours).
const SPIKE: i64 = 63 * 24 + 14;
const SECOND: i64 = 65 * 24 + 10;

/// A count with a business-hours rhythm, quieter weekends and a deterministic wobble.
fn usual(hour: i64, salt: u64) -> f64 {
    let of_day = hour.rem_euclid(24);
    let weekday = (hour / 24).rem_euclid(7) < 5;
    let base = if (8..18).contains(&of_day) {
        60.0
    } else {
        20.0
    };
    let base = if weekday { base } else { base * 0.5 };
    let mut x = (hour as u64 ^ salt)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    x ^= x >> 33;
    (base + (x % 7) as f64 - 3.0).round()
}

/// Error code 30003 keeps its rhythm; 30007 (carrier filtering) jumps eightfold at `incidents`.
fn value(dimension: &str, hour: i64, incidents: &[i64]) -> f64 {
    match dimension {
        "30003" => usual(hour, 1),
        _ if incidents.contains(&hour) => usual(hour, 2) * 8.0,
        _ => usual(hour, 2),
    }
}

fn row(dimension: &str, hour: i64, v: f64) -> BucketRow {
    let ms = START + hour * HOUR;
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms: ms,
        sum: v,
        count: 1,
        min: v,
        max: v,
        latest: v,
        latest_at_ms: ms,
    }
}

/// A metric holding `days` of both error codes' hours from START, covered by a good sync.
async fn undelivered(app: &app::App, days: i64, incidents: &[i64]) -> store::StoredMetric {
    let c = connection(app, "main").await;
    let m = metric(app, "Undelivered messages", &c).await;
    let rows: Vec<BucketRow> = (0..days * 24)
        .flat_map(|h| {
            ["30003", "30007"]
                .into_iter()
                .map(move |d| row(d, h, value(d, h, incidents)))
        })
        .collect();
    let s = app.store();
    let end = START + days * DAY;
    s.replace_window(m.id, START, end, &rows).await.unwrap();
    support::good_run(s, m.id, START, end).await;
    m
}

fn rule(cooldown_hours: i64) -> UnusualRule {
    UnusualRule {
        aggregation: Aggregation::Sum,
        dimension: None,
        sensitivity: Sensitivity::Medium,
        direction: UnusualDirection::Up,
        cooldown: SignedDuration::from_hours(cooldown_hours),
    }
}

async fn alert(app: &app::App, m: &store::StoredMetric, rule: UnusualRule) -> AlertRow {
    let hook = app
        .store()
        .create_channel(
            &NewChannel {
                name: "hook".into(),
                config: ChannelConfig::Webhook {
                    url: "https://hooks.example.com/switchboard".into(),
                },
                secret: Some(domain::Secret::new("k")),
            },
            T0,
        )
        .await
        .unwrap();
    app.store()
        .create_alert(
            &NewAlert {
                name: "Undelivered unusual".into(),
                metric_id: m.id,
                spec: AlertSpec::Unusual {
                    rule,
                    zone: Zone::utc(),
                },
                enabled: true,
                channels: vec![hook.id],
            },
            T0,
        )
        .await
        .unwrap()
}

fn at(hour: i64) -> i64 {
    START + hour * HOUR
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evaluator_every_hour_fires_and_resolves_at_the_back_tests_instants() {
    for b in backends("unusual_agree").await {
        let m = undelivered(&b.app, DAYS, &[SPIKE, SECOND]).await;
        let a = alert(&b.app, &m, rule(0)).await;
        let (from, to) = (at(62 * 24), at(67 * 24));
        let report = b
            .app
            .backtest_unusual(app::watching::UnusualBacktestInput {
                metric_id: m.id.0,
                rule: rule(0),
                from: Some(ts(from)),
                to: Some(ts(to)),
            })
            .await
            .unwrap();
        let mut fired = Vec::new();
        let mut resolved = Vec::new();
        let mut now = from;
        while now <= to {
            let current = b.app.store().alert(a.id).await.unwrap();
            match app::evaluate::evaluate_alert(b.app.store().as_ref(), &current, now)
                .await
                .unwrap()
            {
                Transition::Fire => fired.push(ts(now)),
                Transition::Resolve => resolved.push(ts(now)),
                Transition::Nothing => {}
            }
            now += HOUR;
        }
        // Each incident is judged once its hour is complete.
        let expected = vec![ts(at(SPIKE + 1)), ts(at(SECOND + 1))];
        assert_eq!(fired, expected, "{}: live", b.name);
        assert_eq!(
            report.firings.iter().map(|f| f.at).collect::<Vec<_>>(),
            expected,
            "{}: back-test",
            b.name
        );
        assert_eq!(
            resolved,
            report
                .firings
                .iter()
                .filter_map(|f| f.resolved_at)
                .collect::<Vec<_>>(),
            "{}",
            b.name
        );
        // Each clears once no window holds its spike in its last quarter: within a quarter of
        // the longest (24-hour) window.
        assert_eq!(resolved.len(), 2, "{}: {resolved:?}", b.name);
        for (r, spike) in resolved.iter().zip([SPIKE, SECOND]) {
            assert!(
                *r >= ts(at(spike + 2)) && *r <= ts(at(spike + 1 + 24 / 4)),
                "{}: resolved at {r}",
                b.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_names_the_injected_error_code_and_its_message_carries_the_band() {
    for b in backends("unusual_why").await {
        let m = undelivered(&b.app, DAYS, &[SPIKE]).await;
        let a = alert(&b.app, &m, rule(6)).await;
        let t = app::evaluate::evaluate_alert(b.app.store().as_ref(), &a, at(SPIKE + 1))
            .await
            .unwrap();
        assert_eq!(t, Transition::Fire, "{}", b.name);
        let observed = value("30003", SPIKE, &[]) + value("30007", SPIKE, &[SPIKE]);
        let events = b.app.store().alert_events(a.id, 10).await.unwrap();
        let ev = &events[0].event;
        assert_eq!(ev.current, Some(observed));
        assert_eq!(ev.range, Some((at(SPIKE), at(SPIKE + 1))));
        assert!(
            ev.message.starts_with(&format!(
                "Undelivered messages is {observed} in the hour to 15:00 UTC against "
            )),
            "{}: {}",
            b.name,
            ev.message
        );
        assert!(ev.message.contains(": “30007” explains "), "{}", ev.message);
        let d = b
            .app
            .store()
            .deliveries(Some(DeliverySource::Alert(a.id)), 10)
            .await
            .unwrap();
        let data = &d[0].message["data"];
        assert_eq!(data["current"], observed);
        let (lower, expected, upper) = (
            data["lower"].as_f64().unwrap(),
            data["expected"].as_f64().unwrap(),
            data["upper"].as_f64().unwrap(),
        );
        assert!(
            lower <= expected && expected < upper && upper < observed,
            "{data}"
        );
        assert_eq!(data["previous"].as_f64(), Some(expected));
        assert_eq!(data["why"][0]["dimension"], "30007", "{data}");
        assert!(data["why"][0]["share"].as_f64().unwrap() > 0.9, "{data}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metric_with_two_weeks_of_history_is_learning_and_does_not_fire() {
    for b in backends("unusual_learning").await {
        let spike = 14 * 24 + 14;
        let m = undelivered(&b.app, 15, &[spike]).await;
        let a = alert(&b.app, &m, rule(0)).await;
        let now = at(spike + 1);
        let learning = app::unusual::learning(b.app.store().as_ref(), m.id, &rule(0), now)
            .await
            .unwrap();
        assert_eq!(learning, Some((14 * 24, 21 * 24)), "{}", b.name);
        let t = app::evaluate::evaluate_alert(b.app.store().as_ref(), &a, now)
            .await
            .unwrap();
        assert_eq!(t, Transition::Nothing, "{}", b.name);
        assert!(
            b.app
                .store()
                .alert_events(a.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_test_of_a_metric_that_does_not_exist_is_refused_on_its_field() {
    for b in backends("unusual_refused").await {
        let e = b
            .app
            .backtest_unusual(app::watching::UnusualBacktestInput {
                metric_id: 999,
                rule: rule(0),
                from: None,
                to: None,
            })
            .await
            .unwrap_err();
        assert!(
            matches!(
                &e,
                app::AppError::Invalid {
                    field: "metric_id",
                    ..
                }
            ),
            "{}: {e:?}",
            b.name
        );
    }
}
