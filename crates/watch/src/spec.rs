//! The documents the store keeps for goals, alerts, scorecards and channels: what a user
//! configured, as types. The metric they are about is the store's foreign key, not part of them.

use std::fmt;

use jiff::tz::TimeZone;
use metric::{Aggregation, Trend};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WatchError;
use crate::alert::{AlertRule, BuiltinAlert};
use crate::goal::Goal;
use crate::schedule::Schedule;
use crate::scorecard::{Baseline, MAX_METRICS};
use crate::unusual::UnusualRule;

/// An IANA time zone, kept by name (a `TimeZone` does not serialize) and checked on the way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    pub fn parse(name: &str) -> Result<Zone, WatchError> {
        let name = name.trim();
        let tz = TimeZone::get(name)
            .map_err(|_| WatchError::Invalid(format!("'{name}' is not an IANA time zone")))?;
        Ok(Zone {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Zone, D::Error> {
        let name = String::deserialize(d)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// A goal as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalSpec {
    pub goal: Goal,
    pub aggregation: Aggregation,
    /// Only this dimension value counts; none means all rows.
    #[serde(default)]
    pub dimension: Option<String>,
    pub zone: Zone,
    /// A metric over several accounts: only these accounts (SIDs) count; none: every account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
}

/// A chosen list of accounts: at least one SID, each well formed, none twice.
fn check_accounts(accounts: Option<&Vec<String>>) -> Result<(), WatchError> {
    let Some(sids) = accounts else {
        return Ok(());
    };
    metric::accounts::AccountScope::List(sids.clone())
        .check()
        .map_err(|e| WatchError::Invalid(format!("accounts: {e}")))
}

impl GoalSpec {
    pub fn validate(&self) -> Result<(), WatchError> {
        if !self.goal.target.is_finite() {
            return Err(WatchError::Invalid("the target must be a number".into()));
        }
        check_accounts(self.accounts.as_ref())?;
        self.goal.period.validate()
    }
}

/// What an alert watches: a metric's values against a rule, its values against their own
/// rhythm, or the health of its syncing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "watch", rename_all = "snake_case")]
pub enum AlertSpec {
    Value {
        rule: AlertRule,
        zone: Zone,
    },
    Unusual {
        rule: UnusualRule,
        /// Where the hours in its messages are told; the model itself works in UTC hours.
        #[serde(default = "Zone::utc")]
        zone: Zone,
    },
    Sync {
        builtin: BuiltinAlert,
    },
}

impl AlertSpec {
    pub fn validate(&self) -> Result<(), WatchError> {
        match self {
            AlertSpec::Value { rule, .. } => {
                if rule.cooldown.is_negative() {
                    return Err(WatchError::Invalid(
                        "the cool-down must not be negative".into(),
                    ));
                }
                check_accounts(rule.accounts.as_ref())?;
                rule.condition.validate()
            }
            AlertSpec::Unusual { rule, .. } => rule.validate(),
            AlertSpec::Sync {
                builtin: BuiltinAlert::Stale { after_ms },
            } if *after_ms <= 0 => Err(WatchError::Invalid(
                "staleness must be a positive duration".into(),
            )),
            AlertSpec::Sync { .. } => Ok(()),
        }
    }
}

/// One metric of a scorecard. The metric id is the store's; `trend` is the metric's favourable
/// direction as the user sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardMetric {
    pub metric_id: i64,
    pub aggregation: Aggregation,
    pub baseline: Baseline,
    pub trend: Trend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardSpec {
    pub schedule: Schedule,
    pub zone: Zone,
    pub metrics: Vec<ScorecardMetric>,
}

impl ScorecardSpec {
    pub fn validate(&self) -> Result<(), WatchError> {
        if self.metrics.is_empty() || self.metrics.len() > MAX_METRICS {
            return Err(WatchError::Invalid(format!(
                "a scorecard holds 1 to {MAX_METRICS} metrics"
            )));
        }
        self.schedule.validate()
    }
}

/// How an email channel talks to its SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// No encryption at all. Only for a relay on the same machine or a test server; the form
    /// says so, and credentials are refused with it.
    None,
}

/// Where a channel delivers, without its secret (the SMTP password, the Slack webhook URL, which
/// carries its own token, or the webhook signing key), which the store seals apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelConfig {
    Email {
        host: String,
        port: u16,
        tls: SmtpTls,
        #[serde(default)]
        username: Option<String>,
        from: String,
        to: Vec<String>,
    },
    Slack,
    Webhook {
        url: String,
    },
}

impl ChannelConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelConfig::Email { .. } => "email",
            ChannelConfig::Slack => "slack",
            ChannelConfig::Webhook { .. } => "webhook",
        }
    }
}
