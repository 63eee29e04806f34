use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use store::{AttemptOutcome, DeliveryId, DeliveryRow, StoreError, WatchStore};

use crate::message::Message;
use crate::{SendError, Sender};

/// When to try a failed delivery again: `first`, then each wait `factor` times the previous, up
/// to `max_attempts` attempts in all. No jitter: deliveries are few and a retry storm against one
/// receiver is bounded by the attempt count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub factor: u32,
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s, 2 min, 8 min, 32 min: five attempts over about 40 minutes.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(30),
            factor: 4,
            max_attempts: 5,
        }
    }
}

impl Backoff {
    /// The wait after attempt `attempt` (1-based) failed; none when it was the last.
    pub fn after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let mult = self.factor.saturating_pow(attempt.saturating_sub(1));
        Some(self.first.saturating_mul(mult))
    }

    /// What a failed attempt leads to: another one later if the error may pass and attempts
    /// remain, else failed for good.
    fn outcome(&self, attempts: u32, error: SendError, now_ms: i64) -> AttemptOutcome {
        match self.after(attempts).filter(|_| error.retryable) {
            Some(wait) => AttemptOutcome::Retry {
                at_ms: now_ms.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
                error: error.message,
            },
            None => AttemptOutcome::Failed {
                error: error.message,
            },
        }
    }
}

/// What one pass of [`deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

impl DeliverReport {
    fn count(&mut self, outcome: &AttemptOutcome) {
        match outcome {
            AttemptOutcome::Sent => self.sent += 1,
            AttemptOutcome::Retry { .. } => self.retrying += 1,
            AttemptOutcome::Failed { .. } => self.failed += 1,
        }
    }

    fn add(mut self, other: DeliverReport) -> DeliverReport {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self
    }
}

/// Deliveries sent at once by one pass: a channel that hangs holds one of them, not the rest.
pub const PARALLEL_SENDS: usize = 4;

/// How long a claim is leased. A pass stops taking new claims after [`pass_budget`], and an
/// attempt ends within `Timeouts::send`, so an attempt claimed by a pass that is still alive
/// ends well before its lease lapses (claims use the pass's `now_ms`): only a process that
/// died or hung leaves a claim to lapse.
fn lease(sender: &Sender) -> Duration {
    sender.policy().timeouts.send * 2 + Duration::from_secs(30)
}

fn pass_budget(sender: &Sender) -> Duration {
    sender.policy().timeouts.send
}

/// A name for one claim in the store's lease columns, unique across processes and passes: the
/// process id, a random number drawn once per process, and a counter.
fn holder() -> String {
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let process = *PROCESS.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    });
    format!(
        "notify-{}-{process:016x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends every delivery due at `now_ms`, [`PARALLEL_SENDS`] at a time, after recording the
/// attempts whose process died or hung (their claim's lease lapsed) as failed.
pub async fn deliver_due<S: WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    now_ms: i64,
) -> Result<DeliverReport, StoreError> {
    let holder = holder();
    let lease = lease(sender);
    let mut report = DeliverReport::default();
    while let Some(row) = store.claim_lapsed_delivery(&holder, lease, now_ms).await? {
        let error = SendError::transient(format!(
            "attempt {} did not finish: the process sending it stopped or hung past its lease",
            row.attempts
        ));
        let outcome = backoff.outcome(row.attempts, error, now_ms);
        tracing::warn!(
            delivery = row.id.0,
            attempts = row.attempts,
            "a delivery claim lapsed"
        );
        store
            .finish_attempt(row.id, &holder, &outcome, now_ms)
            .await?;
        report.count(&outcome);
    }
    // One claim first: when nothing is due (the usual case), a pass costs the store one query
    // here instead of one per lane.
    let Some(first) = store.claim_delivery(&holder, lease, now_ms).await? else {
        return Ok(report);
    };
    let started = Instant::now();
    let budget = pass_budget(sender);
    let holder = &holder;
    let lane = |mut next: Option<DeliveryRow>| async move {
        let mut report = DeliverReport::default();
        loop {
            let row = match next.take() {
                Some(row) => row,
                // New claims stop after the budget so that a long pass does not lease with a
                // stale `now_ms`; what is left waits for the next pass.
                None if started.elapsed() >= budget => break,
                None => match store.claim_delivery(holder, lease, now_ms).await? {
                    Some(row) => row,
                    None => break,
                },
            };
            report.count(&attempt(store, sender, backoff, &row, holder, now_ms).await?);
        }
        Ok::<_, StoreError>(report)
    };
    let lanes = try_join_all(
        std::iter::once(Some(first))
            .chain((1..PARALLEL_SENDS).map(|_| None))
            .map(lane),
    )
    .await?;
    Ok(lanes.into_iter().fold(report, DeliverReport::add))
}

/// Sends one delivery now if it is pending, due and unclaimed (the "send a test" button's own
/// message); `None` when another process has it.
pub async fn deliver_now<S: WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    id: DeliveryId,
    now_ms: i64,
) -> Result<Option<AttemptOutcome>, StoreError> {
    let holder = holder();
    let Some(row) = store
        .claim_delivery_id(id, &holder, lease(sender), now_ms)
        .await?
    else {
        return Ok(None);
    };
    attempt(store, sender, backoff, &row, &holder, now_ms)
        .await
        .map(Some)
}

/// Makes one attempt at a claimed delivery and records its outcome.
async fn attempt<S: WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    row: &DeliveryRow,
    holder: &str,
    now_ms: i64,
) -> Result<AttemptOutcome, StoreError> {
    let outcome = match send(store, sender, row, now_ms).await {
        Ok(()) => AttemptOutcome::Sent,
        Err(e) => backoff.outcome(row.attempts, e, now_ms),
    };
    if let AttemptOutcome::Retry { error, .. } | AttemptOutcome::Failed { error } = &outcome {
        tracing::warn!(delivery = row.id.0, attempts = row.attempts, %error, "delivery attempt failed");
    }
    store
        .finish_attempt(row.id, holder, &outcome, now_ms)
        .await?;
    Ok(outcome)
}

async fn send<S: WatchStore>(
    store: &S,
    sender: &Sender,
    row: &DeliveryRow,
    now_ms: i64,
) -> Result<(), SendError> {
    let channel = match store.channel(row.channel_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => {
            return Err(SendError::permanent("the channel was removed"));
        }
        Err(e) => {
            return Err(SendError::transient(format!(
                "cannot read the channel: {e}"
            )));
        }
    };
    // Retrying cannot help until someone re-enters the secret or gives the right key.
    let secret = channel
        .secret
        .as_ref()
        .map_err(|e| SendError::permanent(e.to_string()))?;
    let message: Message = serde_json::from_value(row.message.clone())
        .map_err(|e| SendError::permanent(format!("the stored message is unreadable: {e}")))?;
    let now = jiff::Timestamp::from_millisecond(now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    sender
        .send(&channel.config, secret.as_ref(), &message, row.id.0, now)
        .await
}
