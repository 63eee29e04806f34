//! Next-page links from Twilio's responses. The product APIs give an absolute URL
//! (`meta.next_page_url`), the 2010 API a path (`next_page_uri`). Either must stay on the host the
//! request went to; a link to anywhere else is an error, never followed.

use crate::path::{PathError, decode_escapes, validate_path};
use thiserror::Error;

pub const MAX_LINK_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    #[error("the next-page link is empty")]
    Empty,
    #[error("the next-page link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error(
        "the next-page link {link} points to another host ({found}); only {expected} is followed"
    )]
    OtherHost {
        link: String,
        found: String,
        expected: String,
    },
    #[error(
        "the next-page link {0} is neither an https URL on the same Twilio host nor a path starting with '/'"
    )]
    NotSameOrigin(String),
    #[error("the next-page link {0} contains whitespace or a control character")]
    Control(String),
    #[error("the next-page link {0} contains a fragment ('#')")]
    Fragment(String),
    #[error("the next-page link {link} has a bad path: {error}")]
    Path { link: String, error: PathError },
    #[error("the next-page link {link} has a bad query: {reason}")]
    Query { link: String, reason: String },
}

/// Checks a next-page link against the request's `host` and returns its path and query (starting
/// with `/`), ready to be sent to the same host.
pub fn resolve_next_link(host: &str, link: &str) -> Result<String, LinkError> {
    let shown = || crate::show::show(link);
    if link.is_empty() {
        return Err(LinkError::Empty);
    }
    if link.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    if link.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(LinkError::Control(shown()));
    }
    if link.contains('#') {
        return Err(LinkError::Fragment(shown()));
    }
    let rooted = if let Some(after_scheme) = strip_prefix_ignore_case(link, "https://") {
        let end = after_scheme
            .find(['/', '?', '\\'])
            .unwrap_or(after_scheme.len());
        let (authority, rest) = after_scheme.split_at(end);
        if !authority.eq_ignore_ascii_case(host) {
            return Err(LinkError::OtherHost {
                link: shown(),
                found: crate::show::show(authority),
                expected: host.to_owned(),
            });
        }
        rest
    } else if link.starts_with('/') && !link.starts_with("//") {
        link
    } else {
        return Err(LinkError::NotSameOrigin(shown()));
    };
    let (path, query) = match rooted.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rooted, None),
    };
    validate_path(path).map_err(|error| LinkError::Path {
        link: shown(),
        error,
    })?;
    if let Some(query) = query {
        validate_query(query).map_err(|reason| LinkError::Query {
            link: shown(),
            reason,
        })?;
    }
    Ok(rooted.to_owned())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A query from Twilio holds only URL characters and valid escapes; anything else is a sign the
/// link was not made by Twilio.
fn validate_query(query: &str) -> Result<(), String> {
    if let Some(c) = query.chars().find(|&c| {
        !c.is_ascii() || !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c))
    }) {
        return Err(format!("character {c:?} is not allowed"));
    }
    // Encoded slashes, dots and '@' are ordinary in query values (`To=%2B1...`, base64 tokens
    // end in `%3D`); only malformed escapes and encoded control characters are refused.
    let values = decode_escapes(query).map_err(|err| err.to_string())?;
    match values.into_iter().find(|&b| b < 0x20 || b == 0x7f) {
        Some(value) => Err(format!(
            "the escape %{value:02X} encodes a control character"
        )),
        None => Ok(()),
    }
}
