//! The DSC+ card simulator window's commands. Its key comes from the broker's QA
//! controls once and is then kept in the keyring; the arithmetic is the client's
//! (`portcullis_client::card`).

use crate::error::AppError;
use crate::keychain;
use crate::link::Line;
use crate::windows;
use portcullis_api::{DeviceInfo, DeviceKind};
use portcullis_client::card;
use serde::Serialize;
use tauri::{AppHandle, State};

/// `card_load`'s answer: whether the key had to be fetched now.
#[derive(Debug, Clone, Serialize)]
pub struct CardLoaded {
    pub device_id: String,
    pub provisioned: bool,
}

#[tauri::command]
pub async fn open_card_window(app: AppHandle) -> Result<(), AppError> {
    windows::open_card(&app)
}

/// The scenario's challenge cards (demo/QA): DSC+, and the legacy DSC, Platinum and
/// Gold tokens, which answer a challenge the same way (D1).
#[tauri::command]
pub async fn card_devices(line: State<'_, Line>) -> Result<Vec<DeviceInfo>, AppError> {
    scenario_devices(&line, |kind| {
        matches!(
            kind,
            DeviceKind::DscPlus | DeviceKind::Dsc | DeviceKind::Platinum | DeviceKind::Gold
        )
    })
    .await
}

/// The scenario's devices of the kinds `keep` picks, for a simulator to hold (the
/// broker's QA list: demo/QA only).
pub async fn scenario_devices(
    line: &Line,
    keep: impl Fn(DeviceKind) -> bool,
) -> Result<Vec<DeviceInfo>, AppError> {
    let devices = line.client()?.devices().await.map_err(|e| {
        e.or_qa_disabled(
            "This login server does not hand out simulated devices (its QA mode is off).",
        )
    })?;
    Ok(devices.into_iter().filter(|d| keep(d.kind)).collect())
}

/// Makes sure the card's key is in the keyring: asked of the broker once, then kept.
#[tauri::command]
pub async fn card_load(line: State<'_, Line>, device_id: String) -> Result<CardLoaded, AppError> {
    if keychain::card_key(&device_id)?.is_some() {
        return Ok(CardLoaded {
            device_id,
            provisioned: false,
        });
    }
    let provision = line.client()?.provision(&device_id).await?;
    if provision.suite != card::DSC_PLUS_SUITE {
        return Err(AppError::new(
            "card_bad_key",
            format!("Unexpected suite {}", provision.suite),
        ));
    }
    keychain::store_card_key(&provision.id, &provision.secret_hex)?;
    Ok(CardLoaded {
        device_id,
        provisioned: true,
    })
}

/// C2: what the card shows for the PIN typed and the challenge.
#[tauri::command]
pub fn card_response(
    device_id: String,
    pin: String,
    challenge: String,
) -> Result<String, AppError> {
    let key = keychain::card_key(&device_id)?.ok_or_else(|| {
        AppError::new(
            "card_not_loaded",
            "This card has no key yet. Choose it again.",
        )
    })?;
    card::response(&key, &pin, &challenge)
}
