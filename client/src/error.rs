//! The one error a client of the broker sees: `{code, message}`, the broker's own shape.
//! The broker's codes pass through unchanged, with what more it said (`details`); a
//! broker that does not answer becomes `broker_unreachable`, one that answers too
//! slowly `broker_timeout`. The desktop app sends this same value across IPC, so
//! messages the client writes itself speak of "the login server", as traders do.

use portcullis_api::{ErrorBody, ErrorReason, HintCode, WithdrawalUsage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: String,
    pub message: String,
    /// What more the broker said (`locked_until`, `hints`, `reason`, `tries_left`,
    /// `primary_username`, `withdrawals`); boxed, so that an `Error` stays small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<ErrorDetails>>,
}

/// The fields of a broker error beyond `code` and `message`; each only with the codes
/// that carry it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hints: Option<Vec<String>>,
    /// With `hints`: each hint's code, in the same order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint_codes: Option<Vec<HintCode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorReason>,
    /// `not_primary` (O3): the user who may change the security settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_username: Option<String>,
    /// `limit_exceeded` (D2): what the withdrawals used and what is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<WithdrawalUsage>,
}

impl Error {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Error {
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// Why, for the codes that say (`session_expired`, `login_failed`, …).
    pub fn reason(&self) -> Option<ErrorReason> {
        self.details.as_ref()?.reason
    }

    /// The login server refused the connection or it broke.
    pub fn broker_unreachable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "login server unreachable");
        Error::new(
            "broker_unreachable",
            "The login server cannot be reached. Portcullis keeps trying; choose Retry to try now.",
        )
    }

    /// The login server took longer than the client waits for any answer.
    pub fn broker_timeout(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "login server did not answer in time");
        Error::new(
            "broker_timeout",
            "The login server did not answer in time. Portcullis keeps trying; choose Retry to try now.",
        )
    }

    /// A failed HTTP exchange: a timeout is told apart from a broken connection.
    pub fn from_http(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Error::broker_timeout(e)
        } else {
            Error::broker_unreachable(e)
        }
    }

    /// Connection trouble, as opposed to an answer from the login server.
    pub fn is_connection(&self) -> bool {
        matches!(
            self.code.as_str(),
            "broker_unreachable" | "broker_timeout" | "broker_starting"
        )
    }

    /// A QA or demo control answered `not_found`: the broker runs without its QA
    /// controls. Says so with `message` (code `qa_disabled`); other errors pass.
    pub fn or_qa_disabled(self, message: &str) -> Self {
        match self.code.as_str() {
            "not_found" => Error::new("qa_disabled", message),
            _ => self,
        }
    }

    /// A broker's error answer; one that is not its `{code, message}` says the status.
    pub(crate) fn from_answer(status: reqwest::StatusCode, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(body) => {
                let details = ErrorDetails {
                    locked_until: body.locked_until,
                    hints: body.hints,
                    hint_codes: body.hint_codes,
                    tries_left: body.tries_left,
                    reason: body.reason,
                    primary_username: body.primary_username,
                    withdrawals: body.withdrawals,
                };
                Error {
                    code: body.code.as_str().to_owned(),
                    message: body.message,
                    details: (details != ErrorDetails::default()).then(|| Box::new(details)),
                }
            }
            // Not the contract's shape (an older broker, a proxy): what can be read.
            Err(_) => {
                #[derive(Deserialize)]
                struct Loose {
                    code: Option<String>,
                    message: Option<String>,
                }
                let loose = serde_json::from_slice::<Loose>(body).ok();
                let (code, message) = loose.map_or((None, None), |l| (l.code, l.message));
                Error::new(
                    code.as_deref().unwrap_or("broker_error"),
                    message.unwrap_or_else(|| format!("The login server answered {status}.")),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broker_error_keeps_its_code_and_details() {
        let body = br#"{"code":"session_expired","message":"Session expired","reason":"idle"}"#;
        let e = Error::from_answer(reqwest::StatusCode::UNAUTHORIZED, body);
        assert_eq!(e.code, "session_expired");
        assert_eq!(e.reason(), Some(ErrorReason::Idle));
        let ipc = serde_json::to_value(&e).unwrap();
        assert_eq!(ipc["details"], serde_json::json!({ "reason": "idle" }));
    }

    #[test]
    fn o3_d2_the_primary_user_and_what_is_left_pass_through() {
        let body = br#"{"code":"not_primary","message":"m","primary_username":"avery"}"#;
        let e = Error::from_answer(reqwest::StatusCode::FORBIDDEN, body);
        let ipc = serde_json::to_value(&e).unwrap();
        assert_eq!(
            ipc["details"],
            serde_json::json!({ "primary_username": "avery" })
        );

        let body = br#"{"code":"limit_exceeded","message":"m","reason":"per_day","withdrawals":{"per_day_used_usd":150000,"per_5_business_days_used_usd":150000,"left_today_usd":50000,"left_5_business_days_usd":450000}}"#;
        let e = Error::from_answer(reqwest::StatusCode::FORBIDDEN, body);
        let left = e.details.as_ref().and_then(|d| d.withdrawals.as_ref());
        assert_eq!(left.and_then(|w| w.left_today_usd), Some(50_000));
        let ipc = serde_json::to_value(&e).unwrap();
        assert_eq!(ipc["details"]["withdrawals"]["left_today_usd"], 50_000);
        assert_eq!(ipc["details"]["reason"], "per_day");
    }

    #[test]
    fn an_error_without_details_sends_none() {
        let body = br#"{"code":"invalid_credentials","message":"no"}"#;
        let e = Error::from_answer(reqwest::StatusCode::UNAUTHORIZED, body);
        assert_eq!(e.details, None);
        let ipc = serde_json::to_value(&e).unwrap();
        assert!(ipc.get("details").is_none(), "{ipc}");
    }

    #[test]
    fn hardening_connection_errors_speak_of_the_login_server() {
        for e in [
            Error::broker_unreachable("test"),
            Error::broker_timeout("test"),
        ] {
            assert!(e.is_connection());
            assert!(e.message.contains("login server"), "{}", e.message);
            assert!(!e.message.contains("broker"), "{}", e.message);
        }
    }
}
