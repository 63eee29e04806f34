//! The generic webhook's body and signature (documented in `docs/webhooks.md`).

use domain::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::message::Message;

/// Unix seconds at signing; part of what is signed, so a captured request cannot be replayed
/// later with a fresh timestamp.
pub const TIMESTAMP_HEADER: &str = "x-switchboard-timestamp";
/// `v1=` and the lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` under the channel's key.
pub const SIGNATURE_HEADER: &str = "x-switchboard-signature";

/// The JSON body of a webhook.
pub fn webhook_body(message: &Message, delivery_id: i64, now: jiff::Timestamp) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": message.event.as_str(),
        "delivery_id": delivery_id,
        "sent_at": now.to_string(),
        "title": message.title,
        "text": message.text,
        "data": message.data,
    }))
    .unwrap_or_default()
}

fn mac(key: &Secret, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value.
pub fn sign(key: &Secret, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(key, timestamp, body).finalize().into_bytes())
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is not 'v1=' and 64 hex digits")]
    Malformed,
    #[error("the timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the timestamp is more than {tolerance_s} s away from now")]
    TooOld { tolerance_s: i64 },
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a received webhook: the signature over the timestamp and the raw body, in constant
/// time, and the timestamp within `tolerance_s` of `now_s`.
pub fn verify(
    key: &Secret,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), VerifyError> {
    let hex_sig = signature
        .strip_prefix("v1=")
        .ok_or(VerifyError::Malformed)?;
    let bytes = hex::decode(hex_sig).map_err(|_| VerifyError::Malformed)?;
    let ts: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    if (now_s - ts).abs() > tolerance_s {
        return Err(VerifyError::TooOld { tolerance_s });
    }
    mac(key, timestamp, body)
        .verify_slice(&bytes)
        .map_err(|_| VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = Secret::new("whsec-test");
        let body = br#"{"event":"test"}"#;
        let sig = sign(&key, "1767225600", body);
        assert!(sig.starts_with("v1=") && sig.len() == 67);
        assert_eq!(
            verify(&key, "1767225600", body, &sig, 1767225660, 300),
            Ok(())
        );
        assert_eq!(
            verify(&key, "1767225600", b"{}", &sig, 1767225600, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(
                &Secret::new("other"),
                "1767225600",
                body,
                &sig,
                1767225600,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&key, "1767225600", body, &sig, 1767226000, 300),
            Err(VerifyError::TooOld { tolerance_s: 300 })
        );
        assert_eq!(
            verify(&key, "1767225600", body, "sha256=00", 1767225600, 300),
            Err(VerifyError::Malformed)
        );
    }
}
