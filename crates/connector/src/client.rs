//! The [`Connector`]: one HTTP client and the per-account in-flight limits, shared by every fetch
//! in the process; and the sending of one GET with its retries.

use crate::backoff::FullJitter;
use crate::config::ConnectorConfig;
use crate::credentials::Credentials;
use crate::error::{ConnectorError, HttpError, TwilioError};
use backon::Retryable;
use domain::AccountSid;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HOST, LOCATION, RETRY_AFTER};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use twilio_request::Header;

/// Cheap to clone: clones share the client and the limits.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ConnectorConfig,
    limits: Mutex<HashMap<AccountSid, Arc<Semaphore>>>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Counters shared by the attempts of one fetch; atomics so the retry closures stay `Send`.
#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU32,
    pub retries: AtomicU32,
    pub throttled: AtomicU32,
    pub backoff_micros: AtomicU64,
}

/// A successful response body.
pub(crate) struct Body {
    pub bytes: Vec<u8>,
}

/// The HTTP Basic credentials of one request: an API Key SID and its secret, or an Account SID
/// and its Auth Token. Not `Debug`: it holds the secret's text.
#[derive(Clone, Copy)]
pub(crate) struct Basic<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

/// A failed request: the last error and how many attempts it took.
pub(crate) struct Failed {
    pub error: HttpError,
    pub attempts: u32,
}

/// Error bodies are read only this far: enough for Twilio's JSON, no more.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

impl Connector {
    pub fn new(config: ConnectorConfig) -> Result<Self, ConnectorError> {
        if config.max_in_flight == 0 {
            return Err(ConnectorError::ZeroInFlight);
        }
        // 100 pages is the ceiling of the issue: a setting may lower it, never raise it.
        if !(1..=crate::config::DEFAULT_MAX_PAGES).contains(&config.max_pages) {
            return Err(ConnectorError::PageLimit {
                got: config.max_pages,
            });
        }
        // reqwest is built without a default crypto provider; installing one twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // Redirects are never followed: credentials must not travel to wherever a 3xx points.
            .redirect(reqwest::redirect::Policy::none())
            // Environment proxies would be a second way to move requests; there is only one.
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .gzip(true)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Client(e.to_string()))?;
        if let Some(base) = &config.base_url {
            tracing::warn!(base_url = %base, "every Twilio request goes to {base} instead of https://<product>.twilio.com (--twilio-base-url)");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                limits: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &ConnectorConfig {
        &self.inner.config
    }

    /// The in-flight limit of one account, created on first use and shared from then on.
    fn limit_for(&self, account: &AccountSid) -> Arc<Semaphore> {
        let mut limits = self
            .inner
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limits
            .entry(account.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(self.inner.config.max_in_flight)))
            .clone()
    }

    /// Where a request for `https://{host}{path_and_query}` is sent.
    pub(crate) fn target_url(&self, host: &str, path_and_query: &str) -> String {
        match &self.inner.config.base_url {
            Some(base) => format!("{}{path_and_query}", base.as_str()),
            None => format!("https://{host}{path_and_query}"),
        }
    }

    /// One GET with its retries. `host` is a validated Twilio host and `path_and_query` passed
    /// the path rules, so the URL can only name Twilio or the explicit base URL.
    pub(crate) async fn get(
        &self,
        creds: &Credentials,
        host: &str,
        path_and_query: &str,
        headers: &[Header],
        counters: &Counters,
    ) -> Result<Body, Failed> {
        let basic = Basic {
            user: creds.api_key_sid.as_str(),
            password: creds.secret.expose(),
        };
        self.get_as(
            basic,
            &creds.account_sid,
            host,
            path_and_query,
            headers,
            counters,
        )
        .await
    }

    /// [`Connector::get`] with other Basic credentials (an Account SID and its Auth Token),
    /// under `account`'s in-flight limit.
    pub(crate) async fn get_as(
        &self,
        basic: Basic<'_>,
        account: &AccountSid,
        host: &str,
        path_and_query: &str,
        headers: &[Header],
        counters: &Counters,
    ) -> Result<Body, Failed> {
        let limit = self.limit_for(account);
        let url = self.target_url(host, path_and_query);
        let policy = &self.inner.config.retry;
        let total_wait_limit = policy.max_total_wait;
        let attempts = AtomicU32::new(0);
        let result = (|| async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(&limit, basic, host, &url, headers, counters).await
        })
        .retry(FullJitter::new(policy))
        .sleep(tokio::time::sleep)
        .when(HttpError::is_retryable)
        .adjust(|err, next| {
            let wait = match err {
                HttpError::Status { retry_after: Some(after), .. } => {
                    // Retry-After replaces the backoff, but only while attempts remain.
                    next.map(|_| *after)
                }
                _ => next,
            }?;
            let spent = Duration::from_micros(counters.backoff_micros.load(Ordering::Relaxed));
            (spent + wait <= total_wait_limit).then_some(wait)
        })
        .notify(|err, wait| {
            counters.retries.fetch_add(1, Ordering::Relaxed);
            counters
                .backoff_micros
                .fetch_add(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
            tracing::warn!(%url, error = %err, wait_ms = wait.as_millis() as u64, "retrying after a failed request");
        })
        .await;
        result.map_err(|error| Failed {
            error,
            attempts: attempts.load(Ordering::Relaxed),
        })
    }

    /// One attempt. The in-flight permit is held only while the request is on the wire, never
    /// while backing off.
    async fn attempt(
        &self,
        limit: &Semaphore,
        basic: Basic<'_>,
        host: &str,
        url: &str,
        headers: &[Header],
        counters: &Counters,
    ) -> Result<Body, HttpError> {
        let _permit = limit.acquire().await.map_err(|_| HttpError::Transport {
            kind: crate::error::TransportKind::Other,
            message: "the in-flight limiter was closed".into(),
        })?;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .inner
            .http
            .get(url)
            .basic_auth(basic.user, Some(basic.password))
            .header(ACCEPT, "application/json");
        if self.inner.config.base_url.is_some() {
            request = request.header(HOST, host);
        }
        for Header { name, value } in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|e| HttpError::from_reqwest(&e))?;
        let status = response.status().as_u16();
        tracing::debug!(%url, status, "response");
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Err(HttpError::Redirect { status, location });
        }
        if !response.status().is_success() {
            if status == 429 {
                counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = read_capped(response, ERROR_BODY_LIMIT)
                .await
                .unwrap_or_default();
            let twilio = serde_json::from_slice::<TwilioError>(&body).ok();
            return Err(HttpError::Status {
                status,
                twilio,
                retry_after,
            });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !is_json(&content_type) {
            return Err(HttpError::NotJson(crate::error::clean(&content_type)));
        }
        let bytes = read_capped(response, self.inner.config.max_response_bytes).await?;
        Ok(Body { bytes })
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// Reads a body, failing as soon as it passes `limit` bytes, so a huge or endless body never
/// fills memory.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, HttpError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(HttpError::TooLarge { limit });
    }
    let capacity = response
        .content_length()
        .map_or(8 * 1024, |len| len as usize);
    let mut body = Vec::with_capacity(capacity.min(limit));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpError::from_reqwest(&e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(HttpError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
