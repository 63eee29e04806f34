use std::time::Duration;

use store::{AttemptOutcome, DeliveryRow, StoreError, WatchStore};

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
}

/// What one pass of [`deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// How long a claimed delivery stays leased: longer than a send can take.
const LEASE_MS: i64 = 120_000;

/// Sends every delivery due at `now_ms`.
pub async fn deliver_due<S: WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    now_ms: i64,
) -> Result<DeliverReport, StoreError> {
    let mut report = DeliverReport::default();
    while let Some(row) = store.claim_delivery(now_ms, LEASE_MS).await? {
        match deliver_one(store, sender, backoff, &row, now_ms).await? {
            AttemptOutcome::Sent => report.sent += 1,
            AttemptOutcome::Retry { .. } => report.retrying += 1,
            AttemptOutcome::Failed { .. } => report.failed += 1,
        }
    }
    Ok(report)
}

/// Makes one attempt at a claimed delivery and records its outcome.
pub async fn deliver_one<S: WatchStore>(
    store: &S,
    sender: &Sender,
    backoff: Backoff,
    row: &DeliveryRow,
    now_ms: i64,
) -> Result<AttemptOutcome, StoreError> {
    let result = attempt(store, sender, row, now_ms).await;
    let outcome = match result {
        Ok(()) => AttemptOutcome::Sent,
        Err(e) => match backoff.after(row.attempts).filter(|_| e.retryable) {
            Some(wait) => AttemptOutcome::Retry {
                at_ms: now_ms.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
                error: e.message,
            },
            None => AttemptOutcome::Failed { error: e.message },
        },
    };
    if let AttemptOutcome::Retry { error, .. } | AttemptOutcome::Failed { error } = &outcome {
        tracing::warn!(delivery = row.id.0, attempts = row.attempts, %error, "delivery attempt failed");
    }
    store.finish_attempt(row.id, &outcome, now_ms).await?;
    Ok(outcome)
}

async fn attempt<S: WatchStore>(
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
    let message: Message = serde_json::from_value(row.message.clone())
        .map_err(|e| SendError::permanent(format!("the stored message is unreadable: {e}")))?;
    let now = jiff::Timestamp::from_millisecond(now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    sender
        .send(
            &channel.config,
            channel.secret.as_ref(),
            &message,
            row.id.0,
            now,
        )
        .await
}
