//! Suggestions for the builder: given a sample response, where the records are and which of
//! their fields are numbers, dimensions or dates.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::date::parse_date;
use crate::rows::parse_numeric;

/// A response is walked this deep, and at most this many records of an array are read, so a
/// huge or hostile sample costs little.
const MAX_DEPTH: usize = 6;
const MAX_RECORDS: usize = 1_000;
const MAX_EXAMPLES: usize = 3;
/// A string field with at most this many distinct values is a dimension candidate.
const MAX_DIMENSION_VALUES: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inference {
    /// Candidate record sets: the arrays of objects, then the whole response.
    pub record_sets: Vec<RecordSet>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSet {
    /// Dotted path to the array; `None` for the whole response as one record.
    pub path: Option<String>,
    /// Records in the sample.
    pub records: usize,
    pub numeric: Vec<FieldCandidate>,
    pub dimensions: Vec<FieldCandidate>,
    pub dates: Vec<FieldCandidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldCandidate {
    /// Dotted path inside a record.
    pub path: String,
    pub examples: Vec<Value>,
    /// Distinct values seen (dimensions), or records holding a value (others).
    pub seen: usize,
}

/// Lists the candidates of a sample response.
pub fn infer(sample: &Value) -> Inference {
    let mut arrays = Vec::new();
    find_arrays(sample, &mut Vec::new(), 0, &mut arrays);
    let mut record_sets: Vec<RecordSet> = arrays
        .into_iter()
        .map(|(path, items)| describe(Some(path), &items))
        .collect();
    if sample.is_object() {
        record_sets.push(describe(None, &[sample]));
    }
    Inference { record_sets }
}

fn find_arrays<'a>(
    v: &'a Value,
    path: &mut Vec<String>,
    depth: usize,
    out: &mut Vec<(String, Vec<&'a Value>)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) if !path.is_empty() => {
            let objects: Vec<&Value> = items
                .iter()
                .filter(|i| i.is_object())
                .take(MAX_RECORDS)
                .collect();
            if !objects.is_empty() {
                out.push((path.join("."), objects));
            }
        }
        Value::Object(fields) => {
            for (k, child) in fields {
                // A dotted path cannot name a key that contains a dot.
                if k.contains('.') || k.is_empty() {
                    continue;
                }
                path.push(k.clone());
                find_arrays(child, path, depth + 1, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct FieldValues<'a> {
    values: Vec<&'a Value>,
}

fn describe(path: Option<String>, records: &[&Value]) -> RecordSet {
    let mut fields: BTreeMap<String, FieldValues> = BTreeMap::new();
    for r in records {
        collect_fields(r, &mut Vec::new(), 0, &mut fields);
    }
    let mut set = RecordSet {
        path,
        records: records.len(),
        numeric: Vec::new(),
        dimensions: Vec::new(),
        dates: Vec::new(),
    };
    for (name, fv) in fields {
        let present: Vec<&Value> = fv
            .values
            .into_iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .collect();
        if present.is_empty() {
            continue;
        }
        let is_number = |v: &&Value| match v {
            Value::Number(_) => true,
            Value::String(s) => parse_numeric(s).is_some_and(f64::is_finite),
            _ => false,
        };
        let is_date_text = |v: &&Value| v.as_str().is_some_and(|s| parse_date(s).is_ok());
        if present.iter().all(is_number) {
            set.numeric
                .push(candidate(name.clone(), &present, present.len()));
        }
        if present.iter().all(|v| v.is_string()) && present.iter().all(is_date_text) {
            set.dates
                .push(candidate(name.clone(), &present, present.len()));
            continue;
        }
        let categorical = present
            .iter()
            .all(|v| v.is_boolean() || (v.is_string() && !is_number(v)));
        if categorical {
            let distinct: BTreeSet<String> = present.iter().map(|v| v.to_string()).collect();
            let low = distinct.len() <= MAX_DIMENSION_VALUES
                && (present.len() < 4 || distinct.len() * 2 <= present.len());
            if low {
                set.dimensions
                    .push(candidate(name, &present, distinct.len()));
            }
        }
    }
    set
}

fn candidate(path: String, present: &[&Value], seen: usize) -> FieldCandidate {
    let mut examples: Vec<Value> = Vec::new();
    for v in present {
        if examples.len() >= MAX_EXAMPLES {
            break;
        }
        if !examples.contains(v) {
            examples.push((*v).clone());
        }
    }
    FieldCandidate {
        path,
        examples,
        seen,
    }
}

/// Collects the scalar fields of a record, going into nested objects but not into arrays
/// (an array field is not one value of the record).
fn collect_fields<'a>(
    v: &'a Value,
    path: &mut Vec<String>,
    depth: usize,
    out: &mut BTreeMap<String, FieldValues<'a>>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(fields) => {
            for (k, child) in fields {
                if k.contains('.') || k.is_empty() {
                    continue;
                }
                path.push(k.clone());
                collect_fields(child, path, depth + 1, out);
                path.pop();
            }
        }
        Value::Array(_) => {}
        scalar if !path.is_empty() => {
            out.entry(path.join(".")).or_default().values.push(scalar);
        }
        _ => {}
    }
}
