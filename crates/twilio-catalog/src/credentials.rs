//! Which response fields of the Twilio API are credentials, decided by reading the official
//! specs (`../shared/twilio/oai/json`). The specs have no marker for "this is a secret" (their
//! `x-twilio.pii.handling: sensitive` marks personal data such as message bodies, and of the
//! credentials only the Auth Tokens), so the decision is ours, made on each property's name,
//! description and format, and kept here in one place. The connector replaces these fields'
//! values before anyone sees a page.
//!
//! The sourcegen test (`tests/sourcegen.rs`) keeps this list true to the specs: every property
//! of every response schema whose name looks like a credential (a word `token`, `secret`,
//! `password`, `credential`, `key`, `pin`, `auth`, `private`, ... see [`looks_like_credential`])
//! must be in [`CREDENTIAL_FIELDS`] or in [`NOT_CREDENTIALS`] with the reason, and every name in
//! [`CREDENTIAL_FIELDS`] must still occur in some response schema. It also writes, for each
//! catalog endpoint, where such fields sit in its response ([`crate::Endpoint::credential_fields`]).

/// Response property names whose value is a credential, redacted at any depth of a response.
/// Names, not paths: subresources nest, and one name means the same thing wherever it appears.
pub const CREDENTIAL_FIELDS: &[&str] = &[
    // API v2010 Account: "The authorization token for this account. This token should be kept
    // a secret". Also Accounts v1 AuthTokenPromotion: "The promoted Auth Token that must be used
    // to authenticate future API requests". With the Account SID it can do anything.
    "auth_token",
    // Accounts v1 SecondaryAuthToken: "can be used to authenticate future API requests".
    "secondary_auth_token",
    // API v2010 / IAM v1 NewKey and NewSigningKey: "The secret your application uses to sign
    // Access Tokens and to authenticate to the REST API"; IAM v1 OAuth app client secret.
    "secret",
    // API v2010 Token (Network Traversal): "The temporary password that the username will use
    // when authenticating with Twilio".
    "password",
    // API v2010 Token `ice_servers[].credential`: the TURN password paired with `username`.
    "credential",
    // OAuth v1/v2 and IAM token responses: "Token which carries the necessary information to
    // access a Twilio resource directly", "... to get a new access token", "... of user
    // profile" (an identity token, a bearer credential too).
    "access_token",
    "refresh_token",
    "id_token",
    // Verify v2 AccessToken: "The access token generated for enrollment, this is an encrypted
    // json web token"; IAM v1 Domain: "Verification token for the domain".
    "token",
    // Numbers v1 EmbeddedSession: "Ephemeral session token for the compliance embeddable".
    "sessionToken",
    // Numbers v2 and TrustHub v1 inquiries: "The session token used to start an embedded
    // compliance registration session".
    "inquiry_session_token",
    // Numbers v1 PortIn phone numbers: "The pin required by the losing carrier to do the port
    // out": whoever has it can move the number away.
    "port_out_pin",
    // Verify v2 NewFactor: "Contains the `factor_type` specific secret and metadata. For totp,
    // this is `binding.secret` and `binding.uri`" (the URI carries the secret too), so the
    // whole object goes.
    "binding",
];

/// Response property names that look like credentials by name but are not, and why. Kept so
/// the sourcegen test can tell a new credential in the specs from a known harmless name.
pub const NOT_CREDENTIALS: &[(&str, &str)] = &[
    ("access_token_ttl", "a lifetime in seconds"),
    (
        "token_type",
        "the kind of OAuth token (`Bearer`), not the token",
    ),
    ("next_token", "a page cursor"),
    ("previous_token", "a page cursor"),
    (
        "auth_type",
        "the kind of SIP authentication (`IP_ACL`, `CREDENTIAL_LIST`)",
    ),
    ("auth_type_set", "kinds of SIP authentication"),
    ("requires_auth", "a boolean"),
    ("include_credentials", "a boolean"),
    ("private", "a boolean"),
    (
        "credentials",
        "the list key of Credential resources, which never return their secret",
    ),
    (
        "credential_lists",
        "the list key of SIP credential lists (usernames only)",
    ),
    (
        "credential_list_mappings",
        "the list key of SIP credential list mappings",
    ),
    (
        "keys",
        "the list key of API keys, which are listed without their secret",
    ),
    (
        "signing_keys",
        "the list key of signing keys, listed without their secret",
    ),
    (
        "key",
        "the name of a list's key in `meta`, or a user-defined Sync or variable key",
    ),
    (
        "customer_key",
        "an identifier the customer gives a transcript",
    ),
    (
        "credential_sid",
        "a SID: it names a Credential resource and cannot authenticate",
    ),
    ("credential_list_sid", "a SID"),
    ("apn_credential_sid", "a SID"),
    ("fcm_credential_sid", "a SID"),
    ("gcm_credential_sid", "a SID"),
    ("aws_credentials_sid", "a SID"),
    ("encryption_credential_sid", "a SID of a public key"),
    ("encryption_key_sid", "a SID of a public key"),
    ("pin_and_account_number_required", "a boolean"),
    (
        "totp",
        "the TOTP settings of a Verify service (code length, skew), no secret",
    ),
];

/// Whether a property name reads like a credential: one of its words (split at `_` and at
/// camelCase humps) is one a credential's name would use. Deliberately wide: what it flags must
/// be classified in [`CREDENTIAL_FIELDS`] or [`NOT_CREDENTIALS`].
pub fn looks_like_credential(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "auth",
        "token",
        "tokens",
        "secret",
        "secrets",
        "password",
        "passwd",
        "passphrase",
        "credential",
        "credentials",
        "pin",
        "key",
        "keys",
        "private",
        "jwt",
        "otp",
        "totp",
        "bearer",
    ];
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' || (c.is_uppercase() && !word.is_empty()) {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if c == '_' || c == '-' || c == '.' {
                continue;
            }
        }
        word.extend(c.to_lowercase());
    }
    words.push(word);
    words.iter().any(|w| WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_looks_like_a_credential_or_is_explained() {
        for name in CREDENTIAL_FIELDS {
            // `binding` is there for its description, not its name.
            assert!(looks_like_credential(name) || *name == "binding", "{name}");
        }
        for (name, why) in NOT_CREDENTIALS {
            assert!(looks_like_credential(name), "{name} need not be listed");
            assert!(
                !why.is_empty() && !CREDENTIAL_FIELDS.contains(name),
                "{name}"
            );
        }
    }

    #[test]
    fn names_split_into_words_at_underscores_and_humps() {
        assert!(looks_like_credential("auth_token"));
        assert!(looks_like_credential("sessionToken"));
        assert!(looks_like_credential("port_out_pin"));
        assert!(!looks_like_credential("pinned"));
        assert!(!looks_like_credential("author"));
        assert!(!looks_like_credential("monkey"));
        assert!(!looks_like_credential("status"));
    }
}
