//! A sync run: plan the windows, fetch them in parallel, replace each window's buckets as it
//! completes, write the ledger.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use connector::{Connector, FetchOptions};
use domain::AccountSid;
use jiff::Timestamp;
use metric::FieldSet;
use store::{
    BucketQuery, BucketRow, FinishedRun, Lease, MetricId, NewRawPages, NewSyncRun, RawPagesStored,
    RunCounts, RunStatus, Store, SyncRunEnd, SyncRunId,
};
use tokio::task::JoinSet;
use twilio_request::RequestSpec;

use crate::config::{RawPagesSetting, SyncConfig};
use crate::error::SyncError;
use crate::ledger::RunLedger;
use crate::plan::{Plan, Shape, Span, plan, plan_range};
use crate::target::{Target, load};
use crate::window::{Acc, Evaluator, Fetched, WindowJob};

/// How far a sync has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressEvent {
    pub windows_done: u32,
    /// Grows when a window is split.
    pub windows_total: u32,
    pub pages: u32,
}

pub type Progress = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// What to sync besides the metrics.
#[derive(Clone, Default)]
pub struct SyncOptions {
    /// An explicit UTC range `[from_ms, to_ms)` instead of the planned one (widened to hours).
    pub range: Option<(i64, i64)>,
    pub progress: Option<Progress>,
}

/// How one metric's sync ended; its ledger is also stored as the run's ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub metric: MetricId,
    pub name: String,
    pub run: SyncRunId,
    pub status: RunStatus,
    pub range: Span,
    pub ledger: RunLedger,
    /// Under a job's lease, the run's end is not recorded by the sync: it is recorded with the
    /// job's own end, in one fenced transaction ([`Store::complete`]). This is it.
    pub unrecorded: Option<FinishedRun>,
}

impl SyncReport {
    pub fn error(&self) -> Option<&str> {
        self.ledger.error.as_deref()
    }
}

/// Syncs metrics into a store through a connector. Cheap to clone.
pub struct Syncer<S> {
    pub(crate) store: Arc<S>,
    pub(crate) connector: Connector,
    pub(crate) config: SyncConfig,
}

impl<S> Clone for Syncer<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            connector: self.connector.clone(),
            config: self.config.clone(),
        }
    }
}

fn now_plus(now: Timestamp, started: Instant) -> i64 {
    now.as_millisecond() + i64::try_from(started.elapsed().as_millis()).unwrap_or(0)
}

impl<S: Store> Syncer<S> {
    pub fn new(store: Arc<S>, connector: Connector, config: SyncConfig) -> Self {
        Self {
            store,
            connector,
            config,
        }
    }

    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// Syncs one metric from its last good sync (or its backfill) up to `now`.
    pub async fn sync_metric(&self, id: MetricId, now: Timestamp) -> Result<SyncReport, SyncError> {
        self.sync_metric_with(id, &SyncOptions::default(), now)
            .await
    }

    pub async fn sync_metric_with(
        &self,
        id: MetricId,
        options: &SyncOptions,
        now: Timestamp,
    ) -> Result<SyncReport, SyncError> {
        let mut reports = self.sync_many(&[id], options, now).await;
        reports.pop().map(|(_, r)| r).unwrap_or_else(|| {
            Err(SyncError::Store(store::StoreError::NotFound {
                what: "metric",
                id: id.to_string(),
            }))
        })
    }

    /// Syncs several metrics in one run. Metrics of the same connection whose requests are the
    /// same (the shared fetch plan) fetch their pages once, over the widest of their plans, and
    /// each evaluates its own expression on them; each still gets its own ledger.
    ///
    /// An `Err` means the metric could not be synced at all (its definition, connection or the
    /// database); a run that started and failed is an `Ok` report with status `Failed`, and its
    /// windows stored before the failure stay stored.
    pub async fn sync_many(
        &self,
        ids: &[MetricId],
        options: &SyncOptions,
        now: Timestamp,
    ) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
        self.sync_many_under(None, ids, options, now).await
    }

    /// [`Syncer::sync_many`] under a job's `lease`: every run start and window write names it,
    /// and is refused once another worker holds the job. The runs' ends are left to the job's
    /// end ([`SyncReport::unrecorded`]).
    pub async fn sync_many_under(
        &self,
        lease: Option<Lease>,
        ids: &[MetricId],
        options: &SyncOptions,
        now: Timestamp,
    ) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
        let mut out = Vec::new();
        let mut groups: BTreeMap<(i64, String, bool), Vec<Target>> = BTreeMap::new();
        let mut unique = ids.to_vec();
        unique.sort();
        unique.dedup();
        for id in unique {
            match load(self.store.as_ref(), id).await {
                Ok(target) => groups.entry(target.share_key()).or_default().push(target),
                Err(error) => {
                    self.record_unusable(id, &error, now).await;
                    out.push((id, Err(error)));
                }
            }
        }
        for (_, targets) in groups {
            if targets.first().is_some_and(|t| t.accounts.is_multi()) {
                out.extend(self.sync_accounts_group(lease, targets, options, now).await);
                continue;
            }
            let ids: Vec<MetricId> = targets.iter().map(Target::id).collect();
            match self.group_plan(&targets, options, now).await {
                Ok(plan) => {
                    out.extend(self.sync_group(lease, targets, plan, options, now).await);
                }
                Err(error) => {
                    let message = error.to_string();
                    let mut first = Some(error);
                    for id in ids {
                        let e = first.take().unwrap_or_else(|| {
                            SyncError::Store(store::StoreError::Invalid {
                                what: "sync plan",
                                reason: message.clone(),
                            })
                        });
                        out.push((id, Err(e)));
                    }
                }
            }
        }
        out
    }

    /// A metric that cannot even be loaded still gets a failed ledger, so it shows as stale with
    /// its reason.
    async fn record_unusable(&self, id: MetricId, error: &SyncError, now: Timestamp) {
        if !matches!(
            error,
            SyncError::Definition { .. }
                | SyncError::NoConnection { .. }
                | SyncError::SecretUnavailable { .. }
        ) {
            return;
        }
        let now_ms = now.as_millisecond();
        let run = NewSyncRun {
            metric_id: id,
            from_ms: now_ms,
            to_ms: now_ms,
            started_ms: now_ms,
        };
        if let Ok(run) = self.store.start_sync_run(&run).await {
            let ledger = RunLedger {
                error: Some(error.to_string()),
                ..RunLedger::default()
            };
            let end = SyncRunEnd {
                status: RunStatus::Failed,
                ledger: serde_json::to_value(&ledger).unwrap_or_default(),
                error: ledger.error.clone(),
                finished_ms: now_ms,
            };
            let _ = self.store.finish_sync_run(run, &end).await;
        }
    }

    async fn group_plan(
        &self,
        targets: &[Target],
        options: &SyncOptions,
        now: Timestamp,
    ) -> Result<Plan, SyncError> {
        let now_ms = now.as_millisecond();
        let Some(first) = targets.first() else {
            return Err(SyncError::Store(store::StoreError::Invalid {
                what: "sync plan",
                reason: "no metric to sync".to_owned(),
            }));
        };
        if let Some((from, to)) = options.range {
            return Ok(plan_range(
                &first.spec,
                first.uses_sync_time,
                from,
                to,
                now_ms,
                &self.config,
            ));
        }
        let mut from = i64::MAX;
        for t in targets {
            let last = self.store.last_good_sync(t.id()).await?;
            let p = plan(
                &t.spec,
                t.uses_sync_time,
                last.map(|r| r.to_ms),
                now_ms,
                &self.config,
            );
            from = from.min(p.range.from_ms);
        }
        let p = plan(
            &first.spec,
            first.uses_sync_time,
            None,
            now_ms,
            &self.config,
        );
        if p.shape == Shape::Snapshot {
            return Ok(p);
        }
        Ok(plan_range(
            &first.spec,
            first.uses_sync_time,
            from,
            now_ms,
            now_ms,
            &self.config,
        ))
    }

    async fn sync_group(
        &self,
        lease: Option<Lease>,
        targets: Vec<Target>,
        plan: Plan,
        options: &SyncOptions,
        now: Timestamp,
    ) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
        let started = Instant::now();
        let now_ms = now.as_millisecond();
        let runs = match self.start_runs(lease, &targets, plan.range, now_ms).await {
            Ok(runs) => runs,
            Err(out) => return out,
        };

        let ids: Vec<i64> = targets.iter().map(|t| t.id().0).collect();
        let mut ledgers: Vec<RunLedger> = targets
            .iter()
            .map(|t| RunLedger {
                shape: serde_json::to_value(plan.shape)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                windows_planned: u32::try_from(plan.windows.len()).unwrap_or(u32::MAX),
                shared_with: ids.iter().copied().filter(|&i| i != t.id().0).collect(),
                ..RunLedger::default()
            })
            .collect();

        let (raw, error) = self
            .run_windows(lease, &targets, &plan, options, now, &mut ledgers)
            .await;

        let raw_pages = self
            .keep_raw_pages(&targets, &plan, now_ms, raw, error.as_ref())
            .await;
        let finished = Finished {
            range: plan.range,
            windows_planned: u32::try_from(plan.windows.len()).unwrap_or(u32::MAX),
            error,
            raw_pages,
            started,
        };
        self.finish_runs(lease, &targets, runs, ledgers, finished, now)
            .await
    }

    /// Starts one run per metric over `range`; on a refusal, every metric's answer is the error.
    pub(crate) async fn start_runs(
        &self,
        lease: Option<Lease>,
        targets: &[Target],
        range: Span,
        now_ms: i64,
    ) -> Result<Vec<SyncRunId>, Vec<(MetricId, Result<SyncReport, SyncError>)>> {
        let mut runs = Vec::with_capacity(targets.len());
        for t in targets {
            let start = async {
                let run = NewSyncRun {
                    metric_id: t.id(),
                    from_ms: range.from_ms,
                    to_ms: range.to_ms,
                    started_ms: now_ms,
                };
                if lease.is_none() {
                    self.store.abandon_running_sync_runs(t.id(), now_ms).await?;
                }
                // Under a lease the start abandons older runs itself, fenced.
                self.store.start_sync_run_under(lease, &run).await
            };
            match start.await {
                Ok(run) => runs.push(run),
                Err(error) => {
                    let mut out: Vec<_> = targets
                        .iter()
                        .map(|t| {
                            (
                                t.id(),
                                Err(SyncError::Store(store::StoreError::Invalid {
                                    what: "sync run",
                                    reason: error.to_string(),
                                })),
                            )
                        })
                        .collect();
                    if let Some(first) = out.first_mut() {
                        first.1 = Err(SyncError::Store(error));
                    }
                    return Err(out);
                }
            }
        }
        Ok(runs)
    }

    /// Ends each metric's run with its ledger (or leaves the end to the job's, under a lease).
    pub(crate) async fn finish_runs(
        &self,
        lease: Option<Lease>,
        targets: &[Target],
        runs: Vec<SyncRunId>,
        ledgers: Vec<RunLedger>,
        finished: Finished,
        now: Timestamp,
    ) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
        let Finished {
            range,
            windows_planned,
            error,
            raw_pages,
            started,
        } = finished;
        let mut out = Vec::with_capacity(targets.len());
        let mut summary = RunSummary::new(range, windows_planned);
        for (i, ((t, run), mut ledger)) in targets.iter().zip(runs).zip(ledgers).enumerate() {
            if let Some(error) = &error {
                ledger.error = Some(error.clone());
            }
            ledger.raw_pages = raw_pages.clone();
            ledger.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let status = ledger.status();
            let end = SyncRunEnd {
                status,
                ledger: serde_json::to_value(&ledger).unwrap_or_default(),
                error: ledger.error.clone(),
                finished_ms: now_plus(now, started),
            };
            // The group shares one fetch: its Twilio figures are counted once, on the first run.
            let fetch_of = |n: u32| if i == 0 { u64::from(n) } else { 0 };
            let counts = RunCounts {
                twilio_requests: fetch_of(ledger.requests),
                twilio_throttled: fetch_of(ledger.throttled),
                twilio_retries: fetch_of(ledger.retries),
                pages: fetch_of(ledger.pages),
                rows: ledger.rows_stored,
            };
            summary.add(t.id(), run, &ledger, status);
            let (finished, unrecorded) = match lease {
                None => (
                    self.store.finish_sync_run_counted(run, &end, &counts).await,
                    None,
                ),
                Some(_) => (Ok(()), Some(FinishedRun { run, end, counts })),
            };
            let report = finished.map(|()| SyncReport {
                metric: t.id(),
                name: t.metric.name.clone(),
                run,
                status,
                range,
                ledger,
                unrecorded,
            });
            out.push((t.id(), report.map_err(SyncError::from)));
        }
        summary.log(started);
        out
    }

    /// Fetches the plan's windows, at most `parallel_windows` at a time, splitting capped ones,
    /// and replaces each finished window's buckets. Returns the raw pages (unless they outgrew
    /// the cap) and the first error, after which no new window starts.
    async fn run_windows(
        &self,
        lease: Option<Lease>,
        targets: &[Target],
        plan: &Plan,
        options: &SyncOptions,
        now: Timestamp,
        ledgers: &mut [RunLedger],
    ) -> (Option<Vec<Vec<u8>>>, Option<String>) {
        let Some(first) = targets.first() else {
            return (None, None);
        };
        let keep_raw = self.config.raw_pages == RawPagesSetting::On;
        let spec = Arc::new(first.spec.clone());
        let job = self.window_job(targets, first, spec, plan.shape, None, keep_raw, now);
        let parallel = self.window_parallelism();
        let mut queue: VecDeque<Span> = plan.windows.iter().copied().collect();
        let mut running: JoinSet<Fetched> = JoinSet::new();
        let mut error: Option<String> = None;
        let mut raw: Option<Vec<Vec<u8>>> = job.keep_raw.then(Vec::new);
        let mut raw_bytes = 0u64;
        let mut progress = ProgressEvent {
            windows_done: 0,
            windows_total: u32::try_from(plan.windows.len()).unwrap_or(u32::MAX),
            pages: 0,
        };
        loop {
            while error.is_none() && running.len() < parallel {
                let Some(span) = queue.pop_front() else { break };
                let mut job = job.clone();
                job.keep_raw = raw.is_some();
                running.spawn(job.fetch(span));
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let Some(fetched) = task_result(joined, &mut error) else {
                continue;
            };
            count_fetch(ledgers, &mut progress, &fetched.ledger);
            let accs = match fetched.result {
                Ok(accs) => accs,
                Err(e) => {
                    error.get_or_insert_with(|| e.to_string());
                    continue;
                }
            };
            if fetched.ledger.cap_hit
                && plan.shape == Shape::Windowed
                && let Some((a, b)) = fetched.span.halves()
            {
                for l in ledgers.iter_mut() {
                    l.splits += 1;
                }
                progress.windows_total += 1;
                queue.push_front(b);
                queue.push_front(a);
                continue;
            }
            for ((t, acc), ledger) in targets.iter().zip(accs).zip(ledgers.iter_mut()) {
                if let Err(e) = self
                    .store_window(
                        lease,
                        t,
                        fetched.span,
                        &acc,
                        plan.shape,
                        now.as_millisecond(),
                    )
                    .await
                {
                    error.get_or_insert_with(|| {
                        format!("metric '{}', window {}: {e}", t.metric.name, fetched.span)
                    });
                    continue;
                }
                ledger.add_stored_window(&acc);
                if fetched.ledger.cap_hit {
                    ledger.partial_windows.push(fetched.span);
                }
            }
            if let Some(pages) = raw.as_mut() {
                // The cap counts what the store will hold: the compressed pages, sealed.
                raw_bytes += fetched.raw.iter().map(|p| p.len() as u64).sum::<u64>();
                if raw_bytes > self.config.raw_pages_cap_bytes {
                    raw = None;
                } else {
                    pages.extend(fetched.raw);
                }
            }
            progress.windows_done += 1;
            if let Some(report) = &options.progress {
                report(progress);
            }
        }
        (raw, error)
    }

    /// Stores the run's raw pages once for the metrics that share them, or, after a failed run
    /// or one whose pages outgrew the cap, drops the older pages those metrics read, which no
    /// longer match their data. Returns what the ledgers say about them.
    async fn keep_raw_pages(
        &self,
        targets: &[Target],
        plan: &Plan,
        now_ms: i64,
        raw: Option<Vec<Vec<u8>>>,
        error: Option<&String>,
    ) -> String {
        let ids: Vec<MetricId> = targets.iter().map(Target::id).collect();
        let (Some(first), None, Some(pages)) = (targets.first(), error, raw) else {
            let why = match self.config.raw_pages {
                RawPagesSetting::Off => "not kept (raw pages are off)",
                RawPagesSetting::On => "not kept (failed run or over the cap)",
            };
            return match self.store.drop_raw_pages(&ids).await {
                Ok(_) => why.to_owned(),
                Err(e) => format!("{why}; the older ones could not be dropped: {e}"),
            };
        };
        let fields = union_of_fields(targets).to_json();
        let fingerprint = first.fingerprint();
        let new = NewRawPages {
            connection_id: first.connection.id,
            fingerprint: &fingerprint,
            readers: &ids,
            from_ms: plan.range.from_ms,
            to_ms: plan.range.to_ms,
            synced_at_ms: now_ms,
            fields: &fields,
            pages: &pages,
        };
        match self
            .store
            .put_raw_pages(&new, self.config.raw_pages_cap_bytes)
            .await
        {
            Ok(RawPagesStored::Stored { .. }) => "stored".to_owned(),
            Ok(RawPagesStored::TooLarge { .. }) => "too large for the cap".to_owned(),
            Err(e) => format!("not stored: {e}"),
        }
    }

    /// Replaces one window of one metric in one transaction. A snapshot adds this run's point
    /// to the points already in its hour (once: the same sync time is not added twice).
    async fn store_window(
        &self,
        lease: Option<Lease>,
        t: &Target,
        span: Span,
        acc: &Acc,
        shape: Shape,
        now_ms: i64,
    ) -> Result<(), store::StoreError> {
        let mut rows = acc.bucket_rows();
        if shape == Shape::Snapshot {
            let existing = self
                .store
                .buckets(&BucketQuery {
                    metric: t.id(),
                    dimension: None,
                    from_ms: span.from_ms,
                    to_ms: span.to_ms,
                })
                .await?;
            if existing.iter().any(|b| b.latest_at_ms == now_ms) {
                return Ok(());
            }
            merge_existing(&mut rows, existing);
        }
        self.store
            .replace_window_under(lease, t.id(), span.from_ms, span.to_ms, &rows)
            .await?;
        Ok(())
    }
}

/// How a group's runs ended, for [`Syncer::finish_runs`].
pub(crate) struct Finished {
    pub range: Span,
    pub windows_planned: u32,
    pub error: Option<String>,
    pub raw_pages: String,
    pub started: Instant,
}

/// What of a page any of the metrics sharing a fetch can read.
pub(crate) fn union_of_fields(targets: &[Target]) -> FieldSet {
    targets
        .iter()
        .fold(FieldSet::nothing(), |all, t| all.union(&t.fields))
}

impl<S> Syncer<S> {
    /// How many windows are fetched at once: as configured, else as many requests as the
    /// connector lets through at once.
    pub(crate) fn window_parallelism(&self) -> usize {
        self.config
            .parallel_windows
            .unwrap_or(self.connector.config().max_in_flight)
            .max(1)
    }

    /// The one fetch that serves `targets` (alike requests; `first` lends the credentials),
    /// for all accounts or, with `account`, for one of them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn window_job(
        &self,
        targets: &[Target],
        first: &Target,
        spec: Arc<RequestSpec>,
        shape: Shape,
        account: Option<AccountSid>,
        keep_raw: bool,
        now: Timestamp,
    ) -> WindowJob {
        WindowJob {
            connector: self.connector.clone(),
            credentials: first.credentials(),
            spec,
            evaluators: Arc::new(
                targets
                    .iter()
                    .map(|t| Evaluator {
                        name: t.metric.name.clone(),
                        expression: t.expression.clone(),
                    })
                    .collect(),
            ),
            shape,
            options: FetchOptions {
                max_pages: self.config.max_pages,
                account,
            },
            sync_time: now,
            keep_raw,
            read_fields: Arc::new(union_of_fields(targets)),
        }
    }
}

/// A window task's result; `None` when the task itself died, which becomes the run's error
/// unless it already has one.
pub(crate) fn task_result<T>(
    joined: Result<T, tokio::task::JoinError>,
    error: &mut Option<String>,
) -> Option<T> {
    joined
        .map_err(|e| {
            error.get_or_insert_with(|| format!("a window's task stopped: {e}"));
        })
        .ok()
}

/// Adds a window's fetch to every ledger of the run and to its progress.
pub(crate) fn count_fetch(
    ledgers: &mut [RunLedger],
    progress: &mut ProgressEvent,
    fetch: &connector::Ledger,
) {
    for l in ledgers.iter_mut() {
        l.add_fetch(fetch);
    }
    progress.pages += fetch.pages;
}

pub(crate) fn merge_existing(rows: &mut Vec<BucketRow>, existing: Vec<BucketRow>) {
    for old in existing {
        match rows
            .iter_mut()
            .find(|r| r.hour_ms == old.hour_ms && r.dimension == old.dimension)
        {
            Some(new) => new.fold(&old),
            None => rows.push(old),
        }
    }
}

/// The one `info` event of a sync run (a group of metrics sharing one fetch is one run of the
/// fetch), with its figures as fields; the per-window details are `debug` events.
struct RunSummary {
    run_ids: Vec<i64>,
    metric_ids: Vec<i64>,
    span: Span,
    windows_planned: u32,
    windows_stored: u32,
    requests: u32,
    pages: u32,
    throttled: u32,
    retries: u32,
    rows: u64,
    outcome: RunStatus,
    error: Option<String>,
}

impl RunSummary {
    fn new(span: Span, windows_planned: u32) -> Self {
        Self {
            run_ids: Vec::new(),
            metric_ids: Vec::new(),
            span,
            windows_planned,
            windows_stored: 0,
            requests: 0,
            pages: 0,
            throttled: 0,
            retries: 0,
            rows: 0,
            outcome: RunStatus::Succeeded,
            error: None,
        }
    }

    fn add(&mut self, metric: MetricId, run: SyncRunId, ledger: &RunLedger, status: RunStatus) {
        self.run_ids.push(run.0);
        self.metric_ids.push(metric.0);
        // Every ledger of the group holds the shared fetch's figures: take them once.
        self.requests = ledger.requests;
        self.pages = ledger.pages;
        self.throttled = ledger.throttled;
        self.retries = ledger.retries;
        self.windows_stored = self.windows_stored.max(ledger.windows_stored);
        self.rows += ledger.rows_stored;
        let rank = |s: RunStatus| match s {
            RunStatus::Failed => 2,
            RunStatus::Partial => 1,
            _ => 0,
        };
        if rank(status) > rank(self.outcome) {
            self.outcome = status;
        }
        if self.error.is_none() {
            self.error.clone_from(&ledger.error);
        }
    }

    fn log(&self, started: Instant) {
        let join = |ids: &[i64]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let at = |ms: i64| {
            Timestamp::from_millisecond(ms)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        tracing::info!(
            run_id = self.run_ids.first().copied().unwrap_or_default(),
            run_ids = %join(&self.run_ids),
            metric_ids = %join(&self.metric_ids),
            windows = self.windows_stored,
            windows_planned = self.windows_planned,
            window_from = %at(self.span.from_ms),
            window_to = %at(self.span.to_ms),
            requests = self.requests,
            pages = self.pages,
            rows = self.rows,
            throttled = self.throttled,
            retries = self.retries,
            outcome = self.outcome.as_str(),
            error = self.error.as_deref().unwrap_or(""),
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "sync run finished"
        );
    }
}
