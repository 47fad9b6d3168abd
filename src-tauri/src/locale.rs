//! The language of the windows: English (the default, and the text in `ui/*.html`) or
//! French (`ui/i18n.js` holds its texts). The choice is kept in the settings
//! (`locale`); `--locale fr` or `PORTCULLIS_LOCALE=fr` sets it for one run (tests,
//! kiosks) without saving it. Switching tells every open window (`locale-changed`)
//! and retitles the open windows at once; a desktop notification takes the language
//! in use when it is raised.

use crate::error::AppError;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

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

/// The language in use now (English before the app's state is set up).
pub fn now<R: Runtime>(app: &AppHandle<R>) -> Locale {
    app.try_state::<Current>().map_or(Locale::En, |c| c.get())
}

/// A window's native title, by its label (each page's `<title>` says the same).
pub fn window_title(label: &str, locale: Locale) -> &'static str {
    match (label, locale) {
        ("login", Locale::En) => "Portcullis — Secure Login",
        ("login", Locale::Fr) => "Portcullis — Connexion sécurisée",
        ("main", Locale::En) => "Portcullis — Trading workstation",
        ("main", Locale::Fr) => "Portcullis — Station de négociation",
        ("card", Locale::En) => "DSC+ card simulator",
        ("card", Locale::Fr) => "Simulateur de carte DSC+",
        ("codecard", Locale::En) => "Security Code Card simulator",
        ("codecard", Locale::Fr) => "Simulateur de carte de codes de sécurité",
        ("phone", Locale::En) => "IB Key phone simulator",
        ("phone", Locale::Fr) => "Simulateur de téléphone IB Key",
        _ => "Portcullis",
    }
}

/// Every open window's native title in `locale`.
pub fn retitle<R: Runtime>(app: &AppHandle<R>, locale: Locale) {
    for (label, window) in app.webview_windows() {
        if let Err(e) = window.set_title(window_title(&label, locale)) {
            tracing::warn!(window = %label, cause = %e, "window title");
        }
    }
}

/// The phone simulator's desktop notification for a login request: summary, body
/// and the label of its action.
pub fn push_notification(locale: Locale, username: &str) -> (&'static str, String, &'static str) {
    match locale {
        Locale::En => (
            "IB Key: login request",
            format!("Login request for {username}. Open to approve or deny."),
            "Open",
        ),
        Locale::Fr => (
            "IB Key : demande de connexion",
            format!(
                "Demande de connexion pour {username}. Ouvrez-la pour l'approuver ou la refuser."
            ),
            "Ouvrir",
        ),
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
    retitle(&app, locale);
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

    #[test]
    fn every_window_and_the_notification_have_both_languages() {
        for label in ["login", "main", "card", "codecard", "phone"] {
            let (en, fr) = (
                window_title(label, Locale::En),
                window_title(label, Locale::Fr),
            );
            assert_ne!(en, "Portcullis", "{label} has a title");
            assert_ne!(en, fr, "{label} is titled in French too");
        }
        let (summary, body, _) = push_notification(Locale::Fr, "avery");
        assert_eq!(summary, "IB Key : demande de connexion");
        assert!(body.contains("avery"), "{body}");
    }
}
