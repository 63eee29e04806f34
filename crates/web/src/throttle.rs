//! Login throttling: after [`MAX_FAILURES`] failed sign-ins for one user name, or from one
//! client address, within [`WINDOW_MS`], further attempts are refused until the oldest failure
//! leaves the window. Both keys count, so guessing one account from many addresses and many
//! accounts from one address are both slowed. Failures are kept by the [`Accounts`], so every
//! process on a shared database sees them.

use crate::accounts::{Accounts, AccountsResult};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Seconds until an attempt with these keys is allowed again; `None` if allowed now.
pub async fn blocked_for(
    accounts: &dyn Accounts,
    keys: &[String],
    now_ms: i64,
) -> AccountsResult<Option<u64>> {
    let mut wait_ms = 0i64;
    for key in keys {
        let list = accounts.login_failures(key, now_ms - WINDOW_MS + 1).await?;
        if list.len() >= MAX_FAILURES
            && let Some(oldest) = list.first()
        {
            wait_ms = wait_ms.max(oldest + WINDOW_MS - now_ms);
        }
    }
    Ok((wait_ms > 0).then(|| (wait_ms as u64).div_ceil(1000)))
}

pub async fn record_failure(
    accounts: &dyn Accounts,
    keys: &[String],
    now_ms: i64,
) -> AccountsResult<()> {
    for key in keys {
        accounts.record_login_failure(key, now_ms).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::MemoryAccounts;

    #[tokio::test]
    async fn the_sixth_attempt_within_the_window_waits_until_the_first_failure_expires() {
        let a = MemoryAccounts::new();
        let keys = vec!["user:a".to_owned()];
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(blocked_for(&a, &keys, 1000 * i).await.unwrap(), None);
            record_failure(&a, &keys, 1000 * i).await.unwrap();
        }
        assert_eq!(
            blocked_for(&a, &keys, 10_000).await.unwrap(),
            Some(((WINDOW_MS - 10_000) / 1000) as u64)
        );
        assert_eq!(blocked_for(&a, &keys, WINDOW_MS).await.unwrap(), None);
    }
}
