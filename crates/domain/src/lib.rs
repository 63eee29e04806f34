//! The shared vocabulary of Switchboard: typed identifiers and the [`Secret`] wrapper.
//!
//! Every crate that handles a Twilio SID or a credential uses these types, so a value is checked
//! for form once, where it enters the program, and cannot be confused with another kind of string.
//! This crate does no I/O.

mod secret;
mod sid;

pub use secret::Secret;
pub use sid::{AccountSid, ApiKeySid, SidError};
