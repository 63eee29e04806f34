//! Login throttling: after [`MAX_FAILURES`] failed logins for one user name, or from one client
//! address, within [`WINDOW_MS`], further attempts are refused until the window has passed.
//! Both keys count so that guessing one account from many addresses and many accounts from one
//! address are both slowed.

use std::collections::HashMap;
use std::sync::Mutex;

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl Throttle {
    /// Seconds until an attempt with these keys is allowed again; `None` if allowed now.
    pub fn blocked_for(&self, keys: &[String], now_ms: i64) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let mut wait_ms = 0i64;
        for key in keys {
            if let Some(list) = map.get_mut(key) {
                list.retain(|&t| now_ms - t < WINDOW_MS);
                if list.len() >= MAX_FAILURES
                    && let Some(oldest) = list.first()
                {
                    wait_ms = wait_ms.max(oldest + WINDOW_MS - now_ms);
                }
            }
        }
        (wait_ms > 0).then(|| (wait_ms as u64).div_ceil(1000))
    }

    pub fn record_failure(&self, keys: &[String], now_ms: i64) {
        if let Ok(mut map) = self.failures.lock() {
            for key in keys {
                map.entry(key.clone()).or_default().push(now_ms);
            }
        }
    }

    /// A successful login forgets the user name's failures (not the address's).
    pub fn record_success(&self, user_key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(user_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_within_the_window_waits_until_the_first_failure_expires() {
        let t = Throttle::default();
        let keys = vec!["user:a".to_owned()];
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(t.blocked_for(&keys, 1000 * i), None);
            t.record_failure(&keys, 1000 * i);
        }
        assert_eq!(
            t.blocked_for(&keys, 10_000),
            Some(((WINDOW_MS - 10_000) / 1000) as u64)
        );
        assert_eq!(t.blocked_for(&keys, WINDOW_MS), None);
    }
}
