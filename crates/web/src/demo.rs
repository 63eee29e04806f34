//! `serve --demo`: a simulated Twilio account with a connection to it, a starter set of library
//! metrics synced, and a demo admin, so a newcomer sees real dashboards at once.

use std::sync::Arc;

use metric_sync::{SyncOptions, Syncer};
use store::{Store, StoredMetric};
use twilio_sim::{SimConfig, SimHandle};

use crate::accounts::{Role, User, hash_password, random_token};
use crate::error::WebError;
use crate::state::AppState;

/// The label of the demo's connection.
pub const DEMO_CONNECTION: &str = "demo";
/// The demo admin's user name.
pub const DEMO_USER: &str = "demo";
/// The library metrics the demo starts with.
pub const DEMO_METRICS: &[&str] = &[
    "messages-sent",
    "messages-delivered",
    "message-delivery-rate",
    "messages-failed",
    "call-minutes",
    "total-spend",
];

/// Starts the simulator on a free loopback port (`SimConfig::default()` has its clock at the
/// current time).
pub async fn start_simulator(config: SimConfig) -> Result<SimHandle, WebError> {
    twilio_sim::spawn(config)
        .await
        .map_err(|e| WebError::Internal(format!("could not start the simulator: {e}")))
}

pub struct DemoReady {
    pub user: User,
    /// The demo admin's password, printed once at start.
    pub password: String,
    pub metrics: Vec<StoredMetric>,
    /// Metrics whose first sync failed, with the reason.
    pub failures: Vec<(String, String)>,
}

/// The simulated account the demo connects to.
pub struct DemoAccount {
    pub account_sid: String,
    pub api_key_sid: String,
    pub secret: domain::Secret,
}

impl DemoAccount {
    /// The simulator's main account with its Main API key.
    pub fn of(sim: &SimHandle) -> Result<Self, WebError> {
        let account = sim.dataset().main_account();
        let key = account.main_key().ok_or_else(|| {
            WebError::Internal("the simulated account has no Main API key".to_owned())
        })?;
        Ok(Self {
            account_sid: account.sid.clone(),
            api_key_sid: key.sid.clone(),
            secret: domain::Secret::new(key.secret.clone()),
        })
    }
}

/// Connects the app to the simulated account (the app's connector must send to the
/// simulator's base URL), adds the starter metrics, syncs them, and creates the demo admin.
pub async fn prepare(state: &AppState, account: DemoAccount) -> Result<DemoReady, WebError> {
    if state
        .store()
        .connection_by_label(DEMO_CONNECTION)
        .await?
        .is_none()
    {
        state
            .app()
            .add_connection(
                &app::Label::parse(DEMO_CONNECTION)?,
                app::connections::parse_credentials(
                    &account.account_sid,
                    &account.api_key_sid,
                    account.secret,
                )?,
            )
            .await?;
    }
    let mut metrics = Vec::new();
    for slug in DEMO_METRICS {
        let entry = library::find(slug).map_err(|e| WebError::Internal(e.to_string()))?;
        let m = match state.store().metric_by_name(entry.name()).await? {
            Some(m) => m,
            // Synced just below, so no job is queued too.
            None => {
                state
                    .app()
                    .add_library_metric_unsynced(slug, DEMO_CONNECTION)
                    .await?
            }
        };
        metrics.push(m);
    }
    let syncer = Syncer::new(
        Arc::clone(state.store()),
        state.connector().clone(),
        state.config().sync.clone(),
    );
    let ids: Vec<_> = metrics.iter().map(|m| m.id).collect();
    let mut failures = Vec::new();
    for (id, result) in syncer
        .sync_many(&ids, &SyncOptions::default(), state.clock().now())
        .await
    {
        let name = metrics
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        match result {
            Ok(report) => {
                if let Some(e) = report.error() {
                    failures.push((name, e.to_owned()));
                }
            }
            Err(e) => failures.push((name, e.to_string())),
        }
    }
    let password = random_token();
    let hash = hash_password(&password).map_err(|e| WebError::Internal(e.to_string()))?;
    // A data folder reused for a second demo already has `demo`, whose password was printed
    // once and is not kept: the new run gets the next free name instead.
    let now = state.clock().now_ms();
    let mut user = None;
    for n in 1..=100 {
        let name = if n == 1 {
            DEMO_USER.to_owned()
        } else {
            format!("{DEMO_USER}{n}")
        };
        match state
            .accounts()
            .create_user(&name, Role::Admin, &hash, now)
            .await
        {
            Ok(u) => {
                user = Some(u);
                break;
            }
            Err(crate::accounts::AccountsError::NameTaken(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let user = user.ok_or_else(|| {
        WebError::Conflict("a hundred demo users exist already: use a fresh --data-dir".to_owned())
    })?;
    Ok(DemoReady {
        user,
        password,
        metrics,
        failures,
    })
}
