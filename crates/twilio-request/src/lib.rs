//! What Switchboard asks of Twilio: a read-only GET request described as data.
//!
//! A [`RequestSpec`] is part of every metric definition and is what the connector sends. This
//! crate owns its shape, its validation (only Twilio hosts, only safe paths, parameters and
//! headers) and the rendering of the dynamic date tokens `{{date_from}}` / `{{date_to}}`.
//! It does no I/O: the connector renders a spec with [`RequestSpec::render`] and sends exactly
//! the [`RenderedRequest`] it gets back.

mod dates;
mod headers;
mod hosts;
mod link;
mod params;
mod path;
mod render;
mod show;

pub use dates::{DateTokenError, MAX_PATTERN_LEN, Window, has_tokens, render_tokens};
pub use headers::{FORBIDDEN_HEADERS, HeaderError, MAX_HEADERS, validate_header};
pub use hosts::{TWILIO_HOSTS, is_twilio_host};
pub use link::{LinkError, MAX_LINK_LEN, resolve_next_link};
pub use params::{MAX_PARAMS, ParamError, encode_component, encode_query, validate_param_name};
pub use path::{MAX_PATH_LEN, PathError, validate_path};
pub use render::{ACCOUNT_SID_PLACEHOLDER, RenderedRequest, RequestError, ensure_read_only};

use serde::{Deserialize, Serialize};

/// A GET request against one Twilio product host.
///
/// Deserializing also accepts an optional `"method"`, which must be `GET`: a definition asking for
/// anything else is refused with an error saying that Switchboard only reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "render::RequestSpecWire")]
pub struct RequestSpec {
    /// The Twilio product host, e.g. `api.twilio.com` or `messaging.twilio.com`.
    pub host: String,
    /// The part after the host, starting with `/`; `{AccountSid}` becomes the connection's SID.
    pub path: String,
    /// Query parameters in order; a name may repeat.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Extra request headers.
    #[serde(default)]
    pub headers: Vec<Header>,
    #[serde(default)]
    pub pagination: Pagination,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// How to reach the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pagination {
    /// One request, one page.
    None,
    /// Follow `meta.next_page_url`, else `next_page_uri`, until there is none.
    #[default]
    NextPage,
}
