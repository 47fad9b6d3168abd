//! The one error that crosses IPC: `{code, message}`, the same shape as the broker's.
//! The UI branches on `code`; the broker's own codes pass through unchanged. Messages
//! the app writes itself speak of "the login server", as traders do.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    /// Extra fields from the broker (`locked_until`, `hints`, `reason`), passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError {
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// A string field of the broker's extra details (`reason`, `locked_until`).
    pub fn detail(&self, field: &str) -> Option<&str> {
        self.details.as_ref()?.get(field)?.as_str()
    }

    /// The login server refused the connection or it broke.
    pub fn broker_unreachable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "login server unreachable");
        AppError::new(
            "broker_unreachable",
            "The login server cannot be reached. Portcullis keeps trying; choose Retry to try now.",
        )
    }

    /// The login server took longer than the app waits for any answer.
    pub fn broker_timeout(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "login server did not answer in time");
        AppError::new(
            "broker_timeout",
            "The login server did not answer in time. Portcullis keeps trying; choose Retry to try now.",
        )
    }

    /// A failed HTTP exchange: a timeout is told apart from a broken connection.
    pub fn from_http(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            AppError::broker_timeout(e)
        } else {
            AppError::broker_unreachable(e)
        }
    }

    /// Connection trouble, as opposed to an answer from the login server.
    pub fn is_connection(&self) -> bool {
        matches!(
            self.code.as_str(),
            "broker_unreachable" | "broker_timeout" | "broker_starting"
        )
    }

    pub fn keyring(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "keyring");
        AppError::new(
            "keyring_unavailable",
            "The desktop keyring is not available, so this cannot be stored.",
        )
    }
}

/// Item 3: what the push screen says when the phone's answer ended the push. The
/// broker's `code` (and `reason`) stay; the message says which of the three happened.
pub fn push_outcome(err: AppError) -> AppError {
    let message = match (err.code.as_str(), err.detail("reason")) {
        ("login_failed", Some("wrong_response")) => {
            "Login failed: the phone's response was wrong (a wrong PIN on the phone?). \
             Send again to try once more."
        }
        ("login_failed", Some("number_mismatch")) => {
            "Login failed: the wrong number was picked on the phone. Send again, and pick \
             the number shown here."
        }
        ("push_denied", _) => {
            "Login failed: the request was denied on the phone (\u{201c}I'm not logging \
             in\u{201d}). Send again if it was you."
        }
        _ => return err,
    };
    AppError {
        message: message.to_owned(),
        ..err
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_reason(code: &str, reason: &str) -> AppError {
        AppError {
            details: Some(json!({ "reason": reason, "hints": [] })),
            ..AppError::new(code, "Login failed")
        }
    }

    #[test]
    fn hardening_push_outcomes_say_which_happened() {
        let wrong = push_outcome(with_reason("login_failed", "wrong_response"));
        let number = push_outcome(with_reason("login_failed", "number_mismatch"));
        let denied = push_outcome(AppError::new("push_denied", "x"));
        assert!(
            wrong.message.contains("response was wrong"),
            "{}",
            wrong.message
        );
        assert!(
            number.message.contains("wrong number"),
            "{}",
            number.message
        );
        assert!(
            denied.message.contains("denied on the phone"),
            "{}",
            denied.message
        );
        assert_eq!(wrong.code, "login_failed", "the code is the broker's");
        assert_eq!(wrong.detail("reason"), Some("wrong_response"));
        let other = push_outcome(AppError::new("push_expired", "as is"));
        assert_eq!(other.message, "as is");
    }

    #[test]
    fn hardening_connection_errors_speak_of_the_login_server() {
        for e in [
            AppError::broker_unreachable("test"),
            AppError::broker_timeout("test"),
        ] {
            assert!(e.is_connection());
            assert!(e.message.contains("login server"), "{}", e.message);
            assert!(!e.message.contains("broker"), "{}", e.message);
        }
    }
}
