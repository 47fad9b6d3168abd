//! How a trading session ends without the trader logging out (issue 6, item 5): the
//! broker answers `session_expired` (with `reason` `idle` or `daily_end`) or
//! `invalid_session` (a reset, a logout elsewhere). The main window then closes and
//! the login window says why; this is the one place that says it.

use crate::error::AppError;
use serde::Serialize;

/// Shown in the login window's `session-ended` box; `reason` is its `data-reason`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionEnd {
    pub reason: &'static str,
    pub message: &'static str,
}

impl SessionEnd {
    /// The end a broker error means, or None when the session may still be alive
    /// (a lost connection ends nothing).
    pub fn from_error(err: &AppError) -> Option<SessionEnd> {
        match (err.code.as_str(), err.detail("reason")) {
            ("session_expired", Some("daily_end")) => Some(SessionEnd {
                reason: "daily_end",
                message: "Your session ended at the daily session end. Log in again to continue.",
            }),
            ("session_expired", Some("idle")) => Some(SessionEnd {
                reason: "idle",
                message:
                    "You were logged out after a period without activity. Log in again to continue.",
            }),
            ("session_expired", _) | ("invalid_session", _) => Some(SessionEnd {
                reason: "ended",
                message: "Your session was ended by the login server. Log in again to continue.",
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn broker(code: &str, details: serde_json::Value) -> AppError {
        AppError {
            details: Some(details),
            ..AppError::new(code, "from the broker")
        }
    }

    #[test]
    fn hardening_session_end_says_idle_or_daily_end() {
        let idle = SessionEnd::from_error(&broker("session_expired", json!({"reason": "idle"})));
        assert_eq!(idle.map(|e| e.reason), Some("idle"));
        let daily =
            SessionEnd::from_error(&broker("session_expired", json!({"reason": "daily_end"})));
        assert_eq!(daily.map(|e| e.reason), Some("daily_end"));
        let gone = SessionEnd::from_error(&AppError::new("invalid_session", "x"));
        assert_eq!(gone.map(|e| e.reason), Some("ended"));
    }

    #[test]
    fn hardening_a_lost_connection_does_not_end_the_session() {
        assert_eq!(
            SessionEnd::from_error(&AppError::broker_unreachable("test")),
            None
        );
        assert_eq!(
            SessionEnd::from_error(&AppError::broker_timeout("test")),
            None
        );
    }
}
