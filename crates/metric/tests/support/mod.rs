//! Shared helpers of the metric crate's integration tests.
#![allow(dead_code)]

pub mod pages;

use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

pub fn ts(text: &str) -> Timestamp {
    text.parse().expect("a test timestamp")
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read a fixture");
    serde_json::from_str(&text).expect("a fixture is JSON")
}
