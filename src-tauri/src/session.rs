//! The trading session the app holds: its token (kept here, never handed to a web
//! view), the main window's commands, and how a session ends without the trader
//! logging out (issue 6, item 5). The broker answers `session_expired` (with `reason`
//! `idle`, `daily_end`, or `device_ended` when the temporary device it came through
//! stopped, T4) or `invalid_session` (a reset, a logout elsewhere); the main window then
//! closes and the login window says why. This is the one place that says it; the main
//! window's other commands (`account`) send their errors through [`session_over`] too.

use crate::account::PrintableCard;
use crate::error::{self, AppError};
use crate::link::Line;
use crate::windows;
use portcullis_api::{ErrorReason, SessionInfo};
use portcullis_client::BrokerClient;
use serde::Serialize;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use tauri::{AppHandle, Manager, State};

/// The session's token, the online card it was offered, and why the last one ended by
/// itself.
#[derive(Default)]
pub struct Session {
    token: Mutex<Option<String>>,
    /// T3: the online card offered in this session, to save (`account`).
    card: Mutex<Option<PrintableCard>>,
    /// Why the last session ended by itself, for the login window to say once.
    end: Mutex<Option<SessionEnd>>,
    /// Sessions opened since the app started (kiosk: has a visitor logged in since
    /// the last reset?).
    opened: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// A login succeeded: this is its token.
    pub fn open(&self, token: String) {
        *lock(&self.token) = Some(token);
        lock(&self.card).take();
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many sessions have opened since the app started.
    pub fn opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn is_open(&self) -> bool {
        lock(&self.token).is_some()
    }

    pub(crate) fn token(&self) -> Result<String, AppError> {
        lock(&self.token)
            .clone()
            .ok_or_else(|| AppError::new("invalid_session", "You are not logged in."))
    }

    fn close(&self) -> Option<String> {
        lock(&self.card).take();
        lock(&self.token).take()
    }

    /// T3: the online card this session was offered (the newest), kept to be saved.
    pub(crate) fn keep_card(&self, card: PrintableCard) {
        *lock(&self.card) = Some(card);
    }

    pub(crate) fn card(&self) -> Option<PrintableCard> {
        lock(&self.card).clone()
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
            // T4: the temporary passcode or online card stopped with the permanent device.
            ("session_expired", Some(ErrorReason::DeviceEnded)) => Some(SessionEnd {
                reason: "device_ended",
                message: "Your temporary access has ended: your permanent security device was \
                          reactivated, or a replacement was activated. Log in with that device.",
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
pub(crate) fn session_over(app: &AppHandle, err: AppError) -> AppError {
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

/// Asks the broker with the session's token; an answer that means the session is over
/// goes through [`session_over`]. Every main-window command that reads the account
/// comes through here.
pub(crate) async fn ask<T, F, Fut>(
    app: &AppHandle,
    line: &Line,
    session: &Session,
    call: F,
) -> Result<T, AppError>
where
    F: FnOnce(BrokerClient, String) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let token = session.token()?;
    let answer = call(line.client()?, token).await;
    answer.map_err(|e| session_over(app, e))
}

/// The main window's check (not activity). A session the broker ended takes the
/// trader back to the login window, which says why.
#[tauri::command]
pub async fn current_session(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SessionInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.session(&token).await
    })
    .await
}

/// The trader is active (the main window throttles these).
#[tauri::command]
pub async fn session_keepalive(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SessionInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.keepalive(&token).await
    })
    .await
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
    end(&app, &line, &session).await?;
    windows::show_login(&app);
    Ok(())
}

/// Ends the session, if one is open, on the broker and here, and closes the main
/// window; answers whether there was one. The caller shows the login window.
pub(crate) async fn end(app: &AppHandle, line: &Line, session: &Session) -> Result<bool, AppError> {
    let Some(token) = session.close() else {
        return Ok(false);
    };
    // The window closes either way; a broker that is gone has no session to end.
    if let Err(e) = line.client()?.logout(&token).await {
        tracing::warn!(code = %e.code, "logout");
    }
    if let Some(main) = app.get_webview_window("main") {
        main.destroy().map_err(error::window)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_client::ErrorDetails;

    fn broker(code: &str, reason: ErrorReason) -> AppError {
        AppError {
            details: Some(Box::new(ErrorDetails {
                reason: Some(reason),
                ..ErrorDetails::default()
            })),
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
    fn t4_a_session_through_a_voided_temporary_device_says_why_it_ended() {
        let end = SessionEnd::from_error(&broker("session_expired", ErrorReason::DeviceEnded))
            .expect("the session is over");
        assert_eq!(end.reason, "device_ended");
        assert!(
            end.message.contains("reactivated") && end.message.contains("replacement"),
            "T4: says what ended the temporary access: {}",
            end.message
        );
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
