//! `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed by the account's Auth Token, over the full URL
//! exactly as Twilio requested it followed by each POST parameter's name and value, sorted by
//! name. A JSON body is covered through the URL's `bodySHA256` query parameter (the hex SHA-256 of
//! the raw body), and the signature then covers the URL alone.
//!
//! The URL is signed as given. A check also accepts the same URL with the scheme's default port
//! added or removed (`https://h/x` and `https://h:443/x`), as Twilio's own validators
//! (twilio-python's `RequestValidator`, twilio-node's `validateRequest`) do: depending on how a
//! callback URL was configured, Twilio signs it with or without the default port, and a proxy in
//! front of Switchboard may add or drop it. A non-default port is part of the URL and kept as it
//! is; only the signature that matches one of those variants passes.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a request's signature was refused, in words for the log (never the expected value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no X-Twilio-Signature header")]
    Missing,
    #[error(
        "X-Twilio-Signature does not match the URL and parameters under the connection's Auth Token"
    )]
    Mismatch,
    #[error("the URL has no bodySHA256 parameter for a JSON body")]
    NoBodyHash,
    #[error("bodySHA256 does not match the SHA-256 of the body")]
    BodyHashMismatch,
}

/// The signature Twilio sends for a form-encoded request to `url` with `params`.
pub fn compute(url: &str, params: &[(String, String)], auth_token: &str) -> String {
    // Sorted by name, then by value for a repeated name, as Twilio's libraries sort them.
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    // HMAC pads or hashes a key of any length, so this never fails.
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `header` (the `X-Twilio-Signature` value, `None` when absent) for a form-encoded POST.
pub fn verify_form(
    url: &str,
    params: &[(String, String)],
    auth_token: &str,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    check_variants(url, params, auth_token, header)
}

/// Checks a JSON POST: `url` must carry `bodySHA256` equal to the body's hex SHA-256, and
/// `header` must sign `url` alone.
pub fn verify_json(
    url: &str,
    body: &[u8],
    auth_token: &str,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let claimed = body_hash_param(url).ok_or(SignatureError::NoBodyHash)?;
    let actual = body_sha256_hex(body);
    let claimed = claimed.to_ascii_lowercase();
    if !bool::from(claimed.as_bytes().ct_eq(actual.as_bytes())) {
        return Err(SignatureError::BodyHashMismatch);
    }
    check_variants(url, &[], auth_token, header)
}

/// The lowercase hex SHA-256 of `body` (the `bodySHA256` parameter).
pub fn body_sha256_hex(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `header` signs `url` as given or with its default port toggled. Every variant is
/// computed and compared, so the time taken does not tell which one came close.
fn check_variants(
    url: &str,
    params: &[(String, String)],
    auth_token: &str,
    header: &str,
) -> Result<(), SignatureError> {
    let mut ok = subtle::Choice::from(0);
    for candidate in std::iter::once(url.to_owned()).chain(default_port_variant(url)) {
        let expected = compute(&candidate, params, auth_token);
        ok |= expected.as_bytes().ct_eq(header.as_bytes());
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// `url` with the scheme's default port (http 80, https 443) removed when it is written, or
/// added when no port is written; `None` for another scheme, a non-default port, or a URL
/// without an authority. The rest of the URL is kept byte for byte (no normalisation: the
/// signature covers the exact text).
pub fn default_port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else if scheme.eq_ignore_ascii_case("http") {
        "80"
    } else {
        return None;
    };
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_len);
    if authority.is_empty() {
        return None;
    }
    // A port follows the last ':' unless that ':' is inside an IPv6 literal `[...]` or userinfo.
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    let port_colon = host_port
        .rfind(':')
        .filter(|&colon| !host_port[colon..].contains(']'));
    let prefix = &url[..scheme.len() + 3 + host_start];
    match port_colon {
        Some(colon) if &host_port[colon + 1..] == default => {
            Some(format!("{prefix}{}{tail}", &host_port[..colon]))
        }
        Some(_) => None,
        None => Some(format!("{prefix}{host_port}:{default}{tail}")),
    }
}

/// The value of the URL's `bodySHA256` query parameter, percent-decoded.
fn body_hash_param(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "bodySHA256")
        .map(|(_, value)| value.into_owned())
}
