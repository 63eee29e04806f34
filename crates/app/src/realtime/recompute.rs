//! The provisional values: the live part of an hour of a metric is its own expression over the
//! records of the pushed resources created in that hour at or after the end of its last good
//! sync (what the poll already saw is not counted twice), folded into buckets exactly as a sync
//! folds a page's rows, and written as the hour's overlay.
//!
//! Only a metric whose request pushed events can stand in for ([`::realtime::readers::live_read`]),
//! over its connection's own account, in use, synced at least once and not dated at the sync
//! time (a snapshot) gets one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::realtime::resource::ResourceState;
use ::realtime::{LiveRead, ResourceKind};
use domain::HOUR_MS;
use metric::extract::sync_context;
use metric::{Expression, HourBucket, Limits, MetricDefinition, fold_rows, rows_from_result};
use store::{
    BucketRow, Connection, ConnectionId, LiveHour, LiveResource, LiveStore, MetricId, Store,
    StoredMetric,
};
use tokio::sync::{mpsc, oneshot};

use super::{Core, lock};
use crate::pool::on_pool;

/// How long events and resources are kept: Event Streams queue up to 4 h, and a day of polls
/// reconciles whatever was provisional.
const KEEP_MS: i64 = 48 * HOUR_MS;

const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Records per page an expression is evaluated on: what a Twilio page holds at most, which keeps
/// every evaluation inside the JSONata limits, as a sync's.
const PAGE_RECORDS: usize = 1000;

/// How a metric reads pushed resources, compiled once per saved version.
#[derive(Clone)]
struct Plan {
    read: LiveRead,
    expression: Expression,
    /// The connection the definition names by label, when the metric row names none.
    label: String,
    connection_id: Option<ConnectionId>,
}

/// How a written hour was computed.
#[derive(Clone, Copy)]
struct Written {
    connection: ConnectionId,
    kind: ResourceKind,
    cutoff: i64,
}

#[derive(Default)]
struct State {
    /// Per metric: the version compiled, and its plan (`None`: it cannot be provisional).
    plans: HashMap<MetricId, (i64, Option<Plan>)>,
    /// (metric, hour) with a live part written, with the connection and kind it was computed
    /// from and the cutoff it used: an hour that becomes empty is written empty once (and then
    /// forgotten), one that never had rows is not written at all, and one whose metric has
    /// synced since is computed again (see [`pass`]).
    written: BTreeMap<(MetricId, i64), Written>,
    last_prune: Option<Instant>,
}

pub(crate) async fn run(core: Arc<Core>, mut flushes: mpsc::Receiver<oneshot::Sender<()>>) {
    let mut tick = tokio::time::interval(core.config.recompute_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut state = State::default();
    loop {
        tokio::select! {
            _ = tick.tick() => pass(&core, &mut state).await,
            asked = flushes.recv() => match asked {
                Some(done) => {
                    pass(&core, &mut state).await;
                    let _ = done.send(());
                }
                // The last `Realtime` is gone.
                None => break,
            },
        }
    }
}

async fn pass(core: &Core, state: &mut State) {
    let now_ms = core.app.clock().now_ms();
    if state
        .last_prune
        .is_none_or(|at| at.elapsed() >= PRUNE_EVERY)
    {
        state.last_prune = Some(Instant::now());
        match core.app.store().prune_live(now_ms - KEEP_MS).await {
            Ok(n) => tracing::debug!(rows = n, "pruned old pushed events"),
            Err(e) => tracing::warn!(error = %e, "could not prune old pushed events"),
        }
        state
            .written
            .retain(|(_, hour), _| *hour >= now_ms - KEEP_MS);
    }
    let mut dirty = std::mem::take(&mut *lock(&core.dirty));
    // With overlays written, every pass reads the cutoffs, even without new events: a poll that
    // ended since replaced those hours, and one computed while it ran may have put the old live
    // part back on top of the polled values.
    if dirty.is_empty() && state.written.is_empty() {
        return;
    }
    let mut failed = Vec::new();
    match cutoffs(core).await {
        Ok(cutoffs) => {
            // Hours written under an older cutoff are computed again under the new one (whose
            // live part holds only what the poll could not have seen, usually nothing).
            for ((metric, hour), w) in &state.written {
                if cutoffs.get(metric).is_some_and(|&c| c != w.cutoff) {
                    dirty.insert((w.connection, w.kind, *hour));
                }
            }
            if dirty.is_empty() {
                return;
            }
            match core.app.store().list_metrics().await {
                Ok(metrics) => {
                    let mut by_connection: BTreeMap<ConnectionId, Vec<(ResourceKind, i64)>> =
                        BTreeMap::new();
                    for &(c, kind, hour) in &dirty {
                        by_connection.entry(c).or_default().push((kind, hour));
                    }
                    for (connection, pairs) in by_connection {
                        let outcome = recompute_connection(
                            core, state, connection, &pairs, &metrics, &cutoffs, now_ms,
                        )
                        .await;
                        if let Err(e) = outcome {
                            tracing::warn!(%connection, error = %e, "could not recompute provisional values");
                            failed.extend(pairs.into_iter().map(|(k, h)| (connection, k, h)));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the metrics to recompute");
                    failed.extend(dirty);
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the metrics' last syncs to recompute");
            failed.extend(dirty);
        }
    }
    // Tried again at the next pass.
    lock(&core.dirty).extend(failed);
}

/// Each synced metric in use's cutoff: the end of its last good sync.
async fn cutoffs(core: &Core) -> Result<HashMap<MetricId, i64>, String> {
    let states = core
        .app
        .store()
        .sync_states()
        .await
        .map_err(|e| e.to_string())?;
    Ok(states
        .into_iter()
        .filter_map(|s| Some((s.id, s.last_good_finished_ms?)))
        .collect())
}

async fn recompute_connection(
    core: &Core,
    state: &mut State,
    connection: ConnectionId,
    pairs: &[(ResourceKind, i64)],
    metrics: &[StoredMetric],
    cutoffs: &HashMap<MetricId, i64>,
    now_ms: i64,
) -> Result<(), String> {
    let store = core.app.store();
    let conn: Connection = match store.connection(connection).await {
        Ok(c) => c,
        // Removed meanwhile: nothing reads its events any more.
        Err(store::StoreError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let mut readers: Vec<(MetricId, i64, Plan)> = Vec::new();
    for m in metrics {
        let Some(&cutoff) = cutoffs.get(&m.id) else {
            continue;
        };
        let Some(plan) = plan_of(state, m) else {
            continue;
        };
        let ours = match plan.connection_id {
            Some(id) => id == connection,
            None => plan.label == conn.label,
        };
        if ours {
            readers.push((m.id, cutoff, plan));
        }
    }
    if readers.is_empty() {
        return Ok(());
    }
    let account = conn.account_sid.as_str().to_owned();
    let mut hours: BTreeMap<MetricId, Vec<LiveHour>> = BTreeMap::new();
    let mut resources: HashMap<(ResourceKind, i64, i64), Arc<Vec<LiveResource>>> = HashMap::new();
    for &(kind, hour) in pairs {
        for (metric, cutoff, plan) in readers.iter().filter(|r| r.2.read.kind == kind) {
            let key = (kind, hour, *cutoff);
            let found = match resources.get(&key) {
                Some(found) => Arc::clone(found),
                None => {
                    let found = store
                        .live_resources(connection, kind.as_str(), hour, hour + HOUR_MS, *cutoff)
                        .await
                        .map_err(|e| e.to_string())?;
                    let found = Arc::new(found);
                    resources.insert(key, Arc::clone(&found));
                    found
                }
            };
            let (plan, account, found) = (plan.clone(), account.clone(), Arc::clone(&found));
            let buckets = on_pool(
                core.app.pool(),
                "recomputing a provisional value",
                move || live_buckets(&plan, &account, &found, hour, now_ms),
            )
            .await
            .map_err(|e| e.to_string())?;
            let buckets = match buckets {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(%metric, error = %e, "a metric's expression failed on pushed records");
                    continue;
                }
            };
            if buckets.is_empty() {
                // Nothing live (left): the polled value alone, written once if it had a part.
                if state.written.remove(&(*metric, hour)).is_none() {
                    continue;
                }
            } else {
                state.written.insert(
                    (*metric, hour),
                    Written {
                        connection,
                        kind,
                        cutoff: *cutoff,
                    },
                );
            }
            hours.entry(*metric).or_default().push(LiveHour {
                hour_ms: hour,
                buckets,
            });
        }
    }
    for (metric, hours) in hours {
        store
            .write_live_hours(metric, &hours)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The metric's plan for its current version, compiled the first time it is seen.
fn plan_of(state: &mut State, m: &StoredMetric) -> Option<Plan> {
    if let Some((version, plan)) = state.plans.get(&m.id)
        && *version == m.version
    {
        return plan.clone();
    }
    let plan = compile(m);
    state.plans.insert(m.id, (m.version, plan.clone()));
    plan
}

fn compile(m: &StoredMetric) -> Option<Plan> {
    let def = MetricDefinition::from_json(&m.definition).ok()?;
    if !def.accounts.is_connection() || metric_sync::uses_sync_time(&def) {
        return None;
    }
    let read = ::realtime::readers::live_read(&def.request).ok()?;
    let expression = def.compile(Limits::default()).ok()?;
    Some(Plan {
        read,
        expression,
        label: def.connection,
        connection_id: m.connection_id,
    })
}

/// The live part of `hour`: the metric's expression over pages of the records of `resources`
/// of `account` its request's filters accept, the rows dated inside the hour, folded.
fn live_buckets(
    plan: &Plan,
    account: &str,
    resources: &[LiveResource],
    hour: i64,
    now_ms: i64,
) -> Result<Vec<BucketRow>, String> {
    let records: Vec<serde_json::Value> = resources
        .iter()
        .filter(|r| r.account_sid == account)
        .filter_map(state_of)
        .map(|s| ::realtime::resource::record(&s))
        .filter(|r| plan.read.accepts(r))
        .collect();
    let sync_time = jiff::Timestamp::from_millisecond(now_ms).map_err(|e| e.to_string())?;
    let context = sync_context(sync_time);
    let mut folded: BTreeMap<(i64, Option<String>), HourBucket> = BTreeMap::new();
    for chunk in records.chunks(PAGE_RECORDS) {
        let page = ::realtime::resource::page(plan.read.kind, chunk.to_vec());
        let result = plan
            .expression
            .evaluate_in(Some(&page), &context)
            .map_err(|e| e.to_string())?;
        let set = rows_from_result(result.as_ref(), sync_time);
        let inside = set.rows.iter().filter(|r| {
            let at = r.date.as_millisecond();
            (hour..hour + HOUR_MS).contains(&at)
        });
        for bucket in fold_rows(inside) {
            match folded.get_mut(&(bucket.hour, bucket.dimension.clone())) {
                Some(b) => b.merge(&bucket),
                None => {
                    folded.insert((bucket.hour, bucket.dimension.clone()), bucket);
                }
            }
        }
    }
    Ok(folded.values().map(metric_sync::to_row).collect())
}

fn state_of(r: &LiveResource) -> Option<ResourceState> {
    Some(ResourceState {
        kind: ResourceKind::parse(&r.kind)?,
        sid: r.sid.clone(),
        account_sid: r.account_sid.clone(),
        status: r.status.clone(),
        created_ms: r.created_ms,
        updated_ms: r.updated_ms,
        fields: serde_json::from_str(&r.fields).unwrap_or_default(),
    })
}
