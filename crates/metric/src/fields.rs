//! What of a page an expression can read, so stored pages keep only that.
//!
//! The analysis is the engine's own (`jlens_core::reads`): an upper bound found without
//! evaluating, as a tree of field names. Where it cannot follow a value it keeps the value
//! whole: under the wildcards `*` and `**`, in the arguments of `$string`, `$keys`, `$lookup`,
//! `$each`, `$sift`, `$spread` and most other functions, in constructed objects, and in the
//! result. So an expression such as `$keys($)` or `**.price` keeps the whole page, which is the
//! conservative answer. The engine guarantees that an expression evaluated on a page cut by its
//! field set gives the same result, or fails with the same error code, as on the whole page, and
//! that a page cut by the union of several expressions' sets gives each its result.

use jlens_core::reads::Read;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Expression;

/// The fields of a page one or more expressions can read. Its JSON form is `null` (nothing of
/// the page), `true` (the whole page) or an object of field names, each with its own set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldSet(Option<Read>);

impl FieldSet {
    /// Reads nothing of the page: the identity of [`FieldSet::union`].
    pub fn nothing() -> Self {
        FieldSet(None)
    }

    /// Reads the page whole.
    pub fn everything() -> Self {
        FieldSet(Some(Read::Whole))
    }

    pub fn is_everything(&self) -> bool {
        matches!(self.0, Some(Read::Whole))
    }

    /// What either set reads.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        match (&self.0, &other.0) {
            (None, theirs) => FieldSet(theirs.clone()),
            (mine, None) => FieldSet(mine.clone()),
            (Some(mine), Some(theirs)) => FieldSet(Some(mine.union(theirs))),
        }
    }

    /// Whether a page cut by `self` still holds everything `needed` reads.
    pub fn covers(&self, needed: &FieldSet) -> bool {
        match (&self.0, &needed.0) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(kept), Some(wanted)) => read_covers(kept, wanted),
        }
    }

    /// The page with only the fields of this set (objects and arrays on the way to them kept).
    pub fn prune(&self, page: &Value) -> Value {
        match &self.0 {
            None => Value::Null,
            Some(read) => read.cut(page),
        }
    }

    /// Parses page text straight into the engine's representation, keeping only this set's
    /// fields: one parse serves every expression the set was united from, each evaluating on it
    /// as on the whole page, and [`crate::Page::to_json`] is then the pruned page
    /// ([`FieldSet::prune`] of the parsed text, numbers as the engine holds them).
    pub fn parse_page(&self, text: &str) -> Result<crate::Page, serde_json::Error> {
        crate::Page::parse_cut(text, self.0.as_ref())
    }

    /// The JSON form, for storing beside pruned pages.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "true".to_owned())
    }

    /// Reads the JSON form written by [`FieldSet::to_json`].
    pub fn from_json(text: &str) -> Result<FieldSet, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn read_covers(kept: &Read, wanted: &Read) -> bool {
    match (kept, wanted) {
        (Read::Whole, _) => true,
        (Read::Fields(_), Read::Whole) => false,
        (Read::Fields(kept), Read::Fields(wanted)) => wanted
            .iter()
            .all(|(name, read)| kept.get(name).is_some_and(|own| read_covers(own, read))),
    }
}

/// The fields of a page `expression` can read (see the module's notes for what counts as
/// reading everything).
pub fn fields_read(expression: &Expression) -> FieldSet {
    FieldSet(expression.reads().input().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use serde_json::json;

    fn set(source: &str) -> FieldSet {
        fields_read(&Expression::compile(source, Limits::default()).expect("compiles"))
    }

    #[test]
    fn a_path_reads_only_its_fields() {
        let fields = set("messages.{ \"value\": $number(price), \"date\": date_sent }");
        let page = json!({"messages": [{"price": "-0.1", "date_sent": "x", "body": "hi", "to": "+1"}],
                          "next_page_uri": null});
        assert_eq!(
            fields.prune(&page),
            json!({"messages": [{"price": "-0.1", "date_sent": "x"}]})
        );
    }

    #[test]
    fn a_wildcard_keeps_the_whole_page() {
        let page = json!({"messages": [{"body": "hi"}]});
        assert_eq!(set("$keys($)").prune(&page), page);
        assert_eq!(set("**.price").prune(&page), page);
    }

    #[test]
    fn covers_compares_nested_fields() {
        let kept = set("messages.[price, status]");
        assert!(kept.covers(&set("messages.price")));
        assert!(!kept.covers(&set("messages.body")));
        assert!(!kept.covers(&FieldSet::everything()));
        assert!(FieldSet::everything().covers(&set("messages.body")));
        assert!(
            kept.union(&set("messages.body"))
                .covers(&set("messages.body"))
        );
    }

    #[test]
    fn a_page_parsed_by_a_set_is_the_pruned_page_and_serves_each_expression() {
        let text = r#"{"messages": [{"price": "-0.1", "date_sent": "x", "body": "hi", "status": "sent",
                        "num": 3, "ratio": 0.5},
                       {"price": "0.2", "date_sent": "y", "body": "\u00e9", "status": "failed",
                        "num": 4, "ratio": 1.25}],
                       "next_page_uri": null, "page": 0}"#;
        let page: Value = serde_json::from_str(text).unwrap();
        let one = "messages.{ \"value\": $number(price), \"date\": date_sent, \"n\": num }";
        let two = "$sum(messages.ratio) & messages[0].status";
        let fields = set(one).union(&set(two));
        let parsed = fields.parse_page(text).unwrap();
        assert_eq!(parsed.to_json(), fields.prune(&page));
        for source in [one, two] {
            let e = Expression::compile(source, Limits::default()).unwrap();
            let context = crate::jsonata::Context::default();
            assert_eq!(
                e.evaluate_page(&parsed, &context).unwrap(),
                e.evaluate(&page).unwrap(),
                "{source}"
            );
        }
        assert_eq!(
            FieldSet::nothing().parse_page(text).unwrap().to_json(),
            Value::Null
        );
        assert!(fields.parse_page("{\"messages\": [").is_err());
    }

    #[test]
    fn the_json_form_round_trips() {
        for fields in [
            FieldSet::nothing(),
            FieldSet::everything(),
            set("messages.price"),
        ] {
            assert_eq!(FieldSet::from_json(&fields.to_json()).unwrap(), fields);
        }
    }
}
