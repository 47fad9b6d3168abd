//! The one error that crosses IPC: `{code, message}`, the same shape as the broker's.
//! The UI branches on `code`; the broker's own codes pass through unchanged.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    /// Extra fields from the broker (`locked_until`, `hints`), passed through.
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

    pub fn broker_unreachable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "broker unreachable");
        AppError::new(
            "broker_unreachable",
            "The broker cannot be reached. Check that it is running, then Retry.",
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
