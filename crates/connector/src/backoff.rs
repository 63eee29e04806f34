//! Exponential backoff with full jitter: before retry n the wait is a uniform random duration in
//! `[0, min(max_delay, base_delay * 2^n)]`, so clients that failed together do not retry together.

use crate::config::RetryPolicy;
use std::time::Duration;

/// A `backon` backoff: yields one wait per permitted retry, then `None`.
#[derive(Debug, Clone)]
pub(crate) struct FullJitter {
    retries_left: u32,
    ceiling: Duration,
    max_delay: Duration,
}

impl FullJitter {
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        Self {
            retries_left: policy.max_attempts.saturating_sub(1),
            ceiling: policy.base_delay.min(policy.max_delay),
            max_delay: policy.max_delay,
        }
    }
}

impl Iterator for FullJitter {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.retries_left = self.retries_left.checked_sub(1)?;
        let ceiling = self.ceiling;
        self.ceiling = (self.ceiling * 2).min(self.max_delay);
        let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Some(Duration::from_micros(rand::random_range(0..=micros)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_one_wait_per_retry_each_under_its_doubling_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_total_wait: Duration::from_secs(10),
        };
        for _ in 0..200 {
            let waits: Vec<Duration> = FullJitter::new(&policy).collect();
            assert_eq!(waits.len(), 4);
            let ceilings = [100, 200, 300, 300].map(Duration::from_millis);
            assert!(
                waits.iter().zip(ceilings).all(|(w, c)| *w <= c),
                "{waits:?}"
            );
        }
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let policy = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let waits: std::collections::HashSet<Duration> = (0..50)
            .filter_map(|_| FullJitter::new(&policy).next())
            .collect();
        assert!(
            waits.len() > 10,
            "full jitter should rarely repeat a wait: {waits:?}"
        );
    }
}
