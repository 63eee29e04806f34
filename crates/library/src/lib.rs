//! The metric library: ready metric definitions for Twilio, one JSON file per metric in the
//! repository's `library/` folder, embedded in the binary at build time.
//!
//! A library file wraps a plain metric definition (the format of `docs/metric-definition.md`)
//! with what the definition format has no field for: the metric's category and its suggested
//! visualization (see `docs/library.md`). Its `connection` is a placeholder: [`add`] puts the
//! metric on the Metrics screen of a store, bound to the connection the user names.
//!
//! - [`all`], [`list`], [`find`]: the embedded library, checked once on first use.
//! - [`parse_file`]: reads and checks one library file (what the embedded files go through).
//! - [`render_list`]: the listing `switchboard library list` prints.
//! - [`add`]: stores a library metric for a connection and marks it used by the Metrics screen,
//!   so the scheduler keeps it synced.

mod add;
mod embedded;
mod entry;
mod error;
mod show;

pub use add::{METRICS_SCREEN, add, add_scoped};
pub use embedded::{all, files, find, list};
pub use entry::{Category, LibraryMetric, Visualization, parse_file};
pub use error::{AddError, LibraryError};
pub use show::render_list;
