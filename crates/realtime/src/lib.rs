//! Twilio's pushed events, as pure computations (issue 22).
//!
//! * [`signature`]: `X-Twilio-Signature` as Twilio computes it (HMAC-SHA1 keyed by the account's
//!   Auth Token over the full URL and the sorted POST parameters; for JSON bodies the URL's
//!   `bodySHA256` rule), and its constant-time check.
//! * [`event`]: a message or call status callback (form parameters) or an Event Streams batch
//!   (CloudEvents JSON) parsed into [`event::LiveEvent`]s, each with a dedupe key and the rank of
//!   its status, so a status only moves forward.
//! * [`resource`]: a resource's latest known state rendered as the REST API's record JSON (the
//!   callback fields mapped onto the resource's shape), so a metric's own expression reads it.
//! * [`readers`]: which metric requests a pushed resource can stand in for (the list endpoint
//!   and the filters it can apply), and which it cannot, in words.
//!
//! No I/O: the application layer verifies, stores and recomputes with these.

pub mod event;
pub mod readers;
pub mod resource;
pub mod signature;

pub use event::{EventError, LiveEvent, ResourceKind, Source};
pub use readers::{LiveRead, NotLive};
pub use signature::SignatureError;
