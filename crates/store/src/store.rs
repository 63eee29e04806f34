use std::future::Future;
use std::time::Duration;

use domain::Secret;

use crate::error::Result;
use crate::ids::{ConnectionId, JobId, MetricId, SyncRunId};
use crate::rows::*;
use crate::secrets::{KeyState, MasterKey};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Switchboard's storage, implemented by [`crate::SqliteStore`] and [`crate::PostgresStore`]
/// (and [`crate::AnyStore`], which is either, chosen at run time).
///
/// The methods are `async` through return-position `impl Future + Send` (native async functions
/// in traits, no boxing), so a store can be used from spawned tasks. The trait is therefore not
/// object-safe: hold an [`crate::AnyStore`] or be generic over `S: Store`. A `Store` is also a
/// [`crate::TwilioAccountStore`] (the accounts of a connection) and a [`crate::LiveStore`]
/// (pushed events and provisional values), so code generic over `S: Store` reaches all three.
///
/// Instants are epoch milliseconds (UTC) and are passed in by the caller, never read from a clock
/// here, so tests and workers decide what "now" is.
pub trait Store: crate::TwilioAccountStore + crate::LiveStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Checks that the database answers (a readiness probe).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    /// Closes the pool, waiting for connections in use to be returned.
    fn close(&self) -> impl Future<Output = ()> + Send;

    // --- processes using the store ---

    /// Records that process `id` (a `serve` or `worker`) is using the store as of `now_ms`;
    /// called when it starts and then periodically (see [`crate::presence`]).
    fn process_seen(
        &self,
        id: &str,
        kind: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Forgets process `id`: it stopped cleanly.
    fn process_gone(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// The processes seen at or after `since_ms`, most recently seen first.
    fn live_processes(&self, since_ms: i64)
    -> impl Future<Output = Result<Vec<ProcessRow>>> + Send;

    // --- connections ---

    /// Stores a connection; its label must be unique.
    fn create_connection(
        &self,
        new: &NewConnection,
        now_ms: i64,
    ) -> impl Future<Output = Result<Connection>> + Send;

    /// The connection with its secret opened; `NotFound` if there is none.
    fn connection(&self, id: ConnectionId) -> impl Future<Output = Result<Connection>> + Send;

    fn connection_by_label(
        &self,
        label: &str,
    ) -> impl Future<Output = Result<Option<Connection>>> + Send;

    /// Every connection, by label. Fails on the first secret that does not open.
    fn list_connections(&self) -> impl Future<Output = Result<Vec<Connection>>> + Send;

    fn update_connection_secret(
        &self,
        id: ConnectionId,
        secret: &Secret,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Gives a connection a new label (its secret stays sealed to its id); `Duplicate` when
    /// another connection has that label, `NotFound` when there is no such connection.
    fn rename_connection(
        &self,
        id: ConnectionId,
        label: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Deletes a connection; false if there was none.
    fn delete_connection(&self, id: ConnectionId) -> impl Future<Output = Result<bool>> + Send;

    /// What opening decided about the master key: with anything but [`KeyState::Verified`],
    /// every sealed value reads as unavailable and nothing new is sealed.
    fn key_state(&self) -> KeyState;

    /// For a store whose master key is lost: in one transaction, drops every sealed value
    /// (connection and channel secrets become "forgotten", signing keys are deleted and made
    /// anew on first use), records a key check sealed under `new` and makes `new` this store's
    /// key. Refused when `new` opens the store's current check (nothing is lost then).
    fn forget_secrets(
        &self,
        new: &MasterKey,
    ) -> impl Future<Output = Result<ForgottenSecrets>> + Send;

    /// Re-seals every secret under `new` in one transaction and makes `new` this store's key.
    /// `old` must open every secret, or nothing changes. Returns how many secrets were re-sealed.
    /// Writing the new key where the next start will find it is the caller's job.
    fn rotate_master_key(
        &self,
        old: &MasterKey,
        new: &MasterKey,
    ) -> impl Future<Output = Result<u64>> + Send;

    // --- metric definitions ---

    /// Stores version 1 of a metric; its name must be unique.
    fn create_metric(
        &self,
        new: &NewMetric,
        now_ms: i64,
    ) -> impl Future<Output = Result<StoredMetric>> + Send;

    /// Saves a new version of a metric's definition; earlier versions stay readable.
    fn update_metric_definition(
        &self,
        id: MetricId,
        definition: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<StoredMetric>> + Send;

    fn metric(&self, id: MetricId) -> impl Future<Output = Result<StoredMetric>> + Send;

    fn metric_by_name(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredMetric>>> + Send;

    fn list_metrics(&self) -> impl Future<Output = Result<Vec<StoredMetric>>> + Send;

    /// Every saved version, oldest first.
    fn metric_versions(
        &self,
        id: MetricId,
    ) -> impl Future<Output = Result<Vec<MetricVersion>>> + Send;

    /// Records where the metric is used; an empty list means not in use.
    fn set_metric_usage(
        &self,
        id: MetricId,
        used_by: &[String],
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Sets the metric's own sync interval in seconds (`None`: back to the scheduler's default)
    /// and returns the metric as stored. The scheduler reads it at its next pass through
    /// [`Store::sync_states`]. The caller checks the bounds; the store refuses only a value
    /// that is not positive.
    fn set_metric_sync_interval(
        &self,
        id: MetricId,
        interval_s: Option<i64>,
        now_ms: i64,
    ) -> impl Future<Output = Result<StoredMetric>> + Send;

    /// Deletes a metric with its versions, buckets, runs and raw pages; false if there was none.
    fn delete_metric(&self, id: MetricId) -> impl Future<Output = Result<bool>> + Send;

    // --- hourly buckets ---

    /// Replaces the metric's buckets with hours in `[from_ms, to_ms)` by `buckets`, in one
    /// transaction: on any error the old buckets stay as they were. Both ends must be whole UTC
    /// hours and every bucket must lie inside the window.
    fn replace_window(
        &self,
        metric: MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> impl Future<Output = Result<WindowReplaced>> + Send;

    /// [`Store::replace_window`] made under a job's `lease` (`None`: no job, as a `sync` by
    /// hand): refused with `LeaseLost`, writing nothing, unless the job still runs under that
    /// fence, checked in the same transaction.
    fn replace_window_under(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> impl Future<Output = Result<WindowReplaced>> + Send;

    /// Folds points into their hours' buckets (sum and count grow, min/max widen, the latest point
    /// wins `latest`), all in one transaction.
    fn add_points(
        &self,
        metric: MetricId,
        points: &[Point],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Buckets ordered by dimension, then hour.
    fn buckets(&self, query: &BucketQuery) -> impl Future<Output = Result<Vec<BucketRow>>> + Send;

    /// The rows a [`FoldedQuery`] names: hours, daily rollups and folded spans, in no
    /// particular order. The daily rollups are written in the transaction of every write to
    /// the hours, so each equals the fold of its day's hours.
    fn folded_buckets(
        &self,
        query: &FoldedQuery,
    ) -> impl Future<Output = Result<Vec<BucketRow>>> + Send;

    /// Per metric, a number that grows with every write to its buckets (`replace_window`,
    /// `add_points`): two reads that saw the same number saw the same buckets. Ids that name no
    /// metric are left out. Read it before the buckets it vouches for.
    fn data_versions(
        &self,
        ids: &[MetricId],
    ) -> impl Future<Output = Result<std::collections::HashMap<MetricId, i64>>> + Send;

    /// Every metric's [`MetricActivity`], by id, in one read (no bucket is read): the live
    /// pages poll it. A job counts as the metric's when its kind is `job_kind` and its key is
    /// `key_prefix` followed by the metric's id (the sync's convention, which the store does
    /// not know).
    fn metric_activity(
        &self,
        job_kind: &str,
        key_prefix: &str,
    ) -> impl Future<Output = Result<Vec<MetricActivity>>> + Send;

    /// The metric's distinct dimension values, sorted.
    fn dimensions(&self, metric: MetricId) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Moves the metric's buckets of dimension `from` to dimension `to`, each merged into `to`'s
    /// bucket of the same hour the way [`Store::add_points`] folds (sums and counts add, min and
    /// max widen, the later latest wins), in one transaction that moves the metric's data
    /// version. Returns how many buckets moved (0 when `from` is `to` or has none).
    fn merge_dimension(
        &self,
        metric: MetricId,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<u64>> + Send;

    // --- sync runs (ledgers) ---

    fn start_sync_run(&self, run: &NewSyncRun) -> impl Future<Output = Result<SyncRunId>> + Send;

    /// Starts a run under a job's `lease` (`None`: like [`Store::start_sync_run`]): in one
    /// transaction, refused with `LeaseLost` unless the job still runs under that fence, the
    /// metric's runs still `running` are marked failed (their holder lost the job), and the new
    /// run records the job and fence.
    fn start_sync_run_under(
        &self,
        lease: Option<Lease>,
        run: &NewSyncRun,
    ) -> impl Future<Output = Result<SyncRunId>> + Send;

    fn finish_sync_run(
        &self,
        id: SyncRunId,
        end: &SyncRunEnd,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Finishes a run like [`Store::finish_sync_run`] and, in the same transaction, adds the
    /// run's outcome and `counts` to the store's counters ([`Store::ops_figures`]).
    /// `finish_sync_run` is this with zero counts: the outcome is counted either way.
    fn finish_sync_run_counted(
        &self,
        id: SyncRunId,
        end: &SyncRunEnd,
        counts: &RunCounts,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Every metric in use with its runs' latest starts and ends ([`MetricSyncState`]), by id,
    /// in one query: what the scheduler decides from.
    fn sync_states(&self) -> impl Future<Output = Result<Vec<MetricSyncState>>> + Send;

    /// The counters, the metrics in use's sync states and the job queue as of `now_ms`, in one
    /// query: what a Prometheus scrape reads.
    fn ops_figures(&self, now_ms: i64) -> impl Future<Output = Result<OpsFigures>> + Send;

    /// The newest runs first, of one metric or all; at most `limit`.
    fn sync_runs(
        &self,
        metric: Option<MetricId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<SyncRun>>> + Send;

    /// The newest `per_metric` runs of each of `ids`, newest first within a metric, in one read.
    fn recent_sync_runs(
        &self,
        ids: &[MetricId],
        per_metric: u32,
    ) -> impl Future<Output = Result<Vec<SyncRun>>> + Send;

    /// Marks the metric's runs still `running` as failed (their process stopped before finishing:
    /// the sync lease guarantees no other run of the metric is live when a new one starts).
    /// Returns how many were marked.
    fn abandon_running_sync_runs(
        &self,
        metric: MetricId,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// The most recently started run of the metric that ended `succeeded` or `partial`.
    fn last_good_sync(
        &self,
        metric: MetricId,
    ) -> impl Future<Output = Result<Option<SyncRun>>> + Send;

    /// Per metric, the span `(from_ms, to_ms)` its good runs (`succeeded` or `partial`) have
    /// covered: the earliest window start and the latest window end. A metric with no good run
    /// is left out: nothing of its history is known yet.
    fn synced_spans(
        &self,
        ids: &[MetricId],
    ) -> impl Future<Output = Result<std::collections::HashMap<MetricId, (i64, i64)>>> + Send;

    /// Replaces every occurrence of `find` in the ledgers and errors of the metric's sync runs
    /// by `replacement`. Returns how many runs changed.
    fn replace_in_sync_runs(
        &self,
        metric: MetricId,
        find: &str,
        replacement: &str,
    ) -> impl Future<Output = Result<u64>> + Send;

    // --- raw pages: one sealed set per connection and request, shared by its readers ---

    /// Stores one sync's pages of a request as the one set of `(connection, fingerprint)`,
    /// sealed with the master key, replacing the set stored before and the sets its readers
    /// read. A metric reads at most one set, so the readers' older sets lose them, and a set
    /// left without readers is deleted. The sets of a connection stay under `cap_bytes` sealed:
    /// the oldest other sets are dropped first.
    fn put_raw_pages(
        &self,
        pages: &NewRawPages<'_>,
        cap_bytes: u64,
    ) -> impl Future<Output = Result<RawPagesStored>> + Send;

    /// The set `metric` reads, unsealed if the master key opens it.
    fn raw_pages(&self, metric: MetricId) -> impl Future<Output = Result<Option<RawPages>>> + Send;

    /// The metrics stop reading their sets (their data no longer matches them); sets left
    /// without readers are deleted. Returns how many sets were deleted.
    fn drop_raw_pages(&self, metrics: &[MetricId]) -> impl Future<Output = Result<u64>> + Send;

    /// How many sets of raw pages are stored, read by how many metrics, in how many bytes.
    fn raw_pages_usage(&self) -> impl Future<Output = Result<RawPagesUsage>> + Send;

    /// Deletes every stored raw page (raw pages turned off). Returns how many sets were deleted.
    fn delete_all_raw_pages(&self) -> impl Future<Output = Result<u64>> + Send;

    // --- jobs with leases ---

    /// Adds a pending job unless one with the same `(kind, key)` is already pending.
    fn enqueue(&self, job: &NewJob, now_ms: i64) -> impl Future<Output = Result<Enqueued>> + Send;

    /// Resolves when a job is next enqueued: through this store handle (a job enqueued while
    /// no one waits wakes the next waiter at once) or, on PostgreSQL, by any process (a
    /// notification on `switchboard_jobs`, sent by a trigger). On SQLite other processes' jobs
    /// are not seen: a worker still polls. It may also resolve spuriously.
    fn job_enqueued(&self) -> impl Future<Output = ()> + Send;

    /// Takes the oldest due job — pending with `run_at_ms` reached, or running with a lapsed
    /// lease — and leases it to `worker` for `lease`, moving its fence. Both the due and the
    /// lapsed checks and the lease's end are on the database's clock, so a worker with a wrong
    /// clock cannot take a job early or steal one whose lease still runs. Concurrent claims
    /// never get the same job.
    fn claim(
        &self,
        worker: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Option<Job>>> + Send;

    /// Extends the lease to `lease_for` from the database's now; `LeaseLost` if the job was
    /// claimed again (its fence moved) or has ended.
    fn renew(&self, lease: Lease, lease_for: Duration) -> impl Future<Output = Result<()>> + Send;

    /// Marks the job done and records the ends of the runs made under it, in one transaction:
    /// `LeaseLost`, with nothing written, if the job no longer runs under `lease`'s fence. So a
    /// job has at most one successful set of runs, made by its last holder.
    fn complete(
        &self,
        lease: Lease,
        runs: &[FinishedRun],
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Records the error and the ends of the runs made under the job, in one transaction; with
    /// `retry_at_ms` the job becomes pending again then (or failed if an equal job is already
    /// pending), without it the job is failed for good. `LeaseLost` as [`Store::complete`].
    fn fail(
        &self,
        lease: Lease,
        runs: &[FinishedRun],
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    fn job(&self, id: JobId) -> impl Future<Output = Result<Job>> + Send;

    /// The most recently updated jobs, optionally in one state; at most `limit`.
    fn list_jobs(
        &self,
        state: Option<JobState>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Job>>> + Send;

    // --- one-time data steps of an upgrade ---

    /// Whether the one-time data step `step` (work a migration cannot do, such as rewriting
    /// compressed pages) has been recorded as done on this store.
    fn data_step_done(&self, step: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Records that the data step `step` is done, at `now_ms`; recording it again is a no-op.
    fn mark_data_step_done(
        &self,
        step: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
}
