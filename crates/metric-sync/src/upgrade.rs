//! One-time data steps for a store written by an earlier version, run when `serve`, `worker`
//! and the other commands open the store, and recorded in the store so each runs once.
//!
//! [`redact_stored_credentials`]: before the connector redacted credentials
//! ([`connector::redact_credentials`]), a sync kept the Accounts list's Auth Tokens in its raw
//! pages, and a metric could carry one into its buckets (as a dimension) and its ledgers (in a
//! bad row's example). A migration cannot do this (the pages are compressed), so this step
//! redacts the stored pages, recomputes each affected metric from them, and then removes what
//! the recompute cannot reach: copies of the redacted values in dimensions older than the last
//! sync's pages (merged under the marker, so the counts stay) and in older ledgers.
//!
//! What it cannot find: a token stored only in buckets or ledgers whose metric no longer has
//! raw pages holding it (pages are kept for the last sync only, and within a size cap). Those
//! values are not told apart from data by their look; a sync after the upgrade no longer adds
//! any.

use connector::{REDACTED, redact_credentials_collecting};
use domain::Secret;
use jiff::Timestamp;
use store::{MetricId, Store};

use crate::error::SyncError;
use crate::raw::{decode, encode};
use crate::recompute::recompute;

/// The name the step is recorded under in the store.
pub const REDACT_CREDENTIALS_STEP: &str = "redact_credentials_v1";

/// A redacted value shorter than this is not searched for in dimensions and ledgers: a short
/// text (an empty token, a PIN of `0`) would match ordinary data. Auth Tokens have 32
/// characters.
const MIN_SEARCHED_LEN: usize = 8;

/// What [`redact_stored_credentials`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CredentialScrub {
    /// The step had already run on this store: nothing was read.
    pub already_done: bool,
    /// Metrics whose stored pages held credentials, now redacted and recomputed.
    pub metrics: Vec<MetricId>,
    /// Credential values replaced in stored pages.
    pub values_redacted: usize,
    /// Buckets moved from a dimension holding a credential to the redacted one.
    pub buckets_merged: u64,
    /// Sync runs whose ledger or error held a credential.
    pub runs_rewritten: u64,
    /// Metrics the step could not finish, and why; the step runs again at the next start.
    pub failures: Vec<(MetricId, String)>,
}

/// Redacts the credentials a store written before redaction may hold (see the module), once:
/// when every metric is done the step is recorded, and later calls return at once with
/// [`CredentialScrub::already_done`]. A metric that fails is reported and the others go on.
pub async fn redact_stored_credentials<S: Store>(
    store: &S,
    now: Timestamp,
) -> Result<CredentialScrub, SyncError> {
    let mut report = CredentialScrub::default();
    if store.data_step_done(REDACT_CREDENTIALS_STEP).await? {
        report.already_done = true;
        return Ok(report);
    }
    for metric in store.list_metrics().await? {
        if let Err(e) = redact_metric(store, metric.id, &metric.name, now, &mut report).await {
            tracing::warn!(metric = %metric.name, error = %e, "could not redact the credentials stored for this metric; will try again at the next start");
            report.failures.push((metric.id, e.to_string()));
        }
    }
    if report.failures.is_empty() {
        store
            .mark_data_step_done(REDACT_CREDENTIALS_STEP, now.as_millisecond())
            .await?;
    }
    if !report.metrics.is_empty() {
        tracing::warn!(
            metrics = report.metrics.len(),
            values = report.values_redacted,
            buckets = report.buckets_merged,
            runs = report.runs_rewritten,
            "redacted credentials Twilio had returned and an earlier version stored"
        );
    }
    Ok(report)
}

async fn redact_metric<S: Store>(
    store: &S,
    id: MetricId,
    name: &str,
    now: Timestamp,
    report: &mut CredentialScrub,
) -> Result<(), SyncError> {
    let Some(raw) = store.raw_pages(id).await? else {
        return Ok(());
    };
    // Pages the key does not open cannot be searched; a sync replaces them.
    let store::RawPageContent::Open(stored_pages) = &raw.pages else {
        return Ok(());
    };
    let mut secrets: Vec<Secret> = Vec::new();
    let mut pages = Vec::with_capacity(stored_pages.len());
    let mut redacted = 0;
    for (index, bytes) in stored_pages.iter().enumerate() {
        let mut stored = decode(bytes).map_err(|reason| SyncError::CorruptRawPage {
            metric: name.to_owned(),
            index,
            reason,
        })?;
        redacted += redact_credentials_collecting(&mut stored.page, &mut secrets);
        pages.push((stored.span(), stored.page));
    }
    if redacted == 0 {
        return Ok(());
    }
    let mut encoded = Vec::with_capacity(pages.len());
    for (span, page) in &pages {
        encoded.push(encode(*span, page).map_err(|e| SyncError::CorruptRawPage {
            metric: name.to_owned(),
            index: encoded.len(),
            reason: format!("cannot compress it again: {e}"),
        })?);
    }
    // No cap: the redacted pages are no larger than the ones they replace.
    store
        .put_raw_pages(
            &store::NewRawPages {
                connection_id: raw.connection_id,
                fingerprint: &raw.fingerprint,
                readers: &raw.readers,
                from_ms: raw.from_ms,
                to_ms: raw.to_ms,
                synced_at_ms: raw.synced_at_ms,
                fields: &raw.fields,
                pages: &encoded,
            },
            u64::MAX,
        )
        .await?;
    report.metrics.push(id);
    report.values_redacted += redacted;

    // The windows of the last sync, from the redacted pages. A definition that no longer
    // compiles leaves them to the removal below, which needs no expression.
    if let Err(e) = recompute(store, id, now).await {
        tracing::warn!(metric = %name, error = %e, "could not recompute from the redacted pages; removing the credentials from its buckets instead");
    }

    let mut texts: Vec<&str> = secrets
        .iter()
        .map(Secret::expose)
        .filter(|t| t.len() >= MIN_SEARCHED_LEN && *t != REDACTED)
        .collect();
    texts.sort_unstable();
    texts.dedup();
    if texts.is_empty() {
        return Ok(());
    }
    for dimension in store.dimensions(id).await? {
        if !texts.iter().any(|t| dimension.contains(t)) {
            continue;
        }
        let clean = texts
            .iter()
            .fold(dimension.clone(), |d, t| d.replace(t, REDACTED));
        report.buckets_merged += store.merge_dimension(id, &dimension, &clean).await?;
    }
    for text in texts {
        report.runs_rewritten += store.replace_in_sync_runs(id, text, REDACTED).await?;
    }
    Ok(())
}
