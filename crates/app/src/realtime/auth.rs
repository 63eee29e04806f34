//! What a hook key verifies with, kept a short while: a burst of callbacks reads the store (and
//! opens the sealed Auth Token) once, not once per request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use domain::Secret;
use store::ConnectionId;

/// How long a looked-up hook key is believed.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// Entries kept at most; unknown keys are cached too (so a flood of made-up keys does not read
/// the store each time), and the cache is emptied when full.
const MAX_ENTRIES: usize = 4096;

/// Why a hook key cannot verify anything; all are answered with the same 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoAuth {
    UnknownKey,
    NoToken,
    TokenUnavailable,
}

impl NoAuth {
    pub fn reason(self) -> &'static str {
        match self {
            Self::UnknownKey => "unknown hook key",
            Self::NoToken => "no Auth Token stored",
            Self::TokenUnavailable => "the Auth Token cannot be opened",
        }
    }
}

/// A hook key's connection and its verifying secret, or why it has none.
#[derive(Debug, Clone)]
pub(crate) struct HookAuth {
    pub connection: Option<(ConnectionId, String)>,
    pub token: Result<Secret, NoAuth>,
}

#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: HashMap<String, (Instant, HookAuth)>,
}

impl AuthCache {
    pub fn get(&self, key: &str, now: Instant) -> Option<&HookAuth> {
        self.entries
            .get(key)
            .filter(|(at, _)| now.saturating_duration_since(*at) < TTL)
            .map(|(_, auth)| auth)
    }

    pub fn put(&mut self, key: &str, auth: HookAuth, now: Instant) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(key) {
            self.entries.clear();
        }
        self.entries.insert(key.to_owned(), (now, auth));
    }

    /// Forgets every key of `connection` (its token changed or it was removed).
    pub fn forget(&mut self, connection: ConnectionId) {
        self.entries
            .retain(|_, (_, a)| a.connection.as_ref().is_none_or(|(c, _)| *c != connection));
    }
}

impl From<Option<store::CallbackAuth>> for HookAuth {
    fn from(found: Option<store::CallbackAuth>) -> Self {
        match found {
            None => HookAuth {
                connection: None,
                token: Err(NoAuth::UnknownKey),
            },
            Some(a) => HookAuth {
                connection: Some((a.connection, a.account_sid.as_str().to_owned())),
                token: match a.auth_token {
                    Ok(t) if t.is_empty() => Err(NoAuth::NoToken),
                    Ok(t) => Ok(t),
                    Err(_) => Err(NoAuth::TokenUnavailable),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: i64) -> HookAuth {
        HookAuth {
            connection: Some((ConnectionId(id), "AC".to_owned())),
            token: Ok(Secret::new("t")),
        }
    }

    #[test]
    fn an_entry_is_believed_for_its_ttl_only() {
        let mut c = AuthCache::default();
        let t = Instant::now();
        c.put("k", known(1), t);
        assert!(c.get("k", t + TTL - Duration::from_millis(1)).is_some());
        assert!(c.get("k", t + TTL).is_none());
    }

    #[test]
    fn forgetting_a_connection_drops_only_its_keys() {
        let mut c = AuthCache::default();
        let t = Instant::now();
        c.put("a", known(1), t);
        c.put("b", known(2), t);
        c.put("x", HookAuth::from(None), t);
        c.forget(ConnectionId(1));
        assert!(c.get("a", t).is_none());
        assert!(c.get("b", t).is_some());
        assert!(c.get("x", t).is_some());
    }

    #[test]
    fn a_full_cache_starts_again_rather_than_grow() {
        let mut c = AuthCache::default();
        let t = Instant::now();
        for i in 0..MAX_ENTRIES {
            c.put(&format!("k{i}"), HookAuth::from(None), t);
        }
        c.put("new", known(1), t);
        assert_eq!(c.entries.len(), 1);
    }
}
