//! Running a metric's expression on pages and reading the rows: the sync path and the preview.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jsonata::{Context, Expression, JsonataError};
use crate::picks::SYNC_TIME_VARIABLE;
use crate::rows::{Row, RowError, rows_from_result};

/// A page whose evaluation failed stops the extraction: its rows would be missing silently.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("page {page}: {error}")]
pub struct ExtractError {
    /// Index of the page, from 0.
    pub page: usize,
    pub error: JsonataError,
}

/// A row problem located in its page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("page {page}, {error}")]
pub struct PageRowError {
    pub page: usize,
    pub error: RowError,
}

/// Every row of a set of pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub rows: Vec<Row>,
    pub skipped: usize,
    pub errors: Vec<PageRowError>,
}

/// The evaluation context of a sync: `$sync_time` (RFC 3339) and `$now()` both give the sync
/// time, so an evaluation never reads the clock.
pub fn sync_context(sync_time: Timestamp) -> Context {
    let mut variables = Map::new();
    variables.insert(
        SYNC_TIME_VARIABLE.to_owned(),
        Value::String(sync_time.to_string()),
    );
    Context {
        variables,
        now_ms: Some(sync_time.as_millisecond()),
    }
}

/// Evaluates `expression` on each page and reads the rows.
pub fn extract(
    expression: &Expression,
    pages: &[Value],
    sync_time: Timestamp,
) -> Result<Extracted, ExtractError> {
    let context = sync_context(sync_time);
    let mut out = Extracted::default();
    for (page, input) in pages.iter().enumerate() {
        let result = expression
            .evaluate_in(Some(input), &context)
            .map_err(|error| ExtractError { page, error })?;
        let set = rows_from_result(result.as_ref(), sync_time);
        out.rows.extend(set.rows);
        out.skipped += set.skipped;
        out.errors.extend(
            set.errors
                .into_iter()
                .map(|error| PageRowError { page, error }),
        );
    }
    Ok(out)
}

/// What the builder shows after a trial run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The expression that ran.
    pub expression: String,
    /// The first rows, at most the number asked for.
    pub rows: Vec<Row>,
    pub total_rows: usize,
    pub skipped: usize,
    pub bad: usize,
    /// The first few bad rows, explained.
    pub bad_examples: Vec<String>,
}

/// How many bad rows a preview explains.
pub const PREVIEW_BAD_EXAMPLES: usize = 5;

/// Evaluates on the pages and keeps the first `first` rows.
pub fn preview(
    expression: &Expression,
    pages: &[Value],
    sync_time: Timestamp,
    first: usize,
) -> Result<Preview, ExtractError> {
    let Extracted {
        mut rows,
        skipped,
        errors,
    } = extract(expression, pages, sync_time)?;
    let total_rows = rows.len();
    rows.truncate(first);
    Ok(Preview {
        expression: expression.source().to_owned(),
        rows,
        total_rows,
        skipped,
        bad: errors.len(),
        bad_examples: errors
            .iter()
            .take(PREVIEW_BAD_EXAMPLES)
            .map(ToString::to_string)
            .collect(),
    })
}
