//! The rules for the part of a URL after the Twilio host.
//!
//! The connector always builds the URL itself as `https://{host}{path}`, so the only way a path
//! could move a request elsewhere is by being read as something other than a path: a second
//! authority (`//evil`), user info (`@`), dot segments that climb out (`..`), a backslash that
//! some parsers treat as a slash, or an encoded form of any of these. All are refused here.

use thiserror::Error;

/// Longest path accepted; Twilio paths are far shorter, and a bound keeps errors and logs small.
pub const MAX_PATH_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    #[error(
        "the path is empty; it must start with '/', e.g. /2010-04-01/Accounts/{{AccountSid}}/Messages.json"
    )]
    Empty,
    #[error("the path is longer than {MAX_PATH_LEN} characters")]
    TooLong,
    #[error(
        "the path must start with '/' and hold only the part after the host (no scheme, no host)"
    )]
    NoLeadingSlash,
    #[error("the path must not contain '//' (it could name another host)")]
    DoubleSlash,
    #[error("the path must not contain '.' or '..' segments")]
    DotSegment,
    #[error("the path must not contain a backslash")]
    Backslash,
    #[error("the path must not contain control characters (found {0:?})")]
    Control(char),
    #[error("the path must not contain '@' (user info)")]
    UserInfo,
    #[error("the path must not contain '?' or '#': put query parameters in the parameter list")]
    QueryOrFragment,
    #[error(
        "the path must not contain {0:?}; only letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : / and %XX escapes are allowed"
    )]
    Disallowed(char),
    #[error("the path contains '{{{0}}}', which is not a known placeholder (only {{AccountSid}})")]
    UnknownPlaceholder(String),
    #[error("the path contains '%' not followed by two hexadecimal digits")]
    BadEscape,
    #[error(
        "the path contains the escape %{0}, which encodes a character that is not allowed (slash, backslash, dot, '%', '@', '?', '#' or a control character)"
    )]
    EncodedForbidden(String),
}

/// Whether an ASCII byte may appear literally in a path (RFC 3986 `pchar` without `@`, plus `/`).
fn allowed_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'/'
                | b'%'
        )
}

/// Whether a byte, once percent-decoded, would be dangerous in a path.
fn forbidden_decoded(b: u8) -> bool {
    b < 0x20 || b == 0x7f || matches!(b, b'/' | b'\\' | b'.' | b'%' | b'@' | b'?' | b'#')
}

/// Checks a rendered path (placeholders already substituted).
pub fn validate_path(path: &str) -> Result<(), PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong);
    }
    if !path.starts_with('/') {
        return Err(PathError::NoLeadingSlash);
    }
    for c in path.chars() {
        match c {
            c if c.is_control() => return Err(PathError::Control(c)),
            '\\' => return Err(PathError::Backslash),
            '@' => return Err(PathError::UserInfo),
            '?' | '#' => return Err(PathError::QueryOrFragment),
            '{' => return Err(PathError::UnknownPlaceholder(placeholder_after(path, c))),
            c if !c.is_ascii() || !allowed_literal(c as u8) => {
                return Err(PathError::Disallowed(c));
            }
            _ => {}
        }
    }
    if path.contains("//") {
        return Err(PathError::DoubleSlash);
    }
    if path.contains("..") || path.split('/').any(|segment| segment == ".") {
        return Err(PathError::DotSegment);
    }
    check_escapes(path)
}

/// Every `%` must start a valid escape, and no escape may hide a character the literal rules refuse.
fn check_escapes(text: &str) -> Result<(), PathError> {
    match decode_escapes(text)?
        .into_iter()
        .find(|&b| forbidden_decoded(b))
    {
        Some(value) => Err(PathError::EncodedForbidden(format!("{value:02X}"))),
        None => Ok(()),
    }
}

/// The byte value of every `%XX` escape in `text`, or [`PathError::BadEscape`] if a `%` does not
/// start one.
pub(crate) fn decode_escapes(text: &str) -> Result<Vec<u8>, PathError> {
    let bytes = text.as_bytes();
    let mut values = Vec::new();
    let mut i = 0;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'%'))
    {
        let at = i + offset;
        let &[high, low] = bytes.get(at + 1..at + 3).ok_or(PathError::BadEscape)? else {
            return Err(PathError::BadEscape);
        };
        let (Some(h), Some(l)) = (hex_value(high), hex_value(low)) else {
            return Err(PathError::BadEscape);
        };
        values.push(h * 16 + l);
        i = at + 3;
    }
    Ok(values)
}

fn placeholder_after(path: &str, _open: char) -> String {
    let start = path.find('{').map_or(0, |i| i + 1);
    let rest = path.get(start..).unwrap_or("");
    let name: String = rest.chars().take_while(|&c| c != '}').take(40).collect();
    name.chars().flat_map(char::escape_debug).collect()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}
