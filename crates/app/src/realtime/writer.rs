//! The group-commit writer: everything queued while the last commit ran is applied in one
//! transaction per connection, and each waiting request is answered once its events are
//! stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use ::realtime::ResourceKind;
use store::{ConnectionId, LiveApplied, LiveEventRow, LiveOutcome, LiveStore};
use tokio::sync::{mpsc, oneshot};

use super::{Core, IngestError, Ingested, lock};

pub(crate) enum Msg {
    Job(Job),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// One request's events.
pub(crate) struct Job {
    pub connection: ConnectionId,
    pub rows: Vec<LiveEventRow>,
    pub skipped: usize,
    pub received_ms: i64,
    pub reply: oneshot::Sender<Result<Ingested, IngestError>>,
}

pub(crate) async fn run(core: Arc<Core>, mut queue: mpsc::Receiver<Msg>) {
    let batch_max = core.config.batch_max.max(1);
    while let Some(first) = queue.recv().await {
        let mut jobs = Vec::new();
        let mut flushes = Vec::new();
        let mut events = 0;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => {
                    events += job.rows.len();
                    jobs.push(job);
                }
                Msg::Flush(done) => flushes.push(done),
            }
            if events < batch_max {
                next = queue.try_recv().ok();
            }
        }
        commit(&core, jobs).await;
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Applies `jobs` with one `apply_live_events` per connection and answers each.
async fn commit(core: &Core, jobs: Vec<Job>) {
    let mut by_connection: BTreeMap<ConnectionId, Vec<Job>> = BTreeMap::new();
    for job in jobs {
        by_connection.entry(job.connection).or_default().push(job);
    }
    for (connection, jobs) in by_connection {
        let rows: Vec<LiveEventRow> = jobs.iter().flat_map(|j| j.rows.iter().cloned()).collect();
        let applied = core
            .app
            .store()
            .apply_live_events(connection, &rows)
            .await
            .map_err(|e| e.to_string())
            .and_then(|a| {
                if a.outcomes.len() == rows.len() {
                    Ok(a)
                } else {
                    Err(format!(
                        "the store answered {} outcomes for {} events",
                        a.outcomes.len(),
                        rows.len()
                    ))
                }
            });
        match applied {
            Ok(applied) => answer(core, connection, jobs, &applied),
            Err(e) => {
                tracing::warn!(%connection, error = %e, events = rows.len(), "could not store pushed events");
                for job in jobs {
                    let _ = job.reply.send(Err(IngestError::Unavailable(e.clone())));
                }
            }
        }
    }
}

fn answer(core: &Core, connection: ConnectionId, jobs: Vec<Job>, applied: &LiveApplied) {
    {
        let mut dirty = lock(&core.dirty);
        for change in &applied.changed {
            if let Some(kind) = ResourceKind::parse(&change.kind) {
                dirty.insert((connection, kind, change.hour_ms));
            }
        }
    }
    let mut outcomes = applied.outcomes.iter();
    let mut stats = lock(&core.stats);
    let s = stats.entry(connection).or_default();
    for job in jobs {
        let mut done = Ingested {
            skipped: job.skipped,
            ..Ingested::default()
        };
        for outcome in outcomes.by_ref().take(job.rows.len()) {
            match outcome {
                LiveOutcome::Applied => done.applied += 1,
                LiveOutcome::Duplicate => done.duplicates += 1,
                LiveOutcome::Stale => done.stale += 1,
            }
        }
        s.accepted += done.applied as u64;
        s.duplicates += done.duplicates as u64;
        s.stale += done.stale as u64;
        s.skipped += done.skipped as u64;
        s.last_accepted_ms = Some(s.last_accepted_ms.unwrap_or(0).max(job.received_ms));
        // The request may have gone (its client hung up): the events are stored all the same.
        let _ = job.reply.send(Ok(done));
    }
}
