use metric::{DefinitionError, JsonataError};
use store::{MetricId, StoreError};

use crate::plan::Span;

/// Why a metric's expression failed on a page: the whole window is then not stored, because its
/// rows would be missing silently.
#[derive(Debug, Clone, thiserror::Error)]
#[error("metric '{metric}', page {page} ({url}): {error}")]
pub struct PageError {
    pub metric: String,
    pub page: u32,
    pub url: String,
    pub error: PageProblem,
}

/// What went wrong with a page.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PageProblem {
    #[error(transparent)]
    Evaluation(Box<JsonataError>),
    /// A field an expression reads cannot be converted (a number too large for a float, a
    /// lone surrogate escape): the connector checked the page's syntax, not these.
    #[error("the page cannot be read for the expression: {0}")]
    Unreadable(String),
}

/// Everything a sync, a recompute or a job can fail on. Each names the metric and what failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error("metric '{metric}' (id {id}) has a definition that cannot be used: {source}")]
    Definition {
        id: MetricId,
        metric: String,
        #[source]
        source: DefinitionError,
    },

    #[error(
        "metric '{metric}' uses the connection '{connection}', which does not exist; add it with `switchboard connection add` or fix the metric's \"connection\""
    )]
    NoConnection { metric: String, connection: String },

    #[error("metric '{metric}' cannot sync: {source}")]
    SecretUnavailable {
        metric: String,
        source: store::SecretUnavailable,
    },

    #[error("the connection '{connection}' holds credentials that are not valid: {reason}")]
    Credentials { connection: String, reason: String },

    #[error("metric '{metric}', window {window}: {source}")]
    Fetch {
        metric: String,
        window: Span,
        #[source]
        source: Box<connector::FetchFailed<PageError>>,
    },

    #[error(
        "metric '{metric}' has no stored raw pages to recompute from; sync it once (its pages are kept from the last sync)"
    )]
    NoRawPages { metric: String },

    #[error(
        "metric '{metric}': raw pages unavailable (the master key in use does not open them); a sync refetches them from Twilio"
    )]
    RawPagesUnavailable { metric: String },

    #[error(
        "metric '{metric}': the stored raw pages keep only the fields their metrics read, and this expression reads others; a sync fetches them from Twilio"
    )]
    RawPagesLackFields { metric: String },

    #[error(
        "metric '{metric}': stored raw page {index} cannot be read ({reason}); sync the metric again to replace its pages"
    )]
    CorruptRawPage {
        metric: String,
        index: usize,
        reason: String,
    },

    #[error("metric '{metric}': {source}")]
    Expression {
        metric: String,
        #[source]
        source: JsonataError,
    },

    #[error("metric '{metric}': the preview on stored pages failed: {reason}")]
    Preview { metric: String, reason: String },

    #[error("job {job} ({kind}) cannot be run: {reason}")]
    BadJob {
        job: store::JobId,
        kind: String,
        reason: String,
    },
}

impl SyncError {
    /// Whether running the same work again later may succeed (Twilio or the database being
    /// unavailable), as opposed to a definition or a job that will fail the same way every time.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Store(_) | SyncError::Fetch { .. })
    }
}
