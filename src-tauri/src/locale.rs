//! The language of the windows: English (the default, and the text in `ui/*.html`) or
//! French (`ui/i18n.js` holds its texts). The choice is kept in the settings
//! (`locale`); `--locale fr` or `PORTCULLIS_LOCALE=fr` sets it for one run (tests,
//! kiosks) without saving it. Switching tells every open window (`locale-changed`).

use crate::error::AppError;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, State};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Fr,
}

impl Locale {
    fn parse(text: &str) -> Option<Locale> {
        match text.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// `--locale fr` (or `--locale=fr`) wins over `PORTCULLIS_LOCALE`; an unknown
    /// value is ignored with a warning.
    pub fn from_args(args: &[String], env: Option<&str>) -> Option<Locale> {
        let arg = args.iter().enumerate().find_map(|(i, a)| {
            if a == "--locale" {
                Some(args.get(i + 1).map_or("", String::as_str))
            } else {
                a.strip_prefix("--locale=")
            }
        });
        let asked = arg.or(env.filter(|v| !v.is_empty()))?;
        let locale = Locale::parse(asked);
        if locale.is_none() {
            tracing::warn!(value = asked, "--locale takes en or fr; using the setting");
        }
        locale
    }
}

/// The language the windows show now.
pub struct Current(Mutex<Locale>);

impl Current {
    pub fn new(locale: Locale) -> Current {
        Current(Mutex::new(locale))
    }

    pub fn get(&self) -> Locale {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[tauri::command]
pub fn locale_get(current: State<'_, Current>) -> Locale {
    *current.0.lock().unwrap_or_else(|p| p.into_inner())
}

#[tauri::command]
pub fn locale_set(
    app: AppHandle,
    current: State<'_, Current>,
    settings: State<'_, Settings>,
    locale: Locale,
) -> Result<Locale, AppError> {
    settings.save_locale(locale)?;
    *current.0.lock().unwrap_or_else(|p| p.into_inner()) = locale;
    app.emit("locale-changed", locale)
        .map_err(|e| AppError::new("window", e.to_string()))?;
    Ok(locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_flag_or_the_environment_overrides_the_setting_for_one_run() {
        assert_eq!(Locale::from_args(&args(&["app"]), None), None);
        assert_eq!(
            Locale::from_args(&args(&["app", "--locale", "fr"]), None),
            Some(Locale::Fr)
        );
        assert_eq!(
            Locale::from_args(&args(&["app", "--locale=FR"]), Some("en")),
            Some(Locale::Fr),
            "the flag wins over the environment"
        );
        assert_eq!(
            Locale::from_args(&args(&["app"]), Some("fr")),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::from_args(&args(&["app"]), Some("de")), None);
        assert_eq!(Locale::from_args(&args(&["app"]), Some("")), None);
    }
}
