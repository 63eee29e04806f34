//! What is left of the web's old operation wrappers: the boards feature still adds a library
//! metric through here while its operations move into `app` (issue 16). Everything else calls
//! `state.app()`; delete this module once boards does too.

use store::{AnyStore, StoredMetric};

use crate::error::WebError;

/// Adds a library metric for a connection and queues its backfill, stamped by the system clock
/// (the caller holds only the store, not the state's clock).
pub async fn add_library_metric(
    store: &AnyStore,
    slug: &str,
    connection: &str,
) -> Result<StoredMetric, WebError> {
    let now = app::Clock::system().now_ms();
    Ok(app::metrics::add_from_library(store, slug, connection, true, now).await?)
}
