//! The builder's picks, and the readable JSONata expression they generate.
//!
//! Field paths are dotted (`subresource_uris.media`); a segment that is not a plain JSONata
//! name is written between backticks in the expression.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the user picked in the metric builder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Picks {
    /// Dotted path to the array of records (`messages`); absent for the whole response as one
    /// record.
    #[serde(default)]
    pub records: Option<String>,
    pub value: ValuePick,
    /// Dotted path of a field of the record to break the metric down by.
    #[serde(default)]
    pub dimension: Option<String>,
    pub date: DatePick,
    #[serde(default)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ValuePick {
    /// Each record counts 1.
    Count,
    /// A numeric field of the record, possibly in a nested object (`price`, `usage.count`).
    Field { path: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DatePick {
    /// A date field of the record (`date_created`).
    Field { path: String },
    /// The time of the sync (for snapshots such as a balance).
    SyncTime,
}

/// Keep only records whose field equals a value (`"equals"`), or is one of several
/// (`"one_of"`); exactly one of the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub field: String,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
}

/// Keeps an explicit `null` as `Some(Null)`: `"equals": null` is a test for null.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PicksError {
    #[error(
        "{what}: the path {path:?} has an empty segment; write fields separated by single dots"
    )]
    EmptySegment { what: &'static str, path: String },
    #[error("{what}: the field name {segment:?} contains a backtick, which JSONata cannot quote")]
    Backtick { what: &'static str, segment: String },
    #[error("filter on {field:?}: {reason}")]
    BadFilter { field: String, reason: String },
}

/// The name of the variable holding the sync time (RFC 3339) during evaluation.
pub const SYNC_TIME_VARIABLE: &str = "sync_time";

impl Picks {
    /// The JSONata expression these picks stand for. It yields one row object per record.
    pub fn to_expression(&self) -> Result<String, PicksError> {
        let records = match &self.records {
            Some(p) if !p.trim().is_empty() => path("records", p)?,
            _ => "$".to_owned(),
        };
        let mut conditions = Vec::new();
        for f in &self.filters {
            let field = path("filter", &f.field)?;
            let bad = |reason: &str| PicksError::BadFilter {
                field: f.field.clone(),
                reason: reason.to_owned(),
            };
            match (&f.equals, &f.one_of) {
                (Some(v), None) => {
                    scalar(v).map_err(|r| bad(&r))?;
                    conditions.push(format!("{field} = {}", literal(v)));
                }
                (None, Some(vs)) => {
                    if vs.is_empty() {
                        return Err(bad("one_of needs at least one value"));
                    }
                    for v in vs {
                        scalar(v).map_err(|r| bad(&r))?;
                    }
                    let list: Vec<String> = vs.iter().map(literal).collect();
                    conditions.push(format!("{field} in [{}]", list.join(", ")));
                }
                _ => return Err(bad("give exactly one of \"equals\" and \"one_of\"")),
            }
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("[{}]", conditions.join(" and "))
        };
        let value = match &self.value {
            ValuePick::Count => "1".to_owned(),
            ValuePick::Field { path: p } => path("value", p)?,
        };
        let date = match &self.date {
            DatePick::Field { path: p } => path("date", p)?,
            DatePick::SyncTime => format!("${SYNC_TIME_VARIABLE}"),
        };
        let mut fields = vec![
            format!("  \"value\": {value}"),
            format!("  \"date\": {date}"),
        ];
        if let Some(d) = self.dimension.as_deref().filter(|d| !d.trim().is_empty()) {
            fields.push(format!("  \"dimension\": {}", path("dimension", d)?));
        }
        // `$` alone is the whole response; a filter on it reads `$[...]`.
        Ok(format!("{records}{filter}.{{\n{}\n}}", fields.join(",\n")))
    }
}

fn scalar(v: &Value) -> Result<(), String> {
    match v {
        Value::Array(_) | Value::Object(_) => {
            Err("filter values are strings, numbers, booleans or null".to_owned())
        }
        _ => Ok(()),
    }
}

/// A JSON scalar is also a JSONata literal.
fn literal(v: &Value) -> String {
    v.to_string()
}

/// A dotted path as a JSONata path.
fn path(what: &'static str, dotted: &str) -> Result<String, PicksError> {
    let mut out = Vec::new();
    for segment in dotted.split('.') {
        if segment.is_empty() {
            return Err(PicksError::EmptySegment {
                what,
                path: dotted.to_owned(),
            });
        }
        if segment.contains('`') {
            return Err(PicksError::Backtick {
                what,
                segment: segment.to_owned(),
            });
        }
        out.push(name(segment));
    }
    Ok(out.join("."))
}

fn name(segment: &str) -> String {
    let plain = segment
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            segment,
            "and" | "or" | "in" | "true" | "false" | "null" | "function"
        );
    if plain {
        segment.to_owned()
    } else {
        format!("`{segment}`")
    }
}
