//! Validation of a whole [`RequestSpec`] and its rendering into the exact request to send.

use crate::dates::{DateTokenError, Window, render_tokens};
use crate::headers::{HeaderError, MAX_HEADERS, validate_header};
use crate::params::{
    MAX_PARAMS, ParamError, encode_query, validate_param_name, validate_param_value,
};
use crate::path::{PathError, validate_path};
use crate::show::show;
use crate::{Header, Pagination, Param, RequestSpec, hosts};
use domain::AccountSid;
use serde::Deserialize;
use thiserror::Error;

/// The placeholder in a path that becomes the connection's Account SID.
pub const ACCOUNT_SID_PLACEHOLDER: &str = "{AccountSid}";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error("Switchboard only reads from Twilio: the method {0} is refused, only GET is sent")]
    NotGet(String),
    #[error(
        "{0} is not a Twilio product host; use one of the hosts of the Twilio API, e.g. api.twilio.com or messaging.twilio.com"
    )]
    UnknownHost(String),
    #[error("path {path}: {error}")]
    Path { path: String, error: PathError },
    #[error("path {path}: {error}")]
    PathToken { path: String, error: DateTokenError },
    #[error("query parameter {name}: {error}")]
    ParamToken { name: String, error: DateTokenError },
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Header(#[from] HeaderError),
}

/// Refuses any method but GET (case-insensitive), with the error a user sees.
pub fn ensure_read_only(method: &str) -> Result<(), RequestError> {
    if method.eq_ignore_ascii_case("GET") {
        Ok(())
    } else {
        Err(RequestError::NotGet(show(method)))
    }
}

/// A request ready to send: every token rendered, every part validated and encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRequest {
    /// One of [`crate::TWILIO_HOSTS`].
    pub host: String,
    /// The rendered path, starting with `/`.
    pub path: String,
    /// The encoded query without the leading `?` (empty when there are no parameters).
    pub query: String,
    pub headers: Vec<Header>,
    pub pagination: Pagination,
}

impl RenderedRequest {
    /// The path and query, as sent after the host.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The Twilio URL, `https://{host}{path}?{query}`. It carries no credentials.
    pub fn url(&self) -> String {
        format!("https://{}{}", self.host, self.path_and_query())
    }
}

impl RequestSpec {
    /// Checks every part of the spec, including its date tokens, without a real account or window.
    pub fn validate(&self) -> Result<(), RequestError> {
        let probe_window = Window {
            from: jiff::Timestamp::UNIX_EPOCH,
            to: jiff::Timestamp::UNIX_EPOCH,
        };
        self.render_for("AC00000000000000000000000000000000", Some(probe_window))
            .map(drop)
    }

    /// Renders the spec for one account and an optional window. Tokens without a window are an
    /// error that names them.
    pub fn render(
        &self,
        account: &AccountSid,
        window: Option<Window>,
    ) -> Result<RenderedRequest, RequestError> {
        self.render_for(account.as_str(), window)
    }

    fn render_for(
        &self,
        account: &str,
        window: Option<Window>,
    ) -> Result<RenderedRequest, RequestError> {
        if !hosts::is_twilio_host(&self.host) {
            return Err(RequestError::UnknownHost(show(&self.host)));
        }
        let window = window.as_ref();
        let path = render_tokens(&self.path, window)
            .map_err(|error| RequestError::PathToken {
                path: show(&self.path),
                error,
            })?
            .replace(ACCOUNT_SID_PLACEHOLDER, account);
        validate_path(&path).map_err(|error| RequestError::Path {
            path: show(&self.path),
            error,
        })?;

        if self.params.len() > MAX_PARAMS {
            return Err(ParamError::TooMany.into());
        }
        let mut values = Vec::with_capacity(self.params.len());
        for Param { key, value } in &self.params {
            validate_param_name(key)?;
            let value = render_tokens(value, window).map_err(|error| RequestError::ParamToken {
                name: show(key),
                error,
            })?;
            validate_param_value(key, &value)?;
            values.push(value);
        }
        let query = encode_query(
            self.params
                .iter()
                .map(|p| p.key.as_str())
                .zip(values.iter().map(String::as_str)),
        );

        if self.headers.len() > MAX_HEADERS {
            return Err(HeaderError::TooMany.into());
        }
        for header in &self.headers {
            validate_header(&header.name, &header.value)?;
        }
        Ok(RenderedRequest {
            host: self.host.clone(),
            path,
            query,
            headers: self.headers.clone(),
            pagination: self.pagination,
        })
    }
}

/// The serialized form, which also tolerates `"method": "GET"` so a definition may be explicit.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestSpecWire {
    #[serde(default)]
    method: Option<String>,
    host: String,
    path: String,
    #[serde(default)]
    params: Vec<Param>,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    pagination: Pagination,
}

impl TryFrom<RequestSpecWire> for RequestSpec {
    type Error = RequestError;

    fn try_from(wire: RequestSpecWire) -> Result<Self, RequestError> {
        if let Some(method) = &wire.method {
            ensure_read_only(method)?;
        }
        Ok(Self {
            host: wire.host,
            path: wire.path,
            params: wire.params,
            headers: wire.headers,
            pagination: wire.pagination,
        })
    }
}
