//! A fetch: render the request, then walk its pages one at a time, handing each to the caller,
//! parsed ([`Page`]) or as text ([`TextPage`]).

use crate::client::{Connector, Counters};
use crate::config::FetchOptions;
use crate::credentials::Credentials;
use crate::error::{FetchError, FetchFailed};
use crate::ledger::Ledger;
use crate::outline::{NotPage, Outline, may_hold_credentials, outline, outline_of};
use domain::AccountSid;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tracing::Instrument;
use twilio_request::{Pagination, RequestSpec, Window, resolve_next_link};

/// One page of a list (or the single document of a non-list endpoint).
#[derive(Debug, Clone)]
pub struct Page {
    /// 1 for the first page.
    pub number: u32,
    /// The Twilio URL of this page (`https://{host}/...`), never with credentials, even when the
    /// request went to the base URL override.
    pub url: String,
    /// Body size in bytes, after decompression.
    pub bytes: u64,
    /// The page as Twilio sent it, but for its credentials: see [`crate::redact_credentials`].
    pub value: Value,
}

/// One page as JSON text, for a caller that parses it its own way (the sync parses it straight
/// into the expression engine's representation, once).
#[derive(Debug, Clone)]
pub struct TextPage {
    /// 1 for the first page.
    pub number: u32,
    /// As [`Page::url`].
    pub url: String,
    /// Body size in bytes, after decompression (before any redaction).
    pub bytes: u64,
    /// A JSON object. The body exactly as Twilio sent it when it holds no credential field;
    /// otherwise parsed, its credentials replaced by [`crate::REDACTED`] as in [`Page::value`],
    /// and written again (fields in their order).
    pub text: String,
}

/// How a body becomes what the caller is handed, with what the walk needs of it. Redaction
/// happens here, before anything else holds the body.
trait Body: Sized {
    /// The page and how many credential values were redacted.
    fn read(bytes: Vec<u8>) -> Result<(Self, Outline, usize), NotPage>;
}

impl Body for Value {
    fn read(bytes: Vec<u8>) -> Result<(Self, Outline, usize), NotPage> {
        let mut value: Value =
            serde_json::from_slice(&bytes).map_err(|e| NotPage::Json(e.to_string()))?;
        if !value.is_object() {
            return Err(NotPage::NotAnObject);
        }
        let redacted = crate::redact::redact_credentials(&mut value);
        let outline = outline_of(&value);
        Ok((value, outline, redacted))
    }
}

impl Body for String {
    fn read(bytes: Vec<u8>) -> Result<(Self, Outline, usize), NotPage> {
        let text = String::from_utf8(bytes)
            .map_err(|e| NotPage::Json(format!("not UTF-8: {}", e.utf8_error())))?;
        if !may_hold_credentials(&text) {
            let outline = outline(&text)?;
            return Ok((text, outline, 0));
        }
        let mut value: Value =
            serde_json::from_str(&text).map_err(|e| NotPage::Json(e.to_string()))?;
        if !value.is_object() {
            return Err(NotPage::NotAnObject);
        }
        let redacted = crate::redact::redact_credentials(&mut value);
        let outline = outline_of(&value);
        if redacted == 0 {
            return Ok((text, outline, 0));
        }
        let text = serde_json::to_string(&value).map_err(|e| NotPage::Json(e.to_string()))?;
        Ok((text, outline, redacted))
    }
}

impl Connector {
    /// Fetches every page of `spec` for `window`, calling `on_page` for each as it arrives, so no
    /// more than one page is held at a time. Stops at the last page, on an empty page, or at the
    /// page cap (then [`Ledger::cap_hit`] is true and a warning is logged).
    pub async fn fetch<E, F>(
        &self,
        creds: &Credentials,
        spec: &RequestSpec,
        window: Option<Window>,
        on_page: F,
    ) -> Result<Ledger, FetchFailed<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(Page) -> Result<(), E>,
    {
        self.fetch_with(creds, spec, window, &FetchOptions::default(), on_page)
            .await
    }

    /// [`Connector::fetch`] with per-fetch options.
    pub async fn fetch_with<E, F>(
        &self,
        creds: &Credentials,
        spec: &RequestSpec,
        window: Option<Window>,
        options: &FetchOptions,
        mut on_page: F,
    ) -> Result<Ledger, FetchFailed<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(Page) -> Result<(), E>,
    {
        self.fetch_pages(creds, spec, window, options, |number, url, bytes, value| {
            on_page(Page {
                number,
                url,
                bytes,
                value,
            })
        })
        .await
    }

    /// [`Connector::fetch_with`] handing each page as text: the cheaper road for a caller that
    /// parses pages its own way. Pages are walked, capped, retried and redacted the same way.
    pub async fn fetch_text_with<E, F>(
        &self,
        creds: &Credentials,
        spec: &RequestSpec,
        window: Option<Window>,
        options: &FetchOptions,
        mut on_page: F,
    ) -> Result<Ledger, FetchFailed<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(TextPage) -> Result<(), E>,
    {
        self.fetch_pages(creds, spec, window, options, |number, url, bytes, text| {
            on_page(TextPage {
                number,
                url,
                bytes,
                text,
            })
        })
        .await
    }

    async fn fetch_pages<B, E, F>(
        &self,
        creds: &Credentials,
        spec: &RequestSpec,
        window: Option<Window>,
        options: &FetchOptions,
        on_page: F,
    ) -> Result<Ledger, FetchFailed<E>>
    where
        B: Body,
        E: std::error::Error + 'static,
        F: FnMut(u32, String, u64, B) -> Result<(), E>,
    {
        let account = options.account.as_ref().unwrap_or(&creds.account_sid);
        let span =
            tracing::info_span!("fetch", account = %account, host = %spec.host, path = %spec.path);
        let started = Instant::now();
        let counters = Counters::default();
        let page_cap = options
            .max_pages
            .map_or(self.config().max_pages, |n| n.min(self.config().max_pages))
            .max(1);
        let mut ledger = Ledger {
            page_cap,
            ..Ledger::default()
        };
        let outcome = self
            .walk(
                creds,
                account,
                spec,
                window,
                page_cap,
                &counters,
                &mut ledger,
                on_page,
            )
            .instrument(span.clone())
            .await;
        ledger.requests = counters.requests.load(Ordering::Relaxed);
        ledger.retries = counters.retries.load(Ordering::Relaxed);
        ledger.throttled = counters.throttled.load(Ordering::Relaxed);
        ledger.backoff_wait =
            std::time::Duration::from_micros(counters.backoff_micros.load(Ordering::Relaxed));
        ledger.duration = started.elapsed();
        // One line per window: the run's summary is the `info` event, these are details.
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        span.in_scope(|| match &outcome {
            Ok(()) => tracing::debug!(
                requests = ledger.requests,
                pages = ledger.pages,
                bytes = ledger.bytes,
                retries = ledger.retries,
                throttled = ledger.throttled,
                cap_hit = ledger.cap_hit,
                backoff_wait_ms = ms(ledger.backoff_wait),
                duration_ms = ms(ledger.duration),
                "fetch done"
            ),
            Err(error) => tracing::warn!(
                %error,
                requests = ledger.requests,
                pages = ledger.pages,
                retries = ledger.retries,
                throttled = ledger.throttled,
                duration_ms = ms(ledger.duration),
                "fetch failed"
            ),
        });
        match outcome {
            Ok(()) => Ok(ledger),
            Err(error) => Err(FetchFailed { error, ledger }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn walk<B, E, F>(
        &self,
        creds: &Credentials,
        account: &AccountSid,
        spec: &RequestSpec,
        window: Option<Window>,
        page_cap: u32,
        counters: &Counters,
        ledger: &mut Ledger,
        mut on_page: F,
    ) -> Result<(), FetchError<E>>
    where
        B: Body,
        E: std::error::Error + 'static,
        F: FnMut(u32, String, u64, B) -> Result<(), E>,
    {
        let request = spec.render(account, window)?;
        let host = request.host.as_str();
        let mut seen = HashSet::new();
        let mut next = Some(request.path_and_query());
        while let Some(path_and_query) = next.take() {
            let url = format!("https://{host}{path_and_query}");
            if !seen.insert(path_and_query.clone()) {
                return Err(FetchError::Loop { url });
            }
            if ledger.pages >= page_cap {
                ledger.cap_hit = true;
                tracing::warn!(page_cap, next = %url, "stopped at the page cap with more pages left; the result is incomplete");
                break;
            }
            let body = self
                .get(creds, host, &path_and_query, &request.headers, counters)
                .await
                .map_err(|failed| FetchError::Http {
                    url: url.clone(),
                    attempts: failed.attempts,
                    error: failed.error,
                })?;
            let bytes = body.bytes.len() as u64;
            // Before anything else holds the page: the body is consumed here.
            let (page, outline, redacted) = B::read(body.bytes).map_err(|e| match e {
                NotPage::Json(reason) => FetchError::BadJson {
                    url: url.clone(),
                    reason,
                },
                NotPage::NotAnObject => FetchError::NotAPage { url: url.clone() },
            })?;
            if redacted > 0 {
                tracing::debug!(%url, redacted, "credential fields redacted");
            }
            ledger.pages += 1;
            ledger.bytes += bytes;
            if request.pagination == Pagination::NextPage
                && !outline.empty
                && let Some(link) = outline.next.as_deref()
            {
                let resolved = resolve_next_link(host, link).map_err(|error| FetchError::Link {
                    url: url.clone(),
                    error,
                })?;
                next = Some(resolved);
            }
            on_page(ledger.pages, url, bytes, page).map_err(FetchError::Callback)?;
        }
        Ok(())
    }
}
