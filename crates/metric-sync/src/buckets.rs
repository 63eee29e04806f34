//! The one place where the engine's hourly buckets meet the store's rows. The store keeps
//! "no dimension" as the empty string (part of its primary key); the engine as `None`.

use metric::HourBucket;
use metric::accounts::{AccountFilter, AccountView, regroup};
use store::{BucketQuery, BucketRow, MetricId, Store, StoreError};

/// An engine bucket as the store keeps it.
pub fn to_row(b: &HourBucket) -> BucketRow {
    BucketRow {
        dimension: b.dimension.clone().unwrap_or_default(),
        hour_ms: b.hour,
        sum: b.sum,
        count: i64::try_from(b.count).unwrap_or(i64::MAX),
        min: b.min,
        max: b.max,
        latest: b.latest,
        latest_at_ms: b.latest_at,
    }
}

/// A stored row as the engine aggregates it.
pub fn to_hour_bucket(row: &BucketRow) -> HourBucket {
    HourBucket {
        hour: row.hour_ms,
        dimension: (!row.dimension.is_empty()).then(|| row.dimension.clone()),
        sum: row.sum,
        count: u64::try_from(row.count).unwrap_or(0),
        min: row.min,
        max: row.max,
        latest: row.latest,
        latest_at: row.latest_at_ms,
    }
}

/// A metric's stored buckets over `[from_ms, to_ms)`, every dimension, as the engine aggregates
/// them: the one read the Metrics screen, the evaluator (alerts, goals, scorecards) and the
/// watch screens share, so none of them maps rows on its own. A multi-account metric's accounts
/// are added together ([`AccountView::Total`]): it reads as one metric with its own dimension;
/// [`buckets_viewed`] sees the accounts.
pub async fn buckets<S: Store>(
    store: &S,
    metric: MetricId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<HourBucket>, StoreError> {
    buckets_viewed(store, metric, from_ms, to_ms, AccountView::Total, &None).await
}

/// [`buckets`] with the accounts of a multi-account metric seen as `view` and kept by
/// `filter` (see [`metric::accounts::regroup`]).
pub async fn buckets_viewed<S: Store>(
    store: &S,
    metric: MetricId,
    from_ms: i64,
    to_ms: i64,
    view: AccountView,
    filter: &AccountFilter,
) -> Result<Vec<HourBucket>, StoreError> {
    let rows = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms,
            to_ms,
        })
        .await?;
    Ok(regroup(
        rows.iter().map(to_hour_bucket).collect(),
        view,
        filter,
    ))
}
