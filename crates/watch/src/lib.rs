//! Goals, alerts and scorecards, computed from hourly buckets. No I/O: no clock reads (every
//! function takes `now`), no network, no storage. The store keeps what this crate computes and
//! the evaluator in the web crate feeds it.
//!
//! - [`goal`]: periods (calendar or custom, optionally repeating), progress, pace, projection
//!   and status under a criterion and the metric's favourable trend.
//! - [`alert`]: conditions over an evaluation range, the firing state machine with cool-down,
//!   built-in sync-health alerts and back-tests over stored history.
//! - [`unusual`]: "unusual" alerts, a metric's last hour judged against its seasonal model
//!   (the `seasonal` crate) with the dimension values behind a deviation, live and back-tested
//!   by the same computation.
//! - [`outliers`]: which account of a multi-account metric is out of line, by a robust
//!   z-score against the accounts' median.
//! - [`schedule`]: when a scorecard digest runs next, in its local zone, and which period it
//!   reports.
//! - [`scorecard`]: the rows of a digest (value, change, colour, a small series).

pub mod alert;
pub mod describe;
pub mod goal;
pub mod outliers;
pub mod schedule;
pub mod scorecard;
pub mod spec;
pub mod unusual;

pub use alert::{
    AccountValue, AlertRule, AlertState, BacktestFiring, BacktestReport, BuiltinAlert, Condition,
    EvalRange, Evaluation, Phase, SyncHealth, Transition, backtest, evaluate, step,
};
pub use goal::{
    Criterion, EndForecast, FIRST_GOAL_DATE, Goal, GoalPeriod, LAST_GOAL_DATE, Period, PeriodUnit,
    Progress, ProjectionBasis, Status, progress, progress_with,
};
pub use schedule::{Day, Frequency, Schedule};
pub use scorecard::{Baseline, MAX_METRICS, ScorecardRow, row};
pub use spec::{AlertSpec, ChannelConfig, GoalSpec, ScorecardMetric, ScorecardSpec, SmtpTls, Zone};
pub use unusual::{UnusualDirection, UnusualRule};

/// What went wrong computing over time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Query(#[from] metric::QueryError),
    #[error("a custom period must end after it starts ({start} .. {end})")]
    EmptyPeriod {
        start: jiff::civil::Date,
        end: jiff::civil::Date,
    },
    #[error(
        "{what} {date} is outside the dates a goal can use ({first} to {last}); pick a date in that range"
    )]
    DateOutOfRange {
        what: &'static str,
        date: jiff::civil::Date,
        first: jiff::civil::Date,
        last: jiff::civil::Date,
    },
    #[error("{what} is outside the dates this zone can express")]
    OutOfRange { what: &'static str },
    #[error("{0}")]
    Invalid(String),
}
