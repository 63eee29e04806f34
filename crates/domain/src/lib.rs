//! The shared vocabulary of Switchboard: typed identifiers, the [`Secret`] wrapper and the
//! length of the hour every bucket and sync window is cut on ([`HOUR_MS`]).
//!
//! Every crate that handles a Twilio SID or a credential uses these types, so a value is checked
//! for form once, where it enters the program, and cannot be confused with another kind of string.
//! This crate does no I/O.

mod secret;
mod sid;

pub use secret::Secret;
pub use sid::{AccountSid, ApiKeySid, SidError};

/// One hour in epoch milliseconds: buckets and sync windows start on whole UTC hours. Defined
/// here, the one crate the engine, the store, the sync and the web all depend on, so they
/// cannot disagree on it.
pub const HOUR_MS: i64 = 3_600_000;
