//! Metrics: created from a checked definition, new versions (recomputed from stored pages when
//! only the expression changed), copies, deletion unless something watches them, sync
//! requests, and the library's ready metrics.

use connector::Connector;
use metric_sync::{SyncConfig, SyncJob};
use store::{
    AnyStore, BoardStore, MetricId, NewMetric, Store, StoredMetric, TwilioAccountStore, WatchStore,
};

use metric::AccountScope;

use crate::{AppError, AppResult, Name, connections};

/// The stored metric with its definition, for an operation that cannot go on without reading
/// it: a definition that no longer parses is refused in words naming the metric.
pub(crate) async fn with_definition<S: Store>(
    store: &S,
    id: MetricId,
) -> AppResult<(StoredMetric, metric::MetricDefinition)> {
    let stored = store.metric(id).await?;
    let definition = metric::MetricDefinition::from_json(&stored.definition).map_err(|e| {
        AppError::invalid(
            "metric",
            format!("metric {:?} cannot be read: {e}", stored.name),
        )
    })?;
    Ok((stored, definition))
}

/// Parses the scope a form or the API names: `connection` (or empty), `active`, or SIDs
/// separated by commas, spaces or new lines for a chosen list.
pub fn parse_scope(text: &str) -> AppResult<AccountScope> {
    let scope = match text.trim() {
        "" | "connection" => AccountScope::Connection,
        "active" => AccountScope::Active,
        list => AccountScope::List(
            list.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
    };
    scope
        .check()
        .map_err(|message| AppError::invalid("accounts", message))?;
    Ok(scope)
}

/// Refuses a scope over several accounts for a request whose path does not name the account:
/// such a request reads the same data whatever account it is made for.
pub fn check_scope(path: &str, scope: &AccountScope) -> AppResult<()> {
    if scope.is_multi() && !path.contains(twilio_request::ACCOUNT_SID_PLACEHOLDER) {
        return Err(AppError::invalid(
            "accounts",
            format!(
                "the request's path {path} has no {{AccountSid}}, so it reads the same data for \
                 every account: keep \"this account only\""
            ),
        ));
    }
    Ok(())
}

/// Checks a definition's scope against its request and its connection.
async fn check_definition_scope(
    store: &AnyStore,
    connection: &store::Connection,
    def: &metric::MetricDefinition,
) -> AppResult<()> {
    check_scope(&def.request.path, &def.accounts)?;
    check_listed(store, connection, &def.accounts).await
}

/// A chosen list names only accounts the connection's discovery listed.
async fn check_listed(
    store: &AnyStore,
    connection: &store::Connection,
    scope: &AccountScope,
) -> AppResult<()> {
    let AccountScope::List(sids) = scope else {
        return Ok(());
    };
    let known = store.twilio_accounts(connection.id).await?;
    if let Some(stranger) = sids
        .iter()
        .find(|sid| !known.iter().any(|a| a.sid.as_str() == sid.as_str()))
    {
        return Err(AppError::invalid(
            "accounts",
            format!(
                "{stranger} is not an account of connection '{}': discover its accounts on the \
                 Data Manager, then choose among them",
                connection.label
            ),
        ));
    }
    Ok(())
}

/// The metrics on the Metrics screen, by name.
pub async fn screen_metrics(store: &AnyStore) -> AppResult<Vec<StoredMetric>> {
    let mut list: Vec<StoredMetric> = store
        .list_metrics()
        .await?
        .into_iter()
        .filter(|m| m.used_by.iter().any(|u| u == library::METRICS_SCREEN))
        .collect();
    list.sort_by_key(|m| m.name.to_lowercase());
    Ok(list)
}

/// Queues a sync of the metric; the worker takes it. Returns the job's id.
pub async fn enqueue_sync(store: &AnyStore, id: MetricId, now_ms: i64) -> AppResult<i64> {
    let job = SyncJob {
        metrics: vec![id],
        from_ms: None,
        to_ms: None,
    };
    Ok(store.enqueue(&job.to_new_job(now_ms), now_ms).await?.id.0)
}

/// The metric name a definition carries, under the rule of every name.
fn name_of(def: &metric::MetricDefinition) -> AppResult<Name> {
    Ok(Name::parse(&def.description.name)?)
}

/// Saves a new metric from a checked definition (its connection must exist and its name be
/// free). On the Metrics screen it also gets its backfill queued, whose job is returned.
pub async fn create(
    store: &AnyStore,
    def: &metric::MetricDefinition,
    on_metrics_screen: bool,
    now_ms: i64,
) -> AppResult<(StoredMetric, Option<i64>)> {
    let conn = connections::named_in_definition(store, &def.connection).await?;
    check_definition_scope(store, &conn, def).await?;
    let name = name_of(def)?;
    if store.metric_by_name(name.as_str()).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a metric named '{name}' already exists"
        )));
    }
    let m = store
        .create_metric(
            &NewMetric {
                name: name.into_string(),
                connection_id: Some(conn.id),
                definition: def.to_json_pretty(),
            },
            now_ms,
        )
        .await?;
    if !on_metrics_screen {
        return Ok((m, None));
    }
    store
        .set_metric_usage(m.id, &[library::METRICS_SCREEN.to_owned()], now_ms)
        .await?;
    let job = enqueue_sync(store, m.id, now_ms).await?;
    Ok((store.metric(m.id).await?, Some(job)))
}

/// A new metric, or a new version of the metric with the definition's name; on the Metrics
/// screen when asked (never taken off it).
pub async fn import(
    store: &AnyStore,
    def: &metric::MetricDefinition,
    on_metrics_screen: bool,
    now_ms: i64,
) -> AppResult<StoredMetric> {
    let connection = store
        .connection_by_label(&def.connection)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "connection",
                format!(
                    "the definition names the connection '{}', which does not exist: add it first",
                    def.connection
                ),
            )
        })?;
    check_definition_scope(store, &connection, def).await?;
    let name = name_of(def)?;
    let canonical = def.to_json_pretty();
    let saved = match store.metric_by_name(name.as_str()).await? {
        Some(existing) => {
            store
                .update_metric_definition(existing.id, &canonical, now_ms)
                .await?
        }
        None => {
            store
                .create_metric(
                    &NewMetric {
                        name: name.into_string(),
                        connection_id: Some(connection.id),
                        definition: canonical,
                    },
                    now_ms,
                )
                .await?
        }
    };
    if on_metrics_screen && !saved.used_by.iter().any(|u| u == library::METRICS_SCREEN) {
        let mut used_by = saved.used_by.clone();
        used_by.push(library::METRICS_SCREEN.to_owned());
        store.set_metric_usage(saved.id, &used_by, now_ms).await?;
        return Ok(store.metric(saved.id).await?);
    }
    Ok(saved)
}

/// What saving a new version of a metric did to its history.
#[derive(Debug, serde::Serialize)]
pub struct MetricUpdate {
    #[serde(skip)]
    pub metric: StoredMetric,
    /// History was rebuilt from the pages the last sync stored.
    pub recomputed: bool,
    /// A resync was queued instead (another request, or no stored pages to rebuild from).
    pub resync_job: Option<i64>,
    /// Why recomputing did not work, when it did not.
    pub note: Option<String>,
}

/// Saves a new version of a metric's definition. When only the expression changed, history is
/// recomputed from the stored raw pages; when the request changed (pages of another request
/// would be the wrong data) or recomputing failed, a resync is queued.
pub async fn update(
    store: &std::sync::Arc<AnyStore>,
    connector: &Connector,
    sync: &SyncConfig,
    id: MetricId,
    def: &metric::MetricDefinition,
    now_ms: i64,
) -> AppResult<MetricUpdate> {
    let current = store.metric(id).await?;
    if def.accounts.is_multi() {
        let conn = connections::named_in_definition(store, &def.connection).await?;
        check_definition_scope(store, &conn, def).await?;
    }
    if def.description.name != current.name {
        return Err(AppError::invalid(
            "name",
            format!(
                "the name '{}' differs from the metric's '{}': renaming is not supported yet",
                def.description.name, current.name
            ),
        ));
    }
    let before = metric::MetricDefinition::from_json(&current.definition).ok();
    let same_request = before.as_ref().is_some_and(|b| {
        b.request == def.request && b.connection == def.connection && b.accounts == def.accounts
    });
    let expression_changed = before
        .as_ref()
        .and_then(|b| b.expression_text().ok())
        .zip(def.expression_text().ok())
        .is_none_or(|(a, b)| a != b);
    let m = store
        .update_metric_definition(current.id, &def.to_json_pretty(), now_ms)
        .await?;
    let mut recomputed = false;
    let mut note = None;
    if expression_changed && same_request {
        let syncer = metric_sync::Syncer::new(store.clone(), connector.clone(), sync.clone());
        match syncer
            .recompute_from_raw_pages(m.id, crate::clock::instant(now_ms))
            .await
        {
            Ok(report) if report.ledger.error.is_none() => recomputed = true,
            Ok(report) => note = report.ledger.error.clone(),
            Err(e) => note = Some(e.to_string()),
        }
    }
    let resync_job = if (expression_changed || !same_request) && !recomputed {
        Some(enqueue_sync(store, m.id, now_ms).await?)
    } else {
        None
    };
    Ok(MetricUpdate {
        metric: m,
        recomputed,
        resync_job,
        note,
    })
}

/// Sets how often the metric syncs (`None`: the default, hourly). Every scheduler reads it from
/// the store at its next pass, so no process needs a restart.
pub async fn set_sync_interval(
    store: &AnyStore,
    id: MetricId,
    interval: Option<crate::SyncInterval>,
    now_ms: i64,
) -> AppResult<StoredMetric> {
    Ok(store
        .set_metric_sync_interval(id, interval.map(crate::SyncInterval::seconds), now_ms)
        .await?)
}

/// The name of the `n`th copy of a metric named `original`: "NAME (copy)", then "NAME (copy 2)",
/// ..., with NAME shortened (by characters) so the whole stays within the one rule for names,
/// since a metric named at the limit would otherwise have a copy no form could save again.
fn copy_name(original: &str, n: u32) -> String {
    let suffix = if n == 1 {
        " (copy)".to_owned()
    } else {
        format!(" (copy {n})")
    };
    let room = crate::Name::MAX.saturating_sub(suffix.chars().count());
    let base: String = original.chars().take(room).collect();
    format!("{}{suffix}", base.trim_end())
}

/// Copies a metric under the first free name "NAME (copy)", "NAME (copy 2)", ... with the
/// same request, expression and connection, puts the copy on the Metrics screen and queues its
/// backfill. The copy is where an edit can be tried without touching the original's history.
pub async fn duplicate(store: &AnyStore, id: MetricId, now_ms: i64) -> AppResult<StoredMetric> {
    let original = store.metric(id).await?;
    let mut definition: serde_json::Value =
        serde_json::from_str(&original.definition).map_err(|e| {
            AppError::Internal(format!(
                "the stored definition of {} is not JSON: {e}",
                original.name
            ))
        })?;
    let mut n = 1;
    let mut name = copy_name(&original.name, n);
    while store.metric_by_name(&name).await?.is_some() {
        n += 1;
        name = copy_name(&original.name, n);
    }
    definition["description"]["name"] = serde_json::Value::String(name.clone());
    let copy = store
        .create_metric(
            &NewMetric {
                name,
                connection_id: original.connection_id,
                definition: definition.to_string(),
            },
            now_ms,
        )
        .await?;
    store
        .set_metric_usage(copy.id, &[library::METRICS_SCREEN.to_owned()], now_ms)
        .await?;
    enqueue_sync(store, copy.id, now_ms).await?;
    Ok(store.metric(copy.id).await?)
}

/// The metric ids a stored block shows. Only that field of the block's settings is read here
/// (the settings belong to the boards' model); settings that do not read show none.
fn block_metrics(settings: &str) -> Vec<i64> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Shown {
        metrics: Vec<i64>,
    }
    serde_json::from_str::<Shown>(settings)
        .unwrap_or_default()
        .metrics
}

/// Deletes a metric unless a goal, alert, scorecard or board uses it: those would be deleted
/// with it (or stop working) without their owner noticing, so the caller is told which ones to
/// change first. False when there was no such metric.
pub async fn delete(store: &AnyStore, id: MetricId) -> AppResult<bool> {
    let mut users = Vec::new();
    for g in store.list_goals().await? {
        if g.metric_id == id {
            users.push(format!("goal '{}'", g.name));
        }
    }
    for a in store.list_alerts().await? {
        if a.metric_id == id {
            users.push(format!("alert '{}'", a.name));
        }
    }
    for c in store.list_scorecards().await? {
        if c.spec.metrics.iter().any(|m| m.metric_id == id.0) {
            users.push(format!("scorecard '{}'", c.name));
        }
    }
    for board in store.list_boards().await? {
        let shown = store
            .blocks(board.id)
            .await?
            .iter()
            .any(|b| block_metrics(&b.block.settings).contains(&id.0));
        if shown {
            users.push(format!("board '{}'", board.settings.name));
        }
    }
    if !users.is_empty() {
        return Err(AppError::Conflict(format!(
            "metric {} is used by {}: delete those or point them at another metric first",
            id.0,
            users.join(", ")
        )));
    }
    Ok(store.delete_metric(id).await?)
}

pub fn categories() -> Vec<String> {
    library::Category::ALL
        .iter()
        .map(|c| c.label().to_owned())
        .collect()
}

/// Library metrics matching a search text (name, summary, endpoint) and a category label.
pub fn library_matches(q: &str, category: &str) -> AppResult<Vec<&'static library::LibraryMetric>> {
    let category = match category.trim() {
        "" => None,
        text => Some(
            library::Category::parse(text)
                .map_err(|e| AppError::invalid("category", e.to_string()))?,
        ),
    };
    let all = library::list(category).map_err(|e| AppError::Internal(e.to_string()))?;
    let q = q.trim().to_lowercase();
    Ok(all
        .into_iter()
        .filter(|m| {
            q.is_empty()
                || m.name().to_lowercase().contains(&q)
                || m.summary().to_lowercase().contains(&q)
                || m.source().to_lowercase().contains(&q)
                || m.slug.contains(&q)
        })
        .collect())
}

/// Adds a library metric to the Metrics screen for a connection; with `sync`, queues its
/// backfill too (without, the caller syncs it at once itself, as the demo does, so it is not
/// synced twice).
pub async fn add_from_library(
    store: &AnyStore,
    slug: &str,
    connection: &str,
    sync: bool,
    now_ms: i64,
) -> AppResult<StoredMetric> {
    let scope = AccountScope::Connection;
    add_from_library_scoped(store, slug, connection, &scope, sync, now_ms).await
}

/// [`add_from_library`] over the accounts `scope` names.
pub async fn add_from_library_scoped(
    store: &AnyStore,
    slug: &str,
    connection: &str,
    scope: &AccountScope,
    sync: bool,
    now_ms: i64,
) -> AppResult<StoredMetric> {
    if let Ok(entry) = library::find(slug) {
        check_scope(&entry.definition.request.path, scope)?;
    }
    if let Some(conn) = store.connection_by_label(connection.trim()).await? {
        check_listed(store, &conn, scope).await?;
    }
    let m = library::add_scoped(store, slug.trim(), connection.trim(), scope, now_ms)
        .await
        .map_err(|e| match e {
            library::AddError::AlreadyAdded { .. } => AppError::Conflict(e.to_string()),
            library::AddError::UnknownConnection { .. } => {
                AppError::invalid("connection", e.to_string())
            }
            library::AddError::Store { .. } => AppError::Internal(e.to_string()),
            other => AppError::invalid("name", other.to_string()),
        })?;
    if sync {
        enqueue_sync(store, m.id, now_ms).await?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::copy_name;

    #[test]
    fn a_copy_of_a_name_at_the_limit_keeps_within_the_limit() {
        let long = "é".repeat(crate::Name::MAX);
        let first = copy_name(&long, 1);
        assert_eq!(first.chars().count(), crate::Name::MAX);
        assert!(first.ends_with("é (copy)"));
        let tenth = copy_name(&long, 10);
        assert_eq!(tenth.chars().count(), crate::Name::MAX);
        assert!(tenth.ends_with(" (copy 10)"));
        assert!(crate::Name::parse(&tenth).is_ok());
    }

    #[test]
    fn a_short_name_is_copied_whole() {
        assert_eq!(copy_name("Messages sent", 1), "Messages sent (copy)");
        assert_eq!(copy_name("Messages sent", 3), "Messages sent (copy 3)");
    }
}
