//! The checks of what watches metrics (goals, alerts, scorecards), where they deliver
//! (channels) and boards: a name under its rule, a spec that validates, and references to
//! metrics, goals and channels that exist. A reference that does not exist is a mistake in the
//! input (`Invalid` on its field), not a missing resource.
//!
//! Phase 1 of issue 16: the API and the pages still make their own checks; they switch to
//! these next.

use store::{AnyStore, ChannelId, GoalId, MetricId, NewAlert, NewGoal, NewScorecard, Store};
use store::{StoreError, StoredMetric, WatchStore};
use watch::{AlertSpec, GoalSpec, ScorecardSpec};

use crate::{AppError, AppResult, BoardName, Name};

fn bad(field: &'static str) -> impl FnOnce(watch::WatchError) -> AppError {
    move |e| AppError::invalid(field, e.to_string())
}

/// A metric named in the input, on `field`.
pub async fn referenced_metric(
    store: &AnyStore,
    id: i64,
    field: &'static str,
) -> AppResult<StoredMetric> {
    match store.metric(MetricId(id)).await {
        Ok(m) => Ok(m),
        Err(StoreError::NotFound { .. }) => Err(AppError::invalid(
            field,
            format!("metric {id} does not exist: pick one from GET /api/v1/metrics"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Channels named in the input must all exist.
pub async fn referenced_channels(store: &AnyStore, ids: &[i64]) -> AppResult<Vec<ChannelId>> {
    for &id in ids {
        match store.channel(ChannelId(id)).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => {
                return Err(AppError::invalid(
                    "channels",
                    format!("channel {id} does not exist: pick one from GET /api/v1/channels"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ids.iter().copied().map(ChannelId).collect())
}

/// A goal as it is stored, from its parts as given.
pub async fn goal_checked(
    store: &AnyStore,
    name: &str,
    metric_id: i64,
    spec: GoalSpec,
) -> AppResult<NewGoal> {
    spec.validate().map_err(bad("spec"))?;
    referenced_metric(store, metric_id, "metric_id").await?;
    Ok(NewGoal {
        name: Name::parse(name)?.into_string(),
        metric_id: MetricId(metric_id),
        spec,
    })
}

/// An alert as it is stored, from its parts as given.
pub async fn alert_checked(
    store: &AnyStore,
    name: &str,
    metric_id: i64,
    spec: AlertSpec,
    enabled: bool,
    channels: &[i64],
) -> AppResult<NewAlert> {
    spec.validate().map_err(bad("spec"))?;
    referenced_metric(store, metric_id, "metric_id").await?;
    let channels = referenced_channels(store, channels).await?;
    Ok(NewAlert {
        name: Name::parse(name)?.into_string(),
        metric_id: MetricId(metric_id),
        spec,
        enabled,
        channels,
    })
}

/// A scorecard as it is stored and its first run after `now_ms`: every metric it lists exists,
/// a stored goal it compares with exists and is about that same metric (another metric's goal
/// would mix units), and its channels exist.
pub async fn scorecard_checked(
    store: &AnyStore,
    name: &str,
    spec: ScorecardSpec,
    channels: &[i64],
    now_ms: i64,
) -> AppResult<(NewScorecard, i64)> {
    spec.validate().map_err(bad("spec"))?;
    for m in &spec.metrics {
        referenced_metric(store, m.metric_id, "spec").await?;
        if let watch::Baseline::StoredGoal { goal_id } = m.baseline {
            goal_of_metric(store, goal_id, m.metric_id).await?;
        }
    }
    let channels = referenced_channels(store, channels).await?;
    let next = spec
        .schedule
        .next_run(crate::clock::instant(now_ms), spec.zone.tz())
        .map_err(bad("spec.schedule"))?
        .as_millisecond();
    Ok((
        NewScorecard {
            name: Name::parse(name)?.into_string(),
            spec,
            channels,
        },
        next,
    ))
}

async fn goal_of_metric(store: &AnyStore, goal_id: i64, metric_id: i64) -> AppResult<()> {
    match store.goal(GoalId(goal_id)).await {
        Ok(g) if g.metric_id.0 == metric_id => Ok(()),
        Ok(g) => Err(AppError::invalid(
            "spec",
            format!(
                "goal {goal_id} is about metric {}, not metric {metric_id}",
                g.metric_id.0
            ),
        )),
        Err(StoreError::NotFound { .. }) => Err(AppError::invalid(
            "spec",
            format!("goal {goal_id} does not exist: pick one from GET /api/v1/goals"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A channel's name (its configuration is checked where it is sent from, `notify`).
pub fn channel_name(name: &str) -> AppResult<Name> {
    Ok(Name::parse(name)?)
}

/// A board's name.
pub fn board_name(name: &str) -> AppResult<BoardName> {
    Ok(BoardName::parse(name)?)
}

/// A block's title: empty, or at most 200 characters.
pub fn block_title(title: &str) -> AppResult<String> {
    Ok(crate::names::block_title(title)?)
}
