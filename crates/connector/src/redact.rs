//! Credentials in Twilio's responses never leave the connector: the Accounts list carries each
//! account's Auth Token, which can send messages and create keys, and other endpoints carry
//! tokens, secrets or PINs ([`twilio_catalog::CREDENTIAL_FIELDS`], decided from the official
//! specs). Every page is redacted here as it arrives, before a builder preview, an expression,
//! a raw page, a ledger or a log can see it.
//!
//! The key stays, so a user sees the field exists; its value becomes [`REDACTED`]. The marker,
//! `[redacted]`, looks like no Twilio credential, number or date, so a metric cannot mistake it
//! for data: as a value it is not a number (the row counts as bad), as a dimension every record
//! falls under the one label `[redacted]`.

use domain::Secret;
use serde_json::Value;
use twilio_catalog::CREDENTIAL_FIELDS;

/// What a credential's value becomes.
pub const REDACTED: &str = "[redacted]";

/// Bit `n` set when some credential name is `n` bytes long (names of 64 bytes or more are
/// always compared): most keys of a page are ruled out by their length alone, so redacting a
/// page of a thousand records costs a small part of parsing it.
const NAME_LENGTHS: u64 = {
    let mut mask = 0u64;
    let mut i = 0;
    while i < CREDENTIAL_FIELDS.len() {
        let len = CREDENTIAL_FIELDS[i].len();
        if len < 64 {
            mask |= 1 << len;
        }
        i += 1;
    }
    mask
};

fn is_credential(key: &str) -> bool {
    let len = key.len();
    (len >= 64 || NAME_LENGTHS & (1 << len) != 0) && CREDENTIAL_FIELDS.contains(&key)
}

/// Replaces the value of every credential field, at any depth, by [`REDACTED`]. A null value
/// stays null: it hides nothing and says the field is empty. Returns how many values were
/// replaced.
pub fn redact_credentials(value: &mut Value) -> usize {
    walk(value, &mut |_| {})
}

/// [`redact_credentials`], also collecting the text of every value it replaced (each string
/// inside an object or array value too), for a caller that must find copies of them elsewhere,
/// as the upgrade of a store written before redaction does.
pub fn redact_credentials_collecting(value: &mut Value, found: &mut Vec<Secret>) -> usize {
    walk(value, &mut |old| collect(old, found))
}

fn walk(value: &mut Value, replaced: &mut dyn FnMut(Value)) -> usize {
    match value {
        Value::Object(map) => {
            let mut count = 0;
            for (key, field) in map.iter_mut() {
                if is_credential(key) {
                    if !field.is_null() && field.as_str() != Some(REDACTED) {
                        replaced(std::mem::replace(field, Value::String(REDACTED.to_owned())));
                        count += 1;
                    }
                } else if field.is_object() || field.is_array() {
                    count += walk(field, replaced);
                }
            }
            count
        }
        Value::Array(items) => items.iter_mut().map(|item| walk(item, replaced)).sum(),
        _ => 0,
    }
}

fn collect(value: Value, found: &mut Vec<Secret>) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::String(text) => found.push(Secret::new(text)),
        Value::Number(n) => found.push(Secret::new(n.to_string())),
        Value::Array(items) => items.into_iter().for_each(|v| collect(v, found)),
        Value::Object(map) => map.into_iter().for_each(|(_, v)| collect(v, found)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_are_replaced_at_any_depth_and_their_keys_kept() {
        let mut page = json!({
            "accounts": [
                {"sid": "AC1", "auth_token": "aaaa", "status": "active"},
                {"sid": "AC2", "auth_token": null, "subresource_uris": {"x": "/y"}},
            ],
            "ice_servers": [{"credential": "turn-pass", "username": "u"}],
            "binding": {"secret": "s", "uri": "otpauth://totp/x?secret=s"},
            "port_out_pin": 1234,
            "next_page_uri": null,
        });
        let mut found = Vec::new();
        assert_eq!(redact_credentials_collecting(&mut page, &mut found), 4);
        assert_eq!(page["accounts"][0]["auth_token"], REDACTED);
        assert_eq!(page["accounts"][0]["status"], "active");
        assert!(page["accounts"][1]["auth_token"].is_null());
        assert_eq!(page["ice_servers"][0]["credential"], REDACTED);
        assert_eq!(page["ice_servers"][0]["username"], "u");
        assert_eq!(page["binding"], REDACTED);
        assert_eq!(page["port_out_pin"], REDACTED);
        let mut texts: Vec<&str> = found.iter().map(Secret::expose).collect();
        texts.sort_unstable();
        assert_eq!(
            texts,
            [
                "1234",
                "aaaa",
                "otpauth://totp/x?secret=s",
                "s",
                "turn-pass"
            ]
        );
        // Twice is the same as once.
        assert_eq!(redact_credentials(&mut page), 0);
    }

    #[test]
    fn names_that_only_look_alike_are_left_alone() {
        let mut page = json!({"token_type": "Bearer", "next_token": "abc", "tokens": 3,
                              "key": "messages", "auth_token_x": "keep", "Auth_Token": "keep"});
        let before = page.clone();
        assert_eq!(redact_credentials(&mut page), 0);
        assert_eq!(page, before);
    }

    #[test]
    fn every_listed_name_is_caught_by_the_length_filter() {
        for name in CREDENTIAL_FIELDS {
            assert!(is_credential(name), "{name}");
        }
    }
}
