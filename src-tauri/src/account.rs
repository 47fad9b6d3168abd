//! The main window's account home and Client Portal (issue 8): the user's devices and
//! messages (T5's notices; the limits, D2, come with the session), and the online
//! security code card (T3) — offered, saved as a PDF or PNG, printed, activated — and
//! reactivating a device on the portal (case 10).
//!
//! Main window only (its capability). Every broker call goes through
//! [`session::ask`](crate::session::ask): a session the broker ended (T4's `device_ended` among them)
//! closes the window and the login window says why. The card's codes stay in this
//! process and in the files the trader asks for; they are never logged.

mod printable;

pub use printable::PrintableCard;

use crate::error::{self, AppError};
use crate::link::Line;
use crate::session::{ask, Session};
use portcullis_api::{
    DeviceInfo, OnlineCardActivated, OnlineCardOffer, ReactivationAsk, UserMessage,
};
use serde::Deserialize;
use std::path::PathBuf;
use tauri::{AppHandle, Manager, State, WebviewWindow};

/// Where saved cards go instead of the Downloads folder (tests, kiosks).
const SAVE_DIR_ENV: &str = "PORTCULLIS_SAVE_DIR";

/// The session user's devices with their dates; reading them is not activity.
#[tauri::command]
pub async fn account_devices(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<Vec<DeviceInfo>, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.my_devices(&token).await
    })
    .await
}

/// T5: the user's messages, the newest first.
#[tauri::command]
pub async fn account_messages(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<Vec<UserMessage>, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.messages(&token).await
    })
    .await
}

/// T3: the online card to print and the two indexes that activate it. The card (and
/// whose it is) is kept for `online_card_save`, so the page never hands codes back.
#[tauri::command]
pub async fn online_card_offer(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<OnlineCardOffer, AppError> {
    let (offer, who) = ask(&app, &line, &session, |c, token| async move {
        Ok((c.online_card(&token).await?, c.session(&token).await?))
    })
    .await?;
    session.keep_card(PrintableCard {
        device_id: offer.device_id.clone(),
        grid: offer.grid.clone(),
        username: who.username,
        full_name: who.full_name,
        account: who.account,
    });
    Ok(offer)
}

/// T3: the codes at the two indexes, typed together, activate the card for 21 days.
/// A wrong answer is the broker's `login_failed` (it counts, L4); the page then asks
/// for the card again, which comes with fresh indexes.
#[tauri::command]
pub async fn online_card_activate(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    response: String,
) -> Result<OnlineCardActivated, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.online_card_activate(&token, &response).await
    })
    .await
}

/// Case 10: "Reactivate" beside a set-aside or shipped device, on the Client Portal:
/// what the device must answer (a challenge, or two index numbers).
#[tauri::command]
pub async fn reactivate_ask(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    device_id: String,
) -> Result<ReactivationAsk, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.reactivate(&token, &device_id).await
    })
    .await
}

/// Case 10, T4: the device's answer. Right, it serves again and temporary access ends
/// at once; a session that came through it ends too (the login window says why).
#[tauri::command]
pub async fn reactivate_confirm(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    response: String,
) -> Result<DeviceInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.reactivate_confirm(&token, &response).await
    })
    .await
}

/// How the trader keeps the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardFormat {
    /// Made here (`printable::pdf`).
    Pdf,
    /// Drawn by the page on a canvas, passed as base64.
    Png,
}

/// Saves the card offered last as a PDF, or the page's PNG of it; answers the file's
/// path. Into `$PORTCULLIS_SAVE_DIR` if set, else the user's Downloads folder.
#[tauri::command]
pub fn online_card_save(
    app: AppHandle,
    session: State<'_, Session>,
    format: CardFormat,
    png_base64: Option<String>,
) -> Result<String, AppError> {
    let card = session.card().ok_or_else(|| {
        AppError::new(
            "no_online_card",
            "Get your online security code card first.",
        )
    })?;
    let (bytes, ext) = match format {
        CardFormat::Pdf => (printable::pdf(&card), "pdf"),
        CardFormat::Png => {
            let text = png_base64.ok_or_else(|| {
                AppError::new("invalid_card_image", "The card's picture is missing.")
            })?;
            (printable::png(&text)?, "png")
        }
    };
    let dir = save_dir(&app)?;
    let path = dir.join(printable::file_name(&card.device_id, ext));
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| not_saved(&dir, e))?;
    tracing::info!(device = %card.device_id, path = %path.display(), "online card saved");
    Ok(path.display().to_string())
}

/// The system's print dialog for the page; its print style shows the card alone.
#[tauri::command]
pub fn online_card_print(window: WebviewWindow) -> Result<(), AppError> {
    window.print().map_err(error::window)
}

fn save_dir(app: &AppHandle) -> Result<PathBuf, AppError> {
    if let Some(dir) = std::env::var_os(SAVE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path().download_dir().map_err(|e| {
        tracing::warn!(cause = %e, "no Downloads folder");
        AppError::new(
            "save_failed",
            "There is no Downloads folder to save the card in.",
        )
    })
}

fn not_saved(dir: &std::path::Path, cause: std::io::Error) -> AppError {
    tracing::warn!(%cause, dir = %dir.display(), "online card not saved");
    AppError::new(
        "save_failed",
        format!("The card could not be saved in {}: {cause}.", dir.display()),
    )
}
