//! The pure core of Switchboard: what a metric is and how Twilio responses become a time
//! series. No I/O: no files, no network, no clock reads (the sync time is a parameter).
//!
//! - [`MetricDefinition`]: the versioned JSON document describing a metric.
//! - [`jsonata`]: our wrapper of the JSONata engine, with limits on every evaluation;
//!   [`memory`] counts what one evaluation allocates (the binary installs its allocator).
//! - [`Picks`]: the builder's choices, which generate a readable expression; [`infer`] suggests
//!   them from a sample response.
//! - [`rows`], [`date`]: the rows an expression yields and how their values and dates are read.
//! - [`extract`]: running an expression over pages, and the preview.
//! - [`fields`]: what of a page an expression can read, so stored pages keep only that.
//! - [`bucket`]: hourly UTC buckets, from which [`aggregate`] answers any range, interval,
//!   display zone and dimension breakdown exactly; [`compare`] and [`formula`] build on it.
//! - [`accounts`]: metrics over a parent account and its subaccounts: the scope, the account
//!   as a built-in second dimension and the views that fold it.
//! - [`range`]: named date ranges ("Last month", "Quarter to date") and their comparisons,
//!   resolved for a given `now` and zone.

pub mod accounts;
pub mod aggregate;
pub mod bucket;
pub mod compare;
pub mod coverage;
pub mod date;
pub mod definition;
pub mod extract;
pub mod fields;
pub mod formula;
pub mod infer;
pub mod jsonata;
pub mod memory;
pub mod picks;
pub mod range;
pub mod rollup;
pub mod rows;

pub use accounts::{AccountScope, AccountView};
pub use aggregate::{
    Aggregation, Interval, Point, Query, QueryError, QueryResult, Slice, TimeRange, query,
};
pub use bucket::{HourBucket, fold_rows};
pub use compare::{Change, Comparison, Trend, Verdict, change, compare, comparison_ranges};
pub use coverage::{Coverage, known_span};
pub use date::{DateError, parse_date, parse_date_value};
pub use definition::{DefinitionError, MetricDefinition};
pub use extract::{ExtractError, Extracted, Preview, extract, extract_text, preview};
pub use fields::{FieldSet, fields_read};
pub use formula::{Formula, FormulaError};
pub use infer::{Inference, infer};
pub use jsonata::{Context, Expression, JsonataError, Limits, Page};
pub use picks::{DatePick, Filter, Picks, ValuePick};
pub use range::{CompareTo, LastUnit, NamedRange, Period, RangeError, Resolved};
pub use rows::{Row, RowError, RowSet, rows_from_result};
