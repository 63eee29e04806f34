//! What can go wrong reading the library or adding one of its metrics.

use metric::DefinitionError;

/// A library file that does not read, or a name the library does not hold.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibraryError {
    #[error("library file {file}: not valid JSON or not a library entry: {message}")]
    Format { file: String, message: String },
    #[error("library file {file}: {source}")]
    Definition {
        file: String,
        #[source]
        source: DefinitionError,
    },
    #[error("library file {file}: {message}")]
    Invalid { file: String, message: String },
    #[error("the library has two metrics named {name:?} ({first} and {second})")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
    #[error("the library has no metric {name:?}; run `switchboard library list` to see the names")]
    UnknownMetric { name: String },
    #[error(
        "unknown category {given:?}: use one of Messaging, Voice, \"Spend and usage\", Account, Reliability, Verify"
    )]
    UnknownCategory { given: String },
}

/// Why a library metric could not be added to a store.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error(
        "there is no connection {label:?}; add it with `switchboard connection add` or pick one from `switchboard connection list`"
    )]
    UnknownConnection { label: String },
    #[error(
        "a metric named {name:?} already exists (metric {id}); remove or rename it to add the library's"
    )]
    AlreadyAdded { name: String, id: i64 },
    #[error("could not add the library metric {name:?} to the store: {source}")]
    Store {
        name: String,
        #[source]
        source: store::StoreError,
    },
}
