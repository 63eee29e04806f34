//! Reading a page as text: what the walk needs of it (is it a JSON object, its next-page link,
//! is its list empty) found in one pass that builds nothing of the records, and whether the text
//! can hold a credential at all, found by a scan of its bytes. A page that can is parsed,
//! redacted and written again; any other is handed over exactly as Twilio sent it.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use twilio_catalog::CREDENTIAL_FIELDS;

/// What the walk needs of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outline {
    pub next: Option<String>,
    pub empty: bool,
}

/// Why a body is not a page.
#[derive(Debug)]
pub(crate) enum NotPage {
    Json(String),
    NotAnObject,
}

/// The keys of both list envelopes that are not the list itself.
pub(crate) const ENVELOPE_KEYS: &[&str] = &[
    "meta",
    "first_page_uri",
    "next_page_uri",
    "previous_page_uri",
    "uri",
    "page",
    "page_size",
    "start",
    "end",
    "total",
    "num_pages",
    "last_page_uri",
];

/// The next-page link of a parsed page: `meta.next_page_url`, else `next_page_uri`, else none.
pub(crate) fn next_link(page: &Value) -> Option<&str> {
    fn non_empty(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str).filter(|s| !s.is_empty())
    }
    non_empty(page.get("meta").and_then(|m| m.get("next_page_url")))
        .or_else(|| non_empty(page.get("next_page_uri")))
}

/// Whether a parsed page's list is empty: the array named by `meta.key`, else the one array
/// outside the envelope keys. A page whose list cannot be told is not considered empty.
pub(crate) fn is_empty_page(page: &Value) -> bool {
    if let Some(key) = page
        .get("meta")
        .and_then(|m| m.get("key"))
        .and_then(Value::as_str)
    {
        return page
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
    }
    let Some(object) = page.as_object() else {
        return false;
    };
    let mut lists = object
        .iter()
        .filter(|(k, v)| !ENVELOPE_KEYS.contains(&k.as_str()) && v.is_array());
    match (lists.next(), lists.next()) {
        (Some((_, list)), None) => list.as_array().is_some_and(Vec::is_empty),
        _ => false,
    }
}

/// The outline of a parsed page.
pub(crate) fn outline_of(page: &Value) -> Outline {
    Outline {
        next: next_link(page).map(str::to_owned),
        empty: is_empty_page(page),
    }
}

/// The outline of page text, with the answers [`outline_of`] gives on the parsed page: the text
/// is checked as JSON whole, but of the records nothing is built.
pub(crate) fn outline(text: &str) -> Result<Outline, NotPage> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let top = deserializer
        .deserialize_any(TopVisitor)
        .and_then(|top| deserializer.end().map(|()| top))
        .map_err(|e| NotPage::Json(e.to_string()))?;
    let Some(fields) = top else {
        return Err(NotPage::NotAnObject);
    };
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let meta = match get("meta") {
        Some(Brief::Object(meta)) => Some(meta),
        _ => None,
    };
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let next =
        meta.and_then(|m| non_empty(&m.next_page_url))
            .or_else(|| match get("next_page_uri") {
                Some(Brief::Str(s)) => non_empty(&Some(s.clone())),
                _ => None,
            });
    let empty = match meta.and_then(|m| m.key.as_deref()) {
        Some(key) => matches!(get(key), Some(Brief::List { empty: true })),
        None => {
            let mut lists = fields.iter().filter(|(k, v)| {
                !ENVELOPE_KEYS.contains(&k.as_str()) && matches!(v, Brief::List { .. })
            });
            match (lists.next(), lists.next()) {
                (Some((_, Brief::List { empty })), None) => *empty,
                _ => false,
            }
        }
    };
    Ok(Outline { next, empty })
}

/// What the outline keeps of a top-level value.
#[derive(Debug)]
enum Brief {
    Str(String),
    List { empty: bool },
    Object(Meta),
    Other,
}

/// Of an object at the top level (`meta`), its two string fields the walk reads.
#[derive(Debug, Default)]
struct Meta {
    key: Option<String>,
    next_page_url: Option<String>,
}

/// The top level: `None` when it is not an object. A repeated key keeps its last value, as a
/// parsed `serde_json::Value` does.
struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Option<Vec<(String, Brief)>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<(String, Brief)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let brief = map.next_value_seed(BriefSeed { depth: 0 })?;
            match fields.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = brief,
                None => fields.push((key, brief)),
            }
        }
        Ok(Some(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A top-level value (depth 0) or a field of a top-level object (depth 1), of which only a
/// string is kept.
struct BriefSeed {
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for BriefSeed {
    type Value = Brief;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Brief, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BriefSeed {
    type Value = Brief;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Brief, E> {
        Ok(Brief::Str(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Brief, A::Error> {
        let empty = seq.next_element::<IgnoredAny>()?.is_none();
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Brief::List { empty })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Brief, A::Error> {
        if self.depth > 0 {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Brief::Other);
        }
        let mut meta = Meta::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "key" => &mut meta.key,
                "next_page_url" => &mut meta.next_page_url,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = match map.next_value_seed(BriefSeed { depth: 1 })? {
                Brief::Str(s) => Some(s),
                _ => None,
            };
        }
        Ok(Brief::Object(meta))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Brief, E> {
        Ok(Brief::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Brief, E> {
        Ok(Brief::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Brief, E> {
        Ok(Brief::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Brief, E> {
        Ok(Brief::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Brief, E> {
        Ok(Brief::Other)
    }
}

/// A byte whose bit is set in this table starts some credential name.
const FIRST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < CREDENTIAL_FIELDS.len() {
        table[CREDENTIAL_FIELDS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    table
};

/// Whether the text may hold a credential field: some key that reads as a credential name, or
/// a `\u` escape of a character names are made of (a key spelled with escapes). False means
/// certainly none, so the text can go out as it is; true only costs a parse.
///
/// Exact because a key is a string followed by optional white space and a colon: a credential
/// key written without escapes is the bytes `"name"`, then white space, then `:`; written with
/// any escape, it holds a `\uXXXX` of an ASCII letter, digit or underscore (no other JSON escape
/// gives one of those).
pub(crate) fn may_hold_credentials(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' if b.get(i + 1).is_some_and(|&c| FIRST_BYTES[c as usize])
                && names_a_credential(&b[i + 1..]) =>
            {
                return true;
            }
            b'\\' => {
                if b.get(i + 1) == Some(&b'u') && escapes_a_name_character(&b[i + 2..]) {
                    return true;
                }
                // The escaped character is part of the string, never the start of a key.
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether `rest` (just after an opening quote) is a credential name, its closing quote, white
/// space and a colon.
fn names_a_credential(rest: &[u8]) -> bool {
    CREDENTIAL_FIELDS.iter().any(|name| {
        let name = name.as_bytes();
        rest.len() > name.len()
            && rest.starts_with(name)
            && rest[name.len()] == b'"'
            && rest[name.len() + 1..]
                .iter()
                .find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                == Some(&b':')
    })
}

/// Whether four hex digits spell an ASCII letter, digit or underscore.
fn escapes_a_name_character(hex: &[u8]) -> bool {
    let Some(digits) = hex.get(..4) else {
        return false;
    };
    let Some(code) = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| u32::from_str_radix(d, 16).ok())
    else {
        return false;
    };
    char::from_u32(code).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(page: &Value) -> Outline {
        let from_text = outline(&page.to_string()).expect("a page");
        assert_eq!(from_text, outline_of(page), "{page}");
        from_text
    }

    #[test]
    fn next_link_prefers_the_meta_url_then_the_uri() {
        let both_links = json!({"meta": {"next_page_url": "https://a/x"}, "next_page_uri": "/y"});
        assert_eq!(both(&both_links).next.as_deref(), Some("https://a/x"));
        let flat = json!({"meta": {"next_page_url": null}, "next_page_uri": "/y"});
        assert_eq!(both(&flat).next.as_deref(), Some("/y"));
        assert_eq!(both(&json!({"next_page_uri": null})).next, None);
        assert_eq!(both(&json!({"next_page_uri": ""})).next, None);
        assert_eq!(both(&json!({"next_page_uri": 3})).next, None);
        assert_eq!(
            both(&json!({"meta": 1, "next_page_uri": "/z"}))
                .next
                .as_deref(),
            Some("/z")
        );
    }

    #[test]
    fn empty_pages_are_recognised_in_both_envelopes() {
        assert!(both(&json!({"meta": {"key": "services"}, "services": []})).empty);
        assert!(!both(&json!({"meta": {"key": "services"}, "services": [1]})).empty);
        assert!(!both(&json!({"meta": {"key": "services"}, "other": []})).empty);
        assert!(both(&json!({"messages": [], "next_page_uri": "/x", "page": 3})).empty);
        assert!(!both(&json!({"messages": [{}], "next_page_uri": "/x"})).empty);
        assert!(!both(&json!({"a": [], "b": []})).empty);
        assert!(!both(&json!({"balance": "1.0"})).empty);
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_as_a_parse_does() {
        let text =
            r#"{"next_page_uri": "/a", "messages": [1], "next_page_uri": "/b", "messages": []}"#;
        let parsed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(outline(text).unwrap(), outline_of(&parsed));
        assert_eq!(outline(text).unwrap().next.as_deref(), Some("/b"));
    }

    #[test]
    fn what_is_not_an_object_or_not_json_is_told_apart() {
        assert!(matches!(outline("[1, 2]"), Err(NotPage::NotAnObject)));
        assert!(matches!(outline("null"), Err(NotPage::NotAnObject)));
        assert!(matches!(outline(r#"{"a": [1,"#), Err(NotPage::Json(_))));
        assert!(matches!(outline(r#"{"a": 1} x"#), Err(NotPage::Json(_))));
    }

    #[test]
    fn every_credential_key_is_seen_however_it_is_spaced() {
        for name in CREDENTIAL_FIELDS {
            for text in [
                format!(r#"{{"x": [{{"{name}": "v"}}]}}"#),
                format!("{{\"{name}\" \n\t: null}}"),
            ] {
                assert!(may_hold_credentials(&text), "{text}");
            }
        }
    }

    #[test]
    fn a_key_spelled_with_escapes_is_seen() {
        assert!(may_hold_credentials(r#"{"auth\u005ftoken": "v"}"#));
        assert!(may_hold_credentials(r#"{"\u0061uth_token": "v"}"#));
        assert!(may_hold_credentials(r#"{"\u0053ecret": "v"}"#));
    }

    #[test]
    fn ordinary_pages_and_words_in_values_pass() {
        let page = json!({"messages": [{"body": "your token: \"secret\": 12 \u{e9}\u{1f600}",
                                        "status": "sent", "tokens": 3, "token_type": "x"}],
                          "next_page_uri": null});
        assert!(!may_hold_credentials(&page.to_string()));
        assert!(!may_hold_credentials(
            r#"{"body": "caf\u00e9 \ud83d\ude00 \" \\"}"#
        ));
        assert!(!may_hold_credentials(r#"{"type": "token", "a": "secret"}"#));
    }
}
