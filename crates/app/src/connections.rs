//! Twilio connections: added only once Twilio accepts them, renamed with the metrics that name
//! them, removed with their metrics taken off the Metrics screen.

use connector::{ConnectionCheck, Connector, Credentials, CredentialsError};
use domain::Secret;
use store::{AnyStore, Connection, ConnectionId, NewConnection, Store, StoreError, StoredMetric};

use crate::twilio_accounts::{self, AccountsFound};
use crate::{AppError, AppResult, Label};

/// The credentials' form, with the field a mistake is in.
pub fn parse_credentials(
    account_sid: &str,
    api_key_sid: &str,
    secret: Secret,
) -> AppResult<Credentials> {
    Credentials::parse(account_sid.trim(), api_key_sid.trim(), secret).map_err(|e| {
        let field = match &e {
            CredentialsError::Sid(s) if s.field == domain::ApiKeySid::FIELD => "api_key_sid",
            CredentialsError::Sid(_) => "account_sid",
            _ => "secret",
        };
        AppError::invalid(field, e.to_string())
    })
}

/// The connection's credentials; a conflict saying how to re-enter the secret when the store
/// cannot open it (opened without its master key, or the secret was forgotten).
pub fn credentials_of(c: &Connection) -> AppResult<Credentials> {
    let secret = c.secret().map_err(|e| AppError::Conflict(e.to_string()))?;
    Ok(Credentials {
        account_sid: c.account_sid.clone(),
        api_key_sid: c.api_key_sid.clone(),
        secret: secret.clone(),
    })
}

/// A store refusal to seal (its master key is not verified) as the conflict it is.
fn unsealable(e: StoreError) -> AppError {
    match e {
        StoreError::SecretUnavailable(u) => AppError::Conflict(u.to_string()),
        other => other.into(),
    }
}

/// Gives a saved connection a new API Key Secret (a rotated key, or one to re-enter after the
/// master key was lost): Twilio must accept it with the connection's SIDs before it is sealed.
pub async fn update_secret(
    store: &AnyStore,
    connector: &Connector,
    id: ConnectionId,
    secret: Secret,
    now_ms: i64,
) -> AppResult<(Connection, ConnectionCheck)> {
    let conn = store.connection(id).await?;
    let creds = parse_credentials(conn.account_sid.as_str(), conn.api_key_sid.as_str(), secret)?;
    let check = connector.check(&creds).await;
    if !check.is_connected() {
        return Err(AppError::Refused {
            field: "secret",
            message: check.to_string(),
        });
    }
    store
        .update_connection_secret(id, &creds.secret, now_ms)
        .await
        .map_err(unsealable)?;
    Ok((store.connection(id).await?, check))
}

fn label_taken(label: &Label) -> AppError {
    AppError::Conflict(format!(
        "a connection named '{label}' already exists: choose another name"
    ))
}

/// Refuses a label another connection has: what `add` checks first, and what a caller that
/// asks for a secret checks before asking.
pub async fn ensure_label_free(store: &AnyStore, label: &Label) -> AppResult<()> {
    match store.connection_by_label(label.as_str()).await? {
        Some(_) => Err(label_taken(label)),
        None => Ok(()),
    }
}

/// A connection just saved: what Twilio said of its key, and what listing its accounts found.
#[derive(Debug, Clone)]
pub struct Added {
    pub connection: Connection,
    pub check: ConnectionCheck,
    pub accounts: AccountsFound,
}

impl Added {
    /// "connected with a Main key: …; 100 subaccounts found".
    pub fn message(&self) -> String {
        format!("{}; {}", self.check, self.accounts)
    }
}

/// Checks the label is free, then asks Twilio; saves only a connection Twilio accepts, then
/// lists the accounts it reaches. A failed listing never undoes the save: it is reported.
pub async fn add(
    store: &AnyStore,
    connector: &Connector,
    label: &Label,
    creds: Credentials,
    now_ms: i64,
) -> AppResult<Added> {
    let (connection, check) = save_checked(store, connector, label, creds, now_ms).await?;
    let discovered = twilio_accounts::discover(store, connector, connection.id, now_ms).await;
    if let Err(e) = &discovered {
        tracing::warn!(connection = %connection.label, error = %e, "listing the accounts of a new connection failed");
    }
    Ok(Added {
        connection,
        check,
        accounts: AccountsFound::of(&discovered),
    })
}

async fn save_checked(
    store: &AnyStore,
    connector: &Connector,
    label: &Label,
    creds: Credentials,
    now_ms: i64,
) -> AppResult<(Connection, ConnectionCheck)> {
    ensure_label_free(store, label).await?;
    let check = connector.check(&creds).await;
    if !check.is_connected() {
        return Err(AppError::Refused {
            field: "secret",
            message: check.to_string(),
        });
    }
    let conn = store
        .create_connection(
            &NewConnection {
                label: label.to_string(),
                account_sid: creds.account_sid,
                api_key_sid: creds.api_key_sid,
                secret: creds.secret,
            },
            now_ms,
        )
        .await
        .map_err(|e| match e {
            // Another request took the label since the check above.
            StoreError::Duplicate { .. } => label_taken(label),
            other => unsealable(other),
        })?;
    Ok((conn, check))
}

/// The saved connection with this label.
pub async fn by_label(store: &AnyStore, label: &str) -> AppResult<Connection> {
    store
        .connection_by_label(label.trim())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no connection named '{}'", label.trim())))
}

/// The connection a metric definition names, or why there is none (a mistake in the
/// definition, not a missing resource).
pub async fn named_in_definition(store: &AnyStore, label: &str) -> AppResult<Connection> {
    store.connection_by_label(label).await?.ok_or_else(|| {
        AppError::invalid(
            "definition",
            format!("no connection named '{label}': add it in the Data Manager first"),
        )
    })
}

/// Renames a connection, and rewrites the connection name inside the definitions of the metrics
/// that read through it (a new version each), so an exported metric names the connection as the
/// Data Manager does. Syncs go by the connection's id, so none is interrupted.
pub async fn rename(
    store: &AnyStore,
    id: ConnectionId,
    label: &Label,
    now_ms: i64,
) -> AppResult<Connection> {
    let conn = store.connection(id).await?;
    if conn.label == label.as_str() {
        return Ok(conn);
    }
    store
        .rename_connection(id, label.as_str(), now_ms)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate { .. } => label_taken(label),
            other => other.into(),
        })?;
    for m in metrics_of(store, id).await? {
        let Ok(mut definition) = serde_json::from_str::<serde_json::Value>(&m.definition) else {
            tracing::warn!(metric = %m.name, "a stored definition is not JSON; left as it was");
            continue;
        };
        if definition.get("connection").and_then(|c| c.as_str()) == Some(conn.label.as_str()) {
            definition["connection"] = serde_json::Value::String(label.to_string());
            store
                .update_metric_definition(m.id, &definition.to_string(), now_ms)
                .await?;
        }
    }
    Ok(store.connection(id).await?)
}

/// The metrics that read through the connection.
pub async fn metrics_of(store: &AnyStore, id: ConnectionId) -> AppResult<Vec<StoredMetric>> {
    Ok(store
        .list_metrics()
        .await?
        .into_iter()
        .filter(|m| m.connection_id == Some(id))
        .collect())
}

/// Removes the connection; the metrics reading through it leave the Metrics screen (they keep
/// their history). Returns their names.
pub async fn remove(store: &AnyStore, id: ConnectionId, now_ms: i64) -> AppResult<Vec<String>> {
    let metrics = metrics_of(store, id).await?;
    for m in &metrics {
        store.set_metric_usage(m.id, &[], now_ms).await?;
    }
    if !store.delete_connection(id).await? {
        return Err(AppError::NotFound(format!("no connection {}", id.0)));
    }
    Ok(metrics.into_iter().map(|m| m.name).collect())
}
