//! The values that go in and come out of the store. Instants are epoch milliseconds (UTC).

use domain::{AccountSid, ApiKeySid, Secret};

use crate::ids::{ConnectionId, JobId, MetricId, SyncRunId};

pub use domain::HOUR_MS;

/// A Twilio connection to create. The secret is sealed before it reaches the database.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub label: String,
    pub account_sid: AccountSid,
    pub api_key_sid: ApiKeySid,
    pub secret: Secret,
}

/// A stored Twilio connection with its secret opened, or why it cannot be (the store opened
/// without its master key, or the secret was forgotten). `Debug` shows the secret as `***`.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: ConnectionId,
    pub label: String,
    pub account_sid: AccountSid,
    pub api_key_sid: ApiKeySid,
    pub secret: Result<Secret, crate::secrets::SecretUnavailable>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Connection {
    /// The opened secret, or the error saying how to re-enter it.
    pub fn secret(&self) -> Result<&Secret, crate::secrets::SecretUnavailable> {
        self.secret.as_ref().map_err(Clone::clone)
    }
}

/// What `key reset --forget-secrets` dropped: connections by label, channels by name, signing
/// keys by purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgottenSecrets {
    pub connections: Vec<String>,
    pub channels: Vec<String>,
    pub signing_keys: Vec<String>,
    /// The labels of the connections whose Auth Token (real time) was dropped.
    pub auth_tokens: Vec<String>,
}

/// A metric definition to create. `definition` is the metric's JSON text; the store keeps it
/// verbatim and does not interpret it.
#[derive(Debug, Clone)]
pub struct NewMetric {
    pub name: String,
    pub connection_id: Option<ConnectionId>,
    pub definition: String,
}

/// The current version of a stored metric.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMetric {
    pub id: MetricId,
    pub name: String,
    pub connection_id: Option<ConnectionId>,
    pub definition: String,
    /// 1 for the first save, one more for every later save.
    pub version: i64,
    /// Where the metric is used (e.g. `metrics-screen`, `board:4`, `goal:2`); empty when unused.
    pub used_by: Vec<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Its own sync interval in seconds, set by a person; `None` keeps the scheduler's default.
    pub sync_interval_s: Option<i64>,
}

impl StoredMetric {
    /// A metric in use is kept synced; one in no use is synced only by hand.
    pub fn in_use(&self) -> bool {
        !self.used_by.is_empty()
    }
}

/// One saved version of a metric's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricVersion {
    pub metric_id: MetricId,
    pub version: i64,
    pub definition: String,
    pub saved_ms: i64,
}

/// The fold of one metric's rows over one UTC hour and one dimension value (`""` for none).
#[derive(Debug, Clone, PartialEq)]
pub struct BucketRow {
    pub dimension: String,
    /// The hour's start, a multiple of [`HOUR_MS`].
    pub hour_ms: i64,
    pub sum: f64,
    pub count: i64,
    pub min: f64,
    pub max: f64,
    /// The value of the row with the latest date in the hour, and that date.
    pub latest: f64,
    pub latest_at_ms: i64,
}

impl BucketRow {
    /// Why the bucket cannot be stored, if one of its values is not a finite number (SQLite
    /// and PostgreSQL would disagree on NaN and infinities, and no sum or average survives one).
    pub(crate) fn not_finite(&self) -> Option<String> {
        let finite = [self.sum, self.min, self.max, self.latest]
            .iter()
            .all(|v| v.is_finite());
        (!finite).then(|| {
            format!(
                "the bucket of dimension '{}' at {} holds a value that is not a finite number",
                self.dimension, self.hour_ms
            )
        })
    }

    /// Folds `other` (the same hour and dimension) in as the engine folds buckets and the daily
    /// rollups fold hours: sums and counts add, min and max widen, and the latest is the one
    /// with the greater `(latest_at_ms, latest)`.
    pub fn fold(&mut self, other: &BucketRow) {
        self.sum += other.sum;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if (other.latest_at_ms, other.latest) > (self.latest_at_ms, self.latest) {
            self.latest_at_ms = other.latest_at_ms;
            self.latest = other.latest;
        }
    }
}

/// One value at one instant, for metrics whose rows carry no date: each sync adds a point at the
/// sync time, folded into that hour's bucket by [`crate::Store::add_points`].
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub dimension: String,
    pub at_ms: i64,
    pub value: f64,
}

/// What [`crate::Store::replace_window`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowReplaced {
    pub deleted: u64,
    pub inserted: u64,
}

/// What a live page polls about one metric: enough to tell that its numbers or its sync state
/// moved, read without touching its buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricActivity {
    pub id: MetricId,
    /// The metric's data version (see [`crate::Store::data_versions`]).
    pub data_version: i64,
    /// A sync job keyed to the metric waits or runs.
    pub queued: bool,
    /// A sync run of the metric has started and not finished.
    pub running: bool,
    /// When the metric's latest finished sync run ended.
    pub last_finished_ms: Option<i64>,
}

/// A range query over a metric's buckets: hours in `[from_ms, to_ms)`, one dimension or all.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketQuery {
    pub metric: MetricId,
    pub dimension: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A read of a metric's buckets in three shapes, each a list of half-open `[from_ms, to_ms)`
/// spans: `hours` as stored; `days`, the daily rollups of whole UTC days (both ends whole
/// days), one row per dimension and day labelled with the day's start; `folds`, the hours of
/// each span folded per dimension into one row labelled with the span's start. The engine
/// (`metric::rollup::plan`) picks the spans so that a query over the rows equals the query over
/// every hour. `local_days` are `(from_ms, to_ms, offset_ms)`: the hours folded per dimension
/// and day at that fixed UTC offset (an hour in the day its start falls in), each day's row
/// labelled with the day's first whole hour, at least `from_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedQuery {
    pub metric: MetricId,
    pub hours: Vec<(i64, i64)>,
    pub days: Vec<(i64, i64)>,
    pub folds: Vec<(i64, i64)>,
    pub local_days: Vec<(i64, i64, i64)>,
}

impl FoldedQuery {
    /// A read of nothing yet.
    pub fn new(metric: MetricId) -> Self {
        Self {
            metric,
            hours: Vec::new(),
            days: Vec::new(),
            folds: Vec::new(),
            local_days: Vec::new(),
        }
    }
}

/// The outcome of a sync run as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Succeeded,
    /// Finished, but some window hit the page cap in a single hour or skipped rows.
    Partial,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "partial" => RunStatus::Partial,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }
}

/// A sync run to start: the metric and the UTC window `[from_ms, to_ms)` it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSyncRun {
    pub metric_id: MetricId,
    pub from_ms: i64,
    pub to_ms: i64,
    pub started_ms: i64,
}

/// How a sync run ended. `ledger` is the sync's own JSON record (windows, requests, pages, …).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRunEnd {
    pub status: RunStatus,
    pub ledger: serde_json::Value,
    pub error: Option<String>,
    pub finished_ms: i64,
}

/// A `serve` or `worker` process using the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    pub id: String,
    pub kind: String,
    pub started_ms: i64,
    pub seen_ms: i64,
}

/// One sync run and its ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub id: SyncRunId,
    pub metric_id: MetricId,
    pub from_ms: i64,
    pub to_ms: i64,
    pub status: RunStatus,
    pub ledger: serde_json::Value,
    pub error: Option<String>,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    /// The job and fence the run was started under; `None` for runs no job started.
    pub lease: Option<Lease>,
}

/// One sync's raw pages of one request, to store once for the metrics that read them.
#[derive(Debug, Clone, Copy)]
pub struct NewRawPages<'a> {
    pub connection_id: ConnectionId,
    /// What identifies the request; one set per connection and fingerprint is kept.
    pub fingerprint: &'a str,
    /// The metrics whose buckets these pages gave, which may recompute from them.
    pub readers: &'a [MetricId],
    /// The span of the sync.
    pub from_ms: i64,
    pub to_ms: i64,
    pub synced_at_ms: i64,
    /// The field set the pages were pruned to, in its JSON form (field names only; not sealed).
    pub fields: &'a str,
    /// The pages, each already compressed by the caller; the store frames and seals them.
    pub pages: &'a [Vec<u8>],
}

/// The pages a metric can recompute from: the stored set it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPages {
    pub connection_id: ConnectionId,
    pub fingerprint: String,
    /// Every metric that reads this set.
    pub readers: Vec<MetricId>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub synced_at_ms: i64,
    pub fields: String,
    pub pages: RawPageContent,
}

/// How much is stored as raw pages, over every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawPagesUsage {
    /// Sets of pages (one per connection and request).
    pub sets: u64,
    /// Metrics reading one of them.
    pub readers: u64,
    pub sealed_bytes: u64,
}

/// The pages of a stored set, or why they cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub enum RawPageContent {
    /// Unsealed: the pages as the caller stored them.
    Open(Vec<Vec<u8>>),
    /// The master key in use does not open them (the store was opened with another key): they
    /// are a cache of Twilio, so a sync fetches them again.
    Unavailable,
}

/// What [`crate::Store::put_raw_pages`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPagesStored {
    /// Stored; `evicted` lists the readers of other sets of the same connection that were
    /// dropped (oldest first) to stay under the connection's cap.
    Stored {
        compressed_bytes: u64,
        evicted: Vec<MetricId>,
    },
    /// The pages alone exceed the cap: not stored, and the readers' older pages were dropped
    /// since they no longer match their data.
    TooLarge {
        compressed_bytes: u64,
        cap_bytes: u64,
    },
}

/// A job to enqueue. `(kind, key)` identifies the work (e.g. `("sync", "metric:7")`): at most one
/// such job waits at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub key: String,
    pub payload: serde_json::Value,
    /// Not claimable before this instant.
    pub run_at_ms: i64,
}

/// The result of enqueueing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: JobId,
    /// False when an equal job was already waiting; `id` is then that job's.
    pub created: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => JobState::Pending,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return None,
        })
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub key: String,
    pub payload: serde_json::Value,
    pub state: JobState,
    /// How many times the job has been claimed (a lapsed lease counts).
    pub attempts: i64,
    pub run_at_ms: i64,
    pub locked_by: Option<String>,
    pub locked_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// How many times the job has been claimed: the fencing token of its latest claim.
    pub fence: i64,
}

impl Job {
    /// The lease this claim of the job holds, which writes under the job name.
    pub fn lease(&self) -> Lease {
        Lease {
            job: self.id,
            fence: self.fence,
        }
    }
}

/// A claim of a job, named by the writes made under it: each is refused with
/// [`crate::StoreError::LeaseLost`] once the job's fence has moved on (another worker claimed
/// it) or the job has ended, checked in the write's own transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub job: JobId,
    pub fence: i64,
}

/// A sync run's end, recorded with the end of the job it ran under, in one transaction
/// ([`crate::Store::complete`], [`crate::Store::fail`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub run: SyncRunId,
    pub end: SyncRunEnd,
    pub counts: RunCounts,
}

/// What a finished sync run adds to the store's counters besides its outcome (see
/// [`crate::Store::finish_sync_run_counted`]). Runs sharing one fetch put its Twilio figures on
/// one run only, so a request is counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub twilio_requests: u64,
    /// Twilio answers with HTTP 429.
    pub twilio_throttled: u64,
    pub twilio_retries: u64,
    pub pages: u64,
    pub rows: u64,
}

/// The store's counters, by name. Each only grows.
pub mod counter {
    /// Finished sync runs; the label is the outcome (`succeeded`, `partial`, `failed`).
    pub const SYNC_RUNS: &str = "sync_runs";
    pub const TWILIO_REQUESTS: &str = "twilio_requests";
    pub const TWILIO_THROTTLED: &str = "twilio_throttled";
    pub const TWILIO_RETRIES: &str = "twilio_retries";
    pub const PAGES: &str = "pages";
    pub const ROWS: &str = "rows";
}

/// One counter's value; `label` is the value of its one label, or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    pub name: String,
    pub label: String,
    pub value: i64,
}

/// A metric in use, as its sync runs leave it: what the scheduler and `/metrics` read, in one
/// query for all metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSyncState {
    pub id: MetricId,
    /// When its most recent run started, whatever its end.
    pub last_started_ms: Option<i64>,
    /// When its most recent good (`succeeded` or `partial`) run finished.
    pub last_good_finished_ms: Option<i64>,
    /// How its most recently started finished run ended; `None` before any run finished.
    pub last_finished_status: Option<RunStatus>,
    /// Its own sync interval in seconds ([`StoredMetric::sync_interval_s`]); `None` for the
    /// default. Read with the runs so the scheduler decides from the store alone.
    pub sync_interval_s: Option<i64>,
}

/// The job queue at a glance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Pending jobs that are due (`run_at_ms` reached): waiting for a worker.
    pub waiting: i64,
    /// Jobs leased to a worker whose lease has not lapsed.
    pub running: i64,
    /// When the longest-waiting due job became due.
    pub oldest_waiting_since_ms: Option<i64>,
}

/// What `/metrics` shows from the store, read in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsFigures {
    pub counters: Vec<CounterRow>,
    pub metrics: Vec<MetricSyncState>,
    pub queue: QueueFigures,
}
