//! The app's own settings, in `settings.json` in its config folder. Today one: whether
//! an expired push is sent again by itself, and how many times (default off) — what
//! users who automate this login ask for — and the windows' language (`locale`, see
//! `locale.rs`).

use crate::error::AppError;
use crate::locale::Locale;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tauri::State;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Values {
    pub auto_resend: bool,
    pub auto_resend_max: u32,
    /// Changed only through `locale_set`: `set_settings` keeps the saved one.
    pub locale: Locale,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            auto_resend: false,
            auto_resend_max: 3,
            locale: Locale::En,
        }
    }
}

pub struct Settings {
    path: PathBuf,
    values: Mutex<Values>,
}

impl Settings {
    pub fn load(dir: &Path) -> Settings {
        let path = dir.join("settings.json");
        let values = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Settings {
            path,
            values: Mutex::new(values),
        }
    }

    pub fn locale(&self) -> Locale {
        self.values.lock().unwrap_or_else(|p| p.into_inner()).locale
    }

    pub fn save_locale(&self, locale: Locale) -> Result<(), AppError> {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        let changed = Values {
            locale,
            ..values.clone()
        };
        self.write(&changed)?;
        *values = changed;
        Ok(())
    }

    fn write(&self, values: &Values) -> Result<(), AppError> {
        let text = serde_json::to_string_pretty(values)
            .map_err(|e| AppError::new("settings", e.to_string()))?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| AppError::new("settings", e.to_string()))?;
        }
        std::fs::write(&self.path, text).map_err(|e| AppError::new("settings", e.to_string()))
    }
}

#[tauri::command]
pub fn get_settings(settings: State<'_, Settings>) -> Values {
    settings
        .values
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

#[tauri::command]
pub fn set_settings(settings: State<'_, Settings>, values: Values) -> Result<Values, AppError> {
    if values.auto_resend_max > 10 {
        return Err(AppError::new("bad_setting", "Re-send at most 10 times."));
    }
    let mut kept = settings.values.lock().unwrap_or_else(|p| p.into_inner());
    let values = Values {
        locale: kept.locale,
        ..values
    };
    settings.write(&values)?;
    *kept = values.clone();
    Ok(values)
}
