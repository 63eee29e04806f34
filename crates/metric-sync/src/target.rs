//! A metric made ready to sync: its definition read, its expression compiled, its connection's
//! credentials opened.

use connector::Credentials;
use metric::accounts::AccountScope;
use metric::{DatePick, Expression, FieldSet, Limits, MetricDefinition};
use sha2::{Digest, Sha256};
use store::{Connection, MetricId, Store, StoredMetric};
use twilio_request::RequestSpec;

use crate::error::SyncError;

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub metric: StoredMetric,
    pub spec: RequestSpec,
    pub expression: Expression,
    pub uses_sync_time: bool,
    pub connection: Connection,
    credentials: Credentials,
    /// What of a page the expression can read.
    pub fields: FieldSet,
    /// Which accounts the request is made for.
    pub accounts: AccountScope,
}

impl Target {
    pub fn id(&self) -> MetricId {
        self.metric.id
    }

    pub fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    /// Metrics with the same key fetch the same pages in one run.
    /// A multi-account metric shares only with metrics over the same accounts; a metric of the
    /// connection's own account keeps the key (and so the raw pages' fingerprint) it always had.
    pub fn share_key(&self) -> (i64, String, bool) {
        let mut request = serde_json::to_string(&self.spec).unwrap_or_default();
        if self.accounts.is_multi() {
            request.push_str("\naccounts:");
            request.push_str(&serde_json::to_string(&self.accounts).unwrap_or_default());
        }
        (self.connection.id.0, request, self.uses_sync_time)
    }

    /// What identifies the request within its connection: the metrics with the same share key
    /// have the same fingerprint, and their raw pages are stored once under it.
    pub fn fingerprint(&self) -> String {
        let (_, spec, sync_time) = self.share_key();
        let digest = Sha256::digest(format!("{spec}\n{sync_time}").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

pub(crate) fn definition_of(metric: &StoredMetric) -> Result<MetricDefinition, SyncError> {
    MetricDefinition::from_json(&metric.definition).map_err(|source| SyncError::Definition {
        id: metric.id,
        metric: metric.name.clone(),
        source,
    })
}

pub(crate) fn compile(
    metric: &StoredMetric,
    definition: &MetricDefinition,
) -> Result<(Expression, bool), SyncError> {
    let expression =
        definition
            .compile(Limits::default())
            .map_err(|source| SyncError::Definition {
                id: metric.id,
                metric: metric.name.clone(),
                source,
            })?;
    Ok((expression, uses_sync_time(definition)))
}

/// Whether rows are dated at the sync time (a snapshot such as a balance) rather than by a field.
/// Public for the real-time path, which cannot stand in for a snapshot.
pub fn uses_sync_time(definition: &MetricDefinition) -> bool {
    match (
        &definition.extraction.expression,
        &definition.extraction.picks,
    ) {
        (Some(e), _) if !e.trim().is_empty() => e.contains("$sync_time") || e.contains("$now("),
        (_, Some(p)) => p.date == DatePick::SyncTime,
        _ => false,
    }
}

pub(crate) async fn load<S: Store>(store: &S, id: MetricId) -> Result<Target, SyncError> {
    let metric = store.metric(id).await?;
    let definition = definition_of(&metric)?;
    let (expression, uses_sync_time) = compile(&metric, &definition)?;
    let connection = match metric.connection_id {
        Some(cid) => store.connection(cid).await?,
        None => store
            .connection_by_label(&definition.connection)
            .await?
            .ok_or_else(|| SyncError::NoConnection {
                metric: metric.name.clone(),
                connection: definition.connection.clone(),
            })?,
    };
    let credentials = crate::accounts::credentials_of(&connection).map_err(|source| {
        SyncError::SecretUnavailable {
            metric: metric.name.clone(),
            source,
        }
    })?;
    Ok(Target {
        credentials,
        spec: definition.request.clone(),
        accounts: definition.accounts.clone(),
        metric,
        fields: metric::fields_read(&expression),
        expression,
        uses_sync_time,
        connection,
    })
}
