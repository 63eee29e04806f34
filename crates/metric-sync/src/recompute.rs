//! Working from the raw pages of a metric's last sync instead of Twilio: recomputing its
//! buckets after its expression or picks changed, and previewing an expression on stored data.

use std::collections::BTreeMap;
use std::time::Instant;

use jiff::Timestamp;
use metric::extract::sync_context;
use metric::{Expression, Limits, Preview, rows_from_result};
use serde_json::Value;
use store::{MetricId, NewSyncRun, Store, SyncRunEnd};

use crate::error::SyncError;
use crate::ledger::RunLedger;
use crate::plan::Span;
use crate::raw::{StoredPage, decode};
use crate::run::{SyncReport, Syncer};
use crate::target::{compile, definition_of};
use crate::window::Acc;

/// The decoded raw pages of the metric's last sync, and when that sync ran.
pub async fn stored_pages<S: Store>(
    store: &S,
    id: MetricId,
) -> Result<(Timestamp, Vec<StoredPage>), SyncError> {
    let metric = store.metric(id).await?;
    let Some(raw) = store.raw_pages(id).await?.filter(|r| !r.pages.is_empty()) else {
        return Err(SyncError::NoRawPages {
            metric: metric.name,
        });
    };
    let mut pages = Vec::with_capacity(raw.pages.len());
    for (index, bytes) in raw.pages.iter().enumerate() {
        pages.push(decode(bytes).map_err(|reason| SyncError::CorruptRawPage {
            metric: metric.name.clone(),
            index,
            reason,
        })?);
    }
    let synced_at = Timestamp::from_millisecond(raw.synced_at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    Ok((synced_at, pages))
}

/// Evaluates `expression` (for instance one being edited) on the metric's stored pages and
/// returns the first `first` rows, without calling Twilio.
pub async fn preview_stored<S: Store>(
    store: &S,
    id: MetricId,
    expression: &str,
    first: usize,
) -> Result<Preview, SyncError> {
    let (synced_at, pages) = stored_pages(store, id).await?;
    let name = store.metric(id).await?.name;
    let expression = Expression::compile(expression, Limits::default()).map_err(|source| {
        SyncError::Expression {
            metric: name.clone(),
            source,
        }
    })?;
    let values: Vec<Value> = pages.into_iter().map(|p| p.page).collect();
    metric::preview(&expression, &values, synced_at, first).map_err(|e| SyncError::Preview {
        metric: name,
        reason: e.to_string(),
    })
}

impl<S: Store> Syncer<S> {
    /// Recomputes the metric's buckets over the windows of its last sync from that sync's raw
    /// pages, with the metric's current definition. Each window is replaced in one transaction,
    /// and the run is recorded with a ledger marked `recomputed`. History before the last sync's
    /// range keeps its earlier values: only those pages are kept.
    pub async fn recompute_from_raw_pages(
        &self,
        id: MetricId,
        now: Timestamp,
    ) -> Result<SyncReport, SyncError> {
        recompute(self.store().as_ref(), id, now).await
    }
}

/// [`Syncer::recompute_from_raw_pages`] for callers without a connector (the upgrade steps):
/// it needs only the store.
pub(crate) async fn recompute<S: Store>(
    store: &S,
    id: MetricId,
    now: Timestamp,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let metric = store.metric(id).await?;
    let definition = definition_of(&metric)?;
    let (expression, _) = compile(&metric, &definition)?;
    let (synced_at, pages) = stored_pages(store, id).await?;
    let context = sync_context(synced_at);

    let mut windows: BTreeMap<Span, Acc> = BTreeMap::new();
    for (index, stored) in pages.iter().enumerate() {
        let span = stored.span();
        let result = expression
            .evaluate_in(Some(&stored.page), &context)
            .map_err(|source| SyncError::Expression {
                metric: format!("{} (stored page {index})", metric.name),
                source,
            })?;
        windows.entry(span).or_default().add(
            rows_from_result(result.as_ref(), synced_at),
            span,
            u32::try_from(index + 1).unwrap_or(u32::MAX),
        );
    }
    let range = Span {
        from_ms: windows.keys().map(|s| s.from_ms).min().unwrap_or(0),
        to_ms: windows.keys().map(|s| s.to_ms).max().unwrap_or(0),
    };
    let now_ms = now.as_millisecond();
    let run = store
        .start_sync_run(&NewSyncRun {
            metric_id: id,
            from_ms: range.from_ms,
            to_ms: range.to_ms,
            started_ms: now_ms,
        })
        .await?;
    let mut ledger = RunLedger {
        shape: "recompute".to_owned(),
        recomputed: true,
        windows_planned: u32::try_from(windows.len()).unwrap_or(u32::MAX),
        pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        raw_pages: "read".to_owned(),
        ..RunLedger::default()
    };
    for (span, acc) in &windows {
        if let Err(e) = store
            .replace_window(id, span.from_ms, span.to_ms, &acc.bucket_rows())
            .await
        {
            ledger.error = Some(format!("window {span}: {e}"));
            break;
        }
        ledger.add_stored_window(acc);
    }
    ledger.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = ledger.status();
    store
        .finish_sync_run(
            run,
            &SyncRunEnd {
                status,
                ledger: serde_json::to_value(&ledger).unwrap_or_default(),
                error: ledger.error.clone(),
                finished_ms: now_ms + i64::try_from(started.elapsed().as_millis()).unwrap_or(0),
            },
        )
        .await?;
    Ok(SyncReport {
        metric: id,
        name: metric.name,
        run,
        status,
        range,
        ledger,
    })
}
