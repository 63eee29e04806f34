//! The connector's settings, kept apart from the running [`crate::Connector`].

use domain::AccountSid;
use std::time::Duration;
use thiserror::Error;

/// The one explicit way to send Twilio requests elsewhere: tests, benchmarks and the demo point it
/// at the simulator. Every request meant for `https://{host}{path}` goes to `{base}{path}` with
/// `Host: {host}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BaseUrlError {
    #[error("the Twilio base URL {0:?} is not a URL: {1}")]
    NotUrl(String, String),
    #[error("the Twilio base URL {0:?} must use http or https")]
    Scheme(String),
    #[error(
        "the Twilio base URL {0:?} must have a host and no user info, path, query or fragment, e.g. http://127.0.0.1:8099"
    )]
    Shape(String),
}

impl BaseUrl {
    pub fn parse(input: &str) -> Result<Self, BaseUrlError> {
        let url = url::Url::parse(input)
            .map_err(|e| BaseUrlError::NotUrl(input.to_owned(), e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BaseUrlError::Scheme(input.to_owned()));
        }
        let plain = url.host_str().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none();
        if !plain {
            return Err(BaseUrlError::Shape(input.to_owned()));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// `scheme://host[:port]`, no trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How failed requests are retried: 429, 500, 502, 503, 504, connection failures and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first backoff ceiling; each retry doubles it (full jitter: a random wait up to it).
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The most one request may spend waiting between attempts, `Retry-After` included; a wait
    /// that would pass it ends the retries with the last error.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total_wait: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorConfig {
    /// `--twilio-base-url`: when set, every request goes there (see [`BaseUrl`]).
    pub base_url: Option<BaseUrl>,
    /// Requests in flight per Twilio account, shared by every fetch in the process.
    pub max_in_flight: usize,
    /// Pages per fetch, 1 to 100 (the default); a fetch may ask for fewer, never more.
    pub max_pages: u32,
    /// Largest response body accepted, after decompression.
    pub max_response_bytes: usize,
    pub connect_timeout: Duration,
    /// The whole of one attempt: connecting, sending, reading the body.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

pub const DEFAULT_MAX_IN_FLIGHT: usize = 8;
pub const DEFAULT_MAX_PAGES: u32 = 100;
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

impl Default for ConnectorConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_pages: DEFAULT_MAX_PAGES,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Per-fetch settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchOptions {
    /// Lowers [`ConnectorConfig::max_pages`] for this fetch (a larger value has no effect).
    pub max_pages: Option<u32>,
    /// The account whose resources are read (`{AccountSid}` in the path), when it is not the
    /// credentials' own: a subaccount read with its parent's key. The in-flight limit stays the
    /// credentials' account's, so every account of a connection shares one limit.
    pub account: Option<AccountSid>,
}
