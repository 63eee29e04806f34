use std::time::Duration;

use domain::Secret;

use crate::error::Result;
use crate::ids::{ConnectionId, JobId, MetricId, SyncRunId};
use crate::postgres::PostgresStore;
use crate::rows::*;
use crate::secrets::MasterKey;
use crate::sqlite::SqliteStore;
use crate::store::{Backend, Store};

/// A store on whichever backend [`crate::open`] chose at run time.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Awaits the same method on whichever store `self` holds; used by every store trait's
/// `AnyStore` impl (`accounts`, `boards`, `watching` import it).
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            crate::AnyStore::Sqlite(s) => s.$method($($arg),*).await,
            crate::AnyStore::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}
pub(crate) use forward;

impl Store for AnyStore {
    fn backend(&self) -> Backend {
        match self {
            AnyStore::Sqlite(s) => s.backend(),
            AnyStore::Postgres(s) => s.backend(),
        }
    }

    async fn ping(&self) -> Result<()> {
        forward!(self.ping())
    }

    async fn close(&self) {
        forward!(self.close())
    }

    async fn process_seen(&self, id: &str, kind: &str, now_ms: i64) -> Result<()> {
        forward!(self.process_seen(id, kind, now_ms))
    }

    async fn process_gone(&self, id: &str) -> Result<()> {
        forward!(self.process_gone(id))
    }

    async fn live_processes(&self, since_ms: i64) -> Result<Vec<ProcessRow>> {
        forward!(self.live_processes(since_ms))
    }

    async fn create_connection(&self, new: &NewConnection, now_ms: i64) -> Result<Connection> {
        forward!(self.create_connection(new, now_ms))
    }

    async fn connection(&self, id: ConnectionId) -> Result<Connection> {
        forward!(self.connection(id))
    }

    async fn connection_by_label(&self, label: &str) -> Result<Option<Connection>> {
        forward!(self.connection_by_label(label))
    }

    async fn list_connections(&self) -> Result<Vec<Connection>> {
        forward!(self.list_connections())
    }

    async fn update_connection_secret(
        &self,
        id: ConnectionId,
        secret: &Secret,
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.update_connection_secret(id, secret, now_ms))
    }

    async fn rename_connection(&self, id: ConnectionId, label: &str, now_ms: i64) -> Result<()> {
        forward!(self.rename_connection(id, label, now_ms))
    }

    async fn delete_connection(&self, id: ConnectionId) -> Result<bool> {
        forward!(self.delete_connection(id))
    }

    fn key_state(&self) -> crate::secrets::KeyState {
        match self {
            AnyStore::Sqlite(s) => s.key_state(),
            AnyStore::Postgres(s) => s.key_state(),
        }
    }

    async fn forget_secrets(&self, new: &MasterKey) -> Result<ForgottenSecrets> {
        forward!(self.forget_secrets(new))
    }

    async fn rotate_master_key(&self, old: &MasterKey, new: &MasterKey) -> Result<u64> {
        forward!(self.rotate_master_key(old, new))
    }

    async fn create_metric(&self, new: &NewMetric, now_ms: i64) -> Result<StoredMetric> {
        forward!(self.create_metric(new, now_ms))
    }

    async fn update_metric_definition(
        &self,
        id: MetricId,
        definition: &str,
        now_ms: i64,
    ) -> Result<StoredMetric> {
        forward!(self.update_metric_definition(id, definition, now_ms))
    }

    async fn metric(&self, id: MetricId) -> Result<StoredMetric> {
        forward!(self.metric(id))
    }

    async fn metric_by_name(&self, name: &str) -> Result<Option<StoredMetric>> {
        forward!(self.metric_by_name(name))
    }

    async fn list_metrics(&self) -> Result<Vec<StoredMetric>> {
        forward!(self.list_metrics())
    }

    async fn metric_versions(&self, id: MetricId) -> Result<Vec<MetricVersion>> {
        forward!(self.metric_versions(id))
    }

    async fn set_metric_usage(&self, id: MetricId, used_by: &[String], now_ms: i64) -> Result<()> {
        forward!(self.set_metric_usage(id, used_by, now_ms))
    }

    async fn set_metric_sync_interval(
        &self,
        id: MetricId,
        interval_s: Option<i64>,
        now_ms: i64,
    ) -> Result<StoredMetric> {
        forward!(self.set_metric_sync_interval(id, interval_s, now_ms))
    }

    async fn delete_metric(&self, id: MetricId) -> Result<bool> {
        forward!(self.delete_metric(id))
    }

    async fn replace_window(
        &self,
        metric: MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> Result<WindowReplaced> {
        forward!(self.replace_window(metric, from_ms, to_ms, buckets))
    }

    async fn replace_window_under(
        &self,
        lease: Option<Lease>,
        metric: MetricId,
        from_ms: i64,
        to_ms: i64,
        buckets: &[BucketRow],
    ) -> Result<WindowReplaced> {
        forward!(self.replace_window_under(lease, metric, from_ms, to_ms, buckets))
    }

    async fn add_points(&self, metric: MetricId, points: &[Point]) -> Result<()> {
        forward!(self.add_points(metric, points))
    }

    async fn buckets(&self, query: &BucketQuery) -> Result<Vec<BucketRow>> {
        forward!(self.buckets(query))
    }

    async fn folded_buckets(&self, query: &FoldedQuery) -> Result<Vec<BucketRow>> {
        forward!(self.folded_buckets(query))
    }

    async fn dimensions(&self, metric: MetricId) -> Result<Vec<String>> {
        forward!(self.dimensions(metric))
    }

    async fn merge_dimension(&self, metric: MetricId, from: &str, to: &str) -> Result<u64> {
        forward!(self.merge_dimension(metric, from, to))
    }

    async fn start_sync_run(&self, run: &NewSyncRun) -> Result<SyncRunId> {
        forward!(self.start_sync_run(run))
    }

    async fn start_sync_run_under(
        &self,
        lease: Option<Lease>,
        run: &NewSyncRun,
    ) -> Result<SyncRunId> {
        forward!(self.start_sync_run_under(lease, run))
    }

    async fn finish_sync_run(&self, id: SyncRunId, end: &SyncRunEnd) -> Result<()> {
        forward!(self.finish_sync_run(id, end))
    }

    async fn finish_sync_run_counted(
        &self,
        id: SyncRunId,
        end: &SyncRunEnd,
        counts: &RunCounts,
    ) -> Result<()> {
        forward!(self.finish_sync_run_counted(id, end, counts))
    }

    async fn sync_states(&self) -> Result<Vec<MetricSyncState>> {
        forward!(self.sync_states())
    }

    async fn ops_figures(&self, now_ms: i64) -> Result<OpsFigures> {
        forward!(self.ops_figures(now_ms))
    }

    async fn sync_runs(&self, metric: Option<MetricId>, limit: u32) -> Result<Vec<SyncRun>> {
        forward!(self.sync_runs(metric, limit))
    }

    async fn recent_sync_runs(&self, ids: &[MetricId], per_metric: u32) -> Result<Vec<SyncRun>> {
        forward!(self.recent_sync_runs(ids, per_metric))
    }

    async fn metric_activity(
        &self,
        job_kind: &str,
        key_prefix: &str,
    ) -> Result<Vec<MetricActivity>> {
        forward!(self.metric_activity(job_kind, key_prefix))
    }

    async fn data_versions(
        &self,
        ids: &[MetricId],
    ) -> Result<std::collections::HashMap<MetricId, i64>> {
        forward!(self.data_versions(ids))
    }

    async fn abandon_running_sync_runs(&self, metric: MetricId, now_ms: i64) -> Result<u64> {
        forward!(self.abandon_running_sync_runs(metric, now_ms))
    }

    async fn last_good_sync(&self, metric: MetricId) -> Result<Option<SyncRun>> {
        forward!(self.last_good_sync(metric))
    }

    async fn synced_spans(
        &self,
        ids: &[MetricId],
    ) -> Result<std::collections::HashMap<MetricId, (i64, i64)>> {
        forward!(self.synced_spans(ids))
    }

    async fn replace_in_sync_runs(
        &self,
        metric: MetricId,
        find: &str,
        replacement: &str,
    ) -> Result<u64> {
        forward!(self.replace_in_sync_runs(metric, find, replacement))
    }

    async fn put_raw_pages(
        &self,
        pages: &NewRawPages<'_>,
        cap_bytes: u64,
    ) -> Result<RawPagesStored> {
        forward!(self.put_raw_pages(pages, cap_bytes))
    }

    async fn raw_pages(&self, metric: MetricId) -> Result<Option<RawPages>> {
        forward!(self.raw_pages(metric))
    }

    async fn drop_raw_pages(&self, metrics: &[MetricId]) -> Result<u64> {
        forward!(self.drop_raw_pages(metrics))
    }

    async fn raw_pages_usage(&self) -> Result<RawPagesUsage> {
        forward!(self.raw_pages_usage())
    }

    async fn delete_all_raw_pages(&self) -> Result<u64> {
        forward!(self.delete_all_raw_pages())
    }

    async fn enqueue(&self, job: &NewJob, now_ms: i64) -> Result<Enqueued> {
        forward!(self.enqueue(job, now_ms))
    }

    async fn job_enqueued(&self) {
        forward!(self.job_enqueued())
    }

    async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        forward!(self.claim(worker, lease))
    }

    async fn renew(&self, lease: Lease, lease_for: Duration) -> Result<()> {
        forward!(self.renew(lease, lease_for))
    }

    async fn complete(&self, lease: Lease, runs: &[FinishedRun], now_ms: i64) -> Result<()> {
        forward!(self.complete(lease, runs, now_ms))
    }

    async fn fail(
        &self,
        lease: Lease,
        runs: &[FinishedRun],
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.fail(lease, runs, error, retry_at_ms, now_ms))
    }

    async fn job(&self, id: JobId) -> Result<Job> {
        forward!(self.job(id))
    }

    async fn list_jobs(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>> {
        forward!(self.list_jobs(state, limit))
    }

    async fn data_step_done(&self, step: &str) -> Result<bool> {
        forward!(self.data_step_done(step))
    }

    async fn mark_data_step_done(&self, step: &str, now_ms: i64) -> Result<()> {
        forward!(self.mark_data_step_done(step, now_ms))
    }
}
