//! A connection's credentials, each part checked for form before any request.

use domain::{AccountSid, ApiKeySid, Secret, SidError};
use thiserror::Error;

/// An Account SID, an API Key SID and the key's secret. `Debug` shows the SIDs and `***`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_sid: AccountSid,
    pub api_key_sid: ApiKeySid,
    pub secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Sid(#[from] SidError),
    #[error("API Key Secret is empty: paste the secret shown when the key was created")]
    EmptySecret,
    #[error("API Key Secret must be printable ASCII on one line (it is sent in an HTTP header)")]
    BadSecret,
}

impl Credentials {
    /// Checks each field for form; the error names the field.
    pub fn parse(
        account_sid: &str,
        api_key_sid: &str,
        secret: Secret,
    ) -> Result<Self, CredentialsError> {
        let account_sid = AccountSid::parse(account_sid)?;
        let api_key_sid = ApiKeySid::parse(api_key_sid)?;
        let text = secret.expose().trim();
        if text.is_empty() {
            return Err(CredentialsError::EmptySecret);
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialsError::BadSecret);
        }
        let secret = if text.len() == secret.expose().len() {
            secret
        } else {
            Secret::new(text)
        };
        Ok(Self {
            account_sid,
            api_key_sid,
            secret,
        })
    }
}
