//! What the pages and the API both do: thin calls into the `app` crate, which owns the
//! operations and their rules, kept under their old names and shapes so the handlers call them
//! unchanged until they call `app` themselves (issue 16, phase 2). The answers convert to
//! [`WebError`] with the statuses and words of before.
//!
//! Handlers that hold only the store or the accounts (not the [`AppState`]) reach the free
//! functions of `app`, reading the system clock here, once per operation, and hashing on the
//! process's heavy-work pool.

use std::sync::Arc;

use app::accounts::{Accounts, Role, TokenInfo, User};
use connector::{ConnectionCheck, Credentials};
use domain::Secret;
use futures::future::BoxFuture;
use store::{AnyStore, Connection, ConnectionId, MetricId, StoredMetric};

pub use app::MetricUpdate;
pub use app::people::SETUP_LINK_DEAD;

use crate::error::WebError;
use crate::heavy::Heavy;
use crate::state::AppState;

/// The web's heavy-work pool as the operations see it: a refusal is `Busy` (503), as before.
pub struct HeavyPool(pub Arc<Heavy>);

impl app::Pool for HeavyPool {
    fn run(
        &self,
        what: &'static str,
        job: app::pool::Job,
    ) -> BoxFuture<'_, Result<(), app::AppError>> {
        Box::pin(async move {
            self.0.run(what, job).await.map_err(|e| match e {
                WebError::Busy(message) => app::AppError::Busy(message),
                other => app::AppError::Internal(other.to_string()),
            })
        })
    }
}

fn now_ms() -> i64 {
    app::Clock::system().now_ms()
}

fn shared_pool() -> HeavyPool {
    HeavyPool(Heavy::shared())
}

/// The metrics on the Metrics screen, by name.
pub async fn screen_metrics(store: &AnyStore) -> Result<Vec<StoredMetric>, WebError> {
    Ok(app::metrics::screen_metrics(store).await?)
}

/// Queues a sync of the metric now; the worker takes it.
pub async fn enqueue_sync(store: &AnyStore, id: MetricId) -> Result<i64, WebError> {
    Ok(app::metrics::enqueue_sync(store, id, now_ms()).await?)
}

pub fn credentials_of(c: &Connection) -> Credentials {
    app::connections::credentials_of(c)
}

pub async fn check_connection(state: &AppState, c: &Connection) -> ConnectionCheck {
    state.app().check_connection(c).await
}

/// Checks the credentials' form, then asks Twilio; saves only a connection Twilio accepts.
pub async fn add_connection(
    state: &AppState,
    label: &str,
    account_sid: &str,
    api_key_sid: &str,
    secret: Secret,
) -> Result<(Connection, ConnectionCheck), WebError> {
    let label = app::Label::parse(label).map_err(app::AppError::from)?;
    let creds = app::connections::parse_credentials(account_sid, api_key_sid, secret)?;
    Ok(state.app().add_connection(&label, creds).await?)
}

/// Renames a connection and the connection name inside its metrics' definitions.
pub async fn rename_connection(
    store: &AnyStore,
    id: ConnectionId,
    label: &str,
) -> Result<Connection, WebError> {
    let label = app::Label::parse(label).map_err(app::AppError::from)?;
    Ok(app::connections::rename(store, id, &label, now_ms()).await?)
}

/// The connection a definition names, or why there is none.
pub async fn connection_named(store: &AnyStore, label: &str) -> Result<Connection, WebError> {
    Ok(app::connections::named_in_definition(store, label).await?)
}

pub async fn metrics_of_connection(
    store: &AnyStore,
    id: ConnectionId,
) -> Result<Vec<StoredMetric>, WebError> {
    Ok(app::connections::metrics_of(store, id).await?)
}

/// Removes the connection; the metrics reading through it leave the Metrics screen (they keep
/// their history). Returns their names.
pub async fn remove_connection(
    store: &AnyStore,
    id: ConnectionId,
) -> Result<Vec<String>, WebError> {
    Ok(app::connections::remove(store, id, now_ms()).await?)
}

pub fn categories() -> Vec<String> {
    app::metrics::categories()
}

/// Library metrics matching a search text (name, summary, endpoint) and a category label.
pub fn library_matches(
    q: &str,
    category: &str,
) -> Result<Vec<&'static library::LibraryMetric>, WebError> {
    Ok(app::metrics::library_matches(q, category)?)
}

/// Adds a library metric for a connection and queues its backfill.
pub async fn add_library_metric(
    store: &AnyStore,
    slug: &str,
    connection: &str,
) -> Result<StoredMetric, WebError> {
    Ok(app::metrics::add_from_library(store, slug, connection, true, now_ms()).await?)
}

/// Adds a library metric to the Metrics screen without queueing its backfill: for a caller that
/// syncs it at once itself (the demo), so it is not synced twice.
pub async fn add_library_metric_unsynced(
    store: &AnyStore,
    slug: &str,
    connection: &str,
) -> Result<StoredMetric, WebError> {
    Ok(app::metrics::add_from_library(store, slug, connection, false, now_ms()).await?)
}

/// Saves a new metric from a checked definition; on the Metrics screen its backfill is queued.
pub async fn create_metric(
    store: &AnyStore,
    def: &metric::MetricDefinition,
    on_metrics_screen: bool,
) -> Result<(StoredMetric, Option<i64>), WebError> {
    Ok(app::metrics::create(store, def, on_metrics_screen, now_ms()).await?)
}

/// Saves a new version of a metric's definition, recomputing or resyncing its history.
pub async fn update_metric(
    state: &AppState,
    id: MetricId,
    def: &metric::MetricDefinition,
) -> Result<MetricUpdate, WebError> {
    Ok(state.app().update_metric(id, def).await?)
}

/// Copies a metric under the first free name "NAME (copy)", ... and queues its backfill.
pub async fn duplicate_metric(store: &AnyStore, id: MetricId) -> Result<StoredMetric, WebError> {
    Ok(app::metrics::duplicate(store, id, now_ms()).await?)
}

/// Deletes a metric unless a goal, alert, scorecard or board uses it.
pub async fn delete_metric(store: &AnyStore, id: MetricId) -> Result<bool, WebError> {
    Ok(app::metrics::delete(store, id).await?)
}

pub async fn add_user(
    state: &AppState,
    name: &str,
    role: &str,
    password: &str,
) -> Result<User, WebError> {
    let role = app::people::role_named(role)?;
    let name = app::UserName::parse(name).map_err(app::AppError::from)?;
    Ok(state.app().add_user(&name, role, password).await?)
}

/// Whether `password` matches the stored Argon2id hash, checked on the heavy-work pool; with no
/// hash it takes as long, so the time does not tell which names exist.
pub async fn password_matches(password: &str, phc: Option<&str>) -> Result<bool, WebError> {
    Ok(app::people::password_matches(&shared_pool(), password, phc).await?)
}

/// Adds a person given only the accounts (tests and callers without the state).
pub async fn add_user_to(
    accounts: &dyn Accounts,
    name: &str,
    role: &str,
    password: &str,
) -> Result<User, WebError> {
    let role = app::people::role_named(role)?;
    let name = app::UserName::parse(name).map_err(app::AppError::from)?;
    Ok(app::people::add_user(accounts, &shared_pool(), &name, role, password, now_ms()).await?)
}

/// Creates the first Admin through the one-time setup link (see [`SETUP_LINK_DEAD`]).
pub async fn create_first_admin(
    accounts: &dyn Accounts,
    name: &str,
    password: &str,
) -> Result<User, WebError> {
    let name = app::UserName::parse(name).map_err(app::AppError::from)?;
    Ok(
        app::people::create_first_admin(accounts, &shared_pool(), &name, password, now_ms())
            .await?,
    )
}

/// The person named `name` (any letter case).
pub async fn user_named(accounts: &dyn Accounts, name: &str) -> Result<User, WebError> {
    Ok(app::people::user_named(accounts, name).await?)
}

/// Disables or enables a person; never the last enabled Admin.
pub async fn set_user_disabled(
    accounts: &dyn Accounts,
    id: i64,
    disabled: bool,
) -> Result<User, WebError> {
    Ok(app::people::set_disabled(accounts, id, disabled).await?)
}

/// Gives a person another role; the last enabled Admin is never demoted.
pub async fn set_user_role(accounts: &dyn Accounts, id: i64, role: &str) -> Result<User, WebError> {
    let role: Role = app::people::role_named(role)?;
    Ok(app::people::set_role(accounts, id, role).await?)
}

/// Deletes a person with their sessions and API tokens; never the last enabled Admin.
pub async fn delete_user(accounts: &dyn Accounts, id: i64) -> Result<(), WebError> {
    Ok(app::people::delete_user(accounts, id).await?)
}

/// An Admin sets another person's password; that person's sessions end.
pub async fn reset_password(
    accounts: &dyn Accounts,
    id: i64,
    password: &str,
) -> Result<(), WebError> {
    Ok(app::people::reset_password(accounts, &shared_pool(), id, password).await?)
}

/// A person changes their own password, giving the current one (checked within the sign-in
/// limits, so a borrowed session cannot guess it); every session of theirs ends, and the caller
/// starts a new one if it wants to stay signed in. It stays here, beside the sign-in throttle
/// it goes through.
pub async fn change_own_password(
    accounts: &dyn Accounts,
    user: &User,
    client: &crate::throttle::ClientAddr,
    current: &str,
    new: &str,
) -> Result<(), WebError> {
    let hash = app::people::new_password_hash(&shared_pool(), "new_password", new).await?;
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
    Ok(app::people::revoke_access(accounts, id).await?)
}

/// A new API token for the user: the token itself (shown once) and what is kept of it.
pub async fn create_token(
    state: &AppState,
    user_id: i64,
    name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let name = app::TokenName::parse(name).map_err(app::AppError::from)?;
    Ok(state.app().create_token(user_id, &name).await?)
}

pub async fn create_token_in(
    accounts: &dyn Accounts,
    user_id: i64,
    name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let name = app::TokenName::parse(name).map_err(app::AppError::from)?;
    Ok(app::people::create_token(accounts, user_id, &name, now_ms()).await?)
}

/// A token for the user named `user`.
pub async fn create_token_for_user(
    accounts: &dyn Accounts,
    user: &str,
    token_name: &str,
) -> Result<(String, TokenInfo), WebError> {
    let found = user_named(accounts, user).await?;
    create_token_in(accounts, found.id, token_name).await
}
