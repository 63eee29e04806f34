//! Shared helpers of the metric crate's integration tests.
#![allow(dead_code)]

pub mod pages;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

/// The shared folder beside the repository (fixtures, the JSONata suite, Twilio examples).
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Whether a shared fixture is there. When it is missing the test says so and skips, unless
/// `SWITCHBOARD_REQUIRE_ALL=1`, where it fails.
pub fn shared_available(path: &Path) -> bool {
    if path.exists() {
        return true;
    }
    if std::env::var("SWITCHBOARD_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!(
            "{} is missing and SWITCHBOARD_REQUIRE_ALL=1",
            path.display()
        );
    }
    eprintln!("SKIP: {} is missing", path.display());
    false
}

pub fn ts(text: &str) -> Timestamp {
    text.parse().expect("a test timestamp")
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read a fixture");
    serde_json::from_str(&text).expect("a fixture is JSON")
}
