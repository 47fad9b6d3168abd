//! The one error that crosses IPC: `{code, message}` (and the broker's `details`), the
//! same shape as the broker's — it is the client's [`portcullis_client::Error`]. The
//! UI branches on `code`; the broker's own codes pass through unchanged. Messages the
//! app writes itself speak of "the login server", as traders do.

use portcullis_api::ErrorReason;
pub use portcullis_client::Error as AppError;

/// The desktop keyring could not be used.
pub fn keyring(cause: impl std::fmt::Display) -> AppError {
    tracing::warn!(%cause, "keyring");
    AppError::new(
        "keyring_unavailable",
        "The desktop keyring is not available, so this cannot be stored.",
    )
}

/// A window could not be opened or closed.
pub fn window(cause: impl std::fmt::Display) -> AppError {
    AppError::new("window", cause.to_string())
}

/// Item 3: what the push screen says when the phone's answer ended the push. The
/// broker's `code` (and `reason`) stay; the message says which of the three happened.
pub fn push_outcome(err: AppError) -> AppError {
    let message = match (err.code.as_str(), err.reason()) {
        ("login_failed", Some(ErrorReason::WrongResponse)) => {
            "Login failed: the phone's response was wrong (a wrong PIN on the phone?). \
             Send again to try once more."
        }
        ("login_failed", Some(ErrorReason::NumberMismatch)) => {
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
    use portcullis_client::ErrorDetails;

    fn with_reason(code: &str, reason: ErrorReason) -> AppError {
        AppError {
            details: Some(Box::new(ErrorDetails {
                reason: Some(reason),
                hints: Some(vec![]),
                ..ErrorDetails::default()
            })),
            ..AppError::new(code, "Login failed")
        }
    }

    #[test]
    fn hardening_push_outcomes_say_which_happened() {
        let wrong = push_outcome(with_reason("login_failed", ErrorReason::WrongResponse));
        let number = push_outcome(with_reason("login_failed", ErrorReason::NumberMismatch));
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
        assert_eq!(wrong.reason(), Some(ErrorReason::WrongResponse));
        let other = push_outcome(AppError::new("push_expired", "as is"));
        assert_eq!(other.message, "as is");
    }
}
