//! `X-Twilio-Signature`: every expected value is computed here from Twilio's documented
//! algorithm (the string to sign built by hand, then HMAC-SHA1 and base64 straight from the
//! crates), never by the code under test.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use realtime::SignatureError;
use realtime::signature::{body_sha256_hex, compute, verify_form, verify_json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// base64(HMAC-SHA1(token, data)), the last step of Twilio's algorithm.
fn hmac_b64(token: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The message status callback every form test signs: written out of order on purpose.
fn callback_params() -> Vec<(String, String)> {
    pairs(&[
        ("To", "+15558675310"),
        ("MessageStatus", "delivered"),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("From", "+15017122661"),
    ])
}

const PORT_URL: &str = "https://example.com:8443/hooks/x/messages?a=1&b=2";

/// The string Twilio signs for `PORT_URL` and `callback_params`: the URL as requested, then each
/// name and value, names in order.
const PORT_URL_SIGNED_TEXT: &str = "https://example.com:8443/hooks/x/messages?a=1&b=2\
    AccountSidAC0123456789abcdef0123456789abcdef\
    From+15017122661\
    MessageSidSM0123456789abcdef0123456789abcdef\
    MessageStatusdelivered\
    To+15558675310";

#[test]
fn twilio_documentation_example_signs_to_the_published_value() {
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let params = pairs(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]);
    let text = "https://mycompany.com/myapp.php?foo=1&bar=2\
        CallSidCA1234567890ABCDE\
        Caller+12349013030\
        Digits1234\
        From+12349013030\
        To+18005551212";
    let expected = hmac_b64("12345", text);
    // The value Twilio's security page publishes for this example (also what Python's
    // `hmac`/`hashlib` give for the text above): the hand-built text is the documented one.
    assert_eq!(expected, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert_eq!(compute(url, &params, "12345"), expected);
    assert_eq!(verify_form(url, &params, "12345", Some(&expected)), Ok(()));
}

#[test]
fn signature_covers_query_string_and_non_default_port() {
    let expected = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    assert_eq!(compute(PORT_URL, &callback_params(), TOKEN), expected);
}

#[test]
fn correctly_signed_callback_is_accepted() {
    let header = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, Some(&header)),
        Ok(())
    );
}

#[test]
fn repeated_parameter_is_signed_in_value_order() {
    let params = pairs(&[("B", "x"), ("A", "2"), ("A", "1")]);
    let expected = hmac_b64(TOKEN, "https://example.com/hA1A2Bx");
    assert_eq!(compute("https://example.com/h", &params, TOKEN), expected);
}

#[test]
fn missing_header_is_refused() {
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, None),
        Err(SignatureError::Missing)
    );
}

#[test]
fn signature_with_one_character_changed_is_refused() {
    let good = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    let mut bytes = good.into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bytes).expect("ascii");
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, Some(&bad)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signature_under_another_token_is_refused() {
    let other = hmac_b64("another-auth-token", PORT_URL_SIGNED_TEXT);
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, Some(&other)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn parameter_added_after_signing_is_refused() {
    let header = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    let mut params = callback_params();
    params.push(("ErrorCode".to_owned(), "30003".to_owned()));
    assert_eq!(
        verify_form(PORT_URL, &params, TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn parameter_removed_after_signing_is_refused() {
    let header = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    let mut params = callback_params();
    params.retain(|(name, _)| name != "To");
    assert_eq!(
        verify_form(PORT_URL, &params, TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn parameter_value_changed_after_signing_is_refused() {
    let header = hmac_b64(TOKEN, PORT_URL_SIGNED_TEXT);
    let mut params = callback_params();
    for (name, value) in &mut params {
        if name == "MessageStatus" {
            *value = "failed".to_owned();
        }
    }
    assert_eq!(
        verify_form(PORT_URL, &params, TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signature_for_another_url_is_refused() {
    // A callback replayed against another connection's hook: same body, another URL.
    let text = PORT_URL_SIGNED_TEXT.replacen("/hooks/x/", "/hooks/y/", 1);
    let header = hmac_b64(TOKEN, &text);
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn non_default_port_is_never_dropped() {
    let without_port = PORT_URL_SIGNED_TEXT.replacen(":8443", "", 1);
    let header = hmac_b64(TOKEN, &without_port);
    assert_eq!(
        verify_form(PORT_URL, &callback_params(), TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn https_default_port_written_by_twilio_is_accepted_without_it() {
    let params = callback_params();
    let mut text = "https://example.com:443/hooks/x/messages".to_owned();
    for (name, value) in sorted(&params) {
        text.push_str(&name);
        text.push_str(&value);
    }
    let header = hmac_b64(TOKEN, &text);
    assert_eq!(
        verify_form(
            "https://example.com/hooks/x/messages",
            &params,
            TOKEN,
            Some(&header)
        ),
        Ok(())
    );
}

#[test]
fn https_default_port_left_out_by_twilio_is_accepted_with_it() {
    let params = callback_params();
    let mut text = "https://example.com/hooks/x/messages?a=1".to_owned();
    for (name, value) in sorted(&params) {
        text.push_str(&name);
        text.push_str(&value);
    }
    let header = hmac_b64(TOKEN, &text);
    assert_eq!(
        verify_form(
            "https://example.com:443/hooks/x/messages?a=1",
            &params,
            TOKEN,
            Some(&header)
        ),
        Ok(())
    );
}

#[test]
fn http_default_port_is_80() {
    let header = hmac_b64(TOKEN, "http://127.0.0.1:80/hooks/x/calls");
    assert_eq!(
        verify_form("http://127.0.0.1/hooks/x/calls", &[], TOKEN, Some(&header)),
        Ok(())
    );
    let wrong = hmac_b64(TOKEN, "http://127.0.0.1:443/hooks/x/calls");
    assert_eq!(
        verify_form("http://127.0.0.1/hooks/x/calls", &[], TOKEN, Some(&wrong)),
        Err(SignatureError::Mismatch)
    );
}

fn sorted(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = params.to_vec();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

const EVENTS_BODY: &[u8] = br#"[{"specversion":"1.0","type":"com.twilio.messaging.message.delivered","id":"EZ1","time":"2026-12-04T12:00:00.000Z","data":{"messageSid":"SM0123456789abcdef0123456789abcdef"}}]"#;

/// The sink URL with `bodySHA256` = hex SHA-256 of `body`, computed here.
fn json_url(body: &[u8]) -> String {
    format!(
        "https://example.com:8443/hooks/x/events?bodySHA256={}",
        hex(&Sha256::digest(body))
    )
}

#[test]
fn body_hash_is_lowercase_hex_sha256() {
    assert_eq!(
        body_sha256_hex(EVENTS_BODY),
        hex(&Sha256::digest(EVENTS_BODY))
    );
    // The SHA-256 of nothing, as FIPS 180-2's examples give it.
    assert_eq!(
        body_sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn json_body_signed_over_url_alone_is_accepted() {
    let url = json_url(EVENTS_BODY);
    let header = hmac_b64(TOKEN, &url);
    assert_eq!(verify_json(&url, EVENTS_BODY, TOKEN, Some(&header)), Ok(()));
}

#[test]
fn json_body_hash_in_upper_case_hex_is_accepted() {
    let url = format!(
        "https://example.com/hooks/x/events?bodySHA256={}",
        hex(&Sha256::digest(EVENTS_BODY)).to_uppercase()
    );
    let header = hmac_b64(TOKEN, &url);
    assert_eq!(verify_json(&url, EVENTS_BODY, TOKEN, Some(&header)), Ok(()));
}

#[test]
fn json_body_changed_after_signing_is_refused() {
    let url = json_url(EVENTS_BODY);
    let header = hmac_b64(TOKEN, &url);
    let mut body = EVENTS_BODY.to_vec();
    let at = body.len() - 5;
    body[at] = b'X';
    assert_eq!(
        verify_json(&url, &body, TOKEN, Some(&header)),
        Err(SignatureError::BodyHashMismatch)
    );
}

#[test]
fn json_url_without_body_hash_is_refused() {
    let url = "https://example.com:8443/hooks/x/events";
    let header = hmac_b64(TOKEN, url);
    assert_eq!(
        verify_json(url, EVENTS_BODY, TOKEN, Some(&header)),
        Err(SignatureError::NoBodyHash)
    );
}

#[test]
fn json_with_wrong_signature_is_refused() {
    let url = json_url(EVENTS_BODY);
    let header = hmac_b64("another-auth-token", &url);
    assert_eq!(
        verify_json(&url, EVENTS_BODY, TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn json_without_header_is_refused() {
    let url = json_url(EVENTS_BODY);
    assert_eq!(
        verify_json(&url, EVENTS_BODY, TOKEN, None),
        Err(SignatureError::Missing)
    );
}

#[test]
fn json_signature_with_body_appended_as_parameter_is_refused() {
    // The JSON rule signs the URL alone: a signature that also covers the body is not Twilio's.
    let url = json_url(EVENTS_BODY);
    let text = format!("{url}{}", String::from_utf8_lossy(EVENTS_BODY));
    let header = hmac_b64(TOKEN, &text);
    assert_eq!(
        verify_json(&url, EVENTS_BODY, TOKEN, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn default_port_variant_toggles_only_the_schemes_default_port() {
    use realtime::signature::default_port_variant as variant;
    let cases: [(&str, Option<&str>); 7] = [
        (
            "https://h.example/x?a=1",
            Some("https://h.example:443/x?a=1"),
        ),
        ("https://h.example:443/x", Some("https://h.example/x")),
        ("http://h.example?a=1", Some("http://h.example:80?a=1")),
        ("https://[::1]:443/x", Some("https://[::1]/x")),
        ("https://[::1]/x", Some("https://[::1]:443/x")),
        ("https://h.example:8443/x", None),
        ("ftp://h.example/x", None),
    ];
    for (url, expected) in cases {
        assert_eq!(variant(url).as_deref(), expected, "{url}");
    }
}
