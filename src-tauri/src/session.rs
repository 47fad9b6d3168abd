//! The trading session the app holds: its token (kept here, never handed to a web
//! view), the main window's commands, and how a session ends without the trader
//! logging out (issue 6, item 5). The broker answers `session_expired` (with `reason`
//! `idle` or `daily_end`) or `invalid_session` (a reset, a logout elsewhere); the main
//! window then closes and the login window says why. This is the one place that says it.

use crate::error::{self, AppError};
use crate::link::Line;
use crate::windows;
use portcullis_api::{ErrorReason, SessionInfo};
use serde::Serialize;
use std::sync::{Mutex, MutexGuard};
use tauri::{AppHandle, Manager, State};

/// The session's token, and why the last one ended by itself.
#[derive(Default)]
pub struct Session {
    token: Mutex<Option<String>>,
    /// Why the last session ended by itself, for the login window to say once.
    end: Mutex<Option<SessionEnd>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// A login succeeded: this is its token.
    pub fn open(&self, token: String) {
        *lock(&self.token) = Some(token);
    }

    pub fn is_open(&self) -> bool {
        lock(&self.token).is_some()
    }

    fn token(&self) -> Result<String, AppError> {
        lock(&self.token)
            .clone()
            .ok_or_else(|| AppError::new("invalid_session", "You are not logged in."))
    }

    fn close(&self) -> Option<String> {
        lock(&self.token).take()
    }
}

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
        match (err.code.as_str(), err.reason()) {
            ("session_expired", Some(ErrorReason::DailyEnd)) => Some(SessionEnd {
                reason: "daily_end",
                message: "Your session ended at the daily session end. Log in again to continue.",
            }),
            ("session_expired", Some(ErrorReason::Idle)) => Some(SessionEnd {
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

/// If `err` means the session is over: forget it, close the main window, show the
/// login window with the reason. Passes the error on either way.
fn session_over(app: &AppHandle, err: AppError) -> AppError {
    if let Some(end) = SessionEnd::from_error(&err) {
        tracing::info!(reason = end.reason, "session ended");
        let session = app.state::<Session>();
        *lock(&session.end) = Some(end);
        // The token goes first: closing the main window while logged in ends the app.
        session.close();
        windows::close_main(app);
        windows::show_login(app);
    }
    err
}

/// The main window's check (not activity). A session the broker ended takes the
/// trader back to the login window, which says why.
#[tauri::command]
pub async fn current_session(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SessionInfo, AppError> {
    let token = session.token()?;
    let answer = line.client()?.session(&token).await;
    answer.map_err(|e| session_over(&app, e))
}

/// The trader is active (the main window throttles these).
#[tauri::command]
pub async fn session_keepalive(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SessionInfo, AppError> {
    let token = session.token()?;
    let answer = line.client()?.keepalive(&token).await;
    answer.map_err(|e| session_over(&app, e))
}

/// Why the last session ended by itself (once), for the login window.
#[tauri::command]
pub fn take_session_end(session: State<'_, Session>) -> Option<SessionEnd> {
    lock(&session.end).take()
}

#[tauri::command]
pub async fn logout(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<(), AppError> {
    if let Some(token) = session.close() {
        // The window closes either way; a broker that is gone has no session to end.
        if let Err(e) = line.client()?.logout(&token).await {
            tracing::warn!(code = %e.code, "logout");
        }
    }
    if let Some(main) = app.get_webview_window("main") {
        main.destroy().map_err(error::window)?;
    }
    windows::show_login(&app);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_client::ErrorDetails;

    fn broker(code: &str, reason: ErrorReason) -> AppError {
        AppError {
            details: Some(ErrorDetails {
                reason: Some(reason),
                ..ErrorDetails::default()
            }),
            ..AppError::new(code, "from the broker")
        }
    }

    #[test]
    fn hardening_session_end_says_idle_or_daily_end() {
        let idle = SessionEnd::from_error(&broker("session_expired", ErrorReason::Idle));
        assert_eq!(idle.map(|e| e.reason), Some("idle"));
        let daily = SessionEnd::from_error(&broker("session_expired", ErrorReason::DailyEnd));
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
