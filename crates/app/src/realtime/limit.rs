//! A token bucket per hook key: checked before any lookup or crypto, so a flood costs a map
//! lookup and nothing else.

use std::collections::HashMap;
use std::time::Instant;

/// Buckets kept at most; beyond it the full (idle) ones are forgotten first, so keys made up
/// by a stranger cannot grow the map without bound.
const MAX_KEYS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets of `burst` tokens refilled at `rate` per second, one per key.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: f64,
    burst: f64,
    buckets: HashMap<String, Bucket>,
}

impl Limiter {
    pub fn new(rate_per_second: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate_per_second.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token of `key`'s bucket at `now`; when it is empty, how many whole seconds until
    /// one is back (at least 1).
    pub fn take(&mut self, key: &str, now: Instant) -> Result<(), u64> {
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_KEYS {
            self.forget_full(now);
        }
        let (rate, burst) = (self.rate, self.burst);
        let bucket = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            // A positive, finite wait of at most a second per token: the cast cannot truncate
            // anything that matters.
            Err((wait.ceil() as u64).max(1))
        }
    }

    /// Drops the buckets that have refilled: forgetting them changes no answer.
    fn forget_full(&mut self, now: Instant) {
        let (rate, burst) = (self.rate, self.burst);
        self.buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens + elapsed * rate < burst
        });
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_full_bucket_admits_its_burst_then_refuses() {
        let mut l = Limiter::new(10, 3);
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take("k", t), Ok(()));
        }
        assert_eq!(l.take("k", t), Err(1));
    }

    #[test]
    fn tokens_come_back_at_the_rate() {
        let mut l = Limiter::new(10, 1);
        let t = Instant::now();
        assert_eq!(l.take("k", t), Ok(()));
        assert!(l.take("k", t + Duration::from_millis(50)).is_err());
        // 100 ms at 10 per second is one token.
        assert_eq!(l.take("k", t + Duration::from_millis(150)), Ok(()));
    }

    #[test]
    fn the_wait_is_the_time_one_token_takes_rounded_up() {
        // At one token every 4 s, an empty bucket waits 4 s.
        let mut l = Limiter::new(1, 1);
        let t = Instant::now();
        assert_eq!(l.take("k", t), Ok(()));
        let mut slow = Limiter {
            rate: 0.25,
            ..Limiter::new(1, 1)
        };
        assert_eq!(slow.take("k", t), Ok(()));
        assert_eq!(slow.take("k", t), Err(4));
        assert_eq!(l.take("k", t), Err(1));
    }

    #[test]
    fn keys_have_buckets_of_their_own() {
        let mut l = Limiter::new(1, 1);
        let t = Instant::now();
        assert_eq!(l.take("a", t), Ok(()));
        assert!(l.take("a", t).is_err());
        assert_eq!(l.take("b", t), Ok(()));
    }

    #[test]
    fn made_up_keys_do_not_grow_the_map_without_bound() {
        let mut l = Limiter::new(1000, 10);
        let t = Instant::now();
        for i in 0..MAX_KEYS {
            l.take(&format!("k{i}"), t).unwrap();
        }
        assert_eq!(l.keys(), MAX_KEYS);
        // A second later every one of them has refilled and is forgotten for the new key.
        l.take("new", t + Duration::from_secs(1)).unwrap();
        assert_eq!(l.keys(), 1);
    }
}
