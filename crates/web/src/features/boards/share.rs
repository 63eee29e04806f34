//! Read-only share links: `<payload>.<mac>`, both base64url, where the payload names the link,
//! its board and its expiry and the MAC is HMAC-SHA256 under the server's signing key. The
//! store keeps the MAC's hash, so a link is honoured only while its row says it is live: it can
//! be revoked before it expires, and a forged or altered link fails the MAC before any lookup.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use store::{BoardId, ShareId};

type HmacSha256 = Hmac<Sha256>;

/// The purpose under which the store keeps the key.
pub const KEY_PURPOSE: &str = "board_shares";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub share: ShareId,
    pub board: BoardId,
    pub expires_ms: i64,
}

fn mac(key: &[u8], payload: &str) -> Vec<u8> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(payload.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn payload(c: &Claims) -> String {
    format!("{}.{}.{}", c.share.0, c.board.0, c.expires_ms)
}

/// The link token for `claims`.
pub fn sign(key: &[u8], claims: &Claims) -> String {
    let p = payload(claims);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(p.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, &p))
    )
}

/// What the store keeps of a link: the SHA-256 (hex) of its MAC.
pub fn stored_hash(token: &str) -> String {
    let mac = token.rsplit('.').next().unwrap_or("");
    let digest = Sha256::digest(mac.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The claims of a token whose MAC is right; `None` for anything else.
pub fn verify(key: &[u8], token: &str) -> Option<Claims> {
    let (p64, m64) = token.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(p64).ok()?).ok()?;
    let given = URL_SAFE_NO_PAD.decode(m64).ok()?;
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).ok()?;
    m.update(payload.as_bytes());
    // Constant-time comparison, so the MAC cannot be guessed byte by byte.
    m.verify_slice(&given).ok()?;
    let mut parts = payload.split('.');
    let share = parts.next()?.parse().ok()?;
    let board = parts.next()?.parse().ok()?;
    let expires_ms = parts.next()?.parse().ok()?;
    Some(Claims {
        share: ShareId(share),
        board: BoardId(board),
        expires_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_link_verifies_and_an_altered_one_does_not() {
        let c = Claims {
            share: ShareId(7),
            board: BoardId(3),
            expires_ms: 1_800_000_000_000,
        };
        let t = sign(b"key-one", &c);
        assert_eq!(verify(b"key-one", &t), Some(c));
        assert_eq!(verify(b"key-two", &t), None, "another server's key");
        let other = sign(
            b"key-one",
            &Claims {
                board: BoardId(4),
                ..c
            },
        );
        let (p, _) = other.split_once('.').unwrap();
        let (_, m) = t.split_once('.').unwrap();
        assert_eq!(
            verify(b"key-one", &format!("{p}.{m}")),
            None,
            "payload swapped"
        );
        assert_eq!(verify(b"key-one", "garbage"), None);
        assert_eq!(stored_hash(&t).len(), 64);
        assert_ne!(stored_hash(&t), stored_hash(&other));
    }
}
