//! Goals, alerts, schedules and scorecard rows against values worked out by hand in the comments.

use jiff::civil::{Time, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use metric::{Aggregation, HourBucket, Interval, Trend, Verdict};
use watch::alert::{
    AlertRule, AlertState, Condition, EvalRange, Phase, Transition, backtest, evaluate, step,
};
use watch::goal::{
    Criterion, EndForecast, Goal, GoalPeriod, PeriodUnit, ProjectionBasis, Status, progress,
    progress_with,
};
use watch::schedule::{Day, Frequency, Schedule};
use watch::scorecard::{Baseline, row};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn utc() -> TimeZone {
    TimeZone::UTC
}

fn lj() -> TimeZone {
    TimeZone::get("Europe/Ljubljana").unwrap()
}

fn bucket(hour: &str, dimension: Option<&str>, value: f64) -> HourBucket {
    let ms = t(hour).as_millisecond();
    HourBucket {
        hour: ms,
        dimension: dimension.map(str::to_owned),
        sum: value,
        count: 1,
        min: value,
        max: value,
        latest: value,
        latest_at: ms,
    }
}

/// One bucket per hour of `[from, from + hours)`, valued by `f(hour index)`.
fn hourly(from: &str, hours: i64, f: impl Fn(i64) -> f64) -> Vec<HourBucket> {
    let start = t(from).as_millisecond();
    (0..hours)
        .map(|i| {
            let ms = start + i * 3_600_000;
            let v = f(i);
            HourBucket {
                hour: ms,
                dimension: None,
                sum: v,
                count: 1,
                min: v,
                max: v,
                latest: v,
                latest_at: ms,
            }
        })
        .collect()
}

// ---------------------------------------------------------------- goal periods

#[test]
fn a_repeating_monthly_goal_is_in_the_month_containing_now() {
    let p = GoalPeriod::Calendar {
        unit: PeriodUnit::Month,
        start: date(2026, 1, 15),
        repeat: true,
    };
    let now = p.at(t("2026-03-10T12:00:00Z"), &utc()).unwrap();
    // January is occurrence 0, so March is 2.
    assert_eq!(now.index, 2);
    assert_eq!(now.start, t("2026-03-01T00:00:00Z"));
    assert_eq!(now.end, t("2026-04-01T00:00:00Z"));
}

#[test]
fn a_goal_that_does_not_repeat_stays_on_its_one_period() {
    let p = GoalPeriod::Calendar {
        unit: PeriodUnit::Month,
        start: date(2026, 1, 15),
        repeat: false,
    };
    let later = p.at(t("2026-05-10T12:00:00Z"), &utc()).unwrap();
    assert_eq!(later.index, 0);
    assert_eq!(later.end, t("2026-02-01T00:00:00Z"));
}

#[test]
fn a_quarter_starts_at_local_midnight_across_dst() {
    let p = GoalPeriod::Calendar {
        unit: PeriodUnit::Quarter,
        start: date(2026, 2, 10),
        repeat: false,
    };
    let q = p.at(t("2026-02-10T00:00:00Z"), &lj()).unwrap();
    // 1 January at 00:00 CET (+01) and 1 April at 00:00 CEST (+02).
    assert_eq!(q.start, t("2025-12-31T23:00:00Z"));
    assert_eq!(q.end, t("2026-03-31T22:00:00Z"));
}

#[test]
fn a_repeating_custom_span_repeats_its_length_in_days() {
    let p = GoalPeriod::Custom {
        start: date(2026, 1, 1),
        end: date(2026, 1, 11),
        repeat: true,
    };
    // 10-day spans: 1-11, 11-21, 21-31 January.
    let now = p.at(t("2026-01-25T08:00:00Z"), &utc()).unwrap();
    assert_eq!(now.index, 2);
    assert_eq!(now.start, t("2026-01-21T00:00:00Z"));
    assert_eq!(now.end, t("2026-01-31T00:00:00Z"));
    let empty = GoalPeriod::Custom {
        start: date(2026, 1, 11),
        end: date(2026, 1, 11),
        repeat: false,
    };
    assert!(empty.validate().is_err());
}

#[test]
fn history_lists_finished_periods_newest_first() {
    let p = GoalPeriod::Calendar {
        unit: PeriodUnit::Week,
        start: date(2026, 1, 7), // a Wednesday: its week starts Monday 5 January
        repeat: true,
    };
    let done = p.finished(t("2026-01-21T10:00:00Z"), &utc(), 10).unwrap();
    let starts: Vec<_> = done.iter().map(|p| (p.index, p.start)).collect();
    assert_eq!(
        starts,
        vec![
            (1, t("2026-01-12T00:00:00Z")),
            (0, t("2026-01-05T00:00:00Z"))
        ]
    );
    assert_eq!(
        p.finished(t("2026-01-21T10:00:00Z"), &utc(), 1)
            .unwrap()
            .len(),
        1
    );
}

// ---------------------------------------------------------------- goal progress

fn april_goal(target: f64, criterion: Criterion, trend: Trend) -> (Goal, watch::Period) {
    let goal = Goal {
        target,
        criterion,
        trend,
        period: GoalPeriod::Calendar {
            unit: PeriodUnit::Month,
            start: date(2026, 4, 1),
            repeat: false,
        },
    };
    let period = goal.period.at(t("2026-04-01T00:00:00Z"), &utc()).unwrap();
    (goal, period)
}

#[test]
fn without_a_forecast_a_reach_goal_projects_at_the_current_pace() {
    let (goal, period) = april_goal(1000.0, Criterion::Reach, Trend::Up);
    let now = t("2026-04-10T00:00:00Z");
    let p = progress_with(&goal, period, Some(250.0), now, None);
    assert_eq!(p, progress(&goal, period, Some(250.0), now));
    assert_eq!(p.basis, ProjectionBasis::Pace);
    assert_eq!(p.projection_band, None);
    assert_eq!(
        watch::describe::projection(&p, &|v| format!("{v:.0}")).as_deref(),
        Some("833 at the current pace")
    );
}

#[test]
fn a_reach_goal_with_a_forecast_projects_and_is_judged_by_the_forecast() {
    let (goal, period) = april_goal(1000.0, Criterion::Reach, Trend::Up);
    let now = t("2026-04-10T00:00:00Z");
    // 250 so far is behind the straight line (833 at this pace), but a forecast that knows
    // the rest of the month is busier says 1,050: on track.
    let forecast = EndForecast {
        value: 1050.0,
        lower: 990.0,
        upper: 1110.0,
    };
    let p = progress_with(&goal, period, Some(250.0), now, Some(forecast));
    assert_eq!(p.basis, ProjectionBasis::Forecast);
    assert_eq!(p.projection, Some(1050.0));
    assert_eq!(p.projection_band, Some((990.0, 1110.0)));
    assert_eq!(p.status, Status::OnTrack);
    assert!(
        (p.expected - 300.0).abs() < 1e-9,
        "the line to the target is kept"
    );
    assert_eq!(
        watch::describe::projection(&p, &|v| format!("{v:.0}")).as_deref(),
        Some("1050 forecast (990 – 1110)")
    );
    // A forecast short of the target by more than the 10 % band is behind.
    let short = EndForecast {
        value: 850.0,
        lower: 800.0,
        upper: 900.0,
    };
    assert_eq!(
        progress_with(&goal, period, Some(320.0), now, Some(short)).status,
        Status::OffTrack
    );
}

#[test]
fn a_forecast_is_ignored_outside_the_running_period_and_for_stay_goals() {
    let (goal, period) = april_goal(1000.0, Criterion::Reach, Trend::Up);
    let f = Some(EndForecast {
        value: 2000.0,
        lower: 1900.0,
        upper: 2100.0,
    });
    let end = t("2026-05-01T00:00:00Z");
    let done = progress_with(&goal, period, Some(999.0), end, f);
    assert_eq!(
        (done.basis, done.status),
        (ProjectionBasis::Pace, Status::Missed)
    );
    let (below, period) = april_goal(5.0, Criterion::StayBelow, Trend::Down);
    let now = t("2026-04-10T00:00:00Z");
    let p = progress_with(&below, period, Some(4.0), now, f);
    assert_eq!(
        (p.basis, p.projection),
        (ProjectionBasis::Current, Some(4.0))
    );
}

#[test]
fn reach_goal_pace_and_projection() {
    let (goal, period) = april_goal(1000.0, Criterion::Reach, Trend::Up);
    // 9 of April's 30 days have passed: 0.3 of the period.
    let now = t("2026-04-10T00:00:00Z");
    let p = progress(&goal, period, Some(250.0), now);
    assert!((p.elapsed - 0.3).abs() < 1e-12);
    assert_eq!(p.progress, Some(0.25));
    assert!((p.expected - 300.0).abs() < 1e-9);
    // 250 / 0.3 = 833.33: 166.67 short, more than the 100 (10 %) band.
    assert!((p.projection.unwrap() - 833.333_333_333).abs() < 1e-6);
    assert_eq!(p.status, Status::OffTrack);
    assert_eq!(p.verdict, Verdict::Bad);
    // 280 / 0.3 = 933.33: short by less than 100.
    assert_eq!(
        progress(&goal, period, Some(280.0), now).status,
        Status::AtRisk
    );
    // 320 / 0.3 = 1066.67: ahead of the line.
    let ahead = progress(&goal, period, Some(320.0), now);
    assert_eq!(ahead.status, Status::OnTrack);
    assert_eq!(ahead.verdict, Verdict::Good);
    // Already past the target: on track whatever the pace.
    assert_eq!(
        progress(&goal, period, Some(1200.0), now).status,
        Status::OnTrack
    );
    // Finished periods are achieved or missed.
    let end = t("2026-05-01T00:00:00Z");
    assert_eq!(
        progress(&goal, period, Some(999.0), end).status,
        Status::Missed
    );
    assert_eq!(
        progress(&goal, period, Some(1000.0), end).status,
        Status::Achieved
    );
    assert_eq!(
        progress(&goal, period, Some(1.0), t("2026-03-31T00:00:00Z")).status,
        Status::NotStarted
    );
}

#[test]
fn an_inverted_reach_goal_is_a_ceiling_and_inverts_the_colours() {
    let (goal, period) = april_goal(1000.0, Criterion::Reach, Trend::Down);
    let now = t("2026-04-10T00:00:00Z");
    // Below the 300 pace: good news when down is good; projected 833 under the 1000 ceiling.
    let p = progress(&goal, period, Some(250.0), now);
    assert_eq!(p.verdict, Verdict::Good);
    assert_eq!(p.status, Status::OnTrack);
    // 320 / 0.3 = 1066.67: over by less than 100.
    let over = progress(&goal, period, Some(320.0), now);
    assert_eq!(over.verdict, Verdict::Bad);
    assert_eq!(over.status, Status::AtRisk);
    // 360 / 0.3 = 1200.
    assert_eq!(
        progress(&goal, period, Some(360.0), now).status,
        Status::OffTrack
    );
}

#[test]
fn stay_below_and_stay_above_judge_the_value_itself() {
    let now = t("2026-04-10T00:00:00Z");
    let (below, period) = april_goal(5.0, Criterion::StayBelow, Trend::Down);
    let p = progress(&below, period, Some(4.0), now);
    assert_eq!(
        (p.status, p.expected, p.projection),
        (Status::OnTrack, 5.0, Some(4.0))
    );
    // 0.3 over, within the 0.5 band.
    assert_eq!(
        progress(&below, period, Some(5.3), now).status,
        Status::AtRisk
    );
    assert_eq!(
        progress(&below, period, Some(6.0), now).status,
        Status::OffTrack
    );
    assert_eq!(progress(&below, period, None, now).status, Status::NoData);

    let (above, period) = april_goal(90.0, Criterion::StayAbove, Trend::Up);
    assert_eq!(
        progress(&above, period, Some(95.0), now).status,
        Status::OnTrack
    );
    assert_eq!(
        progress(&above, period, Some(85.0), now).status,
        Status::AtRisk
    );
    assert_eq!(
        progress(&above, period, Some(80.0), now).status,
        Status::OffTrack
    );
    let end = t("2026-05-01T00:00:00Z");
    assert_eq!(
        progress(&above, period, Some(89.0), end).status,
        Status::Missed
    );
}

// ---------------------------------------------------------------- alerts

#[test]
fn conditions() {
    let above = Condition::Above { threshold: 10.0 };
    assert!(!above.breached(Some(10.0), None));
    assert!(above.breached(Some(10.5), None));
    assert!(!above.breached(None, None));
    assert!(Condition::Below { threshold: 1.0 }.breached(Some(0.0), None));
    let pct = Condition::ChangedByPercent { percent: 50.0 };
    assert!(pct.breached(Some(151.0), Some(100.0)));
    assert!(!pct.breached(Some(150.0), Some(100.0)));
    assert!(pct.breached(Some(49.0), Some(100.0)));
    assert!(pct.breached(Some(1.0), Some(0.0)));
    assert!(!pct.breached(Some(0.0), Some(0.0)));
    assert!(!pct.breached(Some(1.0), None));
    let by = Condition::ChangedBy { amount: 5.0 };
    assert!(by.breached(Some(4.0), Some(10.0)));
    assert!(!by.breached(Some(15.0), Some(10.0)));
    assert!(Condition::ChangedBy { amount: -1.0 }.validate().is_err());
}

#[test]
fn evaluation_ranges() {
    let now = t("2026-03-10T14:35:00Z");
    let r = |e: EvalRange| {
        let (c, p) = e.ranges(now, &utc()).unwrap();
        (c.start, c.end, p.start, p.end)
    };
    assert_eq!(
        r(EvalRange::LastHour),
        (
            t("2026-03-10T13:00:00Z"),
            t("2026-03-10T14:00:00Z"),
            t("2026-03-10T12:00:00Z"),
            t("2026-03-10T13:00:00Z")
        )
    );
    assert_eq!(
        r(EvalRange::Today),
        (
            t("2026-03-10T00:00:00Z"),
            now,
            t("2026-03-09T00:00:00Z"),
            t("2026-03-09T14:35:00Z")
        )
    );
    assert_eq!(
        r(EvalRange::Yesterday),
        (
            t("2026-03-09T00:00:00Z"),
            t("2026-03-10T00:00:00Z"),
            t("2026-03-08T00:00:00Z"),
            t("2026-03-09T00:00:00Z")
        )
    );
    assert_eq!(
        r(EvalRange::Last7Days),
        (
            t("2026-03-03T00:00:00Z"),
            t("2026-03-10T00:00:00Z"),
            t("2026-02-24T00:00:00Z"),
            t("2026-03-03T00:00:00Z")
        )
    );
    // In Ljubljana (+01) "yesterday" is 9 March local.
    let (c, _) = EvalRange::Yesterday.ranges(now, &lj()).unwrap();
    assert_eq!(
        (c.start, c.end),
        (t("2026-03-08T23:00:00Z"), t("2026-03-09T23:00:00Z"))
    );
}

#[test]
fn the_state_machine_fires_once_cools_down_and_resolves() {
    let h = 3_600_000;
    let cooldown = SignedDuration::from_hours(3);
    let s0 = AlertState::default();
    let (s1, a) = step(s0, true, 0, cooldown);
    assert_eq!((s1.phase, a), (Phase::Firing, Transition::Fire));
    let (s2, a) = step(s1, true, h, cooldown);
    assert_eq!((s2.phase, a), (Phase::Firing, Transition::Nothing));
    let (s3, a) = step(s2, false, 2 * h, cooldown);
    assert_eq!((s3.phase, a), (Phase::Ok, Transition::Resolve));
    // Breached again 2.5 h after the firing: inside the 3 h cool-down.
    let (s4, a) = step(s3, true, 2 * h + h / 2, cooldown);
    assert_eq!((s4.phase, a), (Phase::Suppressed, Transition::Nothing));
    // Still breached once the cool-down is over: it fires now.
    let (s5, a) = step(s4, true, 3 * h, cooldown);
    assert_eq!((s5.phase, a), (Phase::Firing, Transition::Fire));
    assert_eq!(s5.last_fired_ms, Some(3 * h));
    // A suppressed breach that clears sends nothing.
    let (s6, a) = step(
        AlertState {
            phase: Phase::Suppressed,
            last_fired_ms: Some(0),
        },
        false,
        h,
        cooldown,
    );
    assert_eq!((s6.phase, a), (Phase::Ok, Transition::Nothing));
}

fn rule(condition: Condition, range: EvalRange, cooldown_h: i64) -> AlertRule {
    AlertRule {
        per_account: false,
        accounts: None,
        aggregation: Aggregation::Sum,
        dimension: None,
        condition,
        range,
        cooldown: SignedDuration::from_hours(cooldown_h),
    }
}

#[test]
fn evaluation_sums_one_dimension_over_the_range() {
    let buckets = vec![
        bucket("2026-03-10T13:00:00Z", Some("failed"), 4.0),
        bucket("2026-03-10T13:00:00Z", Some("delivered"), 40.0),
        bucket("2026-03-10T12:00:00Z", Some("failed"), 1.0),
        bucket("2026-03-10T14:00:00Z", Some("failed"), 100.0), // the current, unfinished hour
    ];
    let mut r = rule(Condition::ChangedBy { amount: 2.0 }, EvalRange::LastHour, 1);
    r.dimension = Some("failed".into());
    let e = evaluate(&r, &buckets, t("2026-03-10T14:35:00Z"), &utc()).unwrap();
    assert_eq!(
        (e.current, e.previous, e.breached),
        (Some(4.0), Some(1.0), true)
    );
    r.dimension = None;
    r.condition = Condition::Above { threshold: 45.0 };
    let e = evaluate(&r, &buckets, t("2026-03-10T14:35:00Z"), &utc()).unwrap();
    assert_eq!((e.current, e.breached), (Some(44.0), false));
}

#[test]
fn backtest_counts_firings_over_history() {
    // Two days of 1 per hour, with spikes of 50 at 10:00-12:59 and at 16:00 on the first day.
    let buckets = hourly("2026-03-01T00:00:00Z", 48, |i| {
        if (10..13).contains(&i) || i == 16 {
            50.0
        } else {
            1.0
        }
    });
    let from = t("2026-03-01T00:00:00Z");
    let to = t("2026-03-02T00:00:00Z");
    let hour = SignedDuration::from_hours(1);
    let above = Condition::Above { threshold: 20.0 };
    // Evaluated at 11:00 the last hour is 10:00-11:00: it fires then; 14:00 sees 13:00, clear.
    let r = backtest(
        &rule(above, EvalRange::LastHour, 0),
        &buckets,
        from,
        to,
        hour,
        &utc(),
    )
    .unwrap();
    assert_eq!(r.evaluations, 25);
    let fired: Vec<_> = r
        .firings
        .iter()
        .map(|f| (f.at, f.current, f.resolved_at))
        .collect();
    assert_eq!(
        fired,
        vec![
            (
                t("2026-03-01T11:00:00Z"),
                Some(50.0),
                Some(t("2026-03-01T14:00:00Z"))
            ),
            (
                t("2026-03-01T17:00:00Z"),
                Some(50.0),
                Some(t("2026-03-01T18:00:00Z"))
            ),
        ]
    );
    // The second spike is 6 h after the first firing: a 6 h cool-down has just passed...
    let r = backtest(
        &rule(above, EvalRange::LastHour, 6),
        &buckets,
        from,
        to,
        hour,
        &utc(),
    )
    .unwrap();
    assert_eq!((r.firings.len(), r.suppressed), (2, 0));
    // ... a 7 h one has not, and the spike is over before it ends.
    let r = backtest(
        &rule(above, EvalRange::LastHour, 7),
        &buckets,
        from,
        to,
        hour,
        &utc(),
    )
    .unwrap();
    assert_eq!((r.firings.len(), r.suppressed), (1, 1));
    assert!(
        backtest(
            &rule(above, EvalRange::LastHour, 0),
            &buckets,
            to,
            from,
            hour,
            &utc()
        )
        .is_err()
    );
}

// ---------------------------------------------------------------- schedules

#[test]
fn next_runs_in_local_time() {
    let daily = Schedule {
        frequency: Frequency::Daily,
        at: Time::constant(8, 0, 0, 0),
    };
    // 07:30Z is 08:30 in Ljubljana (+01): today's 08:00 has passed.
    assert_eq!(
        daily.next_run(t("2026-03-10T07:30:00Z"), &lj()).unwrap(),
        t("2026-03-11T07:00:00Z")
    );
    assert_eq!(
        daily.next_run(t("2026-03-10T06:59:00Z"), &lj()).unwrap(),
        t("2026-03-10T07:00:00Z")
    );
    // After the switch to summer time, 08:00 is 06:00Z.
    assert_eq!(
        daily.next_run(t("2026-03-29T12:00:00Z"), &lj()).unwrap(),
        t("2026-03-30T06:00:00Z")
    );
    // 02:30 does not exist on 29 March in Ljubljana: the gap pushes it to 03:30 (+02).
    let gap = Schedule {
        frequency: Frequency::Daily,
        at: Time::constant(2, 30, 0, 0),
    };
    assert_eq!(
        gap.next_run(t("2026-03-28T12:00:00Z"), &lj()).unwrap(),
        t("2026-03-29T01:30:00Z")
    );
    let weekly = Schedule {
        frequency: Frequency::Weekly { day: Day::Monday },
        at: Time::constant(9, 0, 0, 0),
    };
    // Wednesday 11 March → Monday 16 March.
    let run = weekly.next_run(t("2026-03-11T10:00:00Z"), &utc()).unwrap();
    assert_eq!(run, t("2026-03-16T09:00:00Z"));
    let p = weekly.report_period(run, &utc()).unwrap();
    assert_eq!(
        (p.start, p.end),
        (t("2026-03-09T00:00:00Z"), t("2026-03-16T00:00:00Z"))
    );
    let monthly = Schedule {
        frequency: Frequency::Monthly { day: 31 },
        at: Time::constant(6, 0, 0, 0),
    };
    // February has no 31st: its last day.
    let run = monthly.next_run(t("2026-02-01T00:00:00Z"), &utc()).unwrap();
    assert_eq!(run, t("2026-02-28T06:00:00Z"));
    let p = monthly.report_period(run, &utc()).unwrap();
    assert_eq!(
        (p.start, p.end),
        (t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z"))
    );
    assert!(
        Schedule {
            frequency: Frequency::Monthly { day: 0 },
            at: Time::midnight()
        }
        .validate()
        .is_err()
    );
}

// ---------------------------------------------------------------- scorecard rows

#[test]
fn scorecard_row_value_change_colour_and_series() {
    // 9 March: 2 per hour (48); 10 March: 3 per hour (72).
    let buckets = hourly(
        "2026-03-09T00:00:00Z",
        48,
        |i| if i < 24 { 2.0 } else { 3.0 },
    );
    let daily = Schedule {
        frequency: Frequency::Daily,
        at: Time::constant(7, 0, 0, 0),
    };
    let period = daily
        .report_period(t("2026-03-11T07:00:00Z"), &utc())
        .unwrap();
    let (_, chart) = daily.frequency.intervals();
    assert_eq!(chart, Interval::Hour);
    let r = row(
        &buckets,
        &period,
        Aggregation::Sum,
        Baseline::PreviousPeriod,
        Trend::Up,
        chart,
        &utc(),
    )
    .unwrap();
    assert_eq!(r.value, Some(72.0));
    assert_eq!(r.change.previous, Some(48.0));
    assert_eq!(r.change.percent, Some(50.0));
    assert_eq!(r.change.verdict, Verdict::Good);
    assert_eq!(r.series, vec![Some(3.0); 24]);
    // Down is good: the same rise is bad news.
    let r = row(
        &buckets,
        &period,
        Aggregation::Sum,
        Baseline::PreviousPeriod,
        Trend::Down,
        chart,
        &utc(),
    )
    .unwrap();
    assert_eq!(r.change.verdict, Verdict::Bad);
    // Against a goal of 80: 8 short.
    let r = row(
        &buckets,
        &period,
        Aggregation::Sum,
        Baseline::Goal { target: 80.0 },
        Trend::Up,
        chart,
        &utc(),
    )
    .unwrap();
    assert_eq!(
        (r.change.absolute, r.change.verdict),
        (Some(-8.0), Verdict::Bad)
    );
}
