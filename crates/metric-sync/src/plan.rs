//! Which UTC windows a sync fetches.
//!
//! A window is `[from, to)` on whole UTC hours, so that its buckets can be replaced as a whole.
//! Windows start on multiples of [`SyncConfig::window`] (whole days by default) and the last one
//! ends at the first whole hour after now. The first sync of a metric backfills
//! [`SyncConfig::backfill`], never earlier than the endpoint keeps ([`crate::retention_of`]);
//! each later sync starts [`SyncConfig::lookback`] before the end of the last good one.

use serde::{Deserialize, Serialize};
use twilio_request::RequestSpec;

use crate::config::{HOUR_MS, SyncConfig, duration_ms, hour_ceil, hour_floor};
use crate::retention::retention_of;

/// A UTC window `[from_ms, to_ms)` on whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Span {
    pub fn contains(&self, ms: i64) -> bool {
        self.from_ms <= ms && ms < self.to_ms
    }

    pub fn hours(&self) -> i64 {
        (self.to_ms - self.from_ms) / HOUR_MS
    }

    /// The two halves, split on a whole hour; `None` for a single hour.
    pub fn halves(&self) -> Option<(Span, Span)> {
        let hours = self.hours();
        if hours < 2 {
            return None;
        }
        let mid = self.from_ms + (hours / 2) * HOUR_MS;
        Some((
            Span {
                from_ms: self.from_ms,
                to_ms: mid,
            },
            Span {
                from_ms: mid,
                to_ms: self.to_ms,
            },
        ))
    }

    pub(crate) fn window(&self) -> Option<twilio_request::Window> {
        let from = jiff::Timestamp::from_millisecond(self.from_ms).ok()?;
        let to = jiff::Timestamp::from_millisecond(self.to_ms).ok()?;
        twilio_request::Window::new(from, to).ok()
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
        };
        write!(f, "[{}, {})", show(self.from_ms), show(self.to_ms))
    }
}

/// How a metric's request is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// The request has date tokens: one fetch per window, split when a window hits the page cap.
    Windowed,
    /// No date tokens: one fetch; its dated rows are kept inside the planned range.
    Whole,
    /// No date tokens and rows dated at the sync time (a balance): one point per run.
    Snapshot,
}

/// The windows of one sync of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub shape: Shape,
    /// Everything the sync covers; its buckets are replaced window by window.
    pub range: Span,
    pub windows: Vec<Span>,
}

/// Whether any part of the request carries a `{{date_from}}`/`{{date_to}}` token.
pub fn has_date_tokens(spec: &RequestSpec) -> bool {
    twilio_request::has_tokens(&spec.path)
        || spec
            .params
            .iter()
            .any(|p| twilio_request::has_tokens(&p.value))
        || spec
            .headers
            .iter()
            .any(|h| twilio_request::has_tokens(&h.value))
}

/// Where the sync starts: the manual `from`, else the last good sync's end minus the look-back,
/// else the backfill; aligned down to a window boundary, and never before the endpoint's
/// retention.
pub fn plan(
    spec: &RequestSpec,
    uses_sync_time: bool,
    last_good_to_ms: Option<i64>,
    now_ms: i64,
    config: &SyncConfig,
) -> Plan {
    let start = match last_good_to_ms {
        Some(to) => to.min(now_ms) - duration_ms(config.lookback),
        None => now_ms - duration_ms(config.backfill),
    };
    let window_ms = config.window_ms();
    let mut from = start.div_euclid(window_ms) * window_ms;
    if let Some(kept) = retention_of(spec) {
        from = from.max(hour_ceil(now_ms - duration_ms(kept)));
    }
    plan_range(spec, uses_sync_time, from, now_ms, now_ms, config)
}

/// The plan for an explicit range (`switchboard sync METRIC --from --to`), widened to whole hours.
pub fn plan_range(
    spec: &RequestSpec,
    uses_sync_time: bool,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
    config: &SyncConfig,
) -> Plan {
    if !has_date_tokens(spec) && uses_sync_time {
        let hour = hour_floor(now_ms);
        let range = Span {
            from_ms: hour,
            to_ms: hour + HOUR_MS,
        };
        return Plan {
            shape: Shape::Snapshot,
            range,
            windows: vec![range],
        };
    }
    let to = hour_ceil(to_ms.max(from_ms + 1));
    let from = hour_floor(from_ms).min(to - HOUR_MS);
    let range = Span {
        from_ms: from,
        to_ms: to,
    };
    if !has_date_tokens(spec) {
        return Plan {
            shape: Shape::Whole,
            range,
            windows: vec![range],
        };
    }
    let window_ms = config.window_ms();
    let mut windows = Vec::new();
    let mut at = from;
    while at < to {
        let next = ((at.div_euclid(window_ms) + 1) * window_ms).min(to);
        windows.push(Span {
            from_ms: at,
            to_ms: next,
        });
        at = next;
    }
    Plan {
        shape: Shape::Windowed,
        range,
        windows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DAY_MS;
    use twilio_request::Param;

    fn messages() -> RequestSpec {
        RequestSpec {
            host: "api.twilio.com".into(),
            path: "/2010-04-01/Accounts/{AccountSid}/Messages.json".into(),
            params: vec![Param {
                key: "DateSent>".into(),
                value: "{{date_from|iso}}".into(),
            }],
            headers: vec![],
            pagination: Default::default(),
        }
    }

    fn balance() -> RequestSpec {
        RequestSpec {
            host: "api.twilio.com".into(),
            path: "/2010-04-01/Accounts/{AccountSid}/Balance.json".into(),
            params: vec![],
            headers: vec![],
            pagination: Default::default(),
        }
    }

    const NOW: i64 = 1_000 * DAY_MS + 5 * HOUR_MS + 1234;

    #[test]
    fn the_first_sync_backfills_whole_days_up_to_the_next_hour() {
        let p = plan(&messages(), false, None, NOW, &SyncConfig::default());
        assert_eq!(p.shape, Shape::Windowed);
        assert_eq!(p.range.from_ms, 910 * DAY_MS);
        assert_eq!(p.range.to_ms, 1_000 * DAY_MS + 6 * HOUR_MS);
        assert_eq!(p.windows.len(), 91);
        assert!(p.windows.windows(2).all(|w| w[0].to_ms == w[1].from_ms));
        assert_eq!(p.windows[90].hours(), 6);
    }

    #[test]
    fn a_later_sync_starts_the_lookback_before_the_last_good_end() {
        let last = 999 * DAY_MS + 7 * HOUR_MS;
        let p = plan(&messages(), false, Some(last), NOW, &SyncConfig::default());
        assert_eq!(p.range.from_ms, 997 * DAY_MS);
        assert_eq!(p.windows.len(), 4);
    }

    #[test]
    fn the_backfill_never_reaches_past_the_retention() {
        let config = SyncConfig {
            backfill: std::time::Duration::from_secs(800 * 86_400),
            ..SyncConfig::default()
        };
        let p = plan(&messages(), false, None, NOW, &config);
        assert_eq!(p.range.from_ms, hour_ceil(NOW - 400 * DAY_MS));
        assert_eq!(p.range.from_ms % HOUR_MS, 0);
    }

    #[test]
    fn a_request_without_tokens_is_one_fetch_or_a_snapshot() {
        let p = plan(&balance(), true, None, NOW, &SyncConfig::default());
        assert_eq!(p.shape, Shape::Snapshot);
        assert_eq!(
            p.windows,
            vec![Span {
                from_ms: 1_000 * DAY_MS + 5 * HOUR_MS,
                to_ms: 1_000 * DAY_MS + 6 * HOUR_MS
            }]
        );
        let p = plan(&balance(), false, None, NOW, &SyncConfig::default());
        assert_eq!(p.shape, Shape::Whole);
        assert_eq!(p.windows.len(), 1);
    }

    #[test]
    fn halves_split_on_whole_hours() {
        let s = Span {
            from_ms: 0,
            to_ms: 5 * HOUR_MS,
        };
        let (a, b) = s.halves().unwrap();
        assert_eq!(
            (a.to_ms, b.from_ms, b.to_ms),
            (2 * HOUR_MS, 2 * HOUR_MS, 5 * HOUR_MS)
        );
        assert!(
            Span {
                from_ms: 0,
                to_ms: HOUR_MS
            }
            .halves()
            .is_none()
        );
    }
}
