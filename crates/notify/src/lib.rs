//! Delivers messages through channels: email over SMTP (lettre), Slack incoming webhooks and
//! generic webhooks signed with HMAC-SHA256 (see `docs/webhooks.md`). A message is first stored as
//! a delivery; [`deliver_due`] sends what is due, retrying failures with backoff until the last
//! attempt marks it failed, so every attempt is visible in the delivery history.
//!
//! Webhook and Slack URLs must be `https` to a public address (nothing in the IANA
//! special-purpose registries): an admin's typo or a hostile URL could otherwise make the server
//! call its own internal services. Tests open loopback with [`Policy::allow_loopback`].

mod deliver;
mod email;
mod guard;
mod message;
mod webhook;

pub use deliver::{Backoff, DeliverReport, PARALLEL_SENDS, deliver_due, deliver_now};
pub use guard::check_url;
pub use message::{EventKind, InlineImage, Message};
pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, VerifyError, sign, verify, webhook_body};

use std::time::Duration;

use domain::Secret;
use watch::ChannelConfig;

/// What the sender may do beyond the safe defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Lets webhooks and Slack use `http` and loopback addresses: for tests on loopback only.
    pub allow_loopback: bool,
    pub timeouts: Timeouts,
}

/// How long each part of a send may take before the attempt fails (and is retried later), so
/// that a server which accepts a connection and then says nothing cannot hold a channel test,
/// a delivery or the process that sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the TCP connection to an SMTP server or a webhook receiver (for a webhook,
    /// resolving its host name too).
    pub connect: Duration,
    /// Each SMTP exchange after connecting: the greeting (with the TLS handshake and EHLO of
    /// implicit TLS), STARTTLS, the login, the message (MAIL, RCPT, DATA), QUIT.
    pub smtp_step: Duration,
    /// A whole webhook or Slack request, from connecting to the answer's status line.
    pub request: Duration,
    /// One whole send, name lookups included: the longest a channel test or a delivery attempt
    /// waits, whatever it waits on.
    pub send: Duration,
}

impl Default for Timeouts {
    /// Seconds, as a person pressing "Send a test" would wait: an answer within 30 s.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            smtp_step: Duration::from_secs(10),
            request: Duration::from_secs(15),
            send: Duration::from_secs(30),
        }
    }
}

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub retryable: bool,
}

impl SendError {
    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retryable: false,
        }
    }

    pub(crate) fn transient(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retryable: true,
        }
    }
}

fn client_builder(policy: Policy) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(policy.timeouts.connect)
        .timeout(policy.timeouts.request)
        // A redirect could lead to an address the URL check refused.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("switchboard-notify/", env!("CARGO_PKG_VERSION")))
}

/// Sends messages; one HTTP client for every webhook.
#[derive(Debug, Clone)]
pub struct Sender {
    http: reqwest::Client,
    policy: Policy,
}

impl Sender {
    pub fn new(policy: Policy) -> Result<Sender, SendError> {
        // The workspace builds rustls without a default provider (no aws-lc); install ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = client_builder(policy)
            .build()
            .map_err(|e| SendError::permanent(format!("cannot build the HTTP client: {e}")))?;
        Ok(Sender { http, policy })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Sends `message` through a channel, within [`Timeouts::send`]. `delivery_id` goes into
    /// webhook bodies so a receiver can drop a retried duplicate; `now` is the signing time.
    pub async fn send(
        &self,
        config: &ChannelConfig,
        secret: Option<&Secret>,
        message: &Message,
        delivery_id: i64,
        now: jiff::Timestamp,
    ) -> Result<(), SendError> {
        let limit = self.policy.timeouts.send;
        tokio::time::timeout(
            limit,
            self.send_unbounded(config, secret, message, delivery_id, now),
        )
        .await
        .unwrap_or_else(|_| {
            Err(SendError::transient(format!(
                "the {} channel did not finish sending within {} s",
                config.kind(),
                limit.as_secs_f64()
            )))
        })
    }

    async fn send_unbounded(
        &self,
        config: &ChannelConfig,
        secret: Option<&Secret>,
        message: &Message,
        delivery_id: i64,
        now: jiff::Timestamp,
    ) -> Result<(), SendError> {
        match config {
            ChannelConfig::Email {
                host,
                port,
                tls,
                username,
                from,
                to,
            } => {
                email::send(
                    &email::Smtp {
                        host,
                        port: *port,
                        tls: *tls,
                        username: username.as_deref(),
                        password: secret,
                        timeouts: self.policy.timeouts,
                    },
                    from,
                    to,
                    message,
                )
                .await
            }
            ChannelConfig::Slack => {
                let url = secret
                    .ok_or_else(|| SendError::permanent("the Slack channel has no webhook URL"))?;
                let url = check_url(url.expose(), self.policy.allow_loopback)
                    .map_err(|e| SendError::permanent(e.to_string()))?;
                let body = message.slack_blocks();
                self.post(url, serde_json::to_vec(&body).unwrap_or_default(), &[])
                    .await
            }
            ChannelConfig::Webhook { url } => {
                let url = check_url(url, self.policy.allow_loopback)
                    .map_err(|e| SendError::permanent(e.to_string()))?;
                let key = secret.ok_or_else(|| {
                    SendError::permanent("the webhook channel has no signing key")
                })?;
                let body = webhook_body(message, delivery_id, now);
                let ts = now.as_second().to_string();
                let sig = sign(key, &ts, &body);
                self.post(
                    url,
                    body,
                    &[
                        (TIMESTAMP_HEADER, ts),
                        (SIGNATURE_HEADER, sig),
                        ("x-switchboard-event", message.event.as_str().to_owned()),
                    ],
                )
                .await
            }
        }
    }

    async fn post(
        &self,
        url: url::Url,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<(), SendError> {
        let connect = self.policy.timeouts.connect;
        let addrs = tokio::time::timeout(
            connect,
            guard::resolve_public(&url, self.policy.allow_loopback),
        )
        .await
        .unwrap_or_else(|_| {
            Err(guard::UrlError::Unresolved {
                host: url.host_str().unwrap_or_default().to_owned(),
                reason: format!("no answer within {} s", connect.as_secs_f64()),
            })
        })
        .map_err(|e| match e {
            guard::UrlError::Unresolved { .. } => SendError::transient(e.to_string()),
            e => SendError::permanent(e.to_string()),
        })?;
        // A name is pinned to the addresses just checked; a literal address needs no lookup.
        let pinned;
        let http = match url.host() {
            Some(url::Host::Domain(name)) => {
                pinned = client_builder(self.policy)
                    .resolve_to_addrs(name, &addrs)
                    .build()
                    .map_err(|e| {
                        SendError::permanent(format!("cannot build the HTTP client: {e}"))
                    })?;
                &pinned
            }
            _ => &self.http,
        };
        let mut req = http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                return SendError::transient(format!(
                    "the receiver did not answer within {} s",
                    self.policy.timeouts.request.as_secs_f64()
                ));
            }
            // The URL may carry a token (Slack's does): report the error without it.
            SendError::transient(format!("the request failed: {}", e.without_url()))
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let msg = format!("the receiver answered HTTP {}", status.as_u16());
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(SendError::transient(msg))
        } else {
            Err(SendError::permanent(msg))
        }
    }
}
