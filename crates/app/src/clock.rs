//! The one source of "now" for every operation: the system clock in production, a clock a test
//! sets or advances. An operation reads it once, so everything it writes carries one instant.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Epoch milliseconds, from the system or from a [`ManualTime`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Clock(Source);

#[derive(Clone, Debug, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Source::System)
    }

    /// Now, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Source::System => jiff::Timestamp::now().as_millisecond(),
            Source::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Now, as an instant.
    pub fn now(&self) -> jiff::Timestamp {
        instant(self.now_ms())
    }
}

/// A clock only a test moves: every [`Clock`] made from it (`Clock::from(manual.clone())`)
/// reads what was last set.
#[derive(Clone, Debug)]
pub struct ManualTime(Arc<AtomicI64>);

impl ManualTime {
    pub fn at(ms: i64) -> Self {
        ManualTime(Arc::new(AtomicI64::new(ms)))
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, by_ms: i64) {
        self.0.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl From<ManualTime> for Clock {
    fn from(manual: ManualTime) -> Self {
        Clock(Source::Manual(manual.0))
    }
}

/// Epoch milliseconds as an instant; a value outside jiff's range (only a test could set one)
/// saturates rather than fails.
pub fn instant(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_reads_what_was_set_and_advanced() {
        let time = ManualTime::at(1_000);
        let clock = Clock::from(time.clone());
        assert_eq!(clock.now_ms(), 1_000);
        time.advance(500);
        assert_eq!(clock.clone().now_ms(), 1_500);
        time.set(42);
        assert_eq!(clock.now_ms(), 42);
    }

    #[test]
    fn the_system_clock_moves_forward() {
        let clock = Clock::system();
        let a = clock.now_ms();
        // 2026-01-01: a clock reading before that is not the system's.
        assert!(a > 1_767_225_600_000, "{a}");
        assert!(clock.now_ms() >= a);
    }
}
