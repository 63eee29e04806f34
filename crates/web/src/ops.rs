//! What the pages and the API both do, in one place: each function checks its input and says
//! what was wrong in words a person can act on.

use connector::{ConnectionCheck, Credentials};
use domain::Secret;
use metric_sync::SyncJob;
use store::{AnyStore, Connection, ConnectionId, MetricId, NewConnection, Store, StoredMetric};

use crate::accounts::{
    Accounts, Role, TokenInfo, User, hash_password, random_token, token_hash, verify_password,
};
use crate::error::WebError;
use crate::state::AppState;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The metrics on the Metrics screen, by name.
pub async fn screen_metrics(store: &AnyStore) -> Result<Vec<StoredMetric>, WebError> {
    let mut list: Vec<StoredMetric> = store
        .list_metrics()
        .await?
        .into_iter()
        .filter(|m| m.used_by.iter().any(|u| u == library::METRICS_SCREEN))
        .collect();
    list.sort_by_key(|m| m.name.to_lowercase());
    Ok(list)
}

/// Queues a sync of the metric now; the worker takes it.
pub async fn enqueue_sync(store: &AnyStore, id: MetricId) -> Result<i64, WebError> {
    let now = now_ms();
    let job = SyncJob {
        metrics: vec![id],
        from_ms: None,
        to_ms: None,
    };
    Ok(store.enqueue(&job.to_new_job(now), now).await?.id.0)
}

pub fn credentials_of(c: &Connection) -> Credentials {
    Credentials {
        account_sid: c.account_sid.clone(),
        api_key_sid: c.api_key_sid.clone(),
        secret: c.secret.clone(),
    }
}

pub async fn check_connection(state: &AppState, c: &Connection) -> ConnectionCheck {
    state.connector().check(&credentials_of(c)).await
}

/// Checks the credentials' form, then asks Twilio; saves only a connection Twilio accepts.
pub async fn add_connection(
    state: &AppState,
    label: &str,
    account_sid: &str,
    api_key_sid: &str,
    secret: Secret,
) -> Result<(Connection, ConnectionCheck), WebError> {
    let label = connection_label(label)?;
    let creds =
        Credentials::parse(account_sid.trim(), api_key_sid.trim(), secret).map_err(|e| {
            let field = match &e {
                connector::CredentialsError::Sid(s) if s.to_string().contains("API Key") => {
                    "api_key_sid"
                }
                connector::CredentialsError::Sid(_) => "account_sid",
                _ => "secret",
            };
            WebError::invalid(field, e.to_string())
        })?;
    if state.store().connection_by_label(label).await?.is_some() {
        return Err(WebError::Conflict(format!(
            "a connection named '{label}' already exists: choose another name"
        )));
    }
    let check = state.connector().check(&creds).await;
    if !check.is_connected() {
        return Err(WebError::Invalid {
            code: "connection_refused",
            message: check.to_string(),
            field: Some("secret"),
        });
    }
    let conn = state
        .store()
        .create_connection(
            &NewConnection {
                label: label.to_owned(),
                account_sid: creds.account_sid,
                api_key_sid: creds.api_key_sid,
                secret: creds.secret,
            },
            now_ms(),
        )
        .await?;
    Ok((conn, check))
}

/// The label rules of the Data Manager, shared by add and rename.
fn connection_label(label: &str) -> Result<&str, WebError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 64 {
        return Err(WebError::invalid(
            "label",
            "give the connection a name of 1 to 64 characters (e.g. production)",
        ));
    }
    Ok(label)
}

/// Renames a connection, and rewrites the connection name inside the definitions of the metrics
/// that read through it (a new version each), so an exported metric names the connection as the
/// Data Manager does. Syncs go by the connection's id, so none is interrupted.
pub async fn rename_connection(
    store: &AnyStore,
    id: ConnectionId,
    label: &str,
) -> Result<Connection, WebError> {
    let label = connection_label(label)?;
    let conn = store.connection(id).await?;
    if conn.label == label {
        return Ok(conn);
    }
    store
        .rename_connection(id, label, now_ms())
        .await
        .map_err(|e| match e {
            store::StoreError::Duplicate { .. } => WebError::Conflict(format!(
                "a connection named '{label}' already exists: choose another name"
            )),
            other => other.into(),
        })?;
    for m in metrics_of_connection(store, id).await? {
        let Ok(mut definition) = serde_json::from_str::<serde_json::Value>(&m.definition) else {
            tracing::warn!(metric = %m.name, "a stored definition is not JSON; left as it was");
            continue;
        };
        if definition.get("connection").and_then(|c| c.as_str()) == Some(conn.label.as_str()) {
            definition["connection"] = serde_json::Value::String(label.to_owned());
            store
                .update_metric_definition(m.id, &definition.to_string(), now_ms())
                .await?;
        }
    }
    Ok(store.connection(id).await?)
}

/// The connection a definition names, or why there is none.
pub async fn connection_named(store: &AnyStore, label: &str) -> Result<Connection, WebError> {
    store.connection_by_label(label).await?.ok_or_else(|| {
        WebError::invalid(
            "definition",
            format!("no connection named '{label}': add it in the Data Manager first"),
        )
    })
}

pub async fn metrics_of_connection(
    store: &AnyStore,
    id: ConnectionId,
) -> Result<Vec<StoredMetric>, WebError> {
    Ok(store
        .list_metrics()
        .await?
        .into_iter()
        .filter(|m| m.connection_id == Some(id))
        .collect())
}

/// Removes the connection; the metrics reading through it leave the Metrics screen (they keep
/// their history). Returns their names.
pub async fn remove_connection(
    store: &AnyStore,
    id: ConnectionId,
) -> Result<Vec<String>, WebError> {
    let metrics = metrics_of_connection(store, id).await?;
    let now = now_ms();
    for m in &metrics {
        store.set_metric_usage(m.id, &[], now).await?;
    }
    if !store.delete_connection(id).await? {
        return Err(WebError::NotFound(format!("no connection {}", id.0)));
    }
    Ok(metrics.into_iter().map(|m| m.name).collect())
}

pub fn categories() -> Vec<String> {
    library::Category::ALL
        .iter()
        .map(|c| c.label().to_owned())
        .collect()
}

/// Library metrics matching a search text (name, summary, endpoint) and a category label.
pub fn library_matches(
    q: &str,
    category: &str,
) -> Result<Vec<&'static library::LibraryMetric>, WebError> {
    let category = match category.trim() {
        "" => None,
        text => Some(
            library::Category::parse(text)
                .map_err(|e| WebError::invalid("category", e.to_string()))?,
        ),
    };
    let all = library::list(category).map_err(|e| WebError::Internal(e.to_string()))?;
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

/// Adds a library metric for a connection and queues its backfill.
pub async fn add_library_metric(
    store: &AnyStore,
    slug: &str,
    connection: &str,
) -> Result<StoredMetric, WebError> {
    let m = add_library_metric_unsynced(store, slug, connection).await?;
    enqueue_sync(store, m.id).await?;
    Ok(m)
}

/// Adds a library metric to the Metrics screen without queueing its backfill: for a caller that
/// syncs it at once itself (the demo), so it is not synced twice.
pub async fn add_library_metric_unsynced(
    store: &AnyStore,
    slug: &str,
    connection: &str,
) -> Result<StoredMetric, WebError> {
    library::add(store, slug.trim(), connection.trim(), now_ms())
        .await
        .map_err(|e| match e {
            library::AddError::AlreadyAdded { .. } => WebError::Conflict(e.to_string()),
            library::AddError::UnknownConnection { .. } => {
                WebError::invalid("connection", e.to_string())
            }
            library::AddError::Store { .. } => WebError::Internal(e.to_string()),
            other => WebError::invalid("name", other.to_string()),
        })
}

/// Saves a new metric from a checked definition (its connection must exist and its name be
/// free). On the Metrics screen it also gets its backfill queued, whose job is returned.
pub async fn create_metric(
    store: &AnyStore,
    def: &metric::MetricDefinition,
    on_metrics_screen: bool,
) -> Result<(StoredMetric, Option<i64>), WebError> {
    let conn = connection_named(store, &def.connection).await?;
    let name = def.description.name.trim().to_owned();
    if store.metric_by_name(&name).await?.is_some() {
        return Err(WebError::Conflict(format!(
            "a metric named '{name}' already exists"
        )));
    }
    let now = now_ms();
    let m = store
        .create_metric(
            &store::NewMetric {
                name,
                connection_id: Some(conn.id),
                definition: def.to_json_pretty(),
            },
            now,
        )
        .await?;
    if !on_metrics_screen {
        return Ok((m, None));
    }
    store
        .set_metric_usage(m.id, &[library::METRICS_SCREEN.to_owned()], now)
        .await?;
    let job = enqueue_sync(store, m.id).await?;
    Ok((store.metric(m.id).await?, Some(job)))
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
pub async fn update_metric(
    state: &AppState,
    id: MetricId,
    def: &metric::MetricDefinition,
) -> Result<MetricUpdate, WebError> {
    let store = state.store();
    let current = store.metric(id).await?;
    if def.description.name != current.name {
        return Err(WebError::invalid(
            "name",
            format!(
                "the name '{}' differs from the metric's '{}': renaming is not supported yet",
                def.description.name, current.name
            ),
        ));
    }
    let before = metric::MetricDefinition::from_json(&current.definition).ok();
    let same_request = before
        .as_ref()
        .is_some_and(|b| b.request == def.request && b.connection == def.connection);
    let expression_changed = before
        .as_ref()
        .and_then(|b| b.expression_text().ok())
        .zip(def.expression_text().ok())
        .is_none_or(|(a, b)| a != b);
    let m = store
        .update_metric_definition(current.id, &def.to_json_pretty(), now_ms())
        .await?;
    let mut recomputed = false;
    let mut note = None;
    if expression_changed && same_request {
        let syncer = metric_sync::Syncer::new(
            store.clone(),
            state.connector().clone(),
            state.config().sync.clone(),
        );
        match syncer
            .recompute_from_raw_pages(m.id, jiff::Timestamp::now())
            .await
        {
            Ok(report) if report.ledger.error.is_none() => recomputed = true,
            Ok(report) => note = report.ledger.error.clone(),
            Err(e) => note = Some(e.to_string()),
        }
    }
    let resync_job = if (expression_changed || !same_request) && !recomputed {
        Some(enqueue_sync(store, m.id).await?)
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

/// Copies a metric under the first free name "NAME (copy)", "NAME (copy 2)", ... with the
/// same request, expression and connection, puts the copy on the Metrics screen and queues its
/// backfill. The copy is where an edit can be tried without touching the original's history.
pub async fn duplicate_metric(store: &AnyStore, id: MetricId) -> Result<StoredMetric, WebError> {
    let original = store.metric(id).await?;
    let mut definition: serde_json::Value =
        serde_json::from_str(&original.definition).map_err(|e| {
            WebError::Internal(format!(
                "the stored definition of {} is not JSON: {e}",
                original.name
            ))
        })?;
    let mut name = format!("{} (copy)", original.name);
    let mut n = 1;
    while store.metric_by_name(&name).await?.is_some() {
        n += 1;
        name = format!("{} (copy {n})", original.name);
    }
    definition["description"]["name"] = serde_json::Value::String(name.clone());
    let now = now_ms();
    let copy = store
        .create_metric(
            &store::NewMetric {
                name,
                connection_id: original.connection_id,
                definition: definition.to_string(),
            },
            now,
        )
        .await?;
    store
        .set_metric_usage(copy.id, &[library::METRICS_SCREEN.to_owned()], now)
        .await?;
    enqueue_sync(store, copy.id).await?;
    Ok(store.metric(copy.id).await?)
}

/// Deletes a metric unless a goal, alert or scorecard watches it: those would be deleted with it
/// (or stop working) without their owner noticing, so the caller is told which ones to change
/// first.
pub async fn delete_metric(store: &AnyStore, id: MetricId) -> Result<bool, WebError> {
    use store::{BoardStore, WatchStore};
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
        let shown = store.blocks(board.id).await?.iter().any(|b| {
            crate::boards::model::BlockSettings::from_json(&b.block.settings)
                .metrics
                .contains(&id.0)
        });
        if shown {
            users.push(format!("board '{}'", board.settings.name));
        }
    }
    if !users.is_empty() {
        return Err(WebError::Conflict(format!(
            "metric {} is used by {}: delete those or point them at another metric first",
            id.0,
            users.join(", ")
        )));
    }
    Ok(store.delete_metric(id).await?)
}

pub async fn add_user(
    state: &AppState,
    name: &str,
    role: &str,
    password: &str,
) -> Result<User, WebError> {
    add_user_to(state.accounts(), name, role, password).await
}

fn role_named(role: &str) -> Result<Role, WebError> {
    Role::parse(role).ok_or_else(|| {
        WebError::invalid(
            "role",
            format!("'{role}' is not a role: use admin, editor or viewer"),
        )
    })
}

/// The Argon2id hash of a password that keeps the password rule, or why it does not. Argon2
/// takes a core for tens of milliseconds, so it runs on the heavy-work pool.
async fn new_password_hash(field: &'static str, password: &str) -> Result<String, WebError> {
    let password = password.to_owned();
    crate::heavy::Heavy::shared()
        .run("hashing a password", move || hash_password(&password))
        .await?
        .map_err(|e| match e {
            crate::accounts::PasswordError::TooWeak => WebError::invalid(field, e.to_string()),
            crate::accounts::PasswordError::Hash(_) => WebError::Internal(e.to_string()),
        })
}

/// Whether `password` matches the stored Argon2id hash, checked on the heavy-work pool. With no
/// hash (no such person) it spends the same time on a hash of its own, so the time taken does
/// not tell which names exist.
pub async fn password_matches(password: &str, phc: Option<&str>) -> Result<bool, WebError> {
    let password = password.to_owned();
    let phc = phc.map(str::to_owned);
    crate::heavy::Heavy::shared()
        .run("checking a password", move || match phc {
            Some(phc) => verify_password(&password, &phc),
            None => {
                let _ = hash_password("not-a-real-password-at-all");
                false
            }
        })
        .await
}

/// Adds a person: what `switchboard user add` and the People page both do.
pub async fn add_user_to(
    accounts: &dyn Accounts,
    name: &str,
    role: &str,
    password: &str,
) -> Result<User, WebError> {
    let role = role_named(role)?;
    let hash = new_password_hash("password", password).await?;
    Ok(accounts.create_user(name, role, &hash, now_ms()).await?)
}

/// What the setup link says once it cannot create an Admin any more.
pub const SETUP_LINK_DEAD: &str =
    "this setup link is not valid or was already used (an Admin exists); sign in instead";

/// Creates the first Admin through the one-time setup link: refused (as [`SETUP_LINK_DEAD`])
/// once any Admin exists, however it was made, and at most one of several at once succeeds.
pub async fn create_first_admin(
    accounts: &dyn Accounts,
    name: &str,
    password: &str,
) -> Result<User, WebError> {
    let hash = new_password_hash("password", password).await?;
    accounts
        .create_first_admin(name, &hash, now_ms())
        .await?
        .ok_or_else(|| WebError::NotFound(SETUP_LINK_DEAD.to_owned()))
}

/// The person named `name` (any letter case): how the CLI picks whom to change.
pub async fn user_named(accounts: &dyn Accounts, name: &str) -> Result<User, WebError> {
    Ok(accounts
        .user_for_login(name)
        .await?
        .ok_or_else(|| {
            WebError::NotFound(format!(
                "no user named '{}': `switchboard user list` shows who there is",
                name.trim()
            ))
        })?
        .user)
}

/// Disables (ending their sessions and suspending their API tokens) or enables a person; the
/// last enabled Admin is never disabled.
pub async fn set_user_disabled(
    accounts: &dyn Accounts,
    id: i64,
    disabled: bool,
) -> Result<User, WebError> {
    Ok(accounts.set_disabled(id, disabled).await?)
}

/// Gives a person another role; the last enabled Admin is never demoted.
pub async fn set_user_role(accounts: &dyn Accounts, id: i64, role: &str) -> Result<User, WebError> {
    let role = role_named(role)?;
    Ok(accounts.set_role(id, role).await?)
}

/// Deletes a person with their sessions and API tokens; never the last enabled Admin.
pub async fn delete_user(accounts: &dyn Accounts, id: i64) -> Result<(), WebError> {
    Ok(accounts.delete_user(id).await?)
}

/// An Admin sets another person's password; that person's sessions end.
pub async fn reset_password(
    accounts: &dyn Accounts,
    id: i64,
    password: &str,
) -> Result<(), WebError> {
    let hash = new_password_hash("password", password).await?;
    Ok(accounts.set_password_hash(id, &hash).await?)
}

/// A person changes their own password, giving the current one (checked within the sign-in
/// limits, so a borrowed session cannot guess it); every session of theirs ends, and the caller
/// starts a new one if it wants to stay signed in.
pub async fn change_own_password(
    accounts: &dyn Accounts,
    user: &User,
    client: &crate::throttle::ClientAddr,
    current: &str,
    new: &str,
) -> Result<(), WebError> {
    let hash = new_password_hash("new_password", new).await?;
    let now = now_ms();
    let attempt = crate::throttle::reserve(accounts, &user.name, client, now).await?;
    let stored = accounts
        .user(user.id)
        .await?
        .ok_or(crate::accounts::AccountsError::NoUser(user.id))?;
    let matches = match password_matches(current, Some(&stored.password_hash)).await {
        Ok(matches) => matches,
        Err(e) => {
            attempt.unchecked(accounts).await?;
            return Err(e);
        }
    };
    if !matches {
        return Err(WebError::invalid(
            "current_password",
            "the current password is not right: type the one you sign in with",
        ));
    }
    attempt.succeeded(accounts, now).await?;
    Ok(accounts.set_password_hash(user.id, &hash).await?)
}

/// Ends every session and deletes every API token of a person (who can still sign in).
pub async fn revoke_access(
    accounts: &dyn Accounts,
    id: i64,
) -> Result<crate::accounts::Revoked, WebError> {
    Ok(accounts.revoke_access(id).await?)
}

/// A new API token for the user: the token itself (shown once) and what is kept of it.
pub async fn create_token(
    state: &AppState,
    user_id: i64,
    name: &str,
) -> Result<(String, TokenInfo), WebError> {
    create_token_in(state.accounts(), user_id, name).await
}

pub async fn create_token_in(
    accounts: &dyn Accounts,
    user_id: i64,
    name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(WebError::invalid(
            "name",
            "name the token (1 to 100 characters) after what uses it",
        ));
    }
    let token = format!("sbt_{}", random_token());
    let info = accounts
        .create_token(user_id, name, &token_hash(&token), now_ms())
        .await?;
    Ok((token, info))
}

/// A token for the user named `user`: what `switchboard token create --user NAME` prints once.
pub async fn create_token_for_user(
    accounts: &dyn Accounts,
    user: &str,
    token_name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let found = user_named(accounts, user).await?;
    create_token_in(accounts, found.id, token_name).await
}
