//! Seasonal models of a metric's hourly series.
//!
//! A [`Series`] is one value per UTC hour (a metric's aggregation over that hour, for all rows
//! or one dimension value), with `None` where nothing is known. [`fit`] learns the series'
//! daily and weekly rhythm and its trend from the weeks before a UTC day and answers, for every
//! hour of that day and after it, the expected value and a band ([`Model::band`]). [`detect`]
//! judges recent hours against the model, [`why::explain`] names the dimension values behind a
//! deviation, and [`forecast::project`] projects a period's total with its band.
//!
//! The model that judges an hour is always the one fitted on the [`TRAINING_DAYS`] before that
//! hour's UTC day, so a back-test and a live evaluation of the same hour agree, and a caller
//! refits a series at most once per day (or when stored hours inside those weeks change).
//!
//! No I/O and no clock reads: every instant is passed in.

pub mod baseline;
pub mod detect;
pub mod forecast;
pub mod model;
pub mod series;
pub mod why;

pub use detect::{Direction, Sensitivity, Verdict, detect};
pub use model::{Band, Fit, MIN_HISTORY_HOURS, Model, TRAINING_DAYS, WINDOWS, fit, model_day};
pub use series::Series;

pub use domain::HOUR_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SeasonalError {
    #[error("the series must start on a whole UTC hour, got {start_ms} ms")]
    NotOnHour { start_ms: i64 },
    #[error("{what} is outside the range a series can cover")]
    OutOfRange { what: &'static str },
}
