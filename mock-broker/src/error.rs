//! The broker's errors: a stable code a client branches on, and the message a person
//! reads (the articles' own words where they have them). Internal causes stay in the
//! log; the HTTP status for each code is chosen in one place, `server::status_of`.

use crate::rules::{Timestamp, LOCKOUT_THRESHOLD};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// L3.
    #[error("bad character in username")]
    BadCharacter,
    /// L2: unknown username and wrong password alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// L4/L5.
    #[error("locked until {until:?}")]
    Locked { until: Timestamp },
    /// L6.
    #[error("second factor wrong")]
    LoginFailed,
    /// C4.
    #[error("challenge expired")]
    ChallengeExpired,
    /// C4: a challenge answered already, cancelled, or never issued.
    #[error("no pending login for that ticket")]
    NoPendingLogin,
    #[error("no live session for that token")]
    InvalidSession,
    #[error("not found: {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BrokerError {
    pub fn code(&self) -> &'static str {
        match self {
            BrokerError::MissingField(_) => "missing_field",
            BrokerError::BadRequest(_) => "bad_request",
            BrokerError::BadCharacter => "bad_character",
            BrokerError::InvalidCredentials => "invalid_credentials",
            BrokerError::Locked { .. } => "locked",
            BrokerError::LoginFailed => "login_failed",
            BrokerError::ChallengeExpired => "challenge_expired",
            BrokerError::NoPendingLogin => "no_pending_login",
            BrokerError::InvalidSession => "invalid_session",
            BrokerError::NotFound(_) => "not_found",
            BrokerError::Store(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            BrokerError::MissingField(field) => format!("The field \"{field}\" is required."),
            BrokerError::BadRequest(why) => why.clone(),
            BrokerError::BadCharacter => "BAD CHARACTER".into(),
            BrokerError::InvalidCredentials => "Invalid user name password combination".into(),
            BrokerError::Locked { until } => format!(
                "This user name is locked after {LOCKOUT_THRESHOLD} consecutive failed login attempts. \
                 It unlocks at {}, 24 hours after the last unsuccessful attempt. \
                 Client Services can help: call your regional Client Services Center.",
                until.human()
            ),
            BrokerError::LoginFailed => "Login failed".into(),
            BrokerError::ChallengeExpired => {
                "The challenge has expired. Please log in again.".into()
            }
            BrokerError::NoPendingLogin => {
                "This login is no longer waiting for a response. Please log in again.".into()
            }
            BrokerError::InvalidSession => "Your session has ended. Please log in again.".into(),
            BrokerError::NotFound(what) => format!("Not found: {what}"),
            BrokerError::Store(_) => "The broker could not complete the request.".into(),
        }
    }
}
