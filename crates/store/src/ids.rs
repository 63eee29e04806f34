/// Declares a row id: a transparent `i64` that shows as its number. The watch ids in
/// `watching.rs` use it too, so every id type behaves alike.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(
    /// The id of a stored Twilio connection.
    ConnectionId
);
id_type!(
    /// The id of a stored metric definition (stable across its versions).
    MetricId
);
id_type!(
    /// The id of one sync run (one ledger).
    SyncRunId
);
id_type!(
    /// The id of a job in the queue.
    JobId
);
id_type!(
    /// The id of a databoard.
    BoardId
);
id_type!(
    /// The id of a block on a databoard.
    BlockId
);
id_type!(
    /// The id of a board's read-only share link.
    ShareId
);
