//! What can go wrong talking to Twilio, in words a user can act on.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use thiserror::Error;
use twilio_request::{LinkError, RequestError};

/// Twilio's JSON error body (`code`, `message`, `more_info`, `status`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub more_info: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

impl fmt::Display for TwilioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.code {
            write!(f, "code {code}")?;
        }
        if let Some(message) = &self.message {
            write!(
                f,
                "{}{}",
                if self.code.is_some() { ": " } else { "" },
                clean(message)
            )?;
        }
        if let Some(more) = &self.more_info {
            write!(f, " (see {})", clean(more))?;
        }
        Ok(())
    }
}

/// Text from the network, made safe for a terminal or a log line.
pub(crate) fn clean(text: &str) -> String {
    const MAX: usize = 300;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Connect,
    Timeout,
    /// The connection broke while sending or reading (a reset, a truncated body).
    Interrupted,
    Other,
}

/// One request's failure. [`HttpError::is_retryable`] says whether another attempt may succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HttpError {
    #[error("{}", describe_status(*status, twilio.as_ref()))]
    Status {
        status: u16,
        twilio: Option<TwilioError>,
        retry_after: Option<Duration>,
    },
    #[error("{}: {message}", match kind {
        TransportKind::Connect => "could not connect to Twilio",
        TransportKind::Timeout => "Twilio did not answer in time",
        TransportKind::Interrupted => "the connection to Twilio broke",
        TransportKind::Other => "the request to Twilio failed",
    })]
    Transport {
        kind: TransportKind,
        message: String,
    },
    #[error("Twilio answered with a redirect ({status}{}); Switchboard does not follow redirects", location.as_deref().map(|l| format!(" to {}", clean(l))).unwrap_or_default())]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    #[error("Twilio answered with content type {0:?}, not JSON")]
    NotJson(String),
    #[error("the response is larger than the {limit} byte limit")]
    TooLarge { limit: usize },
}

fn describe_status(status: u16, twilio: Option<&TwilioError>) -> String {
    let detail = twilio.map(|t| format!(" ({t})")).unwrap_or_default();
    let advice = match status {
        401 => {
            ": the API Key SID or secret is wrong, or the key belongs to another account; check the key in the Twilio Console"
        }
        403 => {
            ": the key may not read this resource (a Standard key cannot read Accounts or Keys; use a Main key)"
        }
        404 => ": no such resource; check the path and the Account SID",
        429 => {
            ": too many concurrent requests to this account; lower the in-flight limit or retry later"
        }
        500..=599 => ": a Twilio server error; retry later",
        _ => "",
    };
    format!("Twilio answered HTTP {status}{detail}{advice}")
}

impl HttpError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            Self::Transport { kind, .. } => *kind != TransportKind::Other,
            Self::Redirect { .. } | Self::NotJson(_) | Self::TooLarge { .. } => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn twilio(&self) -> Option<&TwilioError> {
        match self {
            Self::Status { twilio, .. } => twilio.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else if err.is_body() || err.is_request() {
            TransportKind::Interrupted
        } else {
            TransportKind::Other
        };
        // The URL in a reqwest error carries no credentials: they travel only in a header.
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        Self::Transport {
            kind,
            message: clean(&message),
        }
    }
}

/// Why a fetch stopped. `E` is the page callback's own error.
#[derive(Debug, Error)]
pub enum FetchError<E: std::error::Error + 'static> {
    #[error("the request is not valid: {0}")]
    Request(RequestError),
    #[error("{url}: {error}{}", if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() })]
    Http {
        url: String,
        attempts: u32,
        error: HttpError,
    },
    #[error(
        "{url}: the body is not valid JSON ({reason}); the response was malformed or cut short"
    )]
    BadJson { url: String, reason: String },
    #[error("{url}: the body is JSON but not an object, so it is not a Twilio page")]
    NotAPage { url: String },
    #[error("after {url}: {error}")]
    Link { url: String, error: LinkError },
    #[error("pagination loops: the next-page link {url} was already fetched")]
    Loop { url: String },
    #[error("the page handler failed: {0}")]
    Callback(E),
}

impl<E: std::error::Error + 'static> From<RequestError> for FetchError<E> {
    fn from(error: RequestError) -> Self {
        Self::Request(error)
    }
}

/// A failed fetch, with the ledger of what it spent before failing.
#[derive(Debug, Error)]
#[error("{error}")]
pub struct FetchFailed<E: std::error::Error + 'static> {
    pub error: FetchError<E>,
    pub ledger: crate::Ledger,
}

#[derive(Debug, Error)]
pub enum ConnectorError {
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("the in-flight limit must be at least 1")]
    ZeroInFlight,
    #[error("the page limit must be between 1 and {max}, got {got}", max = crate::config::DEFAULT_MAX_PAGES)]
    PageLimit { got: u32 },
}
