//! Working from the raw pages a metric reads instead of Twilio: recomputing its buckets after
//! its expression or picks changed, and previewing an expression on stored data. Pages pruned
//! to fewer fields than an expression reads are never evaluated: the recompute fetches again.

use std::collections::BTreeMap;
use std::time::Instant;

use jiff::Timestamp;
use metric::extract::sync_context;
use metric::{Expression, FieldSet, Limits, Preview, fields_read, rows_from_result};
use serde_json::Value;
use store::{MetricId, NewSyncRun, RawPageContent, Store, SyncRunEnd};

use crate::config::RawPagesSetting;
use crate::error::SyncError;
use crate::ledger::RunLedger;
use crate::plan::Span;
use crate::raw::{StoredPage, decode};
use crate::run::{SyncOptions, SyncReport, Syncer};
use crate::target::{compile, definition_of};
use crate::window::Acc;

/// The decoded raw pages the metric reads, and when their sync ran, whatever fields they keep.
pub async fn stored_pages<S: Store>(
    store: &S,
    id: MetricId,
) -> Result<(Timestamp, Vec<StoredPage>), SyncError> {
    let name = store.metric(id).await?.name;
    stored_for(store, id, &name, &FieldSet::nothing()).await
}

/// The decoded raw pages the metric reads, if they hold everything `needed` reads: pages
/// pruned to other metrics' fields would give an expression reading more a wrong answer, not
/// an error.
async fn stored_for<S: Store>(
    store: &S,
    id: MetricId,
    name: &str,
    needed: &FieldSet,
) -> Result<(Timestamp, Vec<StoredPage>), SyncError> {
    let no_pages = || SyncError::NoRawPages {
        metric: name.to_owned(),
    };
    let raw = store.raw_pages(id).await?.ok_or_else(no_pages)?;
    let RawPageContent::Open(bytes) = raw.pages else {
        return Err(SyncError::RawPagesUnavailable {
            metric: name.to_owned(),
        });
    };
    if bytes.is_empty() {
        return Err(no_pages());
    }
    // Field sets this version cannot read are taken as keeping nothing: fetching again is
    // always right.
    let kept = FieldSet::from_json(&raw.fields).unwrap_or_default();
    if !kept.covers(needed) {
        return Err(SyncError::RawPagesLackFields {
            metric: name.to_owned(),
        });
    }
    let mut pages = Vec::with_capacity(bytes.len());
    for (index, bytes) in bytes.iter().enumerate() {
        pages.push(decode(bytes).map_err(|reason| SyncError::CorruptRawPage {
            metric: name.to_owned(),
            index,
            reason,
        })?);
    }
    let synced_at = Timestamp::from_millisecond(raw.synced_at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    Ok((synced_at, pages))
}

/// Evaluates `expression` (for instance one being edited) on the metric's stored pages and
/// returns the first `first` rows, without calling Twilio. Pages that lack a field the
/// expression reads are refused ([`SyncError::RawPagesLackFields`]).
pub async fn preview_stored<S: Store>(
    store: &S,
    id: MetricId,
    expression: &str,
    first: usize,
) -> Result<Preview, SyncError> {
    let name = store.metric(id).await?.name;
    let expression = Expression::compile(expression, Limits::default()).map_err(|source| {
        SyncError::Expression {
            metric: name.clone(),
            source,
        }
    })?;
    let (synced_at, pages) = stored_for(store, id, &name, &fields_read(&expression)).await?;
    let values: Vec<Value> = pages.into_iter().map(|p| p.page).collect();
    metric::preview(&expression, &values, synced_at, first).map_err(|e| SyncError::Preview {
        metric: name,
        reason: e.to_string(),
    })
}

impl<S: Store> Syncer<S> {
    /// Recomputes the metric's buckets with its current definition over the span of the raw
    /// pages it reads, from those pages: each window is replaced in one transaction, and the
    /// run is recorded with a ledger marked `recomputed`. History before that span keeps its
    /// earlier values: only those pages are kept.
    ///
    /// When the pages lack a field the expression now reads, or raw pages are off, the span is
    /// fetched again instead (a sync over it, with the other metrics reading the same pages, so
    /// the pages stored next keep every field they read).
    pub async fn recompute_from_raw_pages(
        &self,
        id: MetricId,
        now: Timestamp,
    ) -> Result<SyncReport, SyncError> {
        let store = self.store().as_ref();
        if self.config().raw_pages == RawPagesSetting::Off {
            let Some(last) = store.last_good_sync(id).await? else {
                return Err(SyncError::NoRawPages {
                    metric: store.metric(id).await?.name,
                });
            };
            return self.refetch(id, (last.from_ms, last.to_ms), &[], now).await;
        }
        match recompute(store, id, now).await {
            Err(SyncError::RawPagesLackFields { metric }) => {
                let Some(raw) = store.raw_pages(id).await? else {
                    return Err(SyncError::NoRawPages { metric });
                };
                self.refetch(id, (raw.from_ms, raw.to_ms), &raw.readers, now)
                    .await
            }
            other => other,
        }
    }

    /// Syncs `id` and `others` over `span` from Twilio, returning `id`'s report.
    async fn refetch(
        &self,
        id: MetricId,
        span: (i64, i64),
        others: &[MetricId],
        now: Timestamp,
    ) -> Result<SyncReport, SyncError> {
        let mut ids = others.to_vec();
        ids.push(id);
        let options = SyncOptions {
            range: Some(span),
            progress: None,
        };
        let mut reports = self.sync_many(&ids, &options, now).await;
        let at = reports.iter().position(|(m, _)| *m == id);
        match at {
            Some(at) => reports.swap_remove(at).1,
            None => Err(SyncError::Store(store::StoreError::NotFound {
                what: "metric",
                id: id.to_string(),
            })),
        }
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
    let (synced_at, pages) = stored_for(store, id, &metric.name, &fields_read(&expression)).await?;
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
        unrecorded: None,
    })
}
