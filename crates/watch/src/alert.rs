//! Alerts: a condition on a metric's value over an evaluation range, and when to tell someone.
//!
//! An alert notifies once when its condition starts to hold ("fire"), stays quiet while it keeps
//! holding, and notifies again when it stops ("resolved"). After a firing, a new breach within
//! the cool-down is recorded as suppressed instead of notified, so a value flapping around the
//! threshold does not flood a channel; if that breach outlasts the cool-down it fires then.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use metric::accounts::split;
use metric::aggregate::{interval_start, total};
use metric::bucket::{HOUR_MS, hour_floor};
use metric::{Aggregation, HourBucket, Interval, TimeRange};
use serde::{Deserialize, Serialize};

use crate::WatchError;

/// What the value must do to breach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// Strictly above the threshold.
    Above { threshold: f64 },
    /// Strictly below the threshold.
    Below { threshold: f64 },
    /// Up or down by more than `percent` % against the previous equal range.
    ChangedByPercent { percent: f64 },
    /// Up or down by more than `amount` against the previous equal range.
    ChangedBy { amount: f64 },
}

impl Condition {
    pub fn validate(&self) -> Result<(), WatchError> {
        let v = match *self {
            Condition::Above { threshold } | Condition::Below { threshold } => threshold,
            Condition::ChangedByPercent { percent: v } | Condition::ChangedBy { amount: v } => {
                if v < 0.0 {
                    return Err(WatchError::Invalid(
                        "a change threshold must not be negative".into(),
                    ));
                }
                v
            }
        };
        if !v.is_finite() {
            return Err(WatchError::Invalid("a threshold must be a number".into()));
        }
        Ok(())
    }

    /// Whether the values breach. No current value never breaches; a change from 0 to anything
    /// else is an infinite percentage and breaches.
    pub fn breached(&self, current: Option<f64>, previous: Option<f64>) -> bool {
        let Some(c) = current else { return false };
        match *self {
            Condition::Above { threshold } => c > threshold,
            Condition::Below { threshold } => c < threshold,
            Condition::ChangedBy { amount } => previous.is_some_and(|p| (c - p).abs() > amount),
            Condition::ChangedByPercent { percent } => previous.is_some_and(|p| {
                if p == 0.0 {
                    c != 0.0
                } else {
                    (c - p).abs() / p.abs() * 100.0 > percent
                }
            }),
        }
    }

    /// Whether the condition compares with the previous range at all.
    pub fn needs_previous(&self) -> bool {
        matches!(
            self,
            Condition::ChangedBy { .. } | Condition::ChangedByPercent { .. }
        )
    }
}

/// The span of time an alert looks at, relative to the moment it is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalRange {
    /// The last complete UTC hour: the current hour is still filling up.
    LastHour,
    /// The last 24 complete hours.
    Last24Hours,
    /// Today so far, compared with yesterday up to the same time of day.
    Today,
    Yesterday,
    /// The seven whole days before today.
    Last7Days,
    /// The thirty whole days before today.
    Last30Days,
    /// This week (from Monday) so far, against last week up to the same point.
    ThisWeek,
    /// This month so far, against last month up to the same point.
    ThisMonth,
}

impl EvalRange {
    pub const ALL: [EvalRange; 8] = [
        EvalRange::LastHour,
        EvalRange::Last24Hours,
        EvalRange::Today,
        EvalRange::Yesterday,
        EvalRange::Last7Days,
        EvalRange::Last30Days,
        EvalRange::ThisWeek,
        EvalRange::ThisMonth,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EvalRange::LastHour => "last hour",
            EvalRange::Last24Hours => "last 24 hours",
            EvalRange::Today => "today",
            EvalRange::Yesterday => "yesterday",
            EvalRange::Last7Days => "last 7 days",
            EvalRange::Last30Days => "last 30 days",
            EvalRange::ThisWeek => "this week",
            EvalRange::ThisMonth => "this month",
        }
    }

    /// The range evaluated at `now` and the previous equal range it is compared with.
    pub fn ranges(
        self,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<(TimeRange, TimeRange), WatchError> {
        let hour = ts(hour_floor(now.as_millisecond()))?;
        let hours_back = |n: i64| ts(hour.as_millisecond() - n * HOUR_MS);
        let days_back = |from: Timestamp, n: i64| {
            from.to_zoned(zone.clone())
                .checked_sub(n.days())
                .map(|z| z.timestamp())
                .map_err(|_| WatchError::OutOfRange { what: "a day" })
        };
        let before = |current: TimeRange| -> Result<(TimeRange, TimeRange), WatchError> {
            let len = current.end.duration_since(current.start);
            let start = current
                .start
                .checked_sub(len)
                .map_err(|_| WatchError::OutOfRange { what: "a range" })?;
            Ok((current, TimeRange::new(start, current.start)?))
        };
        let to_date = |period: Interval| -> Result<(TimeRange, TimeRange), WatchError> {
            Ok(metric::comparison_ranges(
                &TimeRange::new(now, now)?,
                metric::Comparison::PeriodToDate { period, now },
                zone,
            )?)
        };
        let today = interval_start(now, Interval::Day, zone)?;
        match self {
            EvalRange::LastHour => before(TimeRange::new(hours_back(1)?, hour)?),
            EvalRange::Last24Hours => before(TimeRange::new(hours_back(24)?, hour)?),
            EvalRange::Today => to_date(Interval::Day),
            EvalRange::Yesterday => {
                let current = TimeRange::new(days_back(today, 1)?, today)?;
                Ok((
                    current,
                    TimeRange::new(days_back(today, 2)?, current.start)?,
                ))
            }
            EvalRange::Last7Days => {
                let current = TimeRange::new(days_back(today, 7)?, today)?;
                Ok((
                    current,
                    TimeRange::new(days_back(today, 14)?, current.start)?,
                ))
            }
            EvalRange::Last30Days => {
                let current = TimeRange::new(days_back(today, 30)?, today)?;
                Ok((
                    current,
                    TimeRange::new(days_back(today, 60)?, current.start)?,
                ))
            }
            EvalRange::ThisWeek => to_date(Interval::Week),
            EvalRange::ThisMonth => to_date(Interval::Month),
        }
    }
}

fn ts(ms: i64) -> Result<Timestamp, WatchError> {
    Timestamp::from_millisecond(ms).map_err(|_| WatchError::OutOfRange { what: "an instant" })
}

/// An alert on a metric's values, without the metric or channels (the store keeps those).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub aggregation: Aggregation,
    /// Only rows of this dimension value count; none means all rows.
    pub dimension: Option<String>,
    pub condition: Condition,
    pub range: EvalRange,
    /// After a firing, how long a new breach stays quiet.
    pub cooldown: SignedDuration,
    /// A metric over several accounts: the condition is judged for each account and breached
    /// when any account breaches ("any account's delivery rate below 90 %").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_account: bool,
    /// Only these accounts (SIDs) count; none: every account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
}

impl AlertRule {
    /// Whether the rule needs its metric's buckets with their accounts (composite dimensions).
    pub fn asks_accounts(&self) -> bool {
        self.per_account || self.accounts.is_some()
    }
}

/// One account's values in an evaluation of a per-account rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountValue {
    /// The account's SID.
    pub account: String,
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

/// The outcome of evaluating a rule once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub at: Timestamp,
    pub range: TimeRange,
    pub previous_range: TimeRange,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    pub breached: bool,
    /// A per-account rule: the accounts that breach, in SID order (`current` and `previous` are
    /// then the kept accounts together).
    pub breaching: Vec<AccountValue>,
}

/// Evaluates `rule` at `now` over buckets of its metric (any order, any dimensions).
pub fn evaluate(
    rule: &AlertRule,
    buckets: &[HourBucket],
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Evaluation, WatchError> {
    Watched::new(rule, buckets).evaluate(rule, now, zone)
}

/// The buckets a rule reads, sorted once: all the kept accounts together and, for a
/// per-account rule, each account apart. The live evaluation and the back-test share it.
struct Watched {
    total: Sorted,
    accounts: Vec<(String, Sorted)>,
}

impl Watched {
    fn new(rule: &AlertRule, buckets: &[HourBucket]) -> Watched {
        let kept = |sid: Option<&str>| match (&rule.accounts, sid) {
            (None, _) => true,
            (Some(list), Some(sid)) => list.iter().any(|a| a == sid),
            (Some(_), None) => false,
        };
        let total = Sorted::new(buckets, rule.dimension.as_deref(), &|sid| kept(sid));
        let mut accounts = Vec::new();
        if rule.per_account {
            let sids: std::collections::BTreeSet<&str> = total
                .0
                .iter()
                .filter_map(|b| b.dimension.as_deref().and_then(split))
                .map(|(sid, _)| sid)
                .collect();
            for sid in sids {
                let one = Sorted::new(&total.0, None, &|s| s == Some(sid));
                accounts.push((sid.to_owned(), one));
            }
        }
        Watched { total, accounts }
    }

    fn evaluate(
        &self,
        rule: &AlertRule,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Evaluation, WatchError> {
        let mut e = self.total.evaluate(rule, now, zone)?;
        if !rule.per_account {
            return Ok(e);
        }
        for (sid, one) in &self.accounts {
            let a = one.evaluate(rule, now, zone)?;
            if a.breached {
                e.breaching.push(AccountValue {
                    account: sid.clone(),
                    current: a.current,
                    previous: a.previous,
                });
            }
        }
        e.breached = !e.breaching.is_empty();
        Ok(e)
    }
}

/// The buckets of one dimension (or all), ordered by hour so that a range is a sub-slice.
struct Sorted(Vec<HourBucket>);

impl Sorted {
    /// Keeps the buckets of own dimension `dimension` (the part after the account in a
    /// composite dimension) whose account `account` keeps (`None`: not composite).
    fn new(
        buckets: &[HourBucket],
        dimension: Option<&str>,
        account: &dyn Fn(Option<&str>) -> bool,
    ) -> Sorted {
        let mut v: Vec<HourBucket> = buckets
            .iter()
            .filter(|b| {
                let d = b.dimension.as_deref();
                let (sid, own) = match d.and_then(split) {
                    Some((sid, own)) => (Some(sid), own),
                    None => (None, d),
                };
                account(sid) && (dimension.is_none() || own == dimension)
            })
            .cloned()
            .collect();
        v.sort_by_key(|b| b.hour);
        Sorted(v)
    }

    fn total(&self, range: &TimeRange, aggregation: Aggregation) -> Option<f64> {
        let a = self
            .0
            .partition_point(|b| b.hour < range.start.as_millisecond() - HOUR_MS);
        let b = self
            .0
            .partition_point(|b| b.hour < range.end.as_millisecond());
        total(&self.0[a..b], range, aggregation)
    }

    fn evaluate(
        &self,
        rule: &AlertRule,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Evaluation, WatchError> {
        let (range, previous_range) = rule.range.ranges(now, zone)?;
        let current = self.total(&range, rule.aggregation);
        let previous = if rule.condition.needs_previous() {
            self.total(&previous_range, rule.aggregation)
        } else {
            None
        };
        Ok(Evaluation {
            at: now,
            range,
            previous_range,
            current,
            previous,
            breached: rule.condition.breached(current, previous),
            breaching: Vec::new(),
        })
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Ok,
    /// Breached and notified.
    Firing,
    /// Breached within the cool-down of the last firing: recorded, not notified.
    Suppressed,
}

/// What the store keeps between evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertState {
    pub phase: Phase,
    /// Epoch ms of the last firing.
    pub last_fired_ms: Option<i64>,
}

/// What an evaluation asks the caller to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Nothing,
    Fire,
    Resolve,
}

/// The next state after an evaluation that did (or did not) breach at `now_ms`.
pub fn step(
    state: AlertState,
    breached: bool,
    now_ms: i64,
    cooldown: SignedDuration,
) -> (AlertState, Transition) {
    let cooled = state
        .last_fired_ms
        .is_none_or(|t| now_ms.saturating_sub(t) >= cooldown.as_millis() as i64);
    match (state.phase, breached) {
        (Phase::Firing, true) => (state, Transition::Nothing),
        (Phase::Firing, false) => (
            AlertState {
                phase: Phase::Ok,
                ..state
            },
            Transition::Resolve,
        ),
        (Phase::Ok | Phase::Suppressed, true) if cooled => (
            AlertState {
                phase: Phase::Firing,
                last_fired_ms: Some(now_ms),
            },
            Transition::Fire,
        ),
        (Phase::Ok | Phase::Suppressed, true) => (
            AlertState {
                phase: Phase::Suppressed,
                ..state
            },
            Transition::Nothing,
        ),
        (Phase::Ok | Phase::Suppressed, false) => (
            AlertState {
                phase: Phase::Ok,
                ..state
            },
            Transition::Nothing,
        ),
    }
}

/// The alerts every metric has without anyone creating them: about its syncing, not its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BuiltinAlert {
    /// The last sync run failed.
    SyncFailed,
    /// No successful sync for longer than `after`.
    Stale { after_ms: i64 },
    /// The last sync run stopped at the connector's page cap, so data may be missing.
    PageCap,
}

/// What the evaluator knows of a metric's syncing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncHealth {
    pub last_run_failed: bool,
    pub last_success_ms: Option<i64>,
    pub last_run_hit_page_cap: bool,
}

impl BuiltinAlert {
    pub fn breached(&self, health: &SyncHealth, now_ms: i64) -> bool {
        match *self {
            BuiltinAlert::SyncFailed => health.last_run_failed,
            // A metric that never synced is the failed-sync alert's business, not staleness.
            BuiltinAlert::Stale { after_ms } => health
                .last_success_ms
                .is_some_and(|t| now_ms.saturating_sub(t) > after_ms),
            BuiltinAlert::PageCap => health.last_run_hit_page_cap,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestFiring {
    pub at: Timestamp,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// A per-account rule: the accounts breaching when it fired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breaching: Vec<AccountValue>,
    /// When it resolved, if it did within the back-test.
    pub resolved_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub evaluations: u32,
    /// Breaches kept quiet by the cool-down.
    pub suppressed: u32,
    pub firings: Vec<BacktestFiring>,
}

/// The most evaluations one back-test runs: a year of hourly evaluations.
pub const MAX_BACKTEST_STEPS: i64 = 24 * 366;

/// A back-test's step in milliseconds, once its span and step are checked: a positive step,
/// an end after the start, at most [`MAX_BACKTEST_STEPS`] evaluations.
pub(crate) fn backtest_step(
    from: Timestamp,
    to: Timestamp,
    every: SignedDuration,
) -> Result<i64, WatchError> {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    if every_ms <= 0 {
        return Err(WatchError::Invalid(
            "a back-test needs a positive step".into(),
        ));
    }
    let span = to.as_millisecond() - from.as_millisecond();
    if span < 0 {
        return Err(WatchError::Invalid(
            "a back-test must end after it starts".into(),
        ));
    }
    if span / every_ms > MAX_BACKTEST_STEPS {
        return Err(WatchError::Invalid(format!(
            "a back-test runs at most {MAX_BACKTEST_STEPS} evaluations; pick a shorter span"
        )));
    }
    Ok(every_ms)
}

/// How often `rule` would have fired had it been evaluated every `every` over `[from, to]`,
/// starting from a quiet state.
pub fn backtest(
    rule: &AlertRule,
    buckets: &[HourBucket],
    from: Timestamp,
    to: Timestamp,
    every: SignedDuration,
    zone: &TimeZone,
) -> Result<BacktestReport, WatchError> {
    let every_ms = backtest_step(from, to, every)?;
    let mine = Watched::new(rule, buckets);
    let mut state = AlertState::default();
    let mut report = BacktestReport {
        from,
        to,
        evaluations: 0,
        suppressed: 0,
        firings: Vec::new(),
    };
    let mut at = from.as_millisecond();
    while at <= to.as_millisecond() {
        let now = ts(at)?;
        let e = mine.evaluate(rule, now, zone)?;
        report.evaluations += 1;
        let (next, t) = step(state, e.breached, at, rule.cooldown);
        match t {
            Transition::Fire => report.firings.push(BacktestFiring {
                at: now,
                current: e.current,
                previous: e.previous,
                breaching: e.breaching,
                resolved_at: None,
            }),
            Transition::Resolve => {
                if let Some(f) = report.firings.last_mut() {
                    f.resolved_at = Some(now);
                }
            }
            Transition::Nothing => {
                if next.phase == Phase::Suppressed && state.phase != Phase::Suppressed {
                    report.suppressed += 1;
                }
            }
        }
        state = next;
        at += every_ms;
    }
    Ok(report)
}
