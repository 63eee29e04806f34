//! Messages for the operator on standard error. In text mode they are plain lines, as a person
//! at a terminal reads them; with `--log-format json` they are log events like every other, so a
//! log collector reading standard error gets one JSON object per line and nothing else.

use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

/// Called once, when the logs are set up.
pub fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

pub fn is_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// A line for the person who started the command, on standard output. A closed or broken
/// standard output (a supervisor that dropped it, `| head`) is ignored: `println!` would panic,
/// and a server must not stop because nobody reads its banner.
pub fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// A line on standard error, likewise never a panic.
fn say_err(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Something the operator may like to know (a worker started, a demo step).
pub fn note(message: &str) {
    if is_json() {
        tracing::info!("{message}");
    } else {
        say_err(message);
    }
}

/// Something that went wrong or needs the operator's action, though the command goes on.
pub fn warn(message: &str) {
    if is_json() {
        tracing::warn!("{message}");
    } else {
        say_err(message);
    }
}

/// The error that ends the command.
pub fn error(message: &str) {
    if is_json() {
        tracing::error!("{message}");
    } else {
        say_err(&format!("error: {message}"));
    }
}
