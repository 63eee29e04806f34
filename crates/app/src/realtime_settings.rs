//! A connection's real-time settings (issue 22): its Auth Token, which verifies the signatures
//! of Twilio's status callbacks and Event Streams (an API key cannot), the callback URLs to paste
//! into the Twilio Console, and what was received last; and how far real-time values were from
//! the polled truth (the reconciliation ledger), in one sentence.
//!
//! The Auth Token is write-only: parsed into [`AuthToken`] (whose `Debug` prints `***`), checked
//! with Twilio, sealed by the store, and never returned, logged or rendered.

use std::fmt;

use connector::Connector;
use domain::Secret;
use metric::{Aggregation, MetricDefinition};
use store::{
    AnyStore, ConnectionHook, ConnectionId, LedgerRow, LiveEventSummary, LiveStore, MetricId,
    Store, StoreError,
};

use crate::{AppError, AppResult, Role};

/// The least role that may set or remove a connection's Auth Token.
pub const LEAST_ROLE: Role = Role::Admin;

/// How many received events the Data Manager lists.
pub const RECENT_EVENTS: u32 = 20;

/// How many reconciled windows [`ledger_summary`] weighs.
pub const LEDGER_WINDOWS: u32 = 12;

/// The one caption of a value that holds real-time (provisional) hours.
pub const PROVISIONAL_NOTE: &str =
    "provisional: includes real-time values not yet confirmed by a poll";

/// Whether `[from_ms, to_ms)` shows any hour of a metric's provisional span (as
/// `LiveStore::live_spans` gives it).
pub fn shows_provisional(span: Option<(i64, i64)>, from_ms: i64, to_ms: i64) -> bool {
    span.is_some_and(|(lo, hi)| lo < to_ms && from_ms < hi)
}

/// The span a metric's values are known over, real-time hours included: the hull of its good
/// syncs' span and its provisional span (which starts where the last good sync ended, so the
/// two touch). Without it a provisional hour past the last poll would read "no data".
pub fn with_live(synced: Option<(i64, i64)>, live: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (synced, live) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (one, None) | (None, one) => one,
    }
}

/// An account's Auth Token as Twilio issues it: 32 lowercase hexadecimal characters. Prints as
/// `***`; its text leaves only through [`AuthToken::secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(Secret);

/// Why a text is not an Auth Token. The words never repeat the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthTokenError {
    #[error(
        "the Auth Token is empty: copy it from the Twilio Console (Account › API keys & tokens › Auth Tokens)"
    )]
    Empty,
    #[error(
        "an Auth Token is 32 characters long, this one has {0}: copy the whole primary Auth Token from the Twilio Console"
    )]
    Length(usize),
    #[error(
        "an Auth Token holds only the characters 0-9 and a-f (lowercase hexadecimal), as the Twilio Console shows it: this one has others"
    )]
    Characters,
}

impl AuthToken {
    /// The Auth Token in `text`, without surrounding whitespace.
    pub fn parse(text: &Secret) -> Result<Self, AuthTokenError> {
        let t = text.expose().trim();
        if t.is_empty() {
            return Err(AuthTokenError::Empty);
        }
        let length = t.chars().count();
        if length != 32 {
            return Err(AuthTokenError::Length(length));
        }
        if !t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(AuthTokenError::Characters);
        }
        Ok(Self(Secret::new(t)))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(***)")
    }
}

/// [`AuthToken::parse`] refused as the input field `auth_token`.
pub fn parse_auth_token(text: &Secret) -> AppResult<AuthToken> {
    AuthToken::parse(text).map_err(|e| AppError::invalid("auth_token", e.to_string()))
}

/// The three callback paths of a hook key, to be put under the externally visible base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPaths {
    /// A message's `StatusCallback` (form POST).
    pub messages: String,
    /// A call's `StatusCallback` (form POST).
    pub calls: String,
    /// An Event Streams webhook sink (CloudEvents JSON).
    pub events: String,
}

impl CallbackPaths {
    pub fn of(hook_key: &str) -> Self {
        Self {
            messages: format!("/hooks/twilio/{hook_key}/messages"),
            calls: format!("/hooks/twilio/{hook_key}/calls"),
            events: format!("/hooks/twilio/{hook_key}/events"),
        }
    }

    /// Each path with what it is for, in the order the screens list them.
    pub fn labelled(&self) -> [(&'static str, &str); 3] {
        [
            ("Messages: status callback URL", &self.messages),
            ("Calls: status callback URL", &self.calls),
            ("Event Streams: webhook sink URL", &self.events),
        ]
    }
}

/// A connection's real-time state as the Data Manager shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeInfo {
    /// `None` until an Auth Token was first set (no hook key yet).
    pub hook: Option<ConnectionHook>,
    /// The last events received, newest first (at most [`RECENT_EVENTS`]).
    pub recent: Vec<LiveEventSummary>,
}

impl RealtimeInfo {
    pub fn has_auth_token(&self) -> bool {
        self.hook.as_ref().is_some_and(|h| h.has_auth_token)
    }

    pub fn paths(&self) -> Option<CallbackPaths> {
        self.hook.as_ref().map(|h| CallbackPaths::of(&h.hook_key))
    }
}

/// Stores (`Some`) or removes (`None`) the connection's Auth Token for a caller of `role`; a new
/// token must be accepted by Twilio first (Basic Account SID + Auth Token on the Account
/// resource), else nothing is saved and the refusal says why. Returns the hook key.
pub async fn set_auth_token(
    store: &AnyStore,
    connector: &Connector,
    role: Role,
    id: ConnectionId,
    token: Option<AuthToken>,
    now_ms: i64,
) -> AppResult<String> {
    if role < LEAST_ROLE {
        return Err(AppError::Forbidden(LEAST_ROLE));
    }
    let conn = store.connection(id).await?;
    if let Some(token) = &token {
        let check = connector
            .check_auth_token(&conn.account_sid, token.secret())
            .await;
        if !check.is_accepted() {
            return Err(AppError::Refused {
                field: "auth_token",
                message: check.to_string(),
            });
        }
    }
    store
        .set_connection_auth_token(id, token.as_ref().map(AuthToken::secret), now_ms)
        .await
        .map_err(|e| match e {
            StoreError::SecretUnavailable(u) => AppError::Conflict(u.to_string()),
            other => other.into(),
        })
}

/// The connection's hook and its last events received.
pub async fn realtime_info(store: &AnyStore, id: ConnectionId) -> AppResult<RealtimeInfo> {
    store.connection(id).await?;
    let hook = store.connection_hook(id).await?;
    let recent = match &hook {
        Some(_) => store.recent_live_events(id, RECENT_EVENTS).await?,
        None => Vec::new(),
    };
    Ok(RealtimeInfo { hook, recent })
}

/// How far real-time values were from the polled truth over the last reconciled windows of a
/// metric, in its aggregation's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerSummary {
    /// Reconciled windows weighed.
    pub windows: usize,
    /// Provisional hours in them.
    pub hours: i64,
    /// What real time had shown, and what the poll found.
    pub provisional: f64,
    pub polled: f64,
    /// |provisional − polled| / |polled| in percent; `None` when the poll found 0 and real time
    /// did not (no ratio to give).
    pub gap_pct: Option<f64>,
}

impl LedgerSummary {
    /// The summary of `rows` (newest first, as the store gives them) for `aggregation`: sums
    /// for a sum (and for aggregations without a sum of their own), counts for a count, sum
    /// over count on each side for an average. `None` without rows.
    pub fn of(rows: &[LedgerRow], aggregation: Aggregation) -> Option<Self> {
        if rows.is_empty() {
            return None;
        }
        let sum = |f: fn(&LedgerRow) -> f64| rows.iter().map(f).sum::<f64>();
        let (provisional, polled) = match aggregation {
            Aggregation::Count => (
                sum(|r| r.provisional_count as f64),
                sum(|r| r.polled_count as f64),
            ),
            Aggregation::Average => (
                ratio(
                    sum(|r| r.provisional_sum),
                    sum(|r| r.provisional_count as f64),
                ),
                ratio(sum(|r| r.polled_sum), sum(|r| r.polled_count as f64)),
            ),
            _ => (sum(|r| r.provisional_sum), sum(|r| r.polled_sum)),
        };
        let gap = (provisional - polled).abs();
        let gap_pct = if polled != 0.0 {
            Some(gap / polled.abs() * 100.0)
        } else if gap == 0.0 {
            Some(0.0)
        } else {
            None
        };
        Some(Self {
            windows: rows.len(),
            hours: rows.iter().map(|r| r.hours).sum(),
            provisional,
            polled,
            gap_pct,
        })
    }
}

/// An average with no rows is 0 here: both sides had nothing, which is agreement.
fn ratio(sum: f64, count: f64) -> f64 {
    if count == 0.0 { 0.0 } else { sum / count }
}

/// The one wording of a ledger summary: "Real-time was within 0.4 % of the polled value over the
/// last 12 windows"; `None` says there is nothing reconciled yet.
pub fn ledger_sentence(summary: Option<&LedgerSummary>) -> String {
    let Some(s) = summary else {
        return "No reconciled windows yet: real-time values are compared with the polled ones once a poll covers their hours.".to_owned();
    };
    let over = if s.windows == 1 {
        "the last window".to_owned()
    } else {
        format!("the last {} windows", s.windows)
    };
    match s.gap_pct {
        Some(0.0) => format!("Real-time matched the polled value exactly over {over}."),
        // Rounded up: "within" is a bound, so 0.04 % reads "within 0.1 %", never "within 0.0 %".
        Some(g) => format!(
            "Real-time was within {} % of the polled value over {over}.",
            one_decimal_up(g)
        ),
        None => format!(
            "Real-time read {} where the poll found 0 over {over}.",
            trim_number(s.provisional)
        ),
    }
}

fn one_decimal_up(pct: f64) -> String {
    let up = (pct * 10.0).ceil() / 10.0;
    format!("{up:.1}")
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The summary of the metric's last [`LEDGER_WINDOWS`] reconciled windows, in its aggregation's
/// terms (a definition that does not read is summed).
pub async fn ledger_summary(
    store: &AnyStore,
    metric: MetricId,
) -> AppResult<Option<LedgerSummary>> {
    let m = store.metric(metric).await?;
    let aggregation = MetricDefinition::from_json(&m.definition)
        .map(|d| d.description.aggregation)
        .unwrap_or(Aggregation::Sum);
    let rows = store.realtime_ledger(metric, LEDGER_WINDOWS).await?;
    Ok(LedgerSummary::of(&rows, aggregation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_of_32_lowercase_hex_characters_parses_trimmed() {
        let t = AuthToken::parse(&Secret::new("  0123456789abcdef0123456789abcdef\n")).unwrap();
        assert_eq!(t.secret().expose(), "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn a_token_of_another_length_is_refused_with_its_length_and_not_its_text() {
        let e = AuthToken::parse(&Secret::new("abc123")).unwrap_err();
        assert_eq!(e, AuthTokenError::Length(6));
        assert!(!e.to_string().contains("abc123"));
    }

    #[test]
    fn an_uppercase_token_is_refused_in_words() {
        let e = AuthToken::parse(&Secret::new("0123456789ABCDEF0123456789abcdef")).unwrap_err();
        assert_eq!(e, AuthTokenError::Characters);
        assert!(e.to_string().contains("0-9 and a-f"));
    }

    #[test]
    fn an_empty_token_is_refused() {
        assert_eq!(
            AuthToken::parse(&Secret::new("  ")).unwrap_err(),
            AuthTokenError::Empty
        );
    }

    #[test]
    fn a_token_debugs_as_stars() {
        let t = AuthToken::parse(&Secret::new("0123456789abcdef0123456789abcdef")).unwrap();
        assert_eq!(format!("{t:?}"), "AuthToken(***)");
    }

    #[test]
    fn a_range_shows_provisional_hours_only_when_it_overlaps_their_span() {
        let span = Some((10, 20));
        assert!(shows_provisional(span, 0, 11));
        assert!(shows_provisional(span, 19, 30));
        assert!(
            !shows_provisional(span, 0, 10),
            "ends where the span starts"
        );
        assert!(
            !shows_provisional(span, 20, 30),
            "starts where the span ends"
        );
        assert!(!shows_provisional(None, 0, 30));
    }

    #[test]
    fn the_known_span_reaches_over_the_provisional_hours() {
        assert_eq!(with_live(Some((0, 10)), Some((10, 13))), Some((0, 13)));
        assert_eq!(with_live(None, Some((10, 13))), Some((10, 13)));
        assert_eq!(with_live(Some((0, 10)), None), Some((0, 10)));
        assert_eq!(with_live(None, None), None);
    }

    #[test]
    fn the_callback_paths_name_the_hook_key() {
        let p = CallbackPaths::of("k3y");
        assert_eq!(p.messages, "/hooks/twilio/k3y/messages");
        assert_eq!(p.calls, "/hooks/twilio/k3y/calls");
        assert_eq!(p.events, "/hooks/twilio/k3y/events");
    }
}
