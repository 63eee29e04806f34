//! Which metrics are due: a metric in use is synced on its interval (hourly by default, never
//! more often than every five minutes); a metric in no use is synced only by hand.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{JobId, MetricId, NewJob, Store};

use crate::config::duration_ms;
use crate::error::SyncError;

/// The job kind of a sync.
pub const SYNC_JOB: &str = "sync";
/// A sync job's key is this followed by its first metric's id.
pub const SYNC_JOB_KEY_PREFIX: &str = "metric:";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
pub const MIN_INTERVAL: Duration = Duration::from_secs(300);

/// What a sync job carries: the metrics to sync together (one shared fetch when their requests
/// are the same) and, for a sync by hand, an explicit range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncJob {
    pub metrics: Vec<MetricId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
}

impl SyncJob {
    /// The job to enqueue; its key is the first metric's, so at most one waits per metric.
    pub fn to_new_job(&self, run_at_ms: i64) -> NewJob {
        let key = match self.metrics.iter().min() {
            Some(first) => format!("{SYNC_JOB_KEY_PREFIX}{first}"),
            None => "metric:none".to_owned(),
        };
        NewJob {
            kind: SYNC_JOB.to_owned(),
            key,
            payload: serde_json::to_value(self).unwrap_or_default(),
            run_at_ms,
        }
    }
}

/// The default sync interval; each metric's own interval is stored with it
/// (`metrics.sync_interval_s`) and read with its runs by [`Store::sync_states`], so every
/// process schedules from the same values and a change is seen at the next pass. Every
/// interval is at least [`MIN_INTERVAL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The interval of a metric with none of its own.
    pub default_interval: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            default_interval: DEFAULT_INTERVAL,
        }
    }
}

impl Schedule {
    /// The interval a metric is synced on: its stored one (in seconds) or the default, never
    /// below [`MIN_INTERVAL`].
    pub fn interval_of(&self, stored_s: Option<i64>) -> Duration {
        interval_or(stored_s, self.default_interval)
    }
}

/// A metric's stored interval (in seconds) or `default`, never below [`MIN_INTERVAL`]: what
/// the scheduler syncs on and what freshness ("stale after two intervals") is judged by.
pub fn interval_or(stored_s: Option<i64>, default: Duration) -> Duration {
    stored_s
        .and_then(|s| u64::try_from(s).ok())
        .map_or(default, Duration::from_secs)
        .max(MIN_INTERVAL)
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    pub due: Vec<MetricId>,
    /// Jobs created (an equal job already waiting is not created again).
    pub enqueued: Vec<JobId>,
    /// When the next metric in use that was not due becomes due.
    pub next_due_ms: Option<i64>,
}

/// The metrics due now, and when the first of the others will be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    pub due: Vec<MetricId>,
    pub next_ms: Option<i64>,
}

/// Enqueues sync jobs for the metrics in use that are due.
pub struct Scheduler<S> {
    store: Arc<S>,
    schedule: Schedule,
}

impl<S: Store> Scheduler<S> {
    pub fn new(store: Arc<S>, schedule: Schedule) -> Self {
        Self { store, schedule }
    }

    /// The metrics in use whose last sync started at least their interval before `now` (or
    /// that never synced), from one store query.
    pub async fn due(&self, now: Timestamp) -> Result<Vec<MetricId>, SyncError> {
        Ok(self.plan(now).await?.due)
    }

    /// What is due at `now`, and when the next metric not yet due will be.
    pub async fn plan(&self, now: Timestamp) -> Result<Due, SyncError> {
        let now_ms = now.as_millisecond();
        let mut due = Due::default();
        for state in self.store.sync_states().await? {
            let interval = duration_ms(self.schedule.interval_of(state.sync_interval_s));
            match state.last_started_ms {
                Some(started) if started + interval > now_ms => {
                    let at = started + interval;
                    due.next_ms = Some(due.next_ms.map_or(at, |n| n.min(at)));
                }
                _ => due.due.push(state.id),
            }
        }
        Ok(due)
    }

    /// Enqueues the due metrics: one job per group of metrics with the same connection and
    /// request, so they share one fetch.
    pub async fn tick(&self, now: Timestamp) -> Result<Tick, SyncError> {
        let Due { due, next_ms } = self.plan(now).await?;
        // One read of every metric rather than one per due metric: a round makes most of them due.
        let groups = if due.is_empty() {
            Vec::new()
        } else {
            let wanted: std::collections::HashSet<MetricId> = due.iter().copied().collect();
            let metrics = self.store.list_metrics().await?;
            share_groups(metrics.iter().filter(|m| wanted.contains(&m.id)))
        };
        let mut tick = Tick {
            due,
            enqueued: Vec::new(),
            next_due_ms: next_ms,
        };
        for metrics in groups {
            let job = SyncJob {
                metrics,
                from_ms: None,
                to_ms: None,
            };
            let queued = self
                .store
                .enqueue(&job.to_new_job(now.as_millisecond()), now.as_millisecond())
                .await?;
            if queued.created {
                tick.enqueued.push(queued.id);
            }
        }
        Ok(tick)
    }
}

/// The connection and request of a stored definition, read without opening secrets; a
/// definition that does not parse is its own group.
/// The metrics grouped by what they fetch (connection and request), each group sorted: one sync
/// job per group, so metrics reading the same request share one fetch.
pub fn share_groups<'a>(
    metrics: impl IntoIterator<Item = &'a store::StoredMetric>,
) -> Vec<Vec<MetricId>> {
    let mut groups: BTreeMap<String, Vec<MetricId>> = BTreeMap::new();
    for metric in metrics {
        groups.entry(share_key(metric)).or_default().push(metric.id);
    }
    groups
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect()
}

fn share_key(metric: &store::StoredMetric) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(&metric.definition).ok();
    match parsed {
        Some(v) => format!(
            "{:?}|{}|{}",
            metric.connection_id.map(|c| c.0),
            v.get("connection")
                .map(ToString::to_string)
                .unwrap_or_default(),
            v.get("request")
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        None => format!("unreadable:{}", metric.id),
    }
}
