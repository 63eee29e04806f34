//! The Data Manager's screens: add, test, rename and remove Twilio connections.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use serde::Deserialize;
use store::{ConnectionId, Store, TwilioAccountStore};

use crate::auth::Caller;
use crate::state::AppState;

use crate::pages::*;

// ---------------------------------------------------------------- Data Manager

struct ConnRow {
    id: i64,
    label: String,
    account_sid: String,
    api_key_sid: String,
    metrics: usize,
    /// How many accounts its key reaches, and how many of them syncs request.
    accounts: usize,
    requested: usize,
    secret_unavailable: bool,
    /// Real time in words (the link to its page): off without an Auth Token, else on.
    realtime: &'static str,
    /// When the last push arrived, or that none has.
    last_event: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct ConnectionForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    api_key_sid: String,
    /// Write-only: read from the form, never put back into a page.
    #[serde(default)]
    secret: String,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    frame: PageFrame,
    connections: Vec<ConnRow>,
    form: ConnectionForm,
}

async fn connections_page(
    state: &AppState,
    caller: &Caller,
    flash: (Option<String>, &'static str),
    form: ConnectionForm,
    status: axum::http::StatusCode,
) -> PageResult {
    let metrics = state.store().list_metrics().await?;
    let mut connections = Vec::new();
    for c in state.store().list_connections().await? {
        let accounts = state.store().twilio_accounts(c.id).await?;
        let live = state.app().connection_realtime(c.id).await?;
        let (realtime, last_event) = match (live.has_auth_token(), live.recent.first()) {
            (false, _) => ("off", None),
            (true, None) => ("on", Some("nothing received yet".to_owned())),
            (true, Some(e)) => (
                "on",
                Some(format!(
                    "last event {}",
                    crate::views::when(Some(e.received_ms))
                )),
            ),
        };
        connections.push(ConnRow {
            realtime,
            last_event,
            id: c.id.0,
            accounts: accounts.len(),
            requested: accounts.iter().filter(|a| a.is_requested()).count(),
            metrics: metrics
                .iter()
                .filter(|m| m.connection_id == Some(c.id))
                .count(),
            secret_unavailable: c.secret.is_err(),
            label: c.label,
            account_sid: c.account_sid.to_string(),
            api_key_sid: c.api_key_sid.to_string(),
        });
    }
    let mut response = render(&ConnectionsPage {
        frame: PageFrame::of(caller, "connections").message(flash),
        connections,
        form,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn connections(
    State(state): State<AppState>,
    caller: Caller,
    flash: Flash,
) -> PageResult {
    connections_page(
        &state,
        &caller,
        flash.split(),
        ConnectionForm::default(),
        axum::http::StatusCode::OK,
    )
    .await
}

pub async fn connection_add(
    State(state): State<AppState>,
    caller: Caller,
    Form(mut form): Form<ConnectionForm>,
) -> PageResult {
    let secret = domain::Secret::new(std::mem::take(&mut form.secret));
    match super::add(
        &state,
        &form.label,
        &form.account_sid,
        &form.api_key_sid,
        secret,
    )
    .await
    {
        Ok(added) => Ok(with_flash(
            "/connections",
            !added.accounts.is_failure(),
            &format!("Saved {}: {}.", added.connection.label, added.message()),
        )),
        Err(e) => {
            let status = e.status();
            connections_page(&state, &caller, (Some(e.to_string()), "bad"), form, status).await
        }
    }
}

pub async fn connection_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let (ok, text) = match state.app().check_connection(&conn).await {
        Ok(check) => (check.is_connected(), format!("{}: {check}.", conn.label)),
        Err(e) => (false, e.to_string()),
    };
    Ok(with_flash("/connections", ok, &text))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    label: String,
}

pub async fn connection_rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let old = state.store().connection(ConnectionId(id)).await?.label;
    Ok(
        match super::rename(&state, ConnectionId(id), &form.label).await {
            Ok(conn) => with_flash(
                "/connections",
                true,
                &format!("Renamed {old} to {}.", conn.label),
            ),
            Err(e) => with_flash("/connections", false, &format!("Not renamed: {e}.")),
        },
    )
}

#[derive(Template)]
#[template(path = "connection_delete.html")]
struct ConnectionDeletePage {
    frame: PageFrame,
    id: i64,
    label: String,
    metrics: Vec<String>,
}

pub async fn connection_delete_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let metrics = state
        .app()
        .metrics_of_connection(conn.id)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    render(&ConnectionDeletePage {
        frame: PageFrame::of(&caller, "connections"),
        id,
        label: conn.label,
        metrics,
    })
}

pub async fn connection_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let stopped = state.remove_connection(conn.id).await?;
    let text = if stopped.is_empty() {
        format!("Removed {}.", conn.label)
    } else {
        format!(
            "Removed {}; these metrics stopped syncing: {}.",
            conn.label,
            stopped.join(", ")
        )
    };
    Ok(with_flash("/connections", true, &text))
}

// ---------------------------------------------------------------- accounts

struct AccountRow {
    name: String,
    sid: String,
    status: &'static str,
    is_parent: bool,
    requested: bool,
    first_seen: String,
    status_changed: String,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "connection_accounts.html")]
struct AccountsPage {
    frame: PageFrame,
    id: i64,
    label: String,
    is_admin: bool,
    accounts: Vec<AccountRow>,
    requested: usize,
}

pub async fn connection_accounts(
    State(state): State<AppState>,
    caller: Caller,
    flash: Flash,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let accounts: Vec<AccountRow> = state
        .app()
        .twilio_accounts(conn.id)
        .await?
        .iter()
        .map(|a| AccountRow {
            name: a.friendly_name.clone(),
            sid: a.sid.to_string(),
            status: a.status.as_str(),
            is_parent: a.is_parent,
            requested: a.is_requested(),
            first_seen: crate::views::when(Some(a.first_seen_ms)),
            status_changed: crate::views::when(Some(a.status_changed_ms)),
            note: app::twilio_accounts::note(a),
        })
        .collect();
    render(&AccountsPage {
        frame: PageFrame::of(&caller, "connections").flash(flash),
        id,
        label: conn.label,
        is_admin: caller.user.role >= crate::accounts::Role::Admin,
        requested: accounts.iter().filter(|a| a.requested).count(),
        accounts,
    })
}

pub async fn accounts_discover(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let found =
        app::twilio_accounts::AccountsFound::of(&state.app().discover_accounts(conn.id).await);
    Ok(with_flash(
        &format!("/connections/{id}/accounts"),
        !found.is_failure(),
        &format!("{}: {found}.", conn.label),
    ))
}
