//! The Channels screen: the list, the form that creates or changes one, and its test button.
//! A stored secret is never put back into a page: the edit form leaves it blank, and blank
//! keeps it.

use askama::Template;
use axum::extract::{Path, State};
use store::{ChannelId, ChannelRow, WatchStore};
use watch::{ChannelConfig, SmtpTls};

use super::{Fields, FormError, Opt, PageResult, Refusal, code, opts, parse_enum};
use super::{Saving, Screen};
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::WebError;
use crate::pages::{Flash, PageFrame, render, with_flash};
use crate::state::AppState;

/// The channel form as typed, or as stored when editing, without its secret.
pub struct ChannelForm {
    editing: Option<i64>,
    /// The channel being changed has a stored secret.
    has_secret: bool,
    name: String,
    kind: String,
    host: String,
    port: String,
    tls: String,
    username: String,
    from: String,
    to: String,
    url: String,
    clear_secret: bool,
    refused: Option<FormError>,
}

impl Default for ChannelForm {
    fn default() -> Self {
        ChannelForm {
            editing: None,
            has_secret: false,
            name: String::new(),
            kind: "email".into(),
            host: String::new(),
            port: "465".into(),
            tls: "implicit".into(),
            username: String::new(),
            from: String::new(),
            to: String::new(),
            url: String::new(),
            clear_secret: false,
            refused: None,
        }
    }
}

impl Refusal for ChannelForm {
    fn refusal(&self) -> Option<&FormError> {
        self.refused.as_ref()
    }
}

impl ChannelForm {
    fn kinds(&self) -> Vec<Opt> {
        opts(
            &[
                ("email", "Email (SMTP)"),
                ("slack", "Slack incoming webhook"),
                ("webhook", "Webhook (signed JSON)"),
            ],
            &self.kind,
        )
    }

    fn tls_modes(&self) -> Vec<Opt> {
        opts(
            &[
                ("implicit", "TLS (port 465)"),
                ("start_tls", "STARTTLS (port 587)"),
                ("none", "None (a relay on this machine only)"),
            ],
            &self.tls,
        )
    }

    fn input(&self, secret: String) -> Result<app::ChannelInput, WebError> {
        let config = match self.kind.as_str() {
            "email" => ChannelConfig::Email {
                host: self.host.clone(),
                port: self
                    .port
                    .parse()
                    .map_err(|_| WebError::invalid("port", "a port number"))?,
                tls: parse_enum::<SmtpTls>("tls", &self.tls)?,
                username: Some(self.username.clone()).filter(|u| !u.is_empty()),
                from: self.from.clone(),
                to: self
                    .to
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            },
            "slack" => ChannelConfig::Slack,
            _ => ChannelConfig::Webhook {
                url: self.url.clone(),
            },
        };
        Ok(app::ChannelInput {
            name: self.name.clone(),
            config,
            secret: Some(domain::Secret::new(secret)),
            clear_secret: self.clear_secret,
        })
    }
}

/// One row of the list: id, name, kind, where it delivers, has a secret.
type ChannelLine = (i64, String, &'static str, String, bool);

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    frame: PageFrame,
    is_admin: bool,
    channels: Vec<ChannelLine>,
    form: ChannelForm,
}

async fn channels_page(
    state: &AppState,
    caller: &Caller,
    q: Flash,
    form: ChannelForm,
) -> PageResult {
    let list = state
        .store()
        .list_channels()
        .await?
        .into_iter()
        .map(|c| {
            let target = match super::super::api::visible_config(&c.config, caller.user.role) {
                ChannelConfig::Email { host, port, to, .. } => {
                    format!("{} via {host}:{port}", to.join(", "))
                }
                ChannelConfig::Slack => "Slack incoming webhook".to_owned(),
                ChannelConfig::Webhook { url } => url,
            };
            (
                c.id.0,
                c.name,
                c.config.kind(),
                target,
                !matches!(c.secret, Ok(None)),
            )
        })
        .collect();
    render(&ChannelsPage {
        frame: PageFrame::of(caller, "channels").flash(q),
        is_admin: caller.user.role >= Role::Admin,
        channels: list,
        form,
    })
}

impl Screen for ChannelForm {
    type Item = ChannelRow;

    /// The secret is left blank: a form never shows it.
    fn stored(c: &ChannelRow, role: Role) -> ChannelForm {
        let mut form = ChannelForm {
            editing: Some(c.id.0),
            has_secret: !matches!(c.secret, Ok(None)),
            name: c.name.clone(),
            kind: c.config.kind().to_owned(),
            ..ChannelForm::default()
        };
        match super::super::api::visible_config(&c.config, role) {
            ChannelConfig::Email {
                host,
                port,
                tls,
                username,
                from,
                to,
            } => {
                form.host = host;
                form.port = port.to_string();
                form.tls = code(&tls);
                form.username = username.unwrap_or_default();
                form.from = from;
                form.to = to.join(", ");
            }
            ChannelConfig::Slack => {}
            ChannelConfig::Webhook { url } => form.url = url,
        }
        form
    }

    fn posted(f: &Fields, before: Option<&ChannelRow>) -> ChannelForm {
        ChannelForm {
            editing: before.map(|c| c.id.0),
            has_secret: before.is_some_and(|c| !matches!(c.secret, Ok(None))),
            name: f.get("name"),
            kind: f.get("kind"),
            host: f.get("host"),
            port: f.get("port"),
            tls: f.get("tls"),
            username: f.get("username"),
            from: f.get("from"),
            to: f.get("to"),
            url: f.get("url"),
            clear_secret: f.on("clear_secret"),
            refused: None,
        }
    }

    async fn input_for(&self, at: Saving<'_, ChannelRow>) -> Result<app::ChannelInput, WebError> {
        self.input(at.fields.get("secret"))
    }

    async fn page(state: &AppState, caller: &Caller, q: Flash, form: ChannelForm) -> PageResult {
        channels_page(state, caller, q, form).await
    }

    fn refuse(&mut self, reason: FormError) {
        self.refused = Some(reason);
    }

    fn editing(&self) -> Option<i64> {
        self.editing
    }
}

pub async fn channel_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let c = state.store().channel(ChannelId(id)).await?;
    let sender = super::super::api::test_sender(&state)?;
    let r = state.app().send_channel_test(c.id, &sender).await?;
    Ok(if r.sent {
        with_flash(
            "/channels",
            true,
            &format!("Sent a test message through {}.", c.name),
        )
    } else {
        with_flash(
            "/channels",
            false,
            &format!(
                "The test through {} failed: {}",
                c.name,
                r.error.as_deref().unwrap_or("unknown error")
            ),
        )
    })
}
