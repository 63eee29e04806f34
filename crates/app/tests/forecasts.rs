//! Period-end forecasts over stored hours, on both backends: a synthetic series with a known
//! weekly rhythm, so what the rest of the month adds is the test's own sum of that rhythm.

mod support;

use app::forecast::{ForecastPeriod, Outlook, period_forecast};
use jiff::tz::TimeZone;
use store::{MetricId, NewMetric, Point, Store, StoredMetric, WatchStore};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-03-01T00:00:00Z (the support clock's start).
const MARCH: i64 = support::T0;
const APRIL: i64 = MARCH + 31 * DAY_MS;
/// Wednesday 18 March, 12:00 UTC.
const NOW: i64 = MARCH + 17 * DAY_MS + 12 * HOUR_MS;

/// Busy weekday working hours, quiet nights and weekends.
fn rhythm(hour_ms: i64) -> f64 {
    let hours = hour_ms.div_euclid(HOUR_MS);
    let hour_of_day = hours.rem_euclid(24);
    let weekday = (hours.div_euclid(24) + 3).rem_euclid(7);
    let busy = (9..18).contains(&hour_of_day) && weekday < 5;
    (if weekday < 5 { 12.0 } else { 3.0 }) + if busy { 40.0 } else { 0.0 }
}

fn sum(from_ms: i64, to_ms: i64) -> f64 {
    (0..(to_ms - from_ms) / HOUR_MS)
        .map(|i| rhythm(from_ms + i * HOUR_MS))
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01 * b.abs().max(1.0)
}

/// A library metric with the rhythm stored for every hour of `[from_ms, to_ms)`, synced over
/// that span.
async fn metric_with_rhythm(s: &store::AnyStore, slug: &str, from_ms: i64, to_ms: i64) -> MetricId {
    let entry = library::find(slug).expect("a library metric");
    let m: StoredMetric = s
        .create_metric(
            &NewMetric {
                // Two metrics of one library entry may share a store.
                name: format!("{} from {from_ms}", entry.definition.description.name),
                connection_id: None,
                definition: entry.definition.to_json_pretty(),
            },
            from_ms,
        )
        .await
        .unwrap();
    let points: Vec<Point> = (0..(to_ms - from_ms) / HOUR_MS)
        .map(|i| Point {
            dimension: String::new(),
            at_ms: from_ms + i * HOUR_MS,
            value: rhythm(from_ms + i * HOUR_MS),
        })
        .collect();
    s.add_points(m.id, &points).await.unwrap();
    support::good_run(s, m.id, from_ms, to_ms).await;
    m.id
}

#[tokio::test]
async fn a_month_forecast_adds_the_rest_of_the_months_rhythm_to_what_the_store_holds() {
    for b in support::backends("forecast_month").await {
        let s = b.app.store().as_ref();
        let m = metric_with_rhythm(s, "messages-sent-per-hour", MARCH - 70 * DAY_MS, NOW).await;
        let f = period_forecast(s, m, None, ForecastPeriod::Month, None, &TimeZone::UTC, NOW)
            .await
            .unwrap();
        assert_eq!((f.start_ms, f.end_ms), (MARCH, APRIL), "{}", b.name);
        let so_far = sum(MARCH, NOW);
        assert_eq!(f.so_far, Some(so_far), "{}", b.name);
        let Outlook::Ready(p) = &f.outlook else {
            panic!("{}: ten weeks of history, got {:?}", b.name, f.outlook);
        };
        let whole = so_far + sum(NOW, APRIL);
        assert!(
            close(p.total.value, whole),
            "{}: {} vs {whole}",
            b.name,
            p.total.value
        );
        assert!(p.total.lower <= p.total.value && p.total.value <= p.total.upper);
        assert_eq!(p.days.len(), 31, "{}", b.name);
        // Days over hold what the store holds; today and later are projected.
        assert_eq!(p.days[16].actual, Some(sum(MARCH, MARCH + 17 * DAY_MS)));
        assert_eq!(p.days[17].actual, None);
        assert!(f.budget.is_none(), "no budget asked");
    }
}

#[tokio::test]
async fn a_week_forecast_in_a_zone_runs_from_that_zones_monday() {
    for b in support::backends("forecast_week").await {
        let s = b.app.store().as_ref();
        let m = metric_with_rhythm(s, "messages-sent-per-hour", MARCH - 70 * DAY_MS, NOW).await;
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let f = period_forecast(s, m, None, ForecastPeriod::Week, None, &tokyo, NOW)
            .await
            .unwrap();
        // Monday 16 March 00:00 in Tokyo is Sunday 15 March 15:00 UTC.
        let monday = MARCH + 14 * DAY_MS + 15 * HOUR_MS;
        assert_eq!(
            (f.start_ms, f.end_ms),
            (monday, monday + 7 * DAY_MS),
            "{}",
            b.name
        );
        assert_eq!(f.so_far, Some(sum(monday, NOW)), "{}", b.name);
        let Outlook::Ready(p) = &f.outlook else {
            panic!("{}: {:?}", b.name, f.outlook)
        };
        assert!(close(p.total.value, sum(monday, monday + 7 * DAY_MS)));
        assert_eq!(p.days.len(), 7);
    }
}

#[tokio::test]
async fn a_metric_with_two_weeks_of_history_is_learning_and_projects_nothing() {
    for b in support::backends("forecast_learning").await {
        let s = b.app.store().as_ref();
        let day = NOW - 12 * HOUR_MS;
        let m = metric_with_rhythm(s, "messages-sent-per-hour", day - 14 * DAY_MS, NOW).await;
        let f = period_forecast(s, m, None, ForecastPeriod::Month, None, &TimeZone::UTC, NOW)
            .await
            .unwrap();
        assert_eq!(
            f.outlook,
            Outlook::Learning {
                hours: 14 * 24,
                needed: 21 * 24
            },
            "{}",
            b.name
        );
        assert_eq!(
            Outlook::learning_text(14 * 24, 21 * 24),
            "learning: 14 of 21 days"
        );
        // What is known is still shown.
        assert_eq!(
            f.so_far,
            Some(sum(day - 14 * DAY_MS, NOW).min(sum(MARCH, NOW)))
        );
    }
}

#[tokio::test]
async fn an_average_cannot_be_forecast_and_says_why() {
    for b in support::backends("forecast_average").await {
        let s = b.app.store().as_ref();
        let m = metric_with_rhythm(s, "average-call-duration", MARCH - 70 * DAY_MS, NOW).await;
        let err = period_forecast(s, m, None, ForecastPeriod::Month, None, &TimeZone::UTC, NOW)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("is an average") && text.contains("only a sum or a count"),
            "{}: {text}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_spend_budget_says_the_day_the_projected_path_reaches_it_and_the_trigger() {
    for b in support::backends("forecast_budget").await {
        let s = b.app.store().as_ref();
        let m = metric_with_rhythm(s, "messaging-spend", MARCH - 70 * DAY_MS, NOW).await;
        // Reached once the running total passes so far + half of the rest of the month.
        let budget = sum(MARCH, NOW) + sum(NOW, APRIL) / 2.0;
        let mut hour = MARCH;
        let mut total = 0.0;
        while total < budget {
            total += rhythm(hour);
            hour += HOUR_MS;
        }
        let f = period_forecast(
            s,
            m,
            None,
            ForecastPeriod::Month,
            Some(budget),
            &TimeZone::UTC,
            NOW,
        )
        .await
        .unwrap();
        let outlook = f.budget.expect("a spend metric with a budget");
        let at = outlook
            .reached_ms
            .expect("the month's total passes the budget");
        assert!(
            (at - hour).abs() <= 6 * HOUR_MS,
            "{}: {at} vs {hour}",
            b.name
        );
        assert_eq!(outlook.trigger.usage_category, "totalprice");
        assert_eq!(outlook.trigger.trigger_value, format!("{budget:.2}"));
        assert_eq!(outlook.trigger.recurring, Some("monthly"));
    }
}

#[tokio::test]
async fn a_goal_to_reach_a_sum_projects_with_the_forecast_once_the_model_is_ready() {
    for b in support::backends("forecast_goal").await {
        let s = b.app.store().as_ref();
        let ready = metric_with_rhythm(s, "messages-sent-per-hour", MARCH - 70 * DAY_MS, NOW).await;
        let young = metric_with_rhythm(
            s,
            "messages-sent-per-hour",
            NOW - 12 * HOUR_MS - 14 * DAY_MS,
            NOW,
        )
        .await;
        let spec = |target: f64| watch::GoalSpec {
            accounts: None,
            goal: watch::Goal {
                target,
                criterion: watch::Criterion::Reach,
                trend: metric::Trend::Up,
                period: watch::GoalPeriod::Calendar {
                    unit: watch::PeriodUnit::Month,
                    start: jiff::civil::date(2026, 3, 1),
                    repeat: true,
                },
            },
            aggregation: metric::Aggregation::Sum,
            dimension: None,
            zone: watch::Zone::utc(),
        };
        let whole = sum(MARCH, APRIL);
        for (metric, basis) in [
            (ready, watch::ProjectionBasis::Forecast),
            (young, watch::ProjectionBasis::Pace),
        ] {
            let goal = s
                .create_goal(
                    &store::NewGoal {
                        name: format!("goal {}", metric.0),
                        metric_id: metric,
                        spec: spec(whole),
                    },
                    NOW,
                )
                .await
                .unwrap();
            let period = goal
                .spec
                .goal
                .period
                .at(
                    jiff::Timestamp::from_millisecond(NOW).unwrap(),
                    &TimeZone::UTC,
                )
                .unwrap();
            let p = app::evaluate::goal_progress(s, &goal, period, NOW)
                .await
                .unwrap();
            assert_eq!(p.basis, basis, "{}", b.name);
            match basis {
                watch::ProjectionBasis::Forecast => {
                    let v = p.projection.unwrap();
                    assert!(close(v, whole), "{}: {v} vs {whole}", b.name);
                    assert_eq!(p.status, watch::Status::OnTrack);
                }
                _ => {
                    let elapsed = (NOW - MARCH) as f64 / (APRIL - MARCH) as f64;
                    let so_far = p.current.unwrap();
                    assert!((p.projection.unwrap() - so_far / elapsed).abs() < 1e-6);
                }
            }
        }
    }
}
