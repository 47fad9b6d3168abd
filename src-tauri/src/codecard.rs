//! The Security Code Card simulator window (D7): the user's printed grid of 100
//! three-digit codes — a Security Code Card, or an online card printed earlier (T3). Its grid comes from the broker's QA controls once, like a DSC+
//! card's key, and is then kept in the keyring; the window only shows it — reading
//! the two index numbers off the login window and the codes off the card is the user's
//! job, as with a real card.

use crate::error::AppError;
use crate::keychain;
use crate::link::Line;
use crate::windows;
use portcullis_api::{DeviceInfo, DeviceKind};
use serde::Serialize;
use tauri::{AppHandle, State};

/// A card's codes: `codes[i]` is the code under index `i` (00–99).
#[derive(Clone, Serialize)]
pub struct CodeCard {
    pub device_id: String,
    pub codes: Vec<String>,
    /// Whether the grid had to be fetched now (false: it was in the keyring).
    pub provisioned: bool,
}

/// The codes are what a login asks for: never in a log line.
impl std::fmt::Debug for CodeCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeCard")
            .field("device_id", &self.device_id)
            .field("provisioned", &self.provisioned)
            .finish_non_exhaustive()
    }
}

const CODES: usize = 100;

#[tauri::command]
pub async fn open_codecard_window(app: AppHandle) -> Result<(), AppError> {
    windows::open_codecard(&app)
}

/// The scenario's Security Code Cards, and the online cards users printed (T3).
#[tauri::command]
pub async fn codecard_devices(line: State<'_, Line>) -> Result<Vec<DeviceInfo>, AppError> {
    crate::card::scenario_devices(&line, |kind| {
        matches!(
            kind,
            DeviceKind::SecurityCodeCard | DeviceKind::OnlineSecurityCodeCard
        )
    })
    .await
}

/// The card's grid: from the keyring, or asked of the broker once and then kept.
#[tauri::command]
pub async fn codecard_load(line: State<'_, Line>, device_id: String) -> Result<CodeCard, AppError> {
    if let Some(stored) = keychain::code_card(&device_id)? {
        if let Some(codes) = parse(&stored) {
            return Ok(CodeCard {
                device_id,
                codes,
                provisioned: false,
            });
        }
    }
    let provision = line.client()?.provision(&device_id).await?;
    let codes = provision
        .grid
        .filter(|g| g.len() == CODES && g.iter().all(|c| is_code(c)))
        .ok_or_else(|| AppError::new("card_bad_key", "This device is not a Security Code Card."))?;
    keychain::store_code_card(&provision.id, &codes.concat())?;
    Ok(CodeCard {
        device_id,
        codes,
        provisioned: true,
    })
}

fn is_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The keyring keeps the 100 codes as one string of 300 digits.
fn parse(stored: &str) -> Option<Vec<String>> {
    if stored.len() != CODES * 3 || !stored.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        stored
            .as_bytes()
            .chunks(3)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d7_a_stored_grid_reads_back_as_100_codes_and_anything_else_is_refetched() {
        let codes: Vec<String> = (0..100).map(|i| format!("{:03}", (i * 7) % 1000)).collect();
        assert_eq!(parse(&codes.concat()), Some(codes));
        assert_eq!(parse("123"), None);
        assert_eq!(parse(&"x".repeat(300)), None);
    }
}
