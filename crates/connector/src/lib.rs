//! Switchboard's only road to Twilio.
//!
//! A [`Connector`] holds one HTTP client and, per Twilio account, a limit on requests in flight
//! shared by every fetch in the process. [`Connector::fetch`] renders a
//! [`twilio_request::RequestSpec`] for a connection and a date window, walks its pages (following
//! `meta.next_page_url`, else `next_page_uri`, only on the same host, at most
//! [`ConnectorConfig::max_pages`]), retries what Twilio says may be retried with full-jitter
//! backoff, and hands each page to a callback as it arrives. Every fetch yields a [`Ledger`].
//! [`Connector::check`] tells whether credentials work and what kind of key they are.
//!
//! Every page is redacted as it arrives ([`redact_credentials`]): the values of the credential
//! fields Twilio returns (the Accounts list's `auth_token`, ...) become [`REDACTED`], so no
//! caller ever holds them. [`Connector::fetch_text_with`] hands pages as text: one that may hold
//! a credential (a scan of its bytes) is parsed, redacted and written again, any other goes
//! through exactly as sent.
//!
//! Requests go only to `https://{host}` for a host of [`twilio_request::TWILIO_HOSTS`], or to the
//! one [`BaseUrl`] set explicitly in the configuration. Only GET is ever sent. Secrets travel only
//! in the Basic `Authorization` header, which is never logged.

mod backoff;
mod check;
mod client;
mod config;
mod credentials;
mod error;
mod fetch;
mod ledger;
mod outline;
mod redact;

pub use check::{AuthTokenCheck, ConnectionCheck, KeyType};
pub use client::Connector;
pub use config::{
    BaseUrl, BaseUrlError, ConnectorConfig, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_PAGES,
    DEFAULT_MAX_RESPONSE_BYTES, FetchOptions, RetryPolicy,
};
pub use credentials::{Credentials, CredentialsError};
pub use error::{ConnectorError, FetchError, FetchFailed, HttpError, TransportKind, TwilioError};
pub use fetch::{Page, TextPage};
pub use ledger::Ledger;
pub use redact::{REDACTED, redact_credentials, redact_credentials_collecting};

/// Re-exported so callers (the binary) can build requests without another dependency.
pub use twilio_request;
