//! Adding a library metric to a store, on the Metrics screen (so the scheduler syncs it).

use metric::AccountScope;
use store::{NewMetric, Store, StoredMetric};

use crate::embedded::find;
use crate::error::AddError;

/// The usage mark of the Metrics screen: a metric carrying it is in use, hence kept synced.
pub const METRICS_SCREEN: &str = "metrics-screen";

/// Stores the library metric `name` (file name or display name) bound to the connection labelled
/// `connection`, and puts it on the Metrics screen. The stored metric keeps the library's display
/// name, which must not be taken yet.
pub async fn add<S: Store>(
    store: &S,
    name: &str,
    connection: &str,
    now_ms: i64,
) -> Result<StoredMetric, AddError> {
    add_scoped(store, name, connection, &AccountScope::Connection, now_ms).await
}

/// [`add`] over the accounts `scope` names (the connection's own, or every active account it
/// lists), saved in the definition's `accounts`.
pub async fn add_scoped<S: Store>(
    store: &S,
    name: &str,
    connection: &str,
    scope: &AccountScope,
    now_ms: i64,
) -> Result<StoredMetric, AddError> {
    let entry = find(name)?;
    let display = entry.name().to_owned();
    let store_err = |source| AddError::Store {
        name: display.clone(),
        source,
    };
    let conn = store
        .connection_by_label(connection)
        .await
        .map_err(store_err)?
        .ok_or_else(|| AddError::UnknownConnection {
            label: connection.to_owned(),
        })?;
    if let Some(existing) = store.metric_by_name(&display).await.map_err(store_err)? {
        return Err(AddError::AlreadyAdded {
            name: display,
            id: existing.id.0,
        });
    }
    let created = store
        .create_metric(
            &NewMetric {
                name: display.clone(),
                connection_id: Some(conn.id),
                definition: entry.definition_scoped(&conn.label, scope),
            },
            now_ms,
        )
        .await
        .map_err(store_err)?;
    store
        .set_metric_usage(created.id, &[METRICS_SCREEN.to_owned()], now_ms)
        .await
        .map_err(store_err)?;
    store.metric(created.id).await.map_err(store_err)
}
