//! Query parameters: an ordered list whose names and values are percent-encoded the way Twilio
//! echoes them in its own page links (`DateSent>` becomes `DateSent%3E`, `+` becomes `%2B`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use thiserror::Error;

/// Everything except the RFC 3986 unreserved characters is encoded, so no name or value can end
/// the query early, start a fragment or be read as another parameter.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub const MAX_PARAMS: usize = 100;
pub const MAX_PARAM_NAME_LEN: usize = 200;
pub const MAX_PARAM_VALUE_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamError {
    #[error("a query parameter has an empty name")]
    EmptyName,
    #[error("query parameter {name} has a name longer than {MAX_PARAM_NAME_LEN} characters")]
    NameTooLong { name: String },
    #[error("query parameter {name} has a control character in its name")]
    ControlInName { name: String },
    #[error("query parameter {name} has a value longer than {MAX_PARAM_VALUE_LEN} characters")]
    ValueTooLong { name: String },
    #[error("there are more than {MAX_PARAMS} query parameters")]
    TooMany,
}

pub fn validate_param_name(name: &str) -> Result<(), ParamError> {
    if name.is_empty() {
        return Err(ParamError::EmptyName);
    }
    if name.chars().count() > MAX_PARAM_NAME_LEN {
        return Err(ParamError::NameTooLong {
            name: crate::show::show(name),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(ParamError::ControlInName {
            name: crate::show::show(name),
        });
    }
    Ok(())
}

pub fn validate_param_value(name: &str, value: &str) -> Result<(), ParamError> {
    if value.chars().count() > MAX_PARAM_VALUE_LEN {
        return Err(ParamError::ValueTooLong {
            name: crate::show::show(name),
        });
    }
    Ok(())
}

/// Percent-encodes one name or value for a query string.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, QUERY_COMPONENT).to_string()
}

/// Builds `a=1&b%3E=2` from already validated pairs, keeping their order and repeats.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::new();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&encode_component(name));
        query.push('=');
        query.push_str(&encode_component(value));
    }
    query
}
