//! The login window's commands: the password step, the second factor (a typed
//! response, a device choice, the push and its fallbacks) and the remembered username.
//! The session's token never reaches the web view: [`LoginAnswer`] is the broker's
//! step with the token kept back (in [`Session`]) — the one place it is taken out.
//!
//! A slow login server never holds the trader (issue 11): the password step can be
//! cancelled while the broker has not answered ([`PasswordStep`]); the client crate
//! undoes an answer that comes after that (`BrokerClient::login_unless`), so a
//! cancelled login leaves no push on the phone and no session open.

use crate::error::{self, AppError};
use crate::keychain;
use crate::link::Line;
use crate::session::Session;
use crate::windows;
use portcullis_api::{
    Channel, DeviceChoice, LoginStep, NewSession, PushWait, SecondFactor, SessionInfo,
};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Mutex;
use tauri::{AppHandle, Manager, State};
use tokio::sync::Notify;

/// Where the login stands, as the login window sees it (`status` says which).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginAnswer {
    /// Logged in: the main window is open; the token stayed here.
    Authenticated { session: SessionInfo },
    /// D6: pick a device.
    SelectDevice(DeviceChoice),
    /// D5: the device's second factor is under way.
    SecondFactor(SecondFactor),
    /// K2: the phone has not answered yet.
    Pending { expires_in_seconds: i64 },
    /// The password step was cancelled before the broker answered.
    Cancelled,
}

/// The password steps under way. The window numbers each attempt, and Cancel
/// ([`cancel_password_step`]) names the one it cancels: a Cancel that overtakes its
/// login still cancels it, and a late one cancels no other attempt.
#[derive(Default)]
pub struct PasswordStep {
    cancel: Notify,
    cancelled: Mutex<HashSet<u64>>,
}

impl PasswordStep {
    fn is_cancelled(&self, attempt: u64) -> bool {
        self.cancelled_set().contains(&attempt)
    }

    /// Resolves once `attempt` is cancelled.
    async fn cancelled(&self, attempt: u64) {
        loop {
            let notified = self.cancel.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled(attempt) {
                return;
            }
            notified.await;
        }
    }

    /// `attempt` is over: forget its Cancel, if any.
    fn done(&self, attempt: u64) {
        self.cancelled_set().remove(&attempt);
    }

    fn cancelled_set(&self) -> std::sync::MutexGuard<'_, HashSet<u64>> {
        self.cancelled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Keeps the token, opens the main window, and gives the UI the session without it.
fn logged_in(app: &AppHandle, new: NewSession) -> Result<LoginAnswer, AppError> {
    app.state::<Session>().open(new.token);
    windows::open_main(app)?;
    Ok(LoginAnswer::Authenticated {
        session: new.session,
    })
}

fn step(app: &AppHandle, step: LoginStep) -> Result<LoginAnswer, AppError> {
    match step {
        LoginStep::Authenticated(new) => logged_in(app, new),
        LoginStep::SelectDevice(choice) => Ok(LoginAnswer::SelectDevice(choice)),
        LoginStep::SecondFactor(factor) => Ok(LoginAnswer::SecondFactor(factor)),
    }
}

/// The password step, on the trading workstation or the Client Portal (T2: the broker
/// decides what each channel may do; `channel` absent is trading).
#[tauri::command]
pub async fn login(
    app: AppHandle,
    line: State<'_, Line>,
    password_step: State<'_, PasswordStep>,
    username: String,
    password: String,
    channel: Option<Channel>,
    attempt: u64,
) -> Result<LoginAnswer, AppError> {
    let channel = channel.unwrap_or_default();
    let client = line.client()?;
    let answer = if password_step.is_cancelled(attempt) {
        Ok(None)
    } else {
        client
            .login_unless(
                channel,
                username,
                password,
                password_step.cancelled(attempt),
            )
            .await
    };
    let answer = match answer {
        // Cancelled while the answer came back: undone like a late one.
        Ok(Some(late)) if password_step.is_cancelled(attempt) => {
            client.undo_later(late);
            Ok(LoginAnswer::Cancelled)
        }
        Ok(Some(answer)) => step(&app, answer),
        Ok(None) => Ok(LoginAnswer::Cancelled),
        Err(e) => Err(e),
    };
    password_step.done(attempt);
    answer
}

/// Cancel on the password step `attempt`: its login gives up waiting for the broker at
/// once (or never asks, if the Cancel came first); the client undoes its late answer.
#[tauri::command]
pub fn cancel_password_step(password_step: State<'_, PasswordStep>, attempt: u64) {
    password_step.cancelled_set().insert(attempt);
    password_step.cancel.notify_waiters();
}

#[tauri::command]
pub async fn submit_response(
    app: AppHandle,
    line: State<'_, Line>,
    ticket: String,
    response: String,
) -> Result<LoginAnswer, AppError> {
    logged_in(&app, line.client()?.respond(&ticket, &response).await?)
}

/// D6: the device the user picked.
#[tauri::command]
pub async fn choose_device(
    app: AppHandle,
    line: State<'_, Line>,
    ticket: String,
    device_id: String,
) -> Result<LoginAnswer, AppError> {
    step(
        &app,
        line.client()?.choose_device(&ticket, &device_id).await?,
    )
}

/// K3: "Click here if you do not receive the notification".
#[tauri::command]
pub async fn push_fallback(
    app: AppHandle,
    line: State<'_, Line>,
    ticket: String,
) -> Result<LoginAnswer, AppError> {
    step(&app, line.client()?.fallback(&ticket).await?)
}

/// "Send again".
#[tauri::command]
pub async fn push_resend(
    app: AppHandle,
    line: State<'_, Line>,
    ticket: String,
) -> Result<LoginAnswer, AppError> {
    step(&app, line.client()?.resend(&ticket).await?)
}

/// K2: waits (one long poll) for the phone's answer; the login proceeds by itself.
#[tauri::command]
pub async fn wait_push(
    app: AppHandle,
    line: State<'_, Line>,
    ticket: String,
) -> Result<LoginAnswer, AppError> {
    let outcome = line
        .client()?
        .wait(&ticket)
        .await
        .map_err(error::push_outcome)?;
    match outcome {
        PushWait::Authenticated(new) => logged_in(&app, new),
        PushWait::Pending { expires_in_seconds } => Ok(LoginAnswer::Pending { expires_in_seconds }),
    }
}

#[tauri::command]
pub async fn cancel_login(line: State<'_, Line>, ticket: String) -> Result<(), AppError> {
    line.client()?.cancel(&ticket).await
}

#[tauri::command]
pub fn remembered_username() -> Result<Option<String>, AppError> {
    keychain::remembered_username()
}

#[tauri::command]
pub fn remember_username(username: Option<String>) -> Result<(), AppError> {
    keychain::remember_username(username.as_deref())
}
