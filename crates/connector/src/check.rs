//! Checking a connection against Twilio before it is saved.

use crate::client::{Basic, Connector, Counters};
use crate::credentials::Credentials;
use crate::error::{HttpError, TwilioError};
use domain::{AccountSid, Secret};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyType {
    /// May read everything, the Account resource included.
    Main,
    /// May read everything but the Account and Key resources.
    Standard,
}

/// The outcome of [`Connector::check`], meant to be shown to the user as is (`Display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ConnectionCheck {
    Connected {
        key_type: KeyType,
        /// Known only with a Main key.
        account_name: Option<String>,
        account_status: Option<String>,
    },
    /// Twilio answered and refused.
    Refused {
        status: u16,
        code: Option<i64>,
        message: Option<String>,
        more_info: Option<String>,
        advice: String,
    },
    /// Twilio could not be reached, or kept failing.
    Unreachable { reason: String },
}

impl ConnectionCheck {
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

impl fmt::Display for ConnectionCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected { key_type: KeyType::Main, account_name, account_status } => write!(
                f,
                "connected with a Main key: account {:?}, status {}",
                account_name.as_deref().unwrap_or("(unnamed)"),
                account_status.as_deref().unwrap_or("unknown")
            ),
            Self::Connected { key_type: KeyType::Standard, .. } => f.write_str(
                "connected with a Standard key (it cannot read the Account resource, so the account name and status are not shown)",
            ),
            Self::Refused { status, code, message, advice, .. } => {
                write!(f, "Twilio refused the connection (HTTP {status}")?;
                if let Some(code) = code {
                    write!(f, ", code {code}")?;
                }
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
                write!(f, "): {advice}")
            }
            Self::Unreachable { reason } => write!(f, "could not reach Twilio ({reason}); retry later"),
        }
    }
}

fn refused(error: &HttpError) -> ConnectionCheck {
    let Some(status) = error.status() else {
        return ConnectionCheck::Unreachable {
            reason: error.to_string(),
        };
    };
    let twilio = error.twilio().cloned().unwrap_or(TwilioError {
        code: None,
        message: None,
        more_info: None,
        status: None,
    });
    let advice = match status {
        401 => {
            "the API Key SID or secret is wrong, or the key belongs to another account; check them in the Twilio Console"
        }
        403 => {
            "the key may not read this account's balance; use a Main or Standard key of this account"
        }
        404 => "there is no such account; check the Account SID",
        429 | 500..=599 => "Twilio is busy or failing; retry later",
        _ => "Twilio did not accept the request",
    };
    ConnectionCheck::Refused {
        status,
        code: twilio.code,
        message: twilio.message.map(|m| crate::error::clean(&m)),
        more_info: twilio.more_info.map(|m| crate::error::clean(&m)),
        advice: advice.to_owned(),
    }
}

impl Connector {
    /// Checks credentials with two cheap reads: the Balance (any key type may read it), then the
    /// Account (only a Main key may), which tells the key type and gives the account's name and
    /// status.
    pub async fn check(&self, creds: &Credentials) -> ConnectionCheck {
        let counters = Counters::default();
        let sid = creds.account_sid.as_str();
        let balance = format!("/2010-04-01/Accounts/{sid}/Balance.json");
        if let Err(failed) = self
            .get(creds, "api.twilio.com", &balance, &[], &counters)
            .await
        {
            return refused(&failed.error);
        }
        let account = format!("/2010-04-01/Accounts/{sid}.json");
        match self
            .get(creds, "api.twilio.com", &account, &[], &counters)
            .await
        {
            Ok(body) => {
                // The Account resource carries the Auth Token: redacted like every page, though
                // only the name and status are read, so no later use of `value` can leak it.
                let mut value: serde_json::Value =
                    serde_json::from_slice(&body.bytes).unwrap_or_default();
                crate::redact::redact_credentials(&mut value);
                let text = |key: &str| {
                    value
                        .get(key)
                        .and_then(|v| v.as_str())
                        .map(crate::error::clean)
                };
                ConnectionCheck::Connected {
                    key_type: KeyType::Main,
                    account_name: text("friendly_name"),
                    account_status: text("status"),
                }
            }
            Err(failed) if matches!(failed.error.status(), Some(401 | 403)) => {
                ConnectionCheck::Connected {
                    key_type: KeyType::Standard,
                    account_name: None,
                    account_status: None,
                }
            }
            Err(failed) => refused(&failed.error),
        }
    }
}

/// The outcome of [`Connector::check_auth_token`], meant to be shown as is (`Display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AuthTokenCheck {
    /// Twilio accepted the Account SID and Auth Token as Basic credentials.
    Accepted,
    /// Twilio answered and refused.
    Refused {
        status: u16,
        code: Option<i64>,
        message: Option<String>,
        advice: String,
    },
    /// Twilio could not be reached, or kept failing: the token is not known to be good.
    Unreachable { reason: String },
}

impl AuthTokenCheck {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted)
    }
}

impl fmt::Display for AuthTokenCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted => f.write_str("Twilio accepted the Auth Token for this account"),
            Self::Refused {
                status,
                code,
                message,
                advice,
            } => {
                write!(f, "Twilio refused the Auth Token (HTTP {status}")?;
                if let Some(code) = code {
                    write!(f, ", code {code}")?;
                }
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
                write!(f, "): {advice}")
            }
            Self::Unreachable { reason } => write!(
                f,
                "could not reach Twilio to check the Auth Token ({reason}); retry later"
            ),
        }
    }
}

fn token_refused(error: &HttpError) -> AuthTokenCheck {
    let Some(status) = error.status() else {
        return AuthTokenCheck::Unreachable {
            reason: error.to_string(),
        };
    };
    let twilio = error.twilio();
    let advice = match status {
        401 | 403 => {
            "the Auth Token is wrong, was rotated, or belongs to another account; copy this account's primary Auth Token from the Twilio Console (Account › API keys & tokens)"
        }
        404 => "there is no such account; check the connection's Account SID",
        429 | 500..=599 => "Twilio is busy or failing; retry later",
        _ => "Twilio did not accept the request",
    };
    AuthTokenCheck::Refused {
        status,
        code: twilio.and_then(|t| t.code),
        message: twilio
            .and_then(|t| t.message.as_deref())
            .map(crate::error::clean),
        advice: advice.to_owned(),
    }
}

impl Connector {
    /// Checks an account's Auth Token as Twilio takes it: HTTP Basic with the Account SID as the
    /// user, on the Account resource. The answer carries the Auth Token itself, so its body is
    /// dropped unread.
    pub async fn check_auth_token(
        &self,
        account_sid: &AccountSid,
        auth_token: &Secret,
    ) -> AuthTokenCheck {
        let counters = Counters::default();
        let sid = account_sid.as_str();
        let account = format!("/2010-04-01/Accounts/{sid}.json");
        let basic = Basic {
            user: sid,
            password: auth_token.expose(),
        };
        match self
            .get_as(
                basic,
                account_sid,
                "api.twilio.com",
                &account,
                &[],
                &counters,
            )
            .await
        {
            Ok(_) => AuthTokenCheck::Accepted,
            Err(failed) => token_refused(&failed.error),
        }
    }
}
