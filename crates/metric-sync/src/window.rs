//! One window: fetch its pages, evaluate each metric's expression on each page as it arrives,
//! keep the rows dated inside the window and fold them into hourly buckets.
//!
//! The expression runs once per page, not once over all pages: a page is at most 1000 records,
//! which keeps every evaluation inside the JSONata limits and the memory of a long backfill to a
//! page at a time. An expression therefore sees one page; aggregating across records belongs to
//! the buckets, not the expression.

use std::collections::BTreeMap;
use std::sync::Arc;

use connector::{Connector, Credentials, FetchOptions, TextPage};
use jiff::Timestamp;
use metric::extract::sync_context;
use metric::{Expression, FieldSet, HourBucket, RowSet, fold_rows, rows_from_result};
use store::BucketRow;
use twilio_request::RequestSpec;

use crate::error::{PageError, PageProblem, SyncError};
use crate::ledger::BAD_EXAMPLES;
use crate::plan::{Shape, Span};
use crate::raw;

/// One metric's rows of one window, folded.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    pub buckets: BTreeMap<(i64, Option<String>), HourBucket>,
    pub rows: u64,
    pub outside: u64,
    pub skipped: u64,
    pub bad: u64,
    pub bad_examples: Vec<String>,
}

impl Acc {
    pub fn add(&mut self, set: RowSet, span: Span, page: u32) {
        self.skipped += set.skipped as u64;
        self.bad += set.errors.len() as u64;
        for error in set.errors {
            if self.bad_examples.len() < BAD_EXAMPLES {
                self.bad_examples.push(format!("page {page}, {error}"));
            }
        }
        let inside: Vec<_> = set
            .rows
            .iter()
            .filter(|r| span.contains(r.date.as_millisecond()))
            .collect();
        self.outside += (set.rows.len() - inside.len()) as u64;
        self.rows += inside.len() as u64;
        for bucket in fold_rows(inside) {
            match self
                .buckets
                .get_mut(&(bucket.hour, bucket.dimension.clone()))
            {
                Some(b) => b.merge(&bucket),
                None => {
                    self.buckets
                        .insert((bucket.hour, bucket.dimension.clone()), bucket);
                }
            }
        }
    }

    pub fn bucket_rows(&self) -> Vec<BucketRow> {
        self.buckets.values().map(crate::buckets::to_row).collect()
    }
}

/// What a metric's expression needs on each page.
#[derive(Debug, Clone)]
pub(crate) struct Evaluator {
    pub name: String,
    pub expression: Expression,
}

/// Everything a window fetch needs, shared by the windows of one run.
#[derive(Clone)]
pub(crate) struct WindowJob {
    pub connector: Connector,
    pub credentials: Credentials,
    pub spec: Arc<RequestSpec>,
    pub evaluators: Arc<Vec<Evaluator>>,
    pub shape: Shape,
    pub options: FetchOptions,
    pub sync_time: Timestamp,
    pub keep_raw: bool,
    /// What of each page the evaluators can read: each page is parsed keeping only that, and
    /// so are the raw pages.
    pub read_fields: Arc<FieldSet>,
}

/// A fetched window: the fetch's ledger, then per metric its rows (or why it failed), and the
/// raw pages.
pub(crate) struct Fetched {
    pub span: Span,
    pub ledger: connector::Ledger,
    pub result: Result<Vec<Acc>, SyncError>,
    pub raw: Vec<Vec<u8>>,
}

impl WindowJob {
    /// Rows are evaluated page by page as the pages arrive; the fetch stops at the first page
    /// an expression fails on.
    pub async fn fetch(self, span: Span) -> Fetched {
        let context = sync_context(self.sync_time);
        let mut accs: Vec<Acc> = self.evaluators.iter().map(|_| Acc::default()).collect();
        let mut raw = Vec::new();
        let window = match self.shape {
            Shape::Windowed => span.window(),
            Shape::Whole | Shape::Snapshot => None,
        };
        let evaluators = self.evaluators.clone();
        let keep_raw = self.keep_raw;
        let read_fields = self.read_fields.clone();
        let sync_time = self.sync_time;
        let outcome = self
            .connector
            .fetch_text_with(
                &self.credentials,
                &self.spec,
                window,
                &self.options,
                |page: TextPage| -> Result<(), PageError> {
                    cpu_bound(|| {
                        // Parsed once, straight into the engine's representation and cut to
                        // what the expressions read: each evaluates on it as on the whole page,
                        // and it is the raw page to keep.
                        let parsed = read_fields.parse_page(&page.text).map_err(|e| PageError {
                            metric: names(&evaluators),
                            page: page.number,
                            url: page.url.clone(),
                            error: PageProblem::Unreadable(e.to_string()),
                        })?;
                        drop(page.text);
                        for (evaluator, acc) in evaluators.iter().zip(accs.iter_mut()) {
                            let result = evaluator
                                .expression
                                .evaluate_page(&parsed, &context)
                                .map_err(|error| PageError {
                                    metric: evaluator.name.clone(),
                                    page: page.number,
                                    url: page.url.clone(),
                                    error: PageProblem::Evaluation(Box::new(error)),
                                })?;
                            acc.add(
                                rows_from_result(result.as_ref(), sync_time),
                                span,
                                page.number,
                            );
                        }
                        // A page that cannot be encoded is only missing from the preview data.
                        if keep_raw && let Ok(bytes) = raw::encode(span, &parsed.to_json()) {
                            raw.push(bytes);
                        }
                        Ok(())
                    })
                },
            )
            .await;
        match outcome {
            Ok(ledger) => Fetched {
                span,
                ledger,
                result: Ok(accs),
                raw,
            },
            Err(failed) => Fetched {
                span,
                ledger: failed.ledger.clone(),
                result: Err(SyncError::Fetch {
                    metric: names(&self.evaluators),
                    window: span,
                    source: Box::new(failed),
                }),
                raw: Vec::new(),
            },
        }
    }
}

/// The metrics sharing the fetch, as an error names them.
fn names(evaluators: &[Evaluator]) -> String {
    evaluators
        .iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join("', '")
}

/// Runs CPU-bound work (evaluating expressions, compressing pages) from inside an async task.
/// On a multi-threaded runtime (`serve`, `worker`) the worker thread hands its other tasks to
/// the rest first, so a slow expression never stalls the web server sharing the runtime; a
/// single-threaded runtime (some tests) has nowhere to hand them and runs it in place.
fn cpu_bound<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
