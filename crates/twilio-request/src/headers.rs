//! Extra request headers. Credentials, routing and connection management belong to the connector,
//! so a header that could override them, smuggle a second request (CR/LF) or change the method
//! (`X-HTTP-Method-Override`) is refused.

use thiserror::Error;

pub const MAX_HEADERS: usize = 32;
pub const MAX_HEADER_NAME_LEN: usize = 64;
pub const MAX_HEADER_VALUE_LEN: usize = 1024;

/// Lower-case names that no request spec may set.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "host",
    "cookie",
    "cookie2",
    "set-cookie",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    #[error("a header has an empty name")]
    EmptyName,
    #[error(
        "header name {0} is not a valid HTTP token (letters, digits and ! # $ % & ' * + - . ^ _ ` | ~, at most {MAX_HEADER_NAME_LEN})"
    )]
    BadName(String),
    #[error(
        "header {0} may not be set: the connector manages credentials, the host and the connection itself"
    )]
    Forbidden(String),
    #[error(
        "header {name} has a value with a line break or control character; values must be printable ASCII on one line"
    )]
    BadValue { name: String },
    #[error("header {name} has a value longer than {MAX_HEADER_VALUE_LEN} characters")]
    ValueTooLong { name: String },
    #[error("there are more than {MAX_HEADERS} headers")]
    TooMany,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

pub fn validate_header(name: &str, value: &str) -> Result<(), HeaderError> {
    if name.is_empty() {
        return Err(HeaderError::EmptyName);
    }
    if name.len() > MAX_HEADER_NAME_LEN || !name.bytes().all(is_tchar) {
        return Err(HeaderError::BadName(crate::show::show(name)));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
        return Err(HeaderError::Forbidden(crate::show::show(name)));
    }
    if value.len() > MAX_HEADER_VALUE_LEN {
        return Err(HeaderError::ValueTooLong {
            name: name.to_owned(),
        });
    }
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(HeaderError::BadValue {
            name: name.to_owned(),
        });
    }
    Ok(())
}
