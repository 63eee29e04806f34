//! `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed by the account's Auth Token, over the full URL
//! exactly as Twilio requested it followed by each POST parameter's name and value, sorted by
//! name. A JSON body is covered through the URL's `bodySHA256` query parameter (the hex SHA-256 of
//! the raw body), and the signature then covers the URL alone.

/// Why a request's signature was refused, in words for the log (never the expected value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no X-Twilio-Signature header")]
    Missing,
    #[error("X-Twilio-Signature does not match the URL and parameters under the connection's Auth Token")]
    Mismatch,
    #[error("the URL has no bodySHA256 parameter for a JSON body")]
    NoBodyHash,
    #[error("bodySHA256 does not match the SHA-256 of the body")]
    BodyHashMismatch,
}

/// The signature Twilio sends for a form-encoded request to `url` with `params`.
pub fn compute(url: &str, params: &[(String, String)], auth_token: &str) -> String {
    todo!("{url} {params:?} {auth_token}")
}

/// Checks `header` (the `X-Twilio-Signature` value, `None` when absent) for a form-encoded POST.
pub fn verify_form(
    url: &str,
    params: &[(String, String)],
    auth_token: &str,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    todo!("{url} {params:?} {auth_token} {header:?}")
}

/// Checks a JSON POST: `url` must carry `bodySHA256` equal to the body's hex SHA-256, and
/// `header` must sign `url` alone.
pub fn verify_json(
    url: &str,
    body: &[u8],
    auth_token: &str,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    todo!("{url} {body:?} {auth_token} {header:?}")
}

/// The lowercase hex SHA-256 of `body` (the `bodySHA256` parameter).
pub fn body_sha256_hex(body: &[u8]) -> String {
    todo!("{body:?}")
}
