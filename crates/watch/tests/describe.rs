//! The words shown for rules, statuses and schedules, from specs written as the API takes them.

use serde_json::json;
use watch::describe;
use watch::{AlertSpec, Schedule, Status};

fn spec(v: serde_json::Value) -> AlertSpec {
    serde_json::from_value(v).expect("alert spec")
}

/// The caller's formatter stands in for the metric's: it marks where numbers go.
fn marked(v: f64) -> String {
    format!("<{v}>")
}

#[test]
fn a_stale_sync_alert_reads_as_stale_after_its_hours() {
    let s = spec(json!({"watch": "sync", "builtin": {"kind": "stale", "after_ms": 21_600_000}}));
    assert_eq!(describe::rule(&s, &marked), "stale after 6 hours");
}

#[test]
fn a_value_alert_reads_aggregation_condition_range_and_cool_down_with_the_number_formatted() {
    let s = spec(
        json!({"watch": "value", "zone": "UTC", "rule": {"aggregation": "sum",
        "dimension": null, "condition": {"kind": "above", "threshold": 100.0},
        "range": "last24_hours", "cooldown": "PT1H"}}),
    );
    assert_eq!(
        describe::rule(&s, &marked),
        "sum above <100> over the last day; quiet for 1 hour after firing"
    );
}

#[test]
fn a_change_alert_on_one_dimension_names_it_and_has_no_quiet_part_without_a_cool_down() {
    let s = spec(
        json!({"watch": "value", "zone": "UTC", "rule": {"aggregation": "average",
        "dimension": "US", "condition": {"kind": "changed_by_percent", "percent": 20.0},
        "range": "today", "cooldown": "PT0S"}}),
    );
    assert_eq!(
        describe::rule(&s, &marked),
        "average changes by more than 20% against the period before today, only “US”"
    );
}

#[test]
fn goal_statuses_read_as_words() {
    let all = [
        (Status::NotStarted, "Not started"),
        (Status::OnTrack, "On track"),
        (Status::AtRisk, "At risk"),
        (Status::OffTrack, "Behind"),
        (Status::Achieved, "Achieved"),
        (Status::Missed, "Missed"),
        (Status::NoData, "No data"),
    ];
    for (s, words) in all {
        assert_eq!(describe::status(s), words);
    }
}

#[test]
fn durations_use_the_largest_whole_unit() {
    assert_eq!(describe::duration_ms(2 * 86_400_000), "2 days");
    assert_eq!(describe::duration_ms(3_600_000), "1 hour");
    assert_eq!(describe::duration_ms(5_400_000), "1 hour 30 minutes");
    assert_eq!(describe::duration_ms(1_800_000), "30 minutes");
}

#[test]
fn a_weekly_schedule_names_its_day_and_time() {
    let s: Schedule = serde_json::from_value(
        json!({"frequency": {"kind": "weekly", "day": "monday"}, "at": "08:00:00"}),
    )
    .unwrap();
    assert_eq!(describe::schedule(&s), "weekly on Monday at 08:00");
}

#[test]
fn the_why_names_at_most_three_values_and_none_below_five_percent() {
    use watch::unusual::Contribution;
    let c = |d: &str, share: f64| Contribution {
        dimension: d.into(),
        observed: 0.0,
        expected: 0.0,
        share,
    };
    assert_eq!(
        watch::describe::why(&[c("30007", 0.916), c("30003", 0.06), c("21610", 0.024)]),
        "“30007” explains 92%, “30003” explains 6%"
    );
    assert_eq!(watch::describe::why(&[]), "");
}
