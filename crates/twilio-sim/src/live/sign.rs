//! `X-Twilio-Signature` as Twilio computes it, written here on purpose rather than borrowed from
//! the `realtime` crate: the simulator plays Twilio, and an end-to-end test is only worth
//! something when the signer and the verifier are two independent readings of the algorithm.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Digest;

/// base64(HMAC-SHA1(auth token, URL + each POST parameter's name and value, sorted by name)).
pub(crate) fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `url` with `bodySHA256=<hex sha256 of body>` appended, as Twilio sends JSON bodies (the
/// signature then covers this URL alone).
pub(crate) fn with_body_sha256(url: &str, body: &[u8]) -> String {
    let digest = sha2::Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}bodySHA256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Twilio's security documentation (its auth token, URL, parameters and the
    /// signature it prints), the parameters given out of order as a form may carry them.
    #[test]
    fn signs_twilios_documented_example() {
        let params: Vec<(String, String)> = [
            ("To", "+18005551212"),
            ("Digits", "1234"),
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+12349013030"),
            ("Caller", "+12349013030"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
        );
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn a_body_hash_joins_an_existing_query_with_an_ampersand() {
        let body = b"[]";
        // sha256("[]"), computed independently (`printf '[]' | sha256sum`).
        let hex = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
        assert_eq!(
            with_body_sha256("http://h:8080/e?x=1", body),
            format!("http://h:8080/e?x=1&bodySHA256={hex}")
        );
        assert_eq!(
            with_body_sha256("http://h/e", body),
            format!("http://h/e?bodySHA256={hex}")
        );
    }
}
