//! Running a metric's expression on pages and reading the rows: the sync path and the preview.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jsonata::{Context, Expression, JsonataError};
use crate::picks::SYNC_TIME_VARIABLE;
use crate::rows::{Row, RowError, SKIPPED_EXAMPLES, rows_from_result};

/// A page that cannot be evaluated stops the extraction: its rows would be missing silently.
/// `page` is the index of the page, from 0.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    #[error("page {page}: {error}")]
    Evaluation { page: usize, error: JsonataError },
    #[error("page {page} is not valid JSON: {message}")]
    Json { page: usize, message: String },
}

impl ExtractError {
    /// The JSONata error, when the expression failed (for underlining it).
    pub fn jsonata(&self) -> Option<&JsonataError> {
        match self {
            ExtractError::Evaluation { error, .. } => Some(error),
            ExtractError::Json { .. } => None,
        }
    }
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
    /// `(page, row)` of the first few skipped rows.
    pub skipped_rows: Vec<(usize, usize)>,
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
            .map_err(|error| ExtractError::Evaluation { page, error })?;
        out.add(page, result.as_ref(), sync_time);
    }
    Ok(out)
}

/// Evaluates `expression` on pages given as JSON text, as they come from Twilio. Each page is
/// parsed straight into the engine's representation, keeping only what the expression reads,
/// which is the fastest path.
pub fn extract_text<S: AsRef<str>>(
    expression: &Expression,
    pages: &[S],
    sync_time: Timestamp,
) -> Result<Extracted, ExtractError> {
    let context = sync_context(sync_time);
    let mut out = Extracted::default();
    for (page, text) in pages.iter().enumerate() {
        let input = expression
            .parse_page(text.as_ref())
            .map_err(|e| ExtractError::Json {
                page,
                message: e.to_string(),
            })?;
        let result = expression
            .evaluate_page(&input, &context)
            .map_err(|error| ExtractError::Evaluation { page, error })?;
        out.add(page, result.as_ref(), sync_time);
    }
    Ok(out)
}

impl Extracted {
    fn add(&mut self, page: usize, result: Option<&Value>, sync_time: Timestamp) {
        let set = rows_from_result(result, sync_time);
        self.rows.extend(set.rows);
        self.skipped += set.skipped;
        let room = SKIPPED_EXAMPLES.saturating_sub(self.skipped_rows.len());
        self.skipped_rows.extend(
            set.skipped_rows
                .into_iter()
                .take(room)
                .map(|row| (page, row)),
        );
        self.errors.extend(
            set.errors
                .into_iter()
                .map(|error| PageRowError { page, error }),
        );
    }
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
    /// The first few skipped rows, located.
    pub skipped_examples: Vec<String>,
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
        skipped_rows,
        errors,
    } = extract(expression, pages, sync_time)?;
    let total_rows = rows.len();
    rows.truncate(first);
    Ok(Preview {
        expression: expression.source().to_owned(),
        rows,
        total_rows,
        skipped,
        skipped_examples: skipped_rows
            .iter()
            .map(|(page, row)| format!("page {page}, row {row}: no value (null, empty or missing)"))
            .collect(),
        bad: errors.len(),
        bad_examples: errors
            .iter()
            .take(PREVIEW_BAD_EXAMPLES)
            .map(ToString::to_string)
            .collect(),
    })
}
