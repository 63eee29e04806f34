use domain::{AccountSid, ApiKeySid, Secret};
use proptest::prelude::*;

const GOOD_AC: &str = "AC0123456789abcdef0123456789ABCDEF";

#[test]
fn account_sid_accepts_ac_and_32_hex() {
    let sid = AccountSid::parse(GOOD_AC).unwrap();
    assert_eq!(sid.as_str(), GOOD_AC);
}

#[test]
fn account_sid_refuses_a_key_sid_and_names_the_field() {
    let err = AccountSid::parse("SK0123456789abcdef0123456789abcdef").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("Account SID must be 'AC'"), "{text}");
}

#[test]
fn api_key_sid_refuses_wrong_length_and_non_hex() {
    assert!(ApiKeySid::parse("SK0123").is_err());
    assert!(ApiKeySid::parse("SK0123456789abcdef0123456789abcdeg").is_err());
    assert!(
        ApiKeySid::parse("")
            .unwrap_err()
            .to_string()
            .contains("an empty value")
    );
}

#[test]
fn secret_never_prints_its_value() {
    let secret = Secret::new("hunter2-very-secret");
    assert_eq!(format!("{secret:?}"), "***");
    assert_eq!(format!("{secret}"), "***");
    assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
    assert_eq!(secret.expose(), "hunter2-very-secret");
}

#[test]
fn sid_deserialize_checks_form() {
    let ok: AccountSid = serde_json::from_str(&format!("\"{GOOD_AC}\"")).unwrap();
    assert_eq!(ok.as_str(), GOOD_AC);
    assert!(serde_json::from_str::<AccountSid>("\"ACnothex\"").is_err());
}

proptest! {
    #[test]
    fn sid_parse_never_panics_and_accepts_only_the_form(s in ".{0,64}") {
        if let Ok(sid) = AccountSid::parse(&s) {
            prop_assert_eq!(sid.as_str().len(), 34);
            prop_assert!(sid.as_str().starts_with("AC"));
            prop_assert!(sid.as_str()[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
