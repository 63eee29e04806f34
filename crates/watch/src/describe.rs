//! The words people read for what this crate stores as codes: an alert's rule, a goal's status,
//! an alert's phase, a scorecard's schedule. One place, so every screen and history page says
//! the same thing. Numbers are printed by the caller's formatter (the metric's unit), which
//! this crate does not know.

use metric::Aggregation;

use crate::alert::{BuiltinAlert, Condition, EvalRange, Phase};
use crate::goal::{Progress, ProjectionBasis, Status};
use crate::schedule::{Day, Frequency, Schedule};
use crate::spec::AlertSpec;
use crate::unusual::{UnusualDirection, UnusualRule};

/// A goal's status as a person reads it.
pub fn status(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "Not started",
        Status::OnTrack => "On track",
        Status::AtRisk => "At risk",
        Status::OffTrack => "Behind",
        Status::Achieved => "Achieved",
        Status::Missed => "Missed",
        Status::NoData => "No data",
    }
}

/// What a goal's projected end value rests on, to follow the number: "projected 1,200
/// (forecast)".
pub fn basis(b: ProjectionBasis) -> &'static str {
    match b {
        ProjectionBasis::Pace => "at the current pace",
        ProjectionBasis::Forecast => "forecast",
        ProjectionBasis::Current => "the current value",
    }
}

/// A goal's projected end value and what it rests on: "1,200 forecast (1,100 – 1,300)",
/// "1,250 at the current pace"; `None` without a projection.
pub fn projection(p: &Progress, number: &dyn Fn(f64) -> String) -> Option<String> {
    let value = number(p.projection?);
    Some(match (p.basis, p.projection_band) {
        (ProjectionBasis::Forecast, Some((lo, hi))) => format!(
            "{value} {} ({} – {})",
            basis(p.basis),
            number(lo),
            number(hi)
        ),
        (ProjectionBasis::Current, _) => value,
        (b, _) => format!("{value} {}", basis(b)),
    })
}

/// Where an alert stands.
pub fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Ok => "OK",
        Phase::Firing => "Firing",
        Phase::Suppressed => "Breached, quiet in its cool-down",
    }
}

/// How values are combined, in lower case to sit inside a sentence.
pub fn aggregation(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Sum => "sum",
        Aggregation::Average => "average",
        Aggregation::Min => "minimum",
        Aggregation::Max => "maximum",
        Aggregation::Latest => "latest value",
        Aggregation::Count => "count of rows",
    }
}

/// The stretch of time an alert looks at, as it ends a sentence.
fn over(range: EvalRange) -> &'static str {
    match range {
        EvalRange::LastHour => "over the last hour",
        EvalRange::Last24Hours => "over the last day",
        EvalRange::Today => "today",
        EvalRange::Yesterday => "yesterday",
        EvalRange::Last7Days => "over the last 7 days",
        EvalRange::Last30Days => "over the last 30 days",
        EvalRange::ThisWeek => "this week",
        EvalRange::ThisMonth => "this month",
    }
}

/// A length of time in the largest whole unit that fits: "6 hours", "2 days", "90 minutes",
/// "1 hour 30 minutes".
pub fn duration_ms(ms: i64) -> String {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if ms > 0 && ms % DAY == 0 {
        plural(ms / DAY, "day")
    } else if ms >= HOUR && ms % HOUR == 0 {
        plural(ms / HOUR, "hour")
    } else if ms >= HOUR && ms % MINUTE == 0 {
        format!(
            "{} {}",
            plural(ms / HOUR, "hour"),
            plural(ms % HOUR / MINUTE, "minute")
        )
    } else if ms % MINUTE == 0 {
        plural(ms / MINUTE, "minute")
    } else {
        plural(ms.div_euclid(1000), "second")
    }
}

/// What the value must do, its numbers printed by `number`.
pub fn condition(c: &Condition, number: &dyn Fn(f64) -> String) -> String {
    match *c {
        Condition::Above { threshold } => format!("above {}", number(threshold)),
        Condition::Below { threshold } => format!("below {}", number(threshold)),
        Condition::ChangedByPercent { percent } => {
            format!("changes by more than {percent}% against the period before")
        }
        Condition::ChangedBy { amount } => {
            format!(
                "changes by more than {} against the period before",
                number(amount)
            )
        }
    }
}

/// An alert's rule in a sentence: "sum above 100 over the last day", "stale after 6 hours".
pub fn rule(spec: &AlertSpec, number: &dyn Fn(f64) -> String) -> String {
    match spec {
        AlertSpec::Value { rule, .. } => {
            let mut text = format!(
                "{} {} {}",
                aggregation(rule.aggregation),
                condition(&rule.condition, number),
                over(rule.range)
            );
            if let Some(d) = &rule.dimension {
                text.push_str(&format!(", only “{d}”"));
            }
            text.push_str(&quiet(rule.cooldown));
            text
        }
        AlertSpec::Unusual { rule, .. } => unusual_rule(rule),
        AlertSpec::Sync { builtin } => builtin_rule(*builtin),
    }
}

fn quiet(cooldown: jiff::SignedDuration) -> String {
    let ms = cooldown.as_millis();
    if ms > 0 {
        format!(
            "; quiet for {} after firing",
            duration_ms(i64::try_from(ms).unwrap_or(i64::MAX))
        )
    } else {
        String::new()
    }
}

/// Which deviations an unusual alert fires on, as it ends a sentence.
pub fn unusual_direction(d: UnusualDirection) -> &'static str {
    match d {
        UnusualDirection::Either => "up or down",
        UnusualDirection::Up => "up only",
        UnusualDirection::Down => "down only",
        UnusualDirection::Unfavourable => "only the unfavourable way",
    }
}

/// An unusual alert's rule: "sum unusual for its daily and weekly rhythm (medium
/// sensitivity, up or down); quiet for 6 hours after firing".
pub fn unusual_rule(rule: &UnusualRule) -> String {
    let mut text = format!(
        "{} unusual for its daily and weekly rhythm ({} sensitivity, {})",
        aggregation(rule.aggregation),
        rule.sensitivity.label(),
        unusual_direction(rule.direction)
    );
    if let Some(d) = &rule.dimension {
        text.push_str(&format!(", only “{d}”"));
    }
    text.push_str(&quiet(rule.cooldown));
    text
}

/// The dimension values behind a deviation in words: "“30007” explains 92%, “30003” explains
/// 6%". At most three, and none explaining less than 5%, which would only be noise to read.
pub fn why(contributions: &[crate::unusual::Contribution]) -> String {
    contributions
        .iter()
        .filter(|c| c.share >= 0.05)
        .take(3)
        .map(|c| format!("“{}” explains {:.0}%", c.dimension, c.share * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a series still learning its rhythm says: "learning: 14 of 21 days of history".
pub fn learning(hours: usize, needed: usize) -> String {
    format!(
        "learning: {} of {} days of history",
        hours / 24,
        needed.div_ceil(24)
    )
}

/// A built-in sync alert in a sentence.
pub fn builtin_rule(b: BuiltinAlert) -> String {
    match b {
        BuiltinAlert::SyncFailed => "the sync fails".to_owned(),
        BuiltinAlert::Stale { after_ms } => format!("stale after {}", duration_ms(after_ms)),
        BuiltinAlert::PageCap => "a sync stops at the page cap".to_owned(),
    }
}

fn day(d: Day) -> &'static str {
    match d {
        Day::Monday => "Monday",
        Day::Tuesday => "Tuesday",
        Day::Wednesday => "Wednesday",
        Day::Thursday => "Thursday",
        Day::Friday => "Friday",
        Day::Saturday => "Saturday",
        Day::Sunday => "Sunday",
    }
}

/// When a scorecard goes out: "weekly on Monday at 08:00".
pub fn schedule(s: &Schedule) -> String {
    let when = match s.frequency {
        Frequency::Daily => "daily".to_owned(),
        Frequency::Weekly { day: d } => format!("weekly on {}", day(d)),
        Frequency::Monthly { day } => format!("monthly on day {day}"),
    };
    format!("{when} at {}", s.at.strftime("%H:%M"))
}
