//! A fetch: render the request, then walk its pages one at a time, handing each to the caller.

use crate::client::{Connector, Counters};
use crate::config::FetchOptions;
use crate::credentials::Credentials;
use crate::error::{FetchError, FetchFailed};
use crate::ledger::Ledger;
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

/// The keys of both list envelopes that are not the list itself.
const ENVELOPE_KEYS: &[&str] = &[
    "meta",
    "first_page_uri",
    "next_page_uri",
    "previous_page_uri",
    "uri",
    "page",
    "page_size",
    "start",
    "end",
    "total",
    "num_pages",
    "last_page_uri",
];

/// The next-page link: `meta.next_page_url`, else `next_page_uri`, else none.
fn next_link(page: &Value) -> Option<&str> {
    fn non_empty(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str).filter(|s| !s.is_empty())
    }
    non_empty(page.get("meta").and_then(|m| m.get("next_page_url")))
        .or_else(|| non_empty(page.get("next_page_uri")))
}

/// Whether the page's list is empty: the array named by `meta.key`, else the one array outside
/// the envelope keys. A page whose list cannot be told is not considered empty.
fn is_empty_page(page: &Value) -> bool {
    if let Some(key) = page
        .get("meta")
        .and_then(|m| m.get("key"))
        .and_then(Value::as_str)
    {
        return page
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
    }
    let Some(object) = page.as_object() else {
        return false;
    };
    let mut lists = object
        .iter()
        .filter(|(k, v)| !ENVELOPE_KEYS.contains(&k.as_str()) && v.is_array());
    match (lists.next(), lists.next()) {
        (Some((_, list)), None) => list.as_array().is_some_and(Vec::is_empty),
        _ => false,
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
        on_page: F,
    ) -> Result<Ledger, FetchFailed<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(Page) -> Result<(), E>,
    {
        let span = tracing::info_span!("fetch", account = %creds.account_sid, host = %spec.host, path = %spec.path);
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
    async fn walk<E, F>(
        &self,
        creds: &Credentials,
        spec: &RequestSpec,
        window: Option<Window>,
        page_cap: u32,
        counters: &Counters,
        ledger: &mut Ledger,
        mut on_page: F,
    ) -> Result<(), FetchError<E>>
    where
        E: std::error::Error + 'static,
        F: FnMut(Page) -> Result<(), E>,
    {
        let request = spec.render(&creds.account_sid, window)?;
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
            let mut value: Value =
                serde_json::from_slice(&body.bytes).map_err(|e| FetchError::BadJson {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
            if !value.is_object() {
                return Err(FetchError::NotAPage { url });
            }
            // Before anything else holds the page: the bytes are dropped just below.
            let redacted = crate::redact::redact_credentials(&mut value);
            if redacted > 0 {
                tracing::debug!(%url, redacted, "credential fields redacted");
            }
            let bytes = body.bytes.len() as u64;
            drop(body);
            ledger.pages += 1;
            ledger.bytes += bytes;
            if request.pagination == Pagination::NextPage
                && !is_empty_page(&value)
                && let Some(link) = next_link(&value)
            {
                let resolved = resolve_next_link(host, link).map_err(|error| FetchError::Link {
                    url: url.clone(),
                    error,
                })?;
                next = Some(resolved);
            }
            let page = Page {
                number: ledger.pages,
                url,
                bytes,
                value,
            };
            on_page(page).map_err(FetchError::Callback)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_link_prefers_the_meta_url_then_the_uri() {
        let both = json!({"meta": {"next_page_url": "https://a/x"}, "next_page_uri": "/y"});
        assert_eq!(next_link(&both), Some("https://a/x"));
        let flat = json!({"meta": {"next_page_url": null}, "next_page_uri": "/y"});
        assert_eq!(next_link(&flat), Some("/y"));
        assert_eq!(next_link(&json!({"next_page_uri": null})), None);
        assert_eq!(next_link(&json!({"next_page_uri": ""})), None);
    }

    #[test]
    fn empty_pages_are_recognised_in_both_envelopes() {
        assert!(is_empty_page(
            &json!({"meta": {"key": "services"}, "services": []})
        ));
        assert!(!is_empty_page(
            &json!({"meta": {"key": "services"}, "services": [1]})
        ));
        assert!(is_empty_page(
            &json!({"messages": [], "next_page_uri": "/x", "page": 3})
        ));
        assert!(!is_empty_page(
            &json!({"messages": [{}], "next_page_uri": "/x"})
        ));
        assert!(!is_empty_page(&json!({"balance": "1.0"})));
    }
}
