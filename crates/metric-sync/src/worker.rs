//! Workers: take a job with a lease, keep the lease while working, finish or fail the job.
//!
//! [`Worker::try_execute_job`] is one step, so tests can drive it; [`run_worker`] is the thin
//! loop the binary runs (`switchboard worker`, or in-process under `switchboard serve`). On
//! PostgreSQL many workers on many machines share the queue; a job whose worker died comes back
//! when its lease lapses, and since each window is replaced in one transaction, doing it again
//! loses and duplicates nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use connector::Connector;
use futures::FutureExt;
use jiff::Timestamp;
use store::{FinishedRun, Job, JobId, RunStatus, Store, StoreError};

use crate::config::{SyncConfig, duration_ms};
use crate::error::SyncError;
use crate::run::{SyncOptions, SyncReport, Syncer};
use crate::schedule::{SYNC_JOB, Schedule, Scheduler, SyncJob};

/// Where "now" comes from; tests use their own.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claimed job stays ours without renewal.
    pub lease: Duration,
    /// How often the lease is renewed while working; well under `lease`.
    pub renew_every: Duration,
    /// How long a worker waits before looking for work again after finding none; the wait
    /// doubles while the queue stays empty, up to `idle_poll`. A job enqueued in the same
    /// process wakes it at once.
    pub poll: Duration,
    /// The longest wait of an idle worker between two looks at the queue (never below `poll`);
    /// `None` takes the backend's: [`IDLE_POLL`] on SQLite, [`IDLE_POLL_NOTIFIED`] on
    /// PostgreSQL, where every new job wakes waiting workers at once anyway.
    pub idle_poll: Option<Duration>,
    /// Claims of one job before a failure is final.
    pub max_attempts: i64,
    /// The wait before the first retry of a failed job; it doubles with each attempt.
    pub retry_base: Duration,
    /// When set, the loop also enqueues due metrics before looking for work.
    pub schedule: Option<Schedule>,
    pub sync: SyncConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            renew_every: Duration::from_secs(20),
            poll: Duration::from_secs(2),
            idle_poll: None,
            max_attempts: 5,
            retry_base: Duration::from_secs(30),
            schedule: Some(Schedule::default()),
            sync: SyncConfig::default(),
        }
    }
}

/// What one step did with the job it claimed.
#[derive(Debug)]
pub enum Outcome {
    Done {
        job: JobId,
        reports: Vec<SyncReport>,
    },
    /// The job failed; with `retry_at_ms` it is pending again from then.
    Failed {
        job: JobId,
        error: String,
        retry_at_ms: Option<i64>,
    },
    /// Another worker holds the job now (our lease lapsed): we stopped working on it.
    LeaseLost { job: JobId },
}

pub struct Worker<S> {
    syncer: Syncer<S>,
    id: String,
    config: WorkerConfig,
    clock: Arc<dyn Clock>,
}

impl<S: Store> Worker<S> {
    pub fn new(
        syncer: Syncer<S>,
        id: impl Into<String>,
        config: WorkerConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            syncer,
            id: id.into(),
            config,
            clock,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims the oldest due job (a lapsed lease included, both judged on the database's
    /// clock), does it at `now` while renewing the lease, then completes or fails it. Every
    /// write of the job names its lease ([`store::Lease`]): once another worker holds the job,
    /// they are refused and the step ends quietly with [`Outcome::LeaseLost`]. `None` when no
    /// job is due.
    pub async fn try_execute_job(&self, now: Timestamp) -> Result<Option<Outcome>, SyncError> {
        let store = self.syncer.store().clone();
        let Some(job) = store.claim(&self.id, self.config.lease).await? else {
            return Ok(None);
        };
        tracing::info!(worker = %self.id, job = job.id.0, kind = %job.kind, key = %job.key, attempt = job.attempts, fence = job.fence, "job claimed");
        let lease = job.lease();
        let renew = async {
            loop {
                tokio::time::sleep(self.config.renew_every).await;
                match store.renew(lease, self.config.lease).await {
                    Ok(()) => {}
                    Err(StoreError::LeaseLost { .. }) => return,
                    // A passing database error: the next renewal may work, and the lease has
                    // room for a few misses.
                    Err(e) => {
                        tracing::warn!(worker = %self.id, job = %job.id, error = %e, "lease renewal failed")
                    }
                }
            }
        };
        let (reports, error) = tokio::select! {
            result = self.execute(&job, now) => result,
            () = renew => {
                tracing::warn!(worker = %self.id, job = %job.id, "lease lost while working; stopped");
                return Ok(Some(Outcome::LeaseLost { job: job.id }));
            }
        };
        let runs: Vec<FinishedRun> = reports
            .iter()
            .filter_map(|r| r.unrecorded.clone())
            .collect();
        let done_ms = self.clock.now().as_millisecond().max(now.as_millisecond());
        let outcome = match (
            error,
            reports.iter().find(|r| r.status == RunStatus::Failed),
        ) {
            (None, None) => store
                .complete(lease, &runs, done_ms)
                .await
                .map(|()| Outcome::Done {
                    job: job.id,
                    reports,
                }),
            (None, Some(failed)) => {
                let error = format!(
                    "metric '{}': {}",
                    failed.name,
                    failed.error().unwrap_or("failed")
                );
                self.fail(&job, &runs, error, true, done_ms).await
            }
            (Some(e), _) => {
                let transient = e.is_transient();
                self.fail(&job, &runs, e.to_string(), transient, done_ms)
                    .await
            }
        };
        match outcome {
            Ok(o) => Ok(Some(o)),
            Err(StoreError::LeaseLost { .. }) => {
                tracing::warn!(worker = %self.id, job = %job.id, fence = job.fence, "lease lost: another worker holds the job; its end was not recorded");
                Ok(Some(Outcome::LeaseLost { job: job.id }))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn fail(
        &self,
        job: &Job,
        runs: &[FinishedRun],
        error: String,
        transient: bool,
        now_ms: i64,
    ) -> Result<Outcome, StoreError> {
        let retry_at_ms = (transient && job.attempts < self.config.max_attempts).then(|| {
            let shift = u32::try_from(job.attempts.clamp(1, 16) - 1).unwrap_or(0);
            now_ms + duration_ms(self.config.retry_base).saturating_mul(1 << shift)
        });
        self.syncer
            .store()
            .fail(job.lease(), runs, &error, retry_at_ms, now_ms)
            .await?;
        tracing::warn!(worker = %self.id, job = %job.id, %error, ?retry_at_ms, "job failed");
        Ok(Outcome::Failed {
            job: job.id,
            error,
            retry_at_ms,
        })
    }

    /// The job's reports, and the first error that kept a metric from syncing at all (the
    /// reports of the others are kept, so their runs' ends are recorded with the job's).
    async fn execute(&self, job: &Job, now: Timestamp) -> (Vec<SyncReport>, Option<SyncError>) {
        if job.kind != SYNC_JOB {
            let error = SyncError::BadJob {
                job: job.id,
                kind: job.kind.clone(),
                reason: format!("this worker knows only '{SYNC_JOB}' jobs"),
            };
            return (Vec::new(), Some(error));
        }
        let payload: SyncJob = match serde_json::from_value(job.payload.clone()) {
            Ok(p) => p,
            Err(e) => {
                let error = SyncError::BadJob {
                    job: job.id,
                    kind: job.kind.clone(),
                    reason: format!("its payload is not a sync job: {e}"),
                };
                return (Vec::new(), Some(error));
            }
        };
        let options = SyncOptions {
            range: payload.from_ms.zip(payload.to_ms),
            progress: None,
        };
        let mut reports = Vec::new();
        let mut error = None;
        let results = self
            .syncer
            .sync_many_under(Some(job.lease()), &payload.metrics, &options, now)
            .await;
        for (_, result) in results {
            match result {
                Ok(report) => reports.push(report),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        (reports, error)
    }
}

/// An idle worker's longest wait between looks at the queue on SQLite, where only jobs
/// enqueued in its own process wake it.
pub const IDLE_POLL: Duration = Duration::from_secs(5);
/// The same on PostgreSQL, where any process's new job wakes it: the wait only bounds how late
/// a retry that came due is taken.
pub const IDLE_POLL_NOTIFIED: Duration = Duration::from_secs(30);

/// The longest a worker with a schedule goes without asking the store what is due: a metric
/// newly put in use is seen within this time. Otherwise it asks when the next metric is due.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(30);

/// The worker loop: until `shutdown` completes, enqueue due metrics (when the config has a
/// schedule, and only when one is due or [`SCHEDULE_EVERY`] has passed: one store query), then
/// take and do jobs one at a time. With no job it waits `poll`, doubling up to `idle_poll` while
/// the queue stays empty, so an idle worker costs the database little; a new job wakes it at
/// once ([`Store::job_enqueued`]: any process's on PostgreSQL, its own process's on SQLite).
/// A job under way is finished before the loop stops.
pub async fn run_worker<S: Store>(
    store: Arc<S>,
    connector: Connector,
    worker_id: String,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), SyncError> {
    use tokio::time::Instant;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let syncer = Syncer::new(store.clone(), connector, config.sync.clone());
    let scheduler = config
        .schedule
        .clone()
        .map(|schedule| Scheduler::new(store.clone(), schedule));
    let poll = config.poll;
    let idle_poll = config
        .idle_poll
        .unwrap_or(match store.backend() {
            store::Backend::Postgres => IDLE_POLL_NOTIFIED,
            store::Backend::Sqlite => IDLE_POLL,
        })
        .max(poll);
    let worker = Worker::new(syncer, worker_id, config, clock.clone());
    let mut shutdown = Box::pin(shutdown);
    let mut next_schedule = Instant::now();
    let mut idle_wait = poll;
    loop {
        if (&mut shutdown).now_or_never().is_some() {
            break;
        }
        if let Some(scheduler) = &scheduler
            && Instant::now() >= next_schedule
        {
            next_schedule = match scheduler.tick(clock.now()).await {
                Ok(tick) => {
                    let now_ms = clock.now().as_millisecond();
                    let until_due = tick.next_due_ms.map_or(SCHEDULE_EVERY, |at| {
                        Duration::from_millis(u64::try_from(at - now_ms).unwrap_or(0))
                    });
                    Instant::now() + until_due.min(SCHEDULE_EVERY)
                }
                Err(e) => {
                    tracing::warn!(worker = %worker.id(), error = %e, "scheduling failed");
                    Instant::now() + poll
                }
            };
        }
        let worked = match worker.try_execute_job(clock.now()).await {
            Ok(Some(outcome)) => {
                log_outcome(worker.id(), &outcome);
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(worker = %worker.id(), error = %e, "taking a job failed");
                false
            }
        };
        if worked {
            idle_wait = poll;
            continue;
        }
        let mut wait = idle_wait;
        if scheduler.is_some() {
            wait = wait.min(next_schedule.saturating_duration_since(Instant::now()));
        }
        idle_wait = (idle_wait * 2).min(idle_poll);
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait) => {}
            () = store.job_enqueued() => idle_wait = poll,
        }
    }
    tracing::info!(worker = %worker.id(), "worker stopped");
    Ok(())
}

/// The `job ended` event, with the job's figures as fields.
fn log_outcome(worker: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Done { job, reports } => {
            let failed = reports
                .iter()
                .filter(|r| r.status == RunStatus::Failed)
                .count();
            tracing::info!(
                worker,
                job = job.0,
                outcome = "done",
                runs = reports.len(),
                failed_runs = failed,
                "job ended"
            );
        }
        Outcome::Failed {
            job,
            error,
            retry_at_ms,
        } => tracing::info!(
            worker,
            job = job.0,
            outcome = "failed",
            error = %error,
            retry_at_ms = retry_at_ms.unwrap_or_default(),
            will_retry = retry_at_ms.is_some(),
            "job ended"
        ),
        Outcome::LeaseLost { job } => {
            tracing::info!(worker, job = job.0, outcome = "lease_lost", "job ended")
        }
    }
}
