//! Portcullis, the desktop login client. A thin Tauri shell: each command is a few
//! lines that delegate to the broker client, the keyring or the card simulator, and
//! errors cross IPC as `{code, message}` (`error::AppError`).
//!
//! Windows: `login` (from `tauri.conf.json`), `main` (opened on a successful login,
//! showing the real session), and `card` (the DSC+ simulator, from the Devices menu).

mod broker_process;
mod card;
mod client;
mod error;
mod keychain;
mod link;
mod notifications;
mod phone;
mod session;
mod settings;

use broker_process::BrokerSource;
use client::BrokerClient;
use error::AppError;
use link::{BrokerStatus, Line};
use serde_json::Value;
use session::SessionEnd;
use std::sync::Mutex;
use tauri::{AppHandle, Manager, RunEvent, State, WebviewUrl, WebviewWindowBuilder, WindowEvent};

pub(crate) struct Portcullis {
    line: Line,
    /// The session token: kept here, never handed to the web view.
    token: Mutex<Option<String>>,
    /// Why the last session ended by itself, for the login window to say once.
    session_end: Mutex<Option<SessionEnd>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Portcullis {
    pub(crate) fn client(&self) -> Result<BrokerClient, AppError> {
        self.line.client()
    }

    fn token(&self) -> Result<String, AppError> {
        lock(&self.token)
            .clone()
            .ok_or_else(|| AppError::new("invalid_session", "You are not logged in."))
    }
}

// ---- the login server ------------------------------------------------------------------

#[tauri::command]
fn broker_status(state: State<'_, Portcullis>) -> BrokerStatus {
    state.line.status()
}

/// Retry: look at the line (or start the bundled broker) now.
#[tauri::command]
fn broker_retry(state: State<'_, Portcullis>) {
    state.line.retry_now();
}

// ---- login ---------------------------------------------------------------------------

/// Keeps the token, opens the main window, and gives the UI the session without it.
fn logged_in(app: &AppHandle, token: String, session: Value) -> Result<Value, AppError> {
    *lock(&app.state::<Portcullis>().token) = Some(token);
    open_main_window(app)?;
    Ok(serde_json::json!({ "status": "authenticated", "session": session }))
}

#[tauri::command]
async fn login(
    app: AppHandle,
    state: State<'_, Portcullis>,
    username: String,
    password: String,
) -> Result<Value, AppError> {
    let mut step = state.client()?.login(&username, &password).await?;
    if step.get("status").and_then(Value::as_str) == Some("authenticated") {
        let token = step
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let session = step.get_mut("session").map(Value::take).unwrap_or_default();
        return logged_in(&app, token, session);
    }
    Ok(step)
}

#[tauri::command]
async fn submit_response(
    app: AppHandle,
    state: State<'_, Portcullis>,
    ticket: String,
    response: String,
) -> Result<Value, AppError> {
    let new_session = state.client()?.respond(&ticket, &response).await?;
    logged_in(&app, new_session.token, new_session.session)
}

/// D6: the device the user picked.
#[tauri::command]
async fn choose_device(
    state: State<'_, Portcullis>,
    ticket: String,
    device_id: String,
) -> Result<Value, AppError> {
    state.client()?.choose_device(&ticket, &device_id).await
}

/// K3: "Click here if you do not receive the notification".
#[tauri::command]
async fn push_fallback(state: State<'_, Portcullis>, ticket: String) -> Result<Value, AppError> {
    state.client()?.fallback(&ticket).await
}

/// "Send again".
#[tauri::command]
async fn push_resend(state: State<'_, Portcullis>, ticket: String) -> Result<Value, AppError> {
    state.client()?.resend(&ticket).await
}

/// K2: waits (one long poll) for the phone's answer; the login proceeds by itself.
#[tauri::command]
async fn wait_push(
    app: AppHandle,
    state: State<'_, Portcullis>,
    ticket: String,
) -> Result<Value, AppError> {
    let mut outcome = state
        .client()?
        .wait(&ticket)
        .await
        .map_err(error::push_outcome)?;
    if outcome.get("status").and_then(Value::as_str) == Some("authenticated") {
        let token = outcome
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let session = outcome
            .get_mut("session")
            .map(Value::take)
            .unwrap_or_default();
        return logged_in(&app, token, session);
    }
    Ok(outcome)
}

#[tauri::command]
async fn cancel_login(state: State<'_, Portcullis>, ticket: String) -> Result<(), AppError> {
    state.client()?.cancel(&ticket).await
}

/// The main window's check (not activity). A session the broker ended takes the
/// trader back to the login window, which says why.
#[tauri::command]
async fn current_session(app: AppHandle, state: State<'_, Portcullis>) -> Result<Value, AppError> {
    let token = state.token()?;
    let answer = state.client()?.session(&token).await;
    answer.map_err(|e| session_over(&app, e))
}

/// The trader is active (the main window throttles these).
#[tauri::command]
async fn session_keepalive(
    app: AppHandle,
    state: State<'_, Portcullis>,
) -> Result<Value, AppError> {
    let token = state.token()?;
    let answer = state.client()?.keepalive(&token).await;
    answer.map_err(|e| session_over(&app, e))
}

/// Why the last session ended by itself (once), for the login window.
#[tauri::command]
fn take_session_end(state: State<'_, Portcullis>) -> Option<SessionEnd> {
    lock(&state.session_end).take()
}

/// If `err` means the session is over: forget it, close the main window, show the
/// login window with the reason. Passes the error on either way.
fn session_over(app: &AppHandle, err: AppError) -> AppError {
    if let Some(end) = SessionEnd::from_error(&err) {
        tracing::info!(reason = end.reason, "session ended");
        let state = app.state::<Portcullis>();
        *lock(&state.session_end) = Some(end);
        // The token goes first: closing the main window while logged in ends the app.
        lock(&state.token).take();
        if let Some(main) = app.get_webview_window("main") {
            let _ = main.destroy();
        }
        show_login_window(app);
    }
    err
}

#[tauri::command]
async fn logout(app: AppHandle, state: State<'_, Portcullis>) -> Result<(), AppError> {
    let token = lock(&state.token).take();
    if let Some(token) = token {
        // The window closes either way; a broker that is gone has no session to end.
        if let Err(e) = state.client()?.logout(&token).await {
            tracing::warn!(code = %e.code, "logout");
        }
    }
    if let Some(main) = app.get_webview_window("main") {
        main.destroy()
            .map_err(|e| AppError::new("window", e.to_string()))?;
    }
    show_login_window(&app);
    Ok(())
}

#[tauri::command]
fn remembered_username() -> Result<Option<String>, AppError> {
    keychain::remembered_username()
}

#[tauri::command]
fn remember_username(username: Option<String>) -> Result<(), AppError> {
    keychain::remember_username(username.as_deref())
}

/// Demonstrators reset the broker between visitors (it must run with `--qa`, as the
/// bundled one does).
///
/// Every phone token is void after it, so the phone simulator is provisioned again
/// (issue 6, item 12); card keys come from the scenario and stay valid.
#[tauri::command]
async fn demo_reset(app: AppHandle, state: State<'_, Portcullis>) -> Result<(), AppError> {
    state
        .client()?
        .reset()
        .await
        .map_err(|e| match e.code.as_str() {
            "not_found" => AppError::new(
                "qa_disabled",
                "This login server does not allow a reset (its QA mode is off).",
            ),
            _ => e,
        })?;
    phone::after_reset(&app).await
}

// ---- the DSC+ card simulator -----------------------------------------------------------

#[tauri::command]
async fn open_card_window(app: AppHandle) -> Result<(), AppError> {
    if let Some(card) = app.get_webview_window("card") {
        let _ = card.show();
        let _ = card.set_focus();
        return Ok(());
    }
    // Beside the login window, so both can be seen at once.
    let beside = app
        .get_webview_window("login")
        .and_then(|w| {
            Some((
                w.outer_position().ok()?,
                w.outer_size().ok()?,
                w.scale_factor().ok()?,
            ))
        })
        .map(|(pos, size, scale)| {
            let pos = pos.to_logical::<f64>(scale);
            let size = size.to_logical::<f64>(scale);
            (pos.x + size.width + 16.0, pos.y)
        });
    let mut builder = WebviewWindowBuilder::new(&app, "card", WebviewUrl::App("card.html".into()));
    if let Some((x, y)) = beside {
        builder = builder.position(x, y);
    }
    builder
        .title("DSC+ card simulator")
        .inner_size(320.0, 540.0)
        .resizable(false)
        .build()
        .map_err(|e| AppError::new("window", e.to_string()))?;
    Ok(())
}

#[tauri::command]
async fn card_devices(state: State<'_, Portcullis>) -> Result<Vec<client::DeviceInfo>, AppError> {
    let devices = state
        .client()?
        .devices()
        .await
        .map_err(|e| match e.code.as_str() {
            "not_found" => AppError::new(
                "qa_disabled",
                "This login server does not hand out card keys (its QA mode is off).",
            ),
            _ => e,
        })?;
    Ok(devices
        .into_iter()
        .filter(|d| d.kind == "dsc_plus")
        .collect())
}

/// Makes sure the card's key is in the keyring: asked of the broker once, then kept.
#[tauri::command]
async fn card_load(state: State<'_, Portcullis>, device_id: String) -> Result<Value, AppError> {
    if keychain::card_key(&device_id)?.is_some() {
        return Ok(serde_json::json!({ "device_id": device_id, "provisioned": false }));
    }
    let provision = state.client()?.provision(&device_id).await?;
    if provision.suite != card::DSC_PLUS_SUITE {
        return Err(AppError::new(
            "card_bad_key",
            format!("Unexpected suite {}", provision.suite),
        ));
    }
    keychain::store_card_key(&provision.id, &provision.secret_hex)?;
    Ok(serde_json::json!({ "device_id": device_id, "provisioned": true }))
}

#[tauri::command]
fn card_response(device_id: String, pin: String, challenge: String) -> Result<String, AppError> {
    let key = keychain::card_key(&device_id)?.ok_or_else(|| {
        AppError::new(
            "card_not_loaded",
            "This card has no key yet. Choose it again.",
        )
    })?;
    card::response(&key, &pin, &challenge)
}

// ---- windows ---------------------------------------------------------------------------

fn open_main_window(app: &AppHandle) -> Result<(), AppError> {
    if let Some(main) = app.get_webview_window("main") {
        let _ = main.eval("window.location.reload()");
        let _ = main.show();
    } else {
        WebviewWindowBuilder::new(app, "main", WebviewUrl::App("main.html".into()))
            .title("Portcullis — Trading workstation")
            .inner_size(900.0, 560.0)
            // Centred, not at 0,0 over the phone simulator.
            .center()
            .focused(true)
            .build()
            .map_err(|e| AppError::new("window", e.to_string()))?;
    }
    if let Some(login) = app.get_webview_window("login") {
        let _ = login.hide();
    }
    Ok(())
}

fn show_login_window(app: &AppHandle) {
    if let Some(login) = app.get_webview_window("login") {
        let _ = login.eval("window.location.reload()");
        let _ = login.show();
        let _ = login.set_focus();
    }
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORTCULLIS_LOG")
                .unwrap_or_else(|_| "portcullis=info".into()),
        )
        .init();

    let app = tauri::Builder::default()
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            app.manage(settings::Settings::load(&app.path().app_config_dir()?));
            app.manage(phone::PhoneSim::load());
            app.manage(notifications::Notices::default());
            app.manage(Portcullis {
                line: Line::new(BrokerSource::from_environment(&data_dir)),
                token: Mutex::new(None),
                session_end: Mutex::new(None),
            });
            link::supervise(app.handle());
            phone::start_listener(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the login or main window ends the app (the card is an accessory).
            if let WindowEvent::Destroyed = event {
                let app = window.app_handle();
                let token_held = lock(&app.state::<Portcullis>().token).is_some();
                match window.label() {
                    "login" => app.exit(0),
                    "main" if token_held => app.exit(0),
                    _ => {}
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            broker_status,
            broker_retry,
            login,
            submit_response,
            choose_device,
            push_fallback,
            push_resend,
            wait_push,
            cancel_login,
            settings::get_settings,
            settings::set_settings,
            phone::commands::open_phone_window,
            phone::commands::phone_status,
            phone::commands::phone_use_demo,
            phone::commands::phone_repair,
            phone::commands::phone_activation_start,
            phone::commands::phone_activation_verify,
            phone::commands::phone_messages,
            phone::commands::phone_activation_finish,
            phone::commands::phone_approve,
            phone::commands::phone_deny,
            phone::commands::phone_authenticate,
            phone::commands::phone_access,
            phone::commands::phone_forget,
            current_session,
            session_keepalive,
            take_session_end,
            logout,
            remembered_username,
            remember_username,
            demo_reset,
            open_card_window,
            card_devices,
            card_load,
            card_response,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("Portcullis could not start its window");

    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Stop the bundled broker with the app.
            app.state::<Portcullis>().line.shut_down();
        }
    });
}
