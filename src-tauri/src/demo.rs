//! Demonstrators reset the broker between visitors, and play Client Services on the
//! telephone (T1: a temporary passcode). Both need a broker with `--qa`, as the
//! bundled one has.

use crate::error::AppError;
use crate::kiosk::Kiosk;
use crate::link::Line;
use crate::session::Session;
use portcullis_api::TemporaryPasscodeIssued;
use portcullis_client::phone::PhoneSim;
use serde::Serialize;
use std::time::Instant;
use tauri::{AppHandle, Manager, State};

/// What a reset did: how long it took (kiosk: under a second), and how many there
/// have been.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReset {
    pub elapsed_ms: u64,
    pub resets: u64,
}

/// Reset demo: any session ends, a visitor's own phone is unpaired, the broker goes back to its scenario and clock, the
/// phone simulator is provisioned again (every phone token is void after a reset;
/// issue 6, item 12; card keys come from the scenario and stay valid), and the
/// simulators' windows start over.
#[tauri::command]
pub async fn demo_reset(app: AppHandle) -> Result<DemoReset, AppError> {
    reset(&app).await
}

/// [`demo_reset`], also for kiosk mode's automatic reset.
pub async fn reset(app: &AppHandle) -> Result<DemoReset, AppError> {
    let started = Instant::now();
    let session = app.state::<Session>();
    // A login finishing while this runs counts as a visit after the reset.
    let opened = session.opened();
    let line = app.state::<Line>();
    // Shown as it is: the login window's own page is waiting for this answer.
    if crate::session::end(app, &line, &session).await? {
        if let Some(login) = app.get_webview_window("login") {
            let _ = login.show();
        }
    }
    // The visitor's own phone (--phone-lan) is unpaired; the next visitor scans a new code.
    crate::lan_phone::reset(app);
    line.client()?.reset().await.map_err(|e| {
        e.or_qa_disabled("This login server does not allow a reset (its QA mode is off).")
    })?;
    app.state::<PhoneSim>().after_reset().await?;
    for label in ["phone", "card", "codecard"] {
        if let Some(window) = app.get_webview_window(label) {
            let _ = window.eval("window.location.reload()");
        }
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let resets = app.state::<Kiosk>().record(elapsed_ms, opened);
    tracing::info!(elapsed_ms, resets, "demo reset");
    Ok(DemoReset { elapsed_ms, resets })
}

/// T1, cases 4 and 5: Client Services, once the caller's identity is verified, issues
/// a temporary passcode (shown this once; the broker refuses a second in a row).
#[tauri::command]
pub async fn demo_temp_passcode(
    line: State<'_, Line>,
    username: String,
) -> Result<TemporaryPasscodeIssued, AppError> {
    line.client()?
        .issue_temporary_passcode(&username)
        .await
        .map_err(|e| {
            e.or_qa_disabled("This login server has no Client Services desk (its QA mode is off).")
        })
}
