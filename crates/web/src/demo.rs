//! `serve --demo`: a simulated Twilio account with a connection to it, a starter set of library
//! metrics and the Messaging, Voice and Spend boards synced, the Messaging board as the home
//! board, and a demo admin, so a newcomer sees real dashboards at once. Preparing again on the
//! same store adds nothing: what exists is kept and synced again, and the demo admin gets a new
//! password.

use std::sync::Arc;

use metric_sync::{SyncOptions, Syncer};
use store::{BoardStore as _, MetricId, Store, StoredMetric};
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

/// The template boards the demo builds, the first being where signing in lands.
pub const DEMO_BOARDS: &[&str] = &["messaging", "voice", "spend"];

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
    /// How many metrics were synced: the starter metrics and those the boards show.
    pub synced: usize,
    /// The demo's boards, in [`DEMO_BOARDS`] order.
    pub boards: Vec<store::BoardRow>,
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
/// simulator's base URL), adds the starter metrics and the template boards, syncs every metric
/// they show, chooses the home board, and creates the demo admin (or gives it a new password).
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
    let boards = demo_boards(state).await?;
    if state.store().home_board().await?.is_none()
        && let Some(first) = boards.first()
    {
        state.app().set_home_board(Some(first.id)).await?;
    }
    // The boards' metrics too, so they show numbers at once rather than after their backfill.
    let mut ids: Vec<MetricId> = metrics.iter().map(|m| m.id).collect();
    for board in &boards {
        for block in state.store().blocks(board.id).await? {
            for id in app::boards::model::BlockSettings::from_json(&block.block.settings).metrics {
                if !ids.contains(&MetricId(id)) {
                    ids.push(MetricId(id));
                }
            }
        }
    }
    let syncer = Syncer::new(
        Arc::clone(state.store()),
        state.connector().clone(),
        state.config().sync.clone(),
    );
    let names: Vec<StoredMetric> = state.store().list_metrics().await?;
    let mut failures = Vec::new();
    for (id, result) in syncer
        .sync_many(&ids, &SyncOptions::default(), state.clock().now())
        .await
    {
        let name = names
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
    // The password printed by an earlier run on this store is not kept: the demo admin gets a
    // new one rather than a second account.
    let existing = state
        .accounts()
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.name == DEMO_USER);
    let user = match existing {
        Some(u) => {
            state.app().reset_password(u.id, &password).await?;
            u
        }
        None => {
            let hash = hash_password(&password).map_err(|e| WebError::Internal(e.to_string()))?;
            state
                .accounts()
                .create_user(DEMO_USER, Role::Admin, &hash, state.clock().now_ms())
                .await?
        }
    };
    Ok(DemoReady {
        user,
        password,
        metrics,
        synced: ids.len(),
        boards,
        failures,
    })
}

/// The demo's template boards: each made once, found by its template's name afterwards.
async fn demo_boards(state: &AppState) -> Result<Vec<store::BoardRow>, WebError> {
    let existing = state.store().list_boards().await?;
    let mut boards = Vec::new();
    for slug in DEMO_BOARDS {
        let template = app::boards::templates::TEMPLATES
            .iter()
            .find(|t| t.slug == *slug)
            .ok_or_else(|| WebError::Internal(format!("no board template {slug}")))?;
        let board = match existing.iter().find(|b| b.settings.name == template.name) {
            Some(b) => b.clone(),
            None => {
                // Added first without a backfill job: `prepare` syncs them itself.
                for metric in template.blocks.iter().flat_map(|b| b.slugs) {
                    let entry =
                        library::find(metric).map_err(|e| WebError::Internal(e.to_string()))?;
                    if state.store().metric_by_name(entry.name()).await?.is_none() {
                        state
                            .app()
                            .add_library_metric_unsynced(metric, DEMO_CONNECTION)
                            .await?;
                    }
                }
                state.app().board_from_template(slug).await?
            }
        };
        boards.push(board);
    }
    Ok(boards)
}

/// The demo's live traffic: new messages and calls every few seconds on the simulated account,
/// whose status callbacks, signed with its Auth Token, reach this server at `base` (where it
/// listens), so the demo's boards move in real time, provisional until the next sync.
pub struct DemoLive {
    /// Stops the traffic when dropped.
    pub handle: twilio_sim::LiveHandle,
    /// The connection's Real time page.
    pub page: String,
}

/// Gives the demo connection the simulated account's Auth Token and starts the simulator's
/// live mode towards `base`. `None` when a public URL is configured: Twilio (here the
/// simulator) signs the URL it calls, and the simulator calls this server where it listens,
/// not at the public URL the signatures would be checked against.
pub async fn start_live(
    state: &AppState,
    sim: &SimHandle,
    base: &str,
) -> Result<Option<DemoLive>, WebError> {
    if state.config().public_url.is_some() {
        return Ok(None);
    }
    let connection = state
        .store()
        .connection_by_label(DEMO_CONNECTION)
        .await?
        .ok_or_else(|| WebError::Internal("the demo connection is missing".to_owned()))?;
    let account = sim.dataset().main_account();
    let token =
        app::realtime_settings::parse_auth_token(&domain::Secret::new(account.auth_token.clone()))?;
    let hook = state
        .set_connection_auth_token(Role::Admin, connection.id, Some(token))
        .await?;
    let hooks = format!("{base}/hooks/twilio/{hook}");
    let handle = sim
        .sim()
        .start_live(twilio_sim::LiveConfig {
            speed: 1.0,
            messages_per_minute: 12.0,
            calls_per_minute: 3.0,
            account: None,
            message_callback: Some(format!("{hooks}/messages")),
            call_callback: Some(format!("{hooks}/calls")),
            event_sink: None,
            faults: twilio_sim::LiveFaults::default(),
            seed: 1,
        })
        .map_err(|e| WebError::Internal(format!("could not start the demo's live traffic: {e}")))?;
    Ok(Some(DemoLive {
        handle,
        page: format!("{base}/connections/{}/realtime", connection.id.0),
    }))
}
