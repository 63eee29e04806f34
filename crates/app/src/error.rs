//! What an operation can answer instead of its result. Each surface shows it its own way (the
//! web as a status and a page or JSON body, the CLI as a message); the words are the same.

use crate::accounts::{AccountsError, Role};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input breaks a rule; `field` names the input, `message` says how to fix it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// What the operation is about does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The operation would clash with what is stored; the message names what blocks it.
    #[error("{0}")]
    Conflict(String),
    /// The caller's role does not allow it.
    #[error("your role cannot do this: it needs the {} role", .0.label())]
    Forbidden(Role),
    /// Twilio refused the credentials given in `field`; the message is Twilio's answer in words.
    #[error("{message}")]
    Refused {
        field: &'static str,
        message: String,
    },
    /// Heavy work refused because as much is already under way; try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A failure that is not the caller's to fix; the surfaces log it rather than show it.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            message: message.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
