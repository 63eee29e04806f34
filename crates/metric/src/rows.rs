//! Rows: what an expression's result means as data points.
//!
//! The result of a metric's expression is read as rows `{"value": n, "date": d,
//! "dimension": s}`: an object is one row, an array is one row per element, a bare number is one
//! row at the sync time and *undefined* is no row. A row whose value is null or empty is
//! skipped (and counted); any other problem makes the row bad, named by its index and field.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::date::{DateError, parse_date_value, shorten};

/// One data point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub value: f64,
    pub date: Timestamp,
    pub dimension: Option<String>,
}

/// Why one row could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowError {
    #[error(
        "row {row}: expected an object {{\"value\", \"date\", \"dimension\"}} or a number, got {got}"
    )]
    NotARow { row: usize, got: String },
    #[error("row {row}: field \"value\" is {got}, expected a number or a numeric string")]
    BadValue { row: usize, got: String },
    #[error("row {row}: field \"value\" is {got}, which is not a finite number")]
    NonFinite { row: usize, got: String },
    #[error("row {row}: field \"date\" is missing; add a date or use $sync_time")]
    MissingDate { row: usize },
    #[error("row {row}: field \"date\": {source}")]
    BadDate { row: usize, source: DateError },
    #[error("row {row}: field \"dimension\" is {got}, expected a string, number or boolean")]
    BadDimension { row: usize, got: String },
    #[error(
        "row {row}: unknown field {field:?}; a row has only \"value\", \"date\" and \"dimension\""
    )]
    UnknownField { row: usize, field: String },
}

/// The rows read from one result, with what was skipped or bad.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowSet {
    pub rows: Vec<Row>,
    /// Rows whose value was null, missing or an empty string.
    pub skipped: usize,
    /// The indices of the first few skipped rows, to show as examples.
    pub skipped_rows: Vec<usize>,
    pub errors: Vec<RowError>,
}

/// How many skipped rows a [`RowSet`] keeps as examples.
pub const SKIPPED_EXAMPLES: usize = 5;

impl RowSet {
    fn skip(&mut self, row: usize) {
        self.skipped += 1;
        if self.skipped_rows.len() < SKIPPED_EXAMPLES {
            self.skipped_rows.push(row);
        }
    }
}

/// Reads the rows of an expression's result. `sync_time` dates a bare number. Never fails as a
/// whole: each bad row is reported in [`RowSet::errors`].
pub fn rows_from_result(result: Option<&Value>, sync_time: Timestamp) -> RowSet {
    let mut set = RowSet::default();
    match result {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                read_one(i, item, sync_time, &mut set);
            }
        }
        Some(other) => read_one(0, other, sync_time, &mut set),
    }
    set
}

fn read_one(row: usize, item: &Value, sync_time: Timestamp, set: &mut RowSet) {
    match item {
        Value::Number(_) => match number(row, item) {
            Ok(Some(value)) => set.rows.push(Row {
                value,
                date: sync_time,
                dimension: None,
            }),
            Ok(None) => set.skip(row),
            Err(e) => set.errors.push(e),
        },
        Value::Object(fields) => match row_from_object(row, fields) {
            Ok(Some(r)) => set.rows.push(r),
            Ok(None) => set.skip(row),
            Err(e) => set.errors.push(e),
        },
        other => set.errors.push(RowError::NotARow {
            row,
            got: describe(other),
        }),
    }
}

/// Reads one row object; `Ok(None)` when its value is null or empty.
pub fn row_from_object(row: usize, fields: &Map<String, Value>) -> Result<Option<Row>, RowError> {
    if let Some(field) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "value" | "date" | "dimension"))
    {
        return Err(RowError::UnknownField {
            row,
            field: shorten(field),
        });
    }
    let value = match fields.get("value") {
        None => return Ok(None),
        Some(v) => match number(row, v)? {
            None => return Ok(None),
            Some(n) => n,
        },
    };
    let date = match fields.get("date") {
        None | Some(Value::Null) => return Err(RowError::MissingDate { row }),
        Some(d) => parse_date_value(d).map_err(|source| RowError::BadDate { row, source })?,
    };
    let dimension = match fields.get("dimension") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Some(other) => {
            return Err(RowError::BadDimension {
                row,
                got: describe(other),
            });
        }
    };
    Ok(Some(Row {
        value,
        date,
        dimension,
    }))
}

/// A value as a number: a JSON number or a numeric string (Twilio writes prices as
/// `"-0.00750"`). `Ok(None)` for null or an empty string.
pub fn number(row: usize, v: &Value) -> Result<Option<f64>, RowError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(RowError::NonFinite {
                row,
                got: n.to_string(),
            }),
        },
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => match parse_numeric(s) {
            Some(f) if f.is_finite() => Ok(Some(f)),
            Some(_) => Err(RowError::NonFinite {
                row,
                got: format!("{:?}", shorten(s)),
            }),
            None => Err(RowError::BadValue {
                row,
                got: format!("the string {:?}", shorten(s)),
            }),
        },
        other => Err(RowError::BadValue {
            row,
            got: describe(other),
        }),
    }
}

/// Parses a decimal number written as text. Rust's float parser also accepts `inf` and `NaN`,
/// which are reported as non-finite rather than as text.
pub(crate) fn parse_numeric(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("{kind} ({})", shorten(&v.to_string()))
}
